import { ToolwrightError, type Change, type GateOutcome } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import type { CommandContext } from './command.js';
import { EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes.js';
import { formatJson } from './output.js';

/** The exit code of a gate outcome: applied 0, queued 4, denied or failed its cases 1, failed by its error's code. */
export function exitCodeOf(outcome: GateOutcome): ExitCode {
  switch (outcome.status) {
    case 'applied':
      return EXIT_CODES.ok;
    case 'queued':
      return EXIT_CODES.queued;
    case 'denied':
    case 'failed-regression':
      return EXIT_CODES.failed;
    case 'failed':
      return exitCodeFor(new ToolwrightError(outcome.error.code as never, outcome.error.message));
  }
}

/**
 * Writes what became of a change at the gate: on success `message` (or the outcome as JSON with
 * `result`), otherwise the outcome's summary on stderr, with what to do next.
 */
export function reportOutcome(context: CommandContext, outcome: GateOutcome, done: { readonly message: string; readonly result: object }): ExitCode {
  const code = exitCodeOf(outcome);
  if (context.json) {
    context.stdout.write(
      formatJson({
        done: outcome.status === 'applied',
        status: outcome.status,
        summary: outcome.summary,
        ...('decision' in outcome ? { reasons: outcome.decision.reasons } : {}),
        ...(outcome.status === 'queued' ? { approvalId: outcome.approvalId } : {}),
        ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
        ...(outcome.status === 'applied' ? done.result : {}),
      }),
    );
    return code;
  }
  if (outcome.status === 'applied') context.stdout.write(`${done.message}\n`);
  else if (outcome.status === 'queued') context.stderr.write(`toolwright: ${outcome.summary} \`toolwright approvals approve ${outcome.approvalId}\` applies it.\n`);
  else context.stderr.write(`toolwright: ${outcome.summary}\n`);
  return code;
}

/**
 * A person's change passes the same gate as the agent's: proposed with `origin: 'person'` (so
 * agent-only rules do not apply, but the kill switch and immutable sections do), reviewed,
 * applied and audited in one transaction with the person as actor — or denied (exit 1) or
 * queued for approval (exit 4), with nothing changed. The JSON result names the person as `by`.
 */
export async function proposePersonChange(
  context: CommandContext,
  toolwright: Toolwright,
  change: Change,
  done: (outcome: GateOutcome) => { readonly message: string; readonly result: object },
): Promise<ExitCode> {
  const by = context.person();
  const note = typeof context.options['note'] === 'string' ? context.options['note'] : undefined;
  const outcome = await toolwright.gate.propose(change, { by, reason: note ?? `${change.kind} by ${by} with the toolwright CLI` });
  const report = done(outcome);
  return reportOutcome(context, outcome, { message: report.message, result: { by, ...report.result } });
}
