/**
 * `toolwright`: the self-improving agent in one call. `createToolwright()` wires every
 * Toolwright package with its embedded default; the packages stay usable on their own.
 *
 * @packageDocumentation
 */
export { createToolwright } from './create-toolwright.js';
export type { Toolwright, ToolwrightOptions } from './create-toolwright.js';
export { applyApproval, findCandidate } from './apply-approval.js';
export type { AppliedApproval } from './apply-approval.js';

export { createAgent, generateObject, openaiModel, ToolwrightError } from '@toolwright/core';
export type {
  Agent,
  AgentEvent,
  AgentRunOptions,
  AgentRunResult,
  ImprovementReport,
  LanguageModel,
  OpenAIModelOptions,
  PromptSection,
} from '@toolwright/core';
export { offlineModel } from '@toolwright/offline';
export type { OfflineModelOptions } from '@toolwright/offline';
