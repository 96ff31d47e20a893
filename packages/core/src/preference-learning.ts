import { z } from 'zod';
import type { LanguageModel } from './model.js';
import { preferenceTextSchema, type PreferenceSource, type UserPreference } from './preferences.js';
import { generateObject } from './structured-output.js';
import { parseOrThrow } from './validation.js';

/**
 * What a user did that may say what they prefer: an explicit `correction` ("answer in Spanish"),
 * or an implicit signal — an answer `accepted` without edit, an answer the user `edited`, a task
 * `restated` right after its answer.
 */
export type PreferenceSignal =
  | { readonly kind: 'correction'; readonly text: string }
  | { readonly kind: 'accepted'; readonly answer: string }
  | { readonly kind: 'edited'; readonly answer: string; readonly edited: string }
  | { readonly kind: 'restated'; readonly task: string; readonly restatement: string };

const signalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('correction'), text: preferenceTextSchema }).strict(),
  z.object({ kind: z.literal('accepted'), answer: z.string().max(20_000) }).strict(),
  z.object({ kind: z.literal('edited'), answer: z.string().max(20_000), edited: z.string().max(20_000) }).strict(),
  z.object({ kind: z.literal('restated'), task: z.string().min(1).max(20_000), restatement: z.string().min(1).max(20_000) }).strict(),
]);

/** Where learned preferences are written: `@toolwright/safety-policy`'s preference store fits. */
export interface PreferenceWriter {
  add(userId: string, preference: { readonly text: string; readonly source?: PreferenceSource }): Promise<UserPreference>;
  list(userId: string): Promise<readonly UserPreference[]>;
}

/** What a model answers to a `preference` request: one preference, or none. */
export const preferenceAnswerSchema = z.object({ preference: preferenceTextSchema.nullable(), reason: z.string().max(500) }).strict();

/** What one signal taught. */
export type LearnedPreference =
  | { readonly status: 'added'; readonly preference: UserPreference; readonly how: 'explicit' | 'heuristic' | 'model' }
  | { readonly status: 'none'; readonly reason: string };

const BULLET = /^\s*(?:[-*•]|\d+[.)])\s+/mu;

/** Deterministic readings of an edit: no model needed (and the offline model reads no prose). */
function heuristicOf(answer: string, edited: string): string | undefined {
  if (BULLET.test(edited) && !BULLET.test(answer)) return 'Format answers as bullet points.';
  if (edited.trim().length > 0 && edited.length <= answer.length * 0.5) return 'Keep answers short: at most half of what you would write.';
  return undefined;
}

/**
 * Learns per-user preferences from signals: a correction is stored as the user said it
 * (`explicit`); an edit is read first by deterministic heuristics (bullets added, answer cut
 * by half or more), then, when they find nothing, by the model (a zod-validated `preference`
 * request; a model that cannot answer it — the offline model — teaches nothing); a restated
 * task goes to the model; an answer accepted without edit teaches nothing new. Implicit ones are
 * stored as `implicit`; a preference the user already has is not stored twice. Only the given
 * user's preferences change.
 */
export function createPreferenceLearner(dependencies: { readonly model: LanguageModel; readonly store: PreferenceWriter }): {
  learn(userId: string, signal: PreferenceSignal): Promise<LearnedPreference>;
} {
  const { model, store } = dependencies;
  const add = async (userId: string, text: string, source: PreferenceSource, how: 'explicit' | 'heuristic' | 'model'): Promise<LearnedPreference> => {
    const existing = await store.list(userId);
    if (existing.some((preference) => preference.text.trim().toLowerCase() === text.trim().toLowerCase())) return { status: 'none', reason: `${userId} already has this preference` };
    return { status: 'added', preference: await store.add(userId, { text, source }), how };
  };
  const ask = async (userId: string, what: string): Promise<LearnedPreference> => {
    try {
      const { object } = await generateObject(model, {
        messages: [
          { role: 'system', content: 'From what a user did, state at most one lasting preference of theirs as one short instruction to an assistant, or null when it says nothing lasting.' },
          { role: 'user', content: what },
        ],
        schema: preferenceAnswerSchema,
        name: 'preference',
      });
      return object.preference === null ? { status: 'none', reason: object.reason || 'the model found no lasting preference' } : add(userId, object.preference, 'implicit', 'model');
    } catch (error) {
      return { status: 'none', reason: `the model could not read the signal: ${error instanceof Error ? error.message : String(error)}` };
    }
  };
  return {
    async learn(userId, raw) {
      const signal = parseOrThrow(signalSchema, raw, 'preference signal');
      switch (signal.kind) {
        case 'correction':
          return add(userId, signal.text, 'explicit', 'explicit');
        case 'accepted':
          return { status: 'none', reason: 'an answer accepted without edit confirms what is in force; it teaches nothing new' };
        case 'edited': {
          const heuristic = heuristicOf(signal.answer, signal.edited);
          if (heuristic !== undefined) return add(userId, heuristic, 'implicit', 'heuristic');
          return ask(userId, `The assistant answered:\n${signal.answer.slice(0, 4000)}\nThe user edited it to:\n${signal.edited.slice(0, 4000)}`);
        }
        case 'restated':
          return ask(userId, `The user asked:\n${signal.task.slice(0, 4000)}\nRight after the answer, they asked again:\n${signal.restatement.slice(0, 4000)}`);
      }
    },
  };
}
