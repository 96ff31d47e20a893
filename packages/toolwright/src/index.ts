/**
 * `toolwright`: the self-improving agent in one call. `createToolwright()` wires every
 * Toolwright package with its embedded default; the packages stay usable on their own.
 *
 * @packageDocumentation
 */
export { createToolwright } from './create-toolwright.js';
export type { Toolwright, ToolwrightOptions } from './create-toolwright.js';
export type { ToolwrightRolloutOptions } from './rollout-wiring.js';
export { createGate } from '@toolwright/gate';
export type { Gate } from '@toolwright/gate';

export { createAgent, generateObject, ToolwrightError } from '@toolwright/core';
export { openaiModel } from '@toolwright/core/openai';
export type {
  Agent,
  AgentEvent,
  AgentRunOptions,
  AgentRunResult,
  ChangeGate,
  GateOutcome,
  GateStep,
  ImprovementReport,
  LanguageModel,
  PromptSection,
} from '@toolwright/core';
export type { OpenAIModelOptions } from '@toolwright/core/openai';
export { offlineModel } from '@toolwright/offline';
export type { OfflineModelOptions } from '@toolwright/offline';
export type { ToolwrightWorkerOptions } from './fleet-wiring.js';
export { IMPROVE_QUEUE, readJobStats, readParkedJobs } from '@toolwright/jobs';
export { EVOLUTION_QUEUE, EXPERIMENTS_QUEUE } from './fleet-wiring.js';
export type { JobQueue, ParkedJob, QueueStats } from '@toolwright/jobs';
export type { EvolutionStep, PromptEvolution, ToolwrightEvolutionOptions } from './prompt-evolution-wiring.js';
export { analyzeFailures, createPromptEvolver, reflectOnBatch } from '@toolwright/core';
export type { BatchReflection, FailurePattern, ImprovementProposal, PromptRefinement, UserPreference } from '@toolwright/core';
export { createPreferenceStore } from '@toolwright/safety-policy';
export type { PreferenceStore } from '@toolwright/safety-policy';
