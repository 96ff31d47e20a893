import { z } from 'zod';
import type { Author } from '../artifact.js';
import { ValidationError } from '../errors.js';
import type { ChangeGate, GateOutcome } from '../gate.js';
import type { Memory, ToolSummary } from '../memory.js';
import type { LanguageModel, TokenUsage } from '../model.js';
import { LEARNED_RULE_PREFIX } from '../policy.js';
import type { RegistryReader } from '../registry.js';
import { generateObject } from '../structured-output.js';
import { MAX_EVOLVABLE_SECTION_CHARS } from './instructions.js';

/** One systemic failure pattern: a tool failing with one error code, and its share of all failures. */
export interface FailurePattern {
  readonly tool: string;
  readonly code: string;
  /** Failures of this tool with this code in the window. */
  readonly count: number;
  /** `count` over every failure in the window, in 0..1. */
  readonly share: number;
  /** The latest error message with this code, when one is stored. */
  readonly example?: string;
  /** One sentence, e.g. "40 % of failures involve tool parse_dates failing with TOOL_THREW (…)". */
  readonly description: string;
}

/** What batch reflection turns a pattern into: a prompt change, a tool rewrite request, or a guardrail. */
export type ImprovementProposal =
  | { readonly kind: 'prompt-change'; readonly pattern: FailurePattern; readonly reason: string }
  | { readonly kind: 'tool-rewrite'; readonly tool: string; readonly pattern: FailurePattern; readonly reason: string }
  | { readonly kind: 'guardrail'; readonly tool: string; readonly pattern: FailurePattern; readonly reason: string };

/** The result of analysing many stored calls together. */
export interface BatchReflection {
  /** Calls analysed (over every tool). */
  readonly calls: number;
  readonly failures: number;
  /** Patterns, most frequent first (ties: tool, then code). */
  readonly patterns: readonly FailurePattern[];
  /** The most frequent pattern, when there was any failure. */
  readonly dominant: FailurePattern | undefined;
  /** One concrete proposal per pattern with at least `minCount` failures. */
  readonly proposals: readonly ImprovementProposal[];
}

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/** Error codes that say how the model called a tool (a hint in the prompt helps), and those that ask for a guardrail. */
const CALLER_CODES = /INPUT|ARGUMENT|SCHEMA|REF/u;
const GUARDRAIL_CODES = /CAPABILITY|DENIED|NETWORK|FETCH|FORBIDDEN|LIMIT|MEMORY/u;

/**
 * Finds the systemic failure patterns in per-tool summaries (memory's `summary` of many stored
 * calls): every (tool, error code) pair, with its share of all failures, most frequent first,
 * and turns each recurring one into a concrete proposal — a prompt change when the model called
 * the tool wrongly, a guardrail when the tool hit a limit or a capability, otherwise a rewrite of the tool.
 */
export function analyzeFailures(summaries: readonly ToolSummary[], options: { readonly minCount?: number } = {}): BatchReflection {
  const minCount = options.minCount ?? 3;
  const calls = summaries.reduce((sum, summary) => sum + summary.count, 0);
  const failures = summaries.reduce((sum, summary) => sum + (summary.count - summary.successCount), 0);
  const raw = summaries.flatMap((summary) =>
    summary.errors.map((error) => ({ tool: summary.tool, code: error.code, count: error.count, example: summary.recentErrors.find((recent) => recent.code === error.code)?.message })),
  );
  const patterns: FailurePattern[] = raw
    .filter((pattern) => pattern.count > 0)
    .sort((a, b) => b.count - a.count || a.tool.localeCompare(b.tool) || a.code.localeCompare(b.code))
    .map((pattern) => {
      const share = failures === 0 ? 0 : pattern.count / failures;
      return {
        tool: pattern.tool,
        code: pattern.code,
        count: pattern.count,
        share,
        ...(pattern.example === undefined ? {} : { example: pattern.example }),
        description: `${percent(share)} of failures (${pattern.count} of ${failures}) involve tool ${pattern.tool} failing with ${pattern.code}${pattern.example === undefined ? '' : ` ("${pattern.example.slice(0, 120)}")`}.`,
      };
    });
  const proposals: ImprovementProposal[] = patterns
    .filter((pattern) => pattern.count >= minCount)
    .map((pattern): ImprovementProposal => {
      if (CALLER_CODES.test(pattern.code)) return { kind: 'prompt-change', pattern, reason: `${pattern.description} The calls are wrong, not the tool: a tool-use hint in an evolvable section can prevent them.` };
      if (GUARDRAIL_CODES.test(pattern.code)) return { kind: 'guardrail', tool: pattern.tool, pattern, reason: `${pattern.description} The tool hits a limit or a capability: guard its calls (input size, rate) or ask a person for the capability.` };
      return { kind: 'tool-rewrite', tool: pattern.tool, pattern, reason: `${pattern.description} The tool itself fails: ask the improvement cycle to rewrite it.` };
    });
  return { calls, failures, patterns, dominant: patterns[0], proposals };
}

/**
 * Batch reflection over memory: reads the last `lastN` stored calls of every active tool (many
 * traces together, failures and successes) and analyses them with {@link analyzeFailures}.
 */
export async function reflectOnBatch(
  parts: { readonly memory: Pick<Memory, 'summary'>; readonly registry: Pick<RegistryReader, 'list'> },
  options: { readonly lastN?: number; readonly minCount?: number } = {},
): Promise<BatchReflection> {
  const tools = await parts.registry.list({ kind: 'tool', status: 'active' });
  const summaries = await Promise.all([...new Set(tools.map((tool) => tool.name))].sort().map((name) => parts.memory.summary(name, { lastN: options.lastN ?? 500 })));
  return analyzeFailures(summaries, options.minCount === undefined ? {} : { minCount: options.minCount });
}

/** What the model answers to a prompt-refinement request (validated with zod). */
export const promptRefinementSchema = z
  .object({
    /** `append`: add `text` to the section; `rewrite`: replace the section by `text`. */
    mode: z.enum(['append', 'rewrite']),
    text: z.string().trim().min(1).max(1000),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

/** See {@link promptRefinementSchema}. */
export type PromptRefinementAnswer = z.output<typeof promptRefinementSchema>;

/** The name of the structured-output request, for models that answer it deterministically (the offline model). */
export const PROMPT_REFINEMENT_REQUEST = 'prompt-refinement';

/** What {@link createPromptEvolver} needs. */
export interface PromptEvolverDependencies {
  readonly model: LanguageModel;
  readonly registry: Pick<RegistryReader, 'active' | 'history'>;
  /** The change goes through it: a versioned candidate, reviewed by the policy (a person by default), history kept for rollback. */
  readonly gate: ChangeGate;
  /** Names of the immutable sections: never proposed for. */
  readonly immutable: readonly string[];
  /** The sections the evolver may change (few-shot examples, tool-use hints). */
  readonly evolvable: readonly string[];
  /** Failures a pattern needs before it is worth a change. Default 3. */
  readonly minCount?: number;
}

/** What one refinement did. */
export type PromptRefinement =
  | { readonly status: 'proposed'; readonly section: string; readonly text: string; readonly answer: PromptRefinementAnswer; readonly outcome: GateOutcome; readonly usage: TokenUsage }
  | { readonly status: 'skipped'; readonly section: string; readonly reason: string; readonly usage?: TokenUsage };

/** Proposes prompt changes for recurring failures. */
export interface PromptEvolver {
  /**
   * Asks the model for a specific addition to, or rewrite of, evolvable section `section` (the
   * first evolvable one by default) that would prevent the recurring `patterns`, and proposes
   * the new text through the gate as a `change-prompt-section` of the agent. An immutable
   * section is refused with `INVALID_ARGUMENT`; nothing recurring, or a text proposed before, is skipped.
   */
  refine(patterns: readonly FailurePattern[], options?: { readonly section?: string; readonly taskId?: string }): Promise<PromptRefinement>;
}

/** A {@link PromptEvolver}: the PromptEvolver pattern, through the one gate. */
export function createPromptEvolver(dependencies: PromptEvolverDependencies): PromptEvolver {
  const { model, registry, gate, immutable, evolvable } = dependencies;
  const minCount = dependencies.minCount ?? 3;
  const author: Author = { kind: 'model', id: model.modelId };
  if (evolvable.length === 0) throw new ValidationError('INVALID_ARGUMENT', 'createPromptEvolver needs at least one evolvable section name (e.g. "tool-hints"); immutable sections never evolve.');
  for (const name of evolvable) {
    if (immutable.includes(name)) throw new ValidationError('INVALID_ARGUMENT', `"${name}" is an immutable section and cannot be evolvable; remove it from evolvable.`);
    if (name.startsWith(LEARNED_RULE_PREFIX)) throw new ValidationError('INVALID_ARGUMENT', `"${name}" is a learned rule (append-only), not an evolvable section; choose another name.`);
  }
  return {
    async refine(patterns, options = {}) {
      const section = options.section ?? (evolvable[0] as string);
      if (immutable.includes(section) || !evolvable.includes(section)) {
        throw new ValidationError('INVALID_ARGUMENT', `"${section}" is ${immutable.includes(section) ? 'an immutable section: it never changes' : 'not an evolvable section'}; refine one of ${evolvable.map((name) => `"${name}"`).join(', ')}.`);
      }
      const recurring = patterns.filter((pattern) => pattern.count >= minCount);
      if (recurring.length === 0) return { status: 'skipped', section, reason: `no failure pattern recurs ${minCount} times or more` };
      const current = await registry.active(section);
      const currentText = current?.source ?? '';
      const { object, usage } = await generateObject(model, {
        messages: [
          {
            role: 'system',
            content:
              'You improve one evolvable section of an agent\'s system prompt (tool-use hints, few-shot examples) so that recurring failures stop. ' +
              'Answer with mode "append" and one or two specific sentences to add, or mode "rewrite" and the whole new section. Keep every sentence of the section that is still right.',
          },
          {
            role: 'user',
            content: `Section: ${section}\nCurrent text:\n${currentText === '' ? '(empty)' : currentText}\nFailure patterns: ${JSON.stringify(recurring.map((pattern) => ({ tool: pattern.tool, code: pattern.code, count: pattern.count, share: Math.round(pattern.share * 100) / 100, example: pattern.example })))}`,
          },
        ],
        schema: promptRefinementSchema,
        name: PROMPT_REFINEMENT_REQUEST,
      });
      const text = (object.mode === 'append' && currentText !== '' ? `${currentText}\n${object.text}` : object.text).slice(0, MAX_EVOLVABLE_SECTION_CHARS);
      if (text === currentText) return { status: 'skipped', section, reason: 'the model proposed the current text', usage };
      if ((await registry.history(section)).some((version) => version.source === text)) return { status: 'skipped', section, reason: 'this text was proposed before', usage };
      const outcome = await gate.propose(
        { kind: 'change-prompt-section', origin: 'agent', name: section, fromVersion: current?.version, text },
        { author, reason: `prompt refinement: ${object.reason} (${recurring[0]?.description ?? ''})`.slice(0, 4000), ...(options.taskId === undefined ? {} : { taskId: options.taskId }) },
      );
      return { status: 'proposed', section, text, answer: object, outcome, usage };
    },
  };
}
