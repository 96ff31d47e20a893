import {
  type ArtifactVersion,
  type Candidate,
  type ToolManifest,
  ValidationError,
  artifactVersionSchema,
  contentHash,
  parseOrThrow,
} from '@toolwright/core';
import { candidateShapeSchema } from './case-schemas.js';

/** A tool version the runner can compile: a registered version or a proposed candidate. */
export interface VersionUnderTest {
  readonly name: string;
  /** The registered version number; `undefined` for a candidate not yet registered. */
  readonly version: number | undefined;
  readonly source: string;
  readonly spec: ToolManifest;
  /** `contentHash({ kind: 'tool', name, source, spec })`: what the registry computes for the version. */
  readonly hash: string;
  /** For messages: `total_fares v3`, or `candidate of total_fares (from v2)`. */
  readonly label: string;
}

/** Validates a candidate or a tool version and gives what the runner needs of it. */
export function versionUnderTest(value: Candidate | ArtifactVersion, what: string): VersionUnderTest {
  if (typeof value === 'object' && value !== null && 'contentHash' in value) {
    const version = parseOrThrow(artifactVersionSchema, value, what);
    if (version.kind !== 'tool' || version.spec === undefined) {
      throw new ValidationError('INVALID_ARGUMENT', `The ${what} "${version.name}" v${version.version} is a ${version.kind}, not a tool: only tools have regression cases.`);
    }
    return { name: version.name, version: version.version, source: version.source, spec: version.spec, hash: version.contentHash, label: `${version.name} v${version.version}` };
  }
  const candidate = parseOrThrow(candidateShapeSchema, value, what);
  if (candidate.spec.name !== candidate.name) {
    throw new ValidationError('INVALID_ARGUMENT', `The ${what}'s spec names "${candidate.spec.name}" but the candidate is for "${candidate.name}".`);
  }
  return {
    name: candidate.name,
    version: undefined,
    source: candidate.source,
    spec: candidate.spec,
    hash: contentHash({ kind: 'tool', name: candidate.name, source: candidate.source, spec: candidate.spec }),
    label: `the candidate for ${candidate.name} (from v${candidate.parent})`,
  };
}
