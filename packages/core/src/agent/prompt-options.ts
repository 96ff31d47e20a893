import { z } from 'zod';
import { ToolwrightError } from '../errors.js';
import { saysItCannot } from './answer.js';
import type { AgentRunResult } from './types.js';
import type { PreferenceReader } from '../preferences.js';
import type { StrategySelector, VersionSelector } from '../rollout.js';
import { DEFAULT_MAX_LEARNED_RULES, DEFAULT_PREFERENCE_TOKEN_BUDGET, type InstructionsDependencies, type PromptSection } from './instructions.js';

/** The options of `createAgent` that shape the prompt beyond its sections and lessons. */
export interface PromptOptions {
  /** Most learned rules in the system prompt (the newest of those in force). Default 20. */
  readonly maxLearnedRules?: number;
  /** Token budget of a user's preferences in the system prompt. Default 200. */
  readonly preferenceTokenBudget?: number;
  /**
   * Per-user preferences, read for runs with a `userId` (`agent.run(task, { userId })`): only
   * that user's reach the prompt. `@toolwright/safety-policy`'s `createPreferenceStore` is one.
   */
  readonly preferences?: PreferenceReader;
  /**
   * Named strategies per task type (prompt templates), one picked per run of that `taskType`
   * (`agent.run(task, { taskType })`) by `selector` — a bandit, e.g. `@toolwright/rollout`'s
   * `Rollout` — which learns from each run's success. The chosen one is `result.prompt.strategy`.
   */
  readonly strategies?: { readonly selector: StrategySelector; readonly byTaskType: Readonly<Record<string, readonly PromptSection[]>> };
}

/** The zod fields of the numeric {@link PromptOptions}, for the agent's options schema. */
export const promptOptionsShape = {
  maxLearnedRules: z.number().int().min(0).max(1000).default(DEFAULT_MAX_LEARNED_RULES),
  preferenceTokenBudget: z.number().int().nonnegative().max(10_000).default(DEFAULT_PREFERENCE_TOKEN_BUDGET),
};

/**
 * Refuses a missing part (`required`, of `options`), or a `versions`, `preferences` or
 * `strategies` that is not what it should be, with what to pass instead.
 */
export function checkPromptParts(
  { versions, preferences, strategies }: Pick<PromptOptions, 'preferences' | 'strategies'> & { readonly versions: VersionSelector | undefined },
  options: object,
  required: readonly string[],
): void {
  for (const name of required) {
    const part = (options as Record<string, unknown>)[name];
    if (part === undefined || part === null) {
      throw new ToolwrightError('INVALID_ARGUMENT', `createAgent needs "${name}". Use createToolwright() from the "toolwright" package to get every part with its default.`);
    }
  }
  if (versions !== undefined && (typeof versions?.serve !== 'function' || typeof versions?.record !== 'function')) {
    throw new ToolwrightError('INVALID_ARGUMENT', 'createAgent "versions" is a VersionSelector (serve and record), e.g. createRollout() of @toolwright/rollout; leave it out to serve the active versions.');
  }
  if (strategies !== undefined && (typeof strategies?.selector?.selectArm !== 'function' || typeof strategies?.selector?.recordArm !== 'function' || typeof strategies?.byTaskType !== 'object' || strategies.byTaskType === null)) {
    throw new ToolwrightError('INVALID_ARGUMENT', 'createAgent "strategies" is { selector, byTaskType }: a bandit with selectArm and recordArm (e.g. createRollout() of @toolwright/rollout) and named prompt sections per task type.');
  }
  if (preferences !== undefined && typeof preferences?.forUser !== 'function') {
    throw new ToolwrightError('INVALID_ARGUMENT', 'createAgent "preferences" is a PreferenceReader (forUser(userId)); leave it out to run without per-user preferences.');
  }
}

/** The prompt-shaping part of `createInstructions`' dependencies. */
export function promptParts(
  config: { readonly maxLearnedRules: number; readonly preferenceTokenBudget: number },
  parts: { readonly versions: VersionSelector | undefined; readonly preferences: PreferenceReader | undefined; readonly strategies: PromptOptions['strategies'] },
): Pick<InstructionsDependencies, 'maxLearnedRules' | 'preferenceTokenBudget' | 'versions' | 'preferences' | 'strategies'> {
  return {
    maxLearnedRules: config.maxLearnedRules,
    preferenceTokenBudget: config.preferenceTokenBudget,
    ...(parts.versions === undefined ? {} : { versions: parts.versions }),
    ...(parts.preferences === undefined ? {} : { preferences: parts.preferences }),
    ...(parts.strategies === undefined ? {} : { strategies: parts.strategies }),
  };
}

/**
 * Whether a run's task succeeded, for the experiments on its prompt: the model did not say it
 * could not finish, and its answer is backed by a tool output or no tool call failed.
 */
export function taskSucceeded(result: Pick<AgentRunResult, 'text' | 'verification' | 'toolCalls'>): boolean {
  if (saysItCannot(result.text)) return false;
  return result.verification.status === 'verified' || result.toolCalls.every((call) => call.ok);
}
