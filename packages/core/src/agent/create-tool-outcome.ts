import { z } from 'zod';

const message = z.string().describe('One sentence for a model that reads prose: what happened, and what to do next.');
/** The tool's name as proposed; `(unnamed)` when the spec carried none. */
const tool = z.string().min(1).max(200);

/**
 * What came of one `create_tool` call: the content of the tool result the agent sends back to
 * the model, as JSON (`JSON.stringify(outcome)`). A model that reads data parses it with this
 * schema and switches on `status`; a model that reads prose reads `message`. Only `refused`
 * is an error result (`isError: true`).
 *
 * - `created`: the tool passed its cases and is active; call it now.
 * - `reused`: an active tool already passes every example; call that one instead, nothing was written.
 * - `queued`: the tool waits for a person (`approvalId`): it cannot be called in this run. A network tool has not yet run with its capabilities.
 * - `refused`: the spec, the sandbox, the cases or the policy refused it; `attemptsLeft` more `create_tool` calls are allowed in this run.
 *
 * @example
 * ```ts
 * const outcome = createToolOutcomeSchema.parse(JSON.parse(toolResult.content));
 * if (outcome.status === 'created' || outcome.status === 'reused') callTool(outcome.tool);
 * ```
 */
export const createToolOutcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('created'),
    tool,
    version: z.number().int().min(1),
    /** How many cases (its examples) the new version passed. */
    passed: z.number().int().nonnegative(),
    message,
  }),
  z.object({ status: z.literal('reused'), tool, message }),
  z.object({
    status: z.literal('queued'),
    tool,
    /** The candidate version that waits; absent only when the gate registered none. */
    version: z.number().int().min(1).optional(),
    approvalId: z.string().min(1),
    /** Why a person must decide, one sentence per rule that asked for it. */
    reasons: z.array(z.string()),
    message,
  }),
  z.object({
    status: z.literal('refused'),
    tool,
    reason: z.string(),
    /** `create_tool` calls this run still allows; at 0 the agent stops offering it. */
    attemptsLeft: z.number().int().nonnegative(),
    message,
  }),
]);

/** See {@link createToolOutcomeSchema}. */
export type CreateToolOutcome = z.infer<typeof createToolOutcomeSchema>;
/** The statuses of {@link CreateToolOutcome}. */
export type CreateToolStatus = CreateToolOutcome['status'];

/** The `created` outcome. */
export function createdOutcome(name: string, version: number, passed: number): CreateToolOutcome {
  return { status: 'created', tool: name, version, passed, message: `Tool "${name}" v${version} passed ${passed} case(s) and is active. Call it now.` };
}

/** The `reused` outcome. */
export function reusedOutcome(name: string): CreateToolOutcome {
  return { status: 'reused', tool: name, message: `The active tool "${name}" already does this (it passes every example). Call "${name}" instead; nothing new was written.` };
}

/** The `queued` outcome. */
export function queuedOutcome(name: string, version: number | undefined, approvalId: string, reasons: readonly string[]): CreateToolOutcome {
  const label = version === undefined ? `Tool "${name}"` : `Tool "${name}" v${version}`;
  return {
    status: 'queued',
    tool: name,
    ...(version === undefined ? {} : { version }),
    approvalId,
    reasons: [...reasons],
    message: `${label} waits for a person's approval (request ${approvalId})${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}. It cannot be used in this run.`,
  };
}

/** The `refused` outcome. */
export function refusedOutcome(name: string, reason: string, attemptsLeft: number): CreateToolOutcome {
  const left = attemptsLeft > 0 ? `${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left` : 'no attempts left in this run';
  return { status: 'refused', tool: name, reason, attemptsLeft, message: `create_tool refused: ${reason} (${left})` };
}
