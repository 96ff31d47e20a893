import type { Author, ToolManifest } from './artifact.js';
import type { Diagnosis } from './evaluator.js';
import type { TokenUsage } from './model.js';

/** A proposed new version of a tool, with the evidence that motivated it. */
export interface Candidate {
  readonly name: string;
  /** The version it rewrites. */
  readonly parent: number;
  readonly source: string;
  readonly spec: ToolManifest;
  readonly author: Author;
  readonly reason: string;
  readonly diagnosis: Diagnosis;
  /** Model tokens spent producing it (zero for transforms). */
  readonly tokens: TokenUsage;
}
