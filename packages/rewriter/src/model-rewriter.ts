import {
  type Candidate,
  type LanguageModel,
  type Message,
  type RepairContext,
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
import {
  TRANSFORM_NAMES,
  type TransformAvailability,
  type TransformName,
  type TransformSettings,
  applyTransforms,
  describeTransform,
  fallbackOrigins,
  transformAvailability,
  transformRewriterOptionsSchema,
} from './transform-rewriter.js';
import { type SourceFacts, sourceFacts } from './transforms/source-facts.js';

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

/**
 * The other answer a model may give when transforms apply: names of deterministic transforms
 * for the rewriter to write into the current source (core's `TransformRepairAnswer`). Each
 * request narrows `transforms` to the ones that apply to that source.
 */
export const modelTransformAnswerSchema = transformAnswerSchema(TRANSFORM_NAMES);

/** The transform answer, parsed. */
export type ModelTransformAnswer = z.output<typeof modelTransformAnswerSchema>;

function transformAnswerSchema(names: readonly [TransformName, ...TransformName[]]) {
  return z
    .object({
      transforms: z.array(z.enum(names)).min(1).max(TRANSFORM_NAMES.length).describe('The transforms to apply to the current source, by name.'),
      reason: z.string().min(1).max(4000).describe('Why these transforms fix the diagnosed problem, in one or two sentences.'),
    })
    .strict();
}

/**
 * The answer when transforms are offered: one object (a root `anyOf` is refused by OpenAI's
 * structured outputs) holding either a new `source` with `name` and `inputSchema`, as
 * {@link modelRewriteAnswerSchema}, or the `transforms` to apply, as
 * {@link modelTransformAnswerSchema}; never both.
 */
function sourceOrTransformsSchema(names: readonly [TransformName, ...TransformName[]]) {
  const source = modelRewriteAnswerSchema.shape;
  return z
    .object({
      name: source.name.optional(),
      inputSchema: source.inputSchema.optional(),
      source: source.source.optional().describe('The whole new module; leave it out when you name transforms instead.'),
      transforms: transformAnswerSchema(names).shape.transforms.optional().describe('Instead of a source: the transforms to apply to the current source, by name.'),
      reason: source.reason,
      description: source.description,
    })
    .strict()
    .superRefine((answer, context) => {
      if ((answer.source === undefined) === (answer.transforms === undefined)) {
        context.addIssue({ code: 'custom', path: [], message: 'answer with either "source" (with "name" and "inputSchema") or "transforms", not both and not neither' });
      }
      if (answer.source !== undefined) {
        for (const field of ['name', 'inputSchema'] as const) {
          if (answer[field] === undefined) context.addIssue({ code: 'custom', path: [field], message: `"${field}" is required with "source"` });
        }
      }
    });
}

/** Sandbox codes that refuse a source (anything else means the sandbox itself is unusable, and is thrown). */
const REFUSING_CODES = new Set<string>(['SANDBOX_SYNTAX_ERROR', 'SANDBOX_STATIC_GATE', 'SANDBOX_NO_DEFAULT_EXPORT', 'SANDBOX_SOURCE_TOO_LARGE', 'SANDBOX_LOAD_FAILED']);

/** Options of {@link createModelRewriter}, validated with zod. */
export const modelRewriterOptionsSchema = z
  .object({
    /** Any `LanguageModel`. */
    model: z.custom<LanguageModel>(
      (value) => typeof value === 'object' && value !== null && typeof (value as { generate?: unknown }).generate === 'function',
      { message: 'a LanguageModel (generate), e.g. openaiModel(...) from @toolwright/core/openai' },
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
    /**
     * The deterministic transforms the model may name instead of writing source, with their
     * settings (as for `createTransformRewriter`); `false` asks for source only. Default: all
     * transforms, default settings.
     */
    transforms: z.union([z.literal(false), transformRewriterOptionsSchema]).prefault({}),
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
 * When deterministic transforms apply to the source (see `createTransformRewriter`), the
 * request offers them — in the prompt, in the answer's schema, and as data on
 * `GenerateRequest.repair` — and the model may answer `{ transforms, reason }` instead of a
 * source; the rewriter writes them in. A model that cannot serve the request
 * (`MODEL_UNSUPPORTED_REQUEST`) ends the attempts with `REWRITER_NO_CANDIDATE` and its reason.
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
      const offered = offeredTransforms(checked, settings.transforms);
      const repair: RepairContext = {
        tool: {
          name: checked.artifact.name,
          version: checked.artifact.version,
          language: checked.artifact.spec.language,
          capabilities: checked.artifact.spec.capabilities,
        },
        diagnosis: checked.diagnosis,
        recentErrors: checked.evidence.recentErrors.slice(0, settings.maxRecentErrors),
        transforms: offered.names.map((name) => ({ name, description: offered.describe(name) })),
      };
      const [first, ...rest] = offered.names;
      // One object at the root either way: OpenAI's structured outputs refuse a root `anyOf`.
      const schema = first === undefined ? modelRewriteAnswerSchema : sourceOrTransformsSchema([first, ...rest]);
      let messages: Message[] = rewriteMessages(checked, settings, repair.transforms);
      let tokens: TokenUsage = ZERO_USAGE;
      const refusals: RefusedAttempt[] = [];

      for (let attempt = 1; attempt <= settings.maxAttempts; attempt += 1) {
        checked.signal?.throwIfAborted();
        let answer: ModelRewriteAnswer;
        let text: string;
        try {
          const result = await generateObject(model, {
            messages,
            schema,
            name: 'tool_rewrite',
            description: first === undefined ? 'The next version of the tool.' : 'The next version of the tool, or the transforms that make it.',
            repair,
            ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
            ...(checked.signal === undefined ? {} : { signal: checked.signal }),
          });
          text = result.text;
          tokens = addUsage(tokens, result.usage);
          // A transform answer is written into the current source here, then checked like any other.
          const { transforms, ...fields } = result.object as z.output<ReturnType<typeof sourceOrTransformsSchema>>;
          answer = transforms === undefined ? modelRewriteAnswerSchema.parse(fields) : offered.apply({ transforms, reason: fields.reason });
        } catch (error) {
          if (ModelError.isInstance(error) && error.code === 'MODEL_UNSUPPORTED_REQUEST') {
            throw new RewriterError(
              'REWRITER_NO_CANDIDATE',
              `No rewrite of ${checked.artifact.name} v${checked.artifact.version}: ${error.message}`,
              { cause: error, details: { attempts: refusals, tokens } },
            );
          }
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

/** The transforms a model may name for this request: those that apply to the source. */
interface OfferedTransforms {
  readonly names: readonly TransformName[];
  describe(name: TransformName): string;
  /** The answer as a source answer: the named transforms written into the current source. */
  apply(answer: { readonly transforms: readonly TransformName[]; readonly reason: string }): ModelRewriteAnswer;
}

function offeredTransforms(request: CheckedRewriteRequest, settings: TransformSettings | false): OfferedTransforms {
  const { artifact } = request;
  const fallbacks = fallbackOrigins(artifact.spec.capabilities);
  let facts: SourceFacts | undefined;
  if (settings !== false) {
    try {
      facts = sourceFacts(artifact.source, artifact.spec.language);
    } catch {
      // A source that does not parse takes no transform; the model may still write a new one.
    }
  }
  const available = settings === false || facts === undefined ? new Map<TransformName, TransformAvailability>() : transformAvailability(artifact, facts, settings);
  const names = TRANSFORM_NAMES.filter((name) => available.get(name)?.available === true);
  return {
    names,
    describe: (name) => (settings === false ? name : describeTransform(name, settings, fallbacks)),
    apply(answer) {
      const chosen = TRANSFORM_NAMES.filter((name) => answer.transforms.includes(name));
      if (settings === false || facts === undefined) throw new RewriterError('REWRITER_NO_CANDIDATE', 'No transform was offered, so none can be applied.');
      return {
        name: artifact.name,
        inputSchema: artifact.spec.inputSchema,
        source: applyTransforms(facts, chosen, settings, artifact.name, artifact.spec.capabilities),
        reason: `${answer.reason.trim()} ${chosen.map((name) => `${describeTransform(name, settings, fallbacks)}.`).join(' ')}`,
      };
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
