import type { ArtifactVersion } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import type { CommandContext } from './command.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { formatJson } from './output.js';

type PersonChange = Parameters<Toolwright['policy']['review']>[0];

/**
 * A person's change passes the same gate as the agent's: the safety policy reviews it (with
 * `origin: 'person'`, so agent-only rules do not apply, but the kill switch and immutable
 * sections do). Allowed, `apply` makes it through the registry and the step is audited with
 * the person as actor; denied, nothing changes (exit 1); queued, it waits for approval (exit 4).
 */
export async function applyPersonChange(
  context: CommandContext,
  toolwright: Toolwright,
  change: PersonChange,
  current: ArtifactVersion | undefined,
  apply: () => Promise<{ readonly message: string; readonly audit: { readonly action: string; readonly fromVersion?: number; readonly toVersion?: number }; readonly result: unknown }>,
): Promise<ExitCode> {
  const by = context.person();
  const note = typeof context.options['note'] === 'string' ? context.options['note'] : undefined;
  const decision = await toolwright.policy.review(change, current === undefined ? {} : { current });
  if (decision.outcome !== 'allow') {
    const reasons = decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join('; ');
    if (context.json) context.stdout.write(formatJson({ done: false, outcome: decision.outcome, reasons: decision.reasons, approvalId: decision.approvalId ?? null }));
    if (decision.outcome === 'needs-approval') {
      context.stderr.write(`toolwright: the safety policy queued this ${change.kind} for approval as ${decision.approvalId ?? '(no id)'} (${reasons}). \`toolwright approvals approve <id>\` applies it.\n`);
      return EXIT_CODES.queued;
    }
    context.stderr.write(`toolwright: the safety policy denied this ${change.kind}: ${reasons}\n`);
    return EXIT_CODES.failed;
  }
  const outcome = await apply();
  const artifact = 'name' in change ? change.name : undefined;
  await toolwright.memory.audit({
    actor: { kind: 'person', id: by },
    action: outcome.audit.action,
    ...(artifact === undefined ? {} : { artifact }),
    ...(outcome.audit.fromVersion === undefined ? {} : { fromVersion: outcome.audit.fromVersion }),
    ...(outcome.audit.toVersion === undefined ? {} : { toVersion: outcome.audit.toVersion }),
    reason: note ?? `${change.kind} by ${by} with the toolwright CLI`,
    evidence: { via: 'cli', policy: decision.outcome },
  });
  context.stdout.write(context.json ? formatJson({ done: true, by, ...(outcome.result as object) }) : `${outcome.message}\n`);
  return EXIT_CODES.ok;
}
