import { z } from 'zod';
import type { Author } from '../artifact.js';
import type { ChangeGate } from '../gate.js';
import { contentHash } from '../hash.js';
import type { Memory } from '../memory.js';
import { ZERO_USAGE, type LanguageModel, type TokenUsage } from '../model.js';
import type { RegistryReader } from '../registry.js';
import { generateObject } from '../structured-output.js';
import type { Emit } from './events.js';
import type { AgentToolCall } from './types.js';

/** What {@link createReflection} needs. */
export interface ReflectionDependencies {
  /** Writes the lesson. */
  readonly model: LanguageModel;
  readonly memory: Pick<Memory, 'addLesson'>;
  /** To skip a rule that was proposed before (same text, same name). */
  readonly registry: Pick<RegistryReader, 'history'>;
  /** Every learned rule goes through it: append-only, capped, checked against the immutable sections. */
  readonly gate: ChangeGate;
  readonly emit: Emit;
  /** Ask for a lesson at all. */
  readonly enabled: boolean;
  /** Propose each lesson as a learned rule. */
  readonly learnRules: boolean;
}

/** The failed run a lesson is drawn from. */
export interface ReflectionInput {
  readonly taskId: string;
  readonly task: string;
  /** What went wrong, in a sentence. */
  readonly what: string;
  readonly toolCalls: readonly AgentToolCall[];
}

/** Reflection after a failed run: a lesson in memory, and (optionally) a learned rule proposed to the gate. */
export interface Reflection {
  /** Best effort: never throws. Returns the tokens the model spent on the lesson. */
  reflect(input: ReflectionInput): Promise<TokenUsage>;
  /** Proposes a lesson as the learned rule `learned.<hash>`; does nothing when that rule was proposed before. */
  proposeLearnedRule(text: string, taskId: string): Promise<void>;
}

const lessonSchema = z.object({ lesson: z.string().min(1).max(500) });

/** A {@link Reflection}. */
export function createReflection(dependencies: ReflectionDependencies): Reflection {
  const { model, memory, registry, gate, emit } = dependencies;
  const author: Author = { kind: 'model', id: model.modelId };

  const proposeLearnedRule: Reflection['proposeLearnedRule'] = async (text, taskId) => {
    const name = `learned.${contentHash(text).slice(0, 12)}`;
    if ((await registry.history(name)).length > 0) return;
    const outcome = await gate.propose({ kind: 'add-learned-rule', origin: 'agent', name, text }, { author, reason: `learned from a failed run (task ${taskId})`, taskId });
    switch (outcome.status) {
      case 'applied':
        emit({ type: 'rule-learned', name, text });
        return;
      case 'queued':
        emit({ type: 'rule-queued', name, text, approvalId: outcome.approvalId });
        return;
      default:
        emit({ type: 'rule-refused', name, text, reason: outcome.summary });
    }
  };

  const reflect: Reflection['reflect'] = async (input) => {
    if (!dependencies.enabled) return ZERO_USAGE;
    let spent: TokenUsage = ZERO_USAGE;
    try {
      const calls = input.toolCalls.slice(-5).map((call) => ({ name: call.name, ok: call.ok, error: call.error?.message }));
      const { object, usage } = await generateObject(model, {
        messages: [
          { role: 'system', content: 'You review a failed task and write one short, general lesson (one sentence) that would help next time.' },
          { role: 'user', content: `Task: ${input.task}\nWhat went wrong: ${input.what}\nTool calls: ${JSON.stringify(calls)}` },
        ],
        schema: lessonSchema,
        name: 'lesson',
      });
      spent = usage;
      await memory.addLesson({ text: object.lesson, source: 'failure', tags: ['reflection'], provenance: { taskId: input.taskId } });
      emit({ type: 'lesson', text: object.lesson });
      if (dependencies.learnRules) await proposeLearnedRule(object.lesson, input.taskId);
    } catch {
      // Reflection is best effort: a model that cannot reflect must not fail the run.
    }
    return spent;
  };

  return { reflect, proposeLearnedRule };
}
