import { z } from 'zod';

/** Longest text of one preference, in characters. */
export const MAX_PREFERENCE_LENGTH = 500;

/** How a preference was learned: a person said it (`explicit`), or signals implied it (`implicit`: accepted without edit, immediate restatement, edits). */
export type PreferenceSource = 'explicit' | 'implicit';

/** A user id (or a tenant id): 1–200 characters, no control characters. */
export const userIdSchema = z
  .string()
  .trim()
  .min(1, 'a user id is not empty')
  .max(200)
  // eslint-disable-next-line no-control-regex
  .refine((id) => !/[\u0000-\u001f\u007f]/u.test(id), 'a user id has no control characters');

/** The text of one preference: one short instruction, at most {@link MAX_PREFERENCE_LENGTH} characters. */
export const preferenceTextSchema = z
  .string()
  .trim()
  .min(1, 'a preference has text')
  .max(MAX_PREFERENCE_LENGTH, `a preference is at most ${MAX_PREFERENCE_LENGTH} characters: one short instruction`);

/** One stored preference of one user. */
export interface UserPreference {
  readonly id: string;
  readonly userId: string;
  readonly text: string;
  readonly source: PreferenceSource;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Where the agent reads a user's preferences for that user's runs (`agent.run(task, { userId })`).
 * Only that user's are ever returned: one user's preferences never change another's prompt.
 */
export interface PreferenceReader {
  /** The preferences of `userId`, oldest first. */
  forUser(userId: string): Promise<readonly UserPreference[]>;
}
