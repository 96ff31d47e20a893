import {
  type Candidate,
  type LanguageModel,
  type Message,
  type Rewriter,
  type Sandbox,
  type TokenUsage,
  MAX_SOURCE_LENGTH,
  ModelError,
  RewriterError,
  SandboxError,
  ZERO_USAGE,
  addUsage,
  canonicalJson,
  generateObject,
  jsonObjectSchema,
  parseOrThrow,
} from '@toolwright/core';
import { z } from 'zod';
import { rewriteMessages, refusalMessages } from './rewrite-prompt.js';
import { type CheckedRewriteRequest, checkRewriteRequest } from './rewrite-request.js';

/** The answer a model must give: validated with zod, then checked against the current version. */
export const modelRewriteAnswerSchema = z
  .object({
    name: z.string().describe("The tool's name, unchanged."),
    inputSchema: jsonObjectSchema.describe("The tool's input JSON Schema, unchanged."),
    source: z.string().min(1).max(MAX_SOURCE_LENGTH).describe('The whole new module; its default export is the tool.'),
    reason: z.string().min(1).max(4000).describe('What changed and why, in one or two sentences.'),
    description: z.string().min(1).max(2000).optional().describe('A new description, only if it must change.'),
  })
  .strict();

/** The answer, parsed. */
export type ModelRewriteAnswer = z.output<typeof modelRewriteAnswerSchema>;

/** Sandbox codes that refuse a source (anything else means the sandbox itself is unusable, and is thrown). */
const REFUSING_CODES = new Set<string>(['SANDBOX_SYNTAX_ERROR', 'SANDBOX_STATIC_GATE', 'SANDBOX_NO_DEFAULT_EXPORT', 'SANDBOX_SOURCE_TOO_LARGE', 'SANDBOX_LOAD_FAILED']);

/** Options of {@link createModelRewriter}, validated with zod. */
export const modelRewriterOptionsSchema = z
  .object({
    /** Any `LanguageModel`. */
    model: z.custom<LanguageModel>(
      (value) => typeof value === 'object' && value !== null && typeof (value as { generate?: unknown }).generate === 'function',
      { message: 'a LanguageModel (generate), e.g. openaiModel(...) from @toolwright/core' },
    ),
    /** When given, every answer must pass `sandbox.compile` (the static gate); a refusal names the `SandboxError` code. */
    sandbox: z
      .custom<Sandbox>((value) => typeof value === 'object' && value !== null && typeof (value as { compile?: unknown }).compile === 'function', {
        message: 'a Sandbox (compile), e.g. createSandbox() from @toolwright/sandbox',
      })
      .optional(),
    /** Attempts in all; each after the first is told why the previous one was refused. Default 3. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Sampling temperature passed to the model; default: the model's own. */
    temperature: z.number().min(0).max(2).optional(),
    /** Evidence limits for the prompt. */
    maxRecentErrors: z.number().int().min(0).max(1000).default(10),
    maxFailingInputs: z.number().int().min(0).max(1000).default(10),
    maxCases: z.number().int().min(0).max(1000).default(20),
    maxValueLength: z.number().int().min(20).max(100_000).default(500),
  })
  .strict();

/** What {@link createModelRewriter} accepts. */
export type ModelRewriterOptions = z.input<typeof modelRewriterOptionsSchema>;

/** One refused attempt: why, and the code of the check that refused it. */
export interface RefusedAttempt {
  readonly attempt: number;
  /**
   * `MODEL_INVALID_RESPONSE` (not JSON, or not the answer's shape), `NAME_CHANGED`,
   * `INPUT_SCHEMA_CHANGED`, `SOURCE_UNCHANGED`, or the `SandboxError` code of the static gate.
   */
  readonly code: string;
  readonly reason: string;
}

/**
 * A rewriter that asks a language model for the next version. The prompt holds the current
 * source and spec, the diagnosis and its numbers, recent errors, failing inputs and the
 * visible cases (held-out cases are dropped even if passed in). The answer is structured
 * output validated with zod; the tool's name and input schema must come back unchanged
 * (checked, not trusted), the source must differ, and — with a `sandbox` — it must compile
 * (static gate). A refused answer is sent back with the reason, up to `maxAttempts` in all.
 * Tokens of every attempt are reported on the candidate. When every attempt is refused,
 * `propose` throws `REWRITER_NO_CANDIDATE` with the refusals in `details.attempts`.
 *
 * @example
 * ```ts
 * const rewriter = createModelRewriter({ model: openaiModel({ model: 'gpt-4o-mini' }), sandbox });
 * const [candidate] = await rewriter.propose({ artifact: active, diagnosis, evidence });
 * console.log(candidate.reason, candidate.tokens);
 * ```
 */
export function createModelRewriter(options: ModelRewriterOptions): Rewriter {
  const settings = parseOrThrow(modelRewriterOptionsSchema, options, 'model rewriter options');
  const { model, sandbox } = settings;

  return {
    async propose(request) {
      const checked = checkRewriteRequest(request);
      let messages: Message[] = rewriteMessages(checked, settings);
      let tokens: TokenUsage = ZERO_USAGE;
      const refusals: RefusedAttempt[] = [];

      for (let attempt = 1; attempt <= settings.maxAttempts; attempt += 1) {
        checked.signal?.throwIfAborted();
        let answer: ModelRewriteAnswer;
        let text: string;
        try {
          const result = await generateObject(model, {
            messages,
            schema: modelRewriteAnswerSchema,
            name: 'tool_rewrite',
            description: 'The next version of the tool.',
            ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
            ...(checked.signal === undefined ? {} : { signal: checked.signal }),
          });
          answer = result.object;
          text = result.text;
          tokens = addUsage(tokens, result.usage);
        } catch (error) {
          if (!(ModelError.isInstance(error) && error.code === 'MODEL_INVALID_RESPONSE')) throw error;
          tokens = addUsage(tokens, usageOf(error.details));
          const refusal = { attempt, code: error.code, reason: `the answer is malformed: ${error.message}` };
          refusals.push(refusal);
          messages = [...messages, ...refusalMessages(textOf(error.details), refusal.reason)];
          continue;
        }
        const refusal = await check(checked, answer, sandbox);
        if (refusal === undefined) {
          const candidate: Candidate = {
            name: checked.artifact.name,
            parent: checked.artifact.version,
            source: answer.source,
            spec: answer.description === undefined ? checked.artifact.spec : { ...checked.artifact.spec, description: answer.description },
            author: { kind: 'model', id: model.modelId },
            reason: answer.reason,
            diagnosis: checked.diagnosis,
            tokens,
          };
          return [candidate];
        }
        refusals.push({ attempt, ...refusal });
        messages = [...messages, ...refusalMessages(text, refusal.reason)];
      }

      throw new RewriterError(
        'REWRITER_NO_CANDIDATE',
        `Model "${model.modelId}" gave no acceptable rewrite of ${checked.artifact.name} v${checked.artifact.version} in ${settings.maxAttempts} attempt(s): ` +
          `${refusals.map((refusal) => `#${refusal.attempt} ${refusal.code}`).join(', ')}. See details.attempts; try another model or more attempts.`,
        { details: { attempts: refusals, tokens } },
      );
    },
  };
}

async function check(
  request: CheckedRewriteRequest,
  answer: ModelRewriteAnswer,
  sandbox: Sandbox | undefined,
): Promise<{ code: string; reason: string } | undefined> {
  const { artifact } = request;
  if (answer.name !== artifact.name) {
    return { code: 'NAME_CHANGED', reason: `the tool's name must stay "${artifact.name}", but the answer names "${answer.name}".` };
  }
  if (canonicalJson(answer.inputSchema) !== canonicalJson(artifact.spec.inputSchema)) {
    return {
      code: 'INPUT_SCHEMA_CHANGED',
      reason: `the input schema must stay exactly ${JSON.stringify(artifact.spec.inputSchema)}, but the answer has ${JSON.stringify(answer.inputSchema).slice(0, 2000)}.`,
    };
  }
  if (answer.source.trim() === artifact.source.trim()) {
    return { code: 'SOURCE_UNCHANGED', reason: 'the source is the current version unchanged; change what fixes the diagnosed problem.' };
  }
  if (sandbox !== undefined) {
    try {
      await sandbox.compile({ name: artifact.name, source: answer.source, language: artifact.spec.language, capabilities: artifact.spec.capabilities });
    } catch (error) {
      if (SandboxError.isInstance(error) && REFUSING_CODES.has(error.code)) {
        return { code: error.code, reason: `the sandbox refuses the source (${error.code}): ${error.message}` };
      }
      throw error;
    }
  }
  return undefined;
}

function usageOf(details: Record<string, unknown> | undefined): TokenUsage {
  const usage = details?.['usage'] as Partial<TokenUsage> | undefined;
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

function textOf(details: Record<string, unknown> | undefined): string {
  const text = details?.['text'];
  return typeof text === 'string' ? text : '';
}
