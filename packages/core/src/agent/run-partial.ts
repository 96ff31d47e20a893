import { ToolwrightError, type ToolwrightErrorCode } from '../errors.js';
import type { AgentRunPartial } from './types.js';

/**
 * What a failed run had done, from an error `agent.run` threw: `error.details.partial`, or
 * `undefined` when the error carries none (it was thrown before the run began).
 *
 * @example
 * ```ts
 * try {
 *   await agent.run('Total these fares', { input });
 * } catch (error) {
 *   const partial = partialRunOf(error);
 *   if (partial) console.log(partial.tokens, partial.createdTools, partial.steps.length);
 *   throw error;
 * }
 * ```
 */
export function partialRunOf(error: unknown): AgentRunPartial | undefined {
  if (!ToolwrightError.isInstance(error)) return undefined;
  const partial = error.details?.['partial'];
  return typeof partial === 'object' && partial !== null && 'steps' in partial && 'tokens' in partial ? (partial as AgentRunPartial) : undefined;
}

/**
 * The same error (class, code, message) with `details.partial` added and the original as its
 * `cause`. A non-Toolwright error (a bug) is returned as it is.
 */
export function withPartial(error: unknown, partial: AgentRunPartial): unknown {
  if (!ToolwrightError.isInstance(error) || partialRunOf(error) !== undefined) return error;
  const Class = error.constructor as new (code: ToolwrightErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> }) => ToolwrightError;
  const done = `${partial.steps.length} model turn(s), ${partial.toolCalls.length} tool call(s)${partial.createdTools.length > 0 ? `, created ${partial.createdTools.join(', ')} (still active)` : ''}`;
  const tokens = `${partial.tokens.unknown ? 'at least ' : ''}${partial.tokens.input + partial.tokens.output} tokens`;
  const rebuilt = new Class(error.code, `${error.message} The run had done ${done}, using ${tokens}; details.partial holds them.`, {
    cause: error,
    details: { ...error.details, partial },
  });
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
