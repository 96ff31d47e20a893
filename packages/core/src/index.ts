/**
 * `@toolwright/core`: the spec every Toolwright package shares — interfaces, types,
 * zod schemas and errors — and the agent loop, which consumes them. Implementations live in
 * their own packages; the OpenAI provider is the subpath `@toolwright/core/openai`, so that
 * importing the spec never loads the `openai` client.
 *
 * @packageDocumentation
 */

export {
  AgentError,
  ERROR_CODES,
  EvaluatorError,
  ModelError,
  PolicyError,
  RegistryError,
  RegressionError,
  RewriterError,
  RolloutError,
  SandboxError,
  StorageError,
  ToolwrightError,
  ValidationError,
} from './errors.js';
export type { CodeOf, ErrorArea, ToolwrightErrorCode, ToolwrightErrorOptions } from './errors.js';

export { jsonObjectSchema, jsonValueSchema } from './json.js';
export type { JsonObject, JsonPrimitive, JsonSchema, JsonValue } from './json.js';

export { explainIssues, parseOrThrow } from './validation.js';
export { canonicalJson, contentHash, sha256 } from './hash.js';

export { addUsage, UNKNOWN_USAGE, ZERO_USAGE } from './model.js';
export { generateObject, zodResponseSchema } from './structured-output.js';
export type { GenerateObjectRequest } from './structured-output.js';
export type {
  AssistantMessage,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  Message,
  ResponseSchema,
  SystemMessage,
  TaskContext,
  TokenUsage,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  ToolResultMessage,
  UserMessage,
} from './model.js';

export {
  MAX_SOURCE_LENGTH,
  VERSION_TRANSITIONS,
  artifactKindSchema,
  artifactNameSchema,
  artifactVersionSchema,
  authorSchema,
  canTransition,
  capabilitySchema,
  fetchCapabilitySchema,
  originSchema,
  splitToolSpec,
  toolExampleSchema,
  toolInputSchemaSchema,
  toolLanguageSchema,
  toolManifestSchema,
  toolNameSchema,
  toolSpecOf,
  toolSpecSchema,
  versionStatusSchema,
} from './artifact.js';
export type {
  ArtifactKind,
  ArtifactVersion,
  Author,
  Capability,
  FetchCapability,
  ToolExample,
  ToolLanguage,
  ToolManifest,
  ToolName,
  ToolSpec,
  ToolSpecInput,
  VersionStatus,
} from './artifact.js';

export type { CompileRequest, CompiledTool, RunOptions, RunResult, Sandbox, SandboxFaultCode } from './sandbox.js';

export {
  WRONG_OUTPUT_CODE,
  auditEntryInputSchema,
  invocationOutcomeSchema,
  invocationSchema,
  lessonInputSchema,
  MAX_SERIES_BUCKETS,
  tokenUsageSchema,
} from './memory.js';
export type {
  AuditEntry,
  AuditEntryInput,
  Invocation,
  InvocationOutcome,
  Lesson,
  LessonInput,
  Memory,
  SeriesBucket,
  SeriesOptions,
  SummaryOptions,
  SummaryWindow,
  ToolSeriesSummary,
  ToolSummary,
} from './memory.js';

export type { Bundle, RegisterInput, RegistryChangeEvent, RegistryReader } from './registry.js';
export type {
  AppliedOutcome,
  ChangeEvidence,
  ChangeGate,
  DeniedOutcome,
  FailedOutcome,
  FailedRegressionOutcome,
  GateOutcome,
  GateStatus,
  GateStep,
  QueuedOutcome,
} from './gate.js';
export { AUDIT_ACTION_NAMES, AUDIT_ACTIONS, CHANGE_KINDS, GATE_STATUSES, gateAuditAction } from './audit-actions.js';
export type { AuditAction, GateAuditAction } from './audit-actions.js';
export type { Diagnosis, DiagnosisReason, DiagnosisReasonKind, Evaluator, ScoreComponent } from './evaluator.js';
export type { Candidate, RewriteEvidence, RewriteRequest, Rewriter } from './rewriter.js';
export { diagnosedProblems, isTimeoutError, isTransientError } from './repair.js';
export type { EvidenceError, RepairContext, RepairTransform, TransformRepairAnswer } from './repair.js';
export type {
  CapturedCall,
  CaseExpectation,
  CaseResult,
  CaseRun,
  CompareRequest,
  ExplicitCase,
  FeedbackRecord,
  FeedbackRecordStatus,
  RegressionCase,
  RegressionRunner,
  ShadowComparison,
  ShadowSide,
  Verdict,
} from './regression.js';
export type { ServedCallOutcome, StrategySelector, VersionAssignment, VersionSelector } from './rollout.js';
export { LEARNED_RULE_PREFIX } from './policy.js';
export type { Change, ChangeKind, ChangeOrigin, Decision, DecisionReason, KillSwitchView, Policy, PolicyContext } from './policy.js';

export { createAgent } from './agent/agent.js';
export type { AgentComponents, CreateAgentOptions } from './agent/agent.js';
export type { Agent, AgentRunOptions, AgentRunPartial, AgentRunResult, AgentStep, AgentToolCall, AnswerVerification, CallFeedback, FeedbackResult, RunTokens } from './agent/types.js';
export { partialRunOf } from './agent/run-partial.js';
export { parseCallId } from './agent/call-id.js';
export type { CallIdParts } from './agent/call-id.js';
export { DEFAULT_EXAMPLE_TOLERANCE, numericToleranceSchema, numbersMatch, outputsMatch } from './agent/output-match.js';
export type { NumericTolerance } from './agent/output-match.js';
export { shadowOptionsSchema } from './agent/shadow-options.js';
export type { ShadowOptions } from './agent/shadow-options.js';
export { DEFAULT_RUN_TIMEOUT_MS, DEFAULT_TURN_TIMEOUT_MS } from './agent/run-loop.js';
export { cleanToolSource } from './agent/tool-source.js';
export { INPUT_REFERENCE } from './agent/task-input.js';
export type { AgentEvent } from './agent/events.js';
export { CREATE_TOOL, createToolDefinition } from './agent/create-tool.js';
export { createToolOutcomeSchema } from './agent/create-tool-outcome.js';
export { describeFailures, examplesAsCases } from './agent/create-tool-handler.js';
export type { CreateToolOutcome, CreateToolStatus } from './agent/create-tool-outcome.js';
export { assembleInstructions, createInstructions, DEFAULT_MAX_LEARNED_RULES, DEFAULT_PREFERENCE_TOKEN_BUDGET, estimateTokens, MAX_EVOLVABLE_SECTION_CHARS } from './agent/instructions.js';
export { MAX_PREFERENCE_LENGTH, preferenceTextSchema, userIdSchema } from './preferences.js';
export type { PreferenceReader, PreferenceSource, UserPreference } from './preferences.js';
export { taskSucceeded } from './agent/prompt-options.js';
export type { AssembledPrompt, InstructionParts, InstructionsDependencies, PromptFor, PromptSection } from './agent/instructions.js';
export type { ImprovementOptions, ImprovementReport, ToolImprovement } from './agent/improvement-cycle.js';
export { createImprovementCycle, type ImprovementCycle, type ImprovementCycleDependencies } from './agent/improvement-cycle.js';
export type { ImprovementQueue, ImprovementRequestReceipt } from './agent/improvement-queue.js';
export { analyzeFailures, createPromptEvolver, PROMPT_REFINEMENT_REQUEST, promptRefinementSchema, reflectOnBatch } from './agent/prompt-evolution.js';
export type { BatchReflection, FailurePattern, ImprovementProposal, PromptEvolver, PromptEvolverDependencies, PromptRefinement, PromptRefinementAnswer } from './agent/prompt-evolution.js';
export { createPreferenceLearner, preferenceAnswerSchema } from './preference-learning.js';
export type { LearnedPreference, PreferenceSignal, PreferenceWriter } from './preference-learning.js';
