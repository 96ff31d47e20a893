import { LEARNED_RULE_PREFIX } from '../policy.js';
import type { Lesson, Memory } from '../memory.js';
import type { PreferenceReader } from '../preferences.js';
import type { RegistryReader } from '../registry.js';
import type { StrategySelector, VersionAssignment, VersionSelector } from '../rollout.js';

/** A named block of the system prompt. Immutable sections are declared by the integrator. */
export interface PromptSection {
  readonly name: string;
  readonly text: string;
}

/** What the system prompt is assembled from. */
export interface InstructionParts {
  /** The integrator's immutable sections, verbatim and first. */
  readonly immutable: readonly PromptSection[];
  /**
   * Evolvable sections (few-shot examples, tool-use hints): the registry's active prompt sections
   * that are neither immutable nor learned rules, or the version a live experiment serves this
   * task. Each is shown as a block of its own, after the tooling guide.
   */
  readonly evolvable?: readonly PromptSection[];
  /** Active learned rules from the registry, oldest first; only the newest `maxLearnedRules` are shown. */
  readonly learnedRules: readonly PromptSection[];
  /** Most learned rules in the prompt (the newest). Default {@link DEFAULT_MAX_LEARNED_RULES}. */
  readonly maxLearnedRules?: number;
  /** The preferences of the user the run is for (only theirs), oldest first; included while they fit `preferenceTokenBudget`. */
  readonly preferences?: readonly string[];
  /** Token budget for preferences. Default {@link DEFAULT_PREFERENCE_TOKEN_BUDGET}. */
  readonly preferenceTokenBudget?: number;
  /** Lessons from memory, most relevant first; included while they fit the budget. */
  readonly lessons: readonly Lesson[];
  /** Token budget for lessons (estimated at 4 characters a token). */
  readonly lessonTokenBudget: number;
}

/** Rough token count of a text: 4 characters a token, the usual estimate for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Most learned rules shown in one prompt, the newest: the prompt stays bounded however many are in force. */
export const DEFAULT_MAX_LEARNED_RULES = 20;
/** Default token budget of a user's preferences in the prompt. */
export const DEFAULT_PREFERENCE_TOKEN_BUDGET = 200;
/** Longest evolvable section shown, in characters (a longer one is cut): the prompt stays bounded. */
export const MAX_EVOLVABLE_SECTION_CHARS = 4000;

/** Keeps the lines that fit `budget` tokens, in order. */
function withinBudget(lines: readonly string[], budget: number): { kept: string[]; indexes: number[] } {
  const kept: string[] = [];
  const indexes: number[] = [];
  let left = budget;
  lines.forEach((line, index) => {
    const cost = estimateTokens(line);
    if (cost > left) return;
    left -= cost;
    kept.push(line);
    indexes.push(index);
  });
  return { kept, indexes };
}

/**
 * Assembles the system prompt: immutable sections (verbatim), the tooling guide, evolvable
 * sections, the newest `maxLearnedRules` learned rules, the user's preferences that fit their
 * budget, then as many lessons as fit theirs. Returns the text, which lessons made it in, its
 * size in (estimated) tokens and how many preferences it holds.
 */
export function assembleInstructions(parts: InstructionParts): { text: string; lessonIds: string[]; tokens: number; preferences: number } {
  const blocks: string[] = [];
  for (const section of parts.immutable) blocks.push(section.text);
  blocks.push(TOOLING_GUIDE);
  for (const section of parts.evolvable ?? []) blocks.push(section.text.slice(0, MAX_EVOLVABLE_SECTION_CHARS));
  const rules = parts.learnedRules.slice(-(parts.maxLearnedRules ?? DEFAULT_MAX_LEARNED_RULES));
  if (rules.length > 0) {
    blocks.push(['Learned rules:', ...rules.map((rule) => `- ${rule.text}`)].join('\n'));
  }
  const preferences = withinBudget((parts.preferences ?? []).map((text) => `- ${text}`), parts.preferenceTokenBudget ?? DEFAULT_PREFERENCE_TOKEN_BUDGET).kept;
  if (preferences.length > 0) blocks.push(["This user's preferences (follow them unless they conflict with the rules above):", ...preferences].join('\n'));
  const lessonIds: string[] = [];
  const lessonLines: string[] = [];
  let budget = parts.lessonTokenBudget;
  for (const lesson of parts.lessons) {
    const line = `- ${lesson.text}`;
    const cost = estimateTokens(line);
    if (cost > budget) continue;
    budget -= cost;
    lessonLines.push(line);
    lessonIds.push(lesson.id);
  }
  if (lessonLines.length > 0) blocks.push(['Lessons from earlier tasks:', ...lessonLines].join('\n'));
  const text = blocks.join('\n\n');
  return { text, lessonIds, tokens: estimateTokens(text), preferences: preferences.length };
}

/** Words of a task worth matching lessons on: lowercase, 3+ letters, no stop words. */
export function taskKeywords(task: string): string[] {
  const words = task.toLowerCase().match(/[a-z][a-z0-9_]{2,}/g) ?? [];
  return [...new Set(words.filter((word) => !STOP_WORDS.has(word)))];
}

/** Orders lessons by how many task keywords they share (ties: newest first). */
export function rankLessons(lessons: readonly Lesson[], task: string): Lesson[] {
  const keywords = taskKeywords(task);
  const score = (lesson: Lesson): number => {
    const haystack = `${lesson.text} ${lesson.tags.join(' ')}`.toLowerCase();
    return keywords.reduce((sum, word) => sum + (haystack.includes(word) ? 1 : 0), 0) + lesson.helpful * 0.1 - lesson.harmful * 0.2;
  };
  return [...lessons].sort((a, b) => score(b) - score(a) || b.createdAt - a.createdAt);
}

const TOOLING_GUIDE = [
  'Solve tasks with tools: call one that fits; when none does, write one with create_tool (sandboxed, no network unless it requests fetch for named origins).',
  'Then reply with the answer only, as JSON when the task asks for data. If you cannot solve it, say so; never guess.',
].join('\n');

const STOP_WORDS = new Set([
  'the', 'and', 'for', 'with', 'that', 'this', 'from', 'these', 'those', 'into', 'than', 'then', 'what',
  'which', 'when', 'where', 'who', 'how', 'are', 'was', 'were', 'has', 'have', 'had', 'its', 'all', 'any',
  'each', 'use', 'using', 'please', 'give', 'return', 'over', 'under',
]);

/** What {@link createInstructions} needs. */
export interface InstructionsDependencies {
  /** The active learned rules and evolvable sections come from here (the registry is the truth of what is in force); `get` reads the version an experiment serves. */
  readonly registry: Pick<RegistryReader, 'list'> & Partial<Pick<RegistryReader, 'get'>>;
  readonly memory: Pick<Memory, 'lessons'>;
  readonly immutable: readonly PromptSection[];
  readonly lessonTokenBudget: number;
  /** Live experiments: asked, per evolvable section and task, which version serves it (sticky per task id). */
  readonly versions?: VersionSelector;
  /** A user's preferences, for runs with a `userId`. */
  readonly preferences?: PreferenceReader;
  readonly maxLearnedRules?: number;
  readonly preferenceTokenBudget?: number;
  /**
   * Named strategies per task type (prompt templates): a run given a `taskType` that has some gets
   * one, chosen by `selector` (a bandit, sticky per task id), and its success is recorded for it.
   */
  readonly strategies?: { readonly selector: StrategySelector; readonly byTaskType: Readonly<Record<string, readonly PromptSection[]>> };
}

/** Who a prompt is for. */
export interface PromptFor {
  readonly taskId: string;
  /** Only this user's preferences are included; none without it. */
  readonly userId?: string;
  /** The task type, for choosing among its strategies. */
  readonly taskType?: string;
}

/** The system prompt of one run. */
export interface AssembledPrompt {
  readonly text: string;
  /** Estimated tokens of `text` (4 characters a token). */
  readonly tokens: number;
  /** Which version of each evolvable section it holds (an experiment's arm, or the active one). */
  readonly sections: readonly { readonly name: string; readonly version: number; readonly arm?: string }[];
  /** How many preferences of the run's user it holds (those that fit the budget). */
  readonly preferences: number;
  /** The strategy the bandit chose for the run's task type, when it has strategies. */
  readonly strategy?: string;
  /** Tells the experiments that served a section of this prompt whether the task succeeded. */
  settle(success: boolean): void;
}

/** The system prompt for a task, assembled from what is in force now (and what experiments serve this task). */
export function createInstructions(dependencies: InstructionsDependencies): (task: string, forRun?: PromptFor) => Promise<AssembledPrompt> {
  const { registry, memory, immutable, lessonTokenBudget, versions, preferences } = dependencies;
  const immutableNames = new Set(immutable.map((section) => section.name));
  return async (task, forRun) => {
    const active = await registry.list({ kind: 'prompt-section', status: 'active' });
    const candidates = active.filter((version) => !immutableNames.has(version.name));
    const learned = candidates.filter((version) => version.name.startsWith(LEARNED_RULE_PREFIX)).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
    const assignments: VersionAssignment[] = [];
    const sections: { name: string; version: number; arm?: string }[] = [];
    const evolvable: PromptSection[] = [];
    for (const version of candidates.filter((candidate) => !candidate.name.startsWith(LEARNED_RULE_PREFIX)).sort((a, b) => a.name.localeCompare(b.name))) {
      const assignment = versions?.serve(version.name, forRun?.taskId);
      const served = assignment !== undefined && assignment.version !== version.version && registry.get !== undefined ? await registry.get(version.name, assignment.version) : undefined;
      const shown = served ?? version;
      if (assignment !== undefined && shown.version === assignment.version) assignments.push(assignment);
      sections.push({ name: shown.name, version: shown.version, ...(assignment === undefined ? {} : { arm: assignment.arm }) });
      evolvable.push({ name: shown.name, text: shown.source });
    }
    const userPreferences = forRun?.userId !== undefined && preferences !== undefined ? (await preferences.forUser(forRun.userId)).filter((preference) => preference.userId === forRun.userId) : [];
    const lessons = lessonTokenBudget > 0 ? rankLessons(await memory.lessons({ limit: 100 }), task) : [];
    const choices = forRun?.taskType === undefined ? undefined : dependencies.strategies?.byTaskType[forRun.taskType];
    const choice = choices !== undefined && choices.length > 0 && forRun?.taskType !== undefined ? dependencies.strategies?.selector.selectArm(forRun.taskType, choices.map((strategy) => strategy.name), { callKey: forRun.taskId }) : undefined;
    const strategy = choice === undefined ? undefined : choices?.find((candidate) => candidate.name === choice.arm);
    const assembled = assembleInstructions({
      immutable,
      evolvable: strategy === undefined ? evolvable : [...evolvable, { name: `strategy.${strategy.name}`, text: strategy.text }],
      learnedRules: learned.map((rule) => ({ name: rule.name, text: rule.source })),
      ...(dependencies.maxLearnedRules === undefined ? {} : { maxLearnedRules: dependencies.maxLearnedRules }),
      preferences: userPreferences.map((preference) => preference.text),
      ...(dependencies.preferenceTokenBudget === undefined ? {} : { preferenceTokenBudget: dependencies.preferenceTokenBudget }),
      lessons,
      lessonTokenBudget,
    });
    let settled = false;
    return {
      text: assembled.text,
      tokens: assembled.tokens,
      sections,
      preferences: assembled.preferences,
      ...(strategy === undefined ? {} : { strategy: strategy.name }),
      settle(success) {
        if (settled) return;
        settled = true;
        for (const assignment of assignments) versions?.record(assignment, { success });
        if (choice !== undefined && strategy !== undefined) dependencies.strategies?.selector.recordArm(choice, { success });
      },
    };
  };
}
