/**
 * `@toolwright/core`: the spec every Toolwright package shares — interfaces, types,
 * zod schemas and errors. Implementations live in their own packages.
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

export { addUsage, ZERO_USAGE } from './model.js';
export { generateObject, zodResponseSchema } from './structured-output.js';
export type { GenerateObjectRequest } from './structured-output.js';
export { openaiModel } from './providers/openai-model.js';
export type { OpenAIModelOptions } from './providers/openai-model.js';
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
  SummaryOptions,
  SummaryWindow,
  ToolSummary,
} from './memory.js';

export type { Bundle, RegisterInput, Registry, RegistryChangeEvent } from './registry.js';
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
  RegressionCase,
  RegressionRunner,
  Verdict,
} from './regression.js';
export type { Change, ChangeKind, ChangeOrigin, Decision, DecisionReason, Policy, PolicyContext } from './policy.js';

export { createAgent } from './agent/agent.js';
export type {
  Agent,
  AgentComponents,
  AgentEvent,
  AgentRunOptions,
  AgentRunResult,
  AgentStep,
  AgentToolCall,
  CreateAgentOptions,
} from './agent/agent.js';
export { CREATE_TOOL, createToolDefinition } from './agent/create-tool.js';
export { assembleInstructions, estimateTokens } from './agent/instructions.js';
export type { InstructionParts, PromptSection } from './agent/instructions.js';
export type { ImprovementOptions, ImprovementReport, ToolImprovement } from './agent/improvement-cycle.js';
