import type { Lesson } from '../memory.js';

/** A named block of the system prompt. Immutable sections are declared by the integrator. */
export interface PromptSection {
  readonly name: string;
  readonly text: string;
}

/** What the system prompt is assembled from. */
export interface InstructionParts {
  /** The integrator's immutable sections, verbatim and first. */
  readonly immutable: readonly PromptSection[];
  /** Active learned rules from the registry. */
  readonly learnedRules: readonly PromptSection[];
  /** Lessons from memory, most relevant first; included while they fit the budget. */
  readonly lessons: readonly Lesson[];
  /** Token budget for lessons (estimated at 4 characters a token). */
  readonly lessonTokenBudget: number;
}

/** Rough token count of a text: 4 characters a token, the usual estimate for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Assembles the system prompt: immutable sections (verbatim), then learned rules, then as many
 * lessons as fit the token budget. Returns the text and which lessons made it in.
 */
export function assembleInstructions(parts: InstructionParts): { text: string; lessonIds: string[] } {
  const blocks: string[] = [];
  for (const section of parts.immutable) blocks.push(section.text);
  blocks.push(TOOLING_GUIDE);
  if (parts.learnedRules.length > 0) {
    blocks.push(['Learned rules:', ...parts.learnedRules.map((rule) => `- ${rule.text}`)].join('\n'));
  }
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
  return { text: blocks.join('\n\n'), lessonIds };
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
  'You solve tasks with tools. Prefer an existing tool when one fits: call it with the task input.',
  'When no tool fits, write one with create_tool: a TypeScript ES module whose default export takes one',
  'JSON argument and returns a JSON value, with a snake_case name, a JSON Schema for its argument, and',
  'examples (input and expected output) that it must pass before it can be used. Tools run in a sandbox',
  'with no network unless they request the fetch capability for specific origins.',
  'When you have the answer, reply with the answer only: a JSON value when the task asks for data.',
  'If you cannot solve the task, say so plainly; never guess.',
].join('\n');

const STOP_WORDS = new Set([
  'the', 'and', 'for', 'with', 'that', 'this', 'from', 'these', 'those', 'into', 'than', 'then', 'what',
  'which', 'when', 'where', 'who', 'how', 'are', 'was', 'were', 'has', 'have', 'had', 'its', 'all', 'any',
  'each', 'use', 'using', 'please', 'give', 'return', 'over', 'under',
]);
