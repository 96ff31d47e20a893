import { PolicyError } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import type { CommandContext, CommandDefinition } from '../command.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { formatJson, formatTable, formatTime, truncate } from '../output.js';
import { reportOutcome } from '../person-change.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION, PERSON_OPTIONS } from './shared-options.js';

type Approval = Awaited<ReturnType<Toolwright['policy']['approvals']['list']>>[number];
const STATUSES = ['proposed', 'approved', 'rejected', 'applied'] as const;

/** `rewrite-tool get_quote v1→`, `pin total_fares`, ... */
function describeChange(change: Approval['change']): string {
  switch (change.kind) {
    case 'rewrite-tool':
      return `rewrite-tool ${change.name} (from v${change.fromVersion})`;
    case 'rollback':
      return `rollback ${change.name} v${change.fromVersion} → v${change.toVersion}`;
    case 'grant-capability':
      return `grant-capability ${JSON.stringify(change.capability)}`;
    case 'import-bundle':
      return `import-bundle ${change.bundleHash.slice(0, 12)}… (${change.names.join(', ')})`;
    case 'widen-rollout':
      return `widen-rollout ${change.name} v${change.version} ${Math.round(change.fromShare * 100)}% → ${Math.round(change.toShare * 100)}% (experiment ${change.experimentId})`;
    case 'promote-version':
      return `promote-version ${change.name} v${change.fromVersion} → v${change.toVersion}${change.experimentId === undefined ? '' : ` (experiment ${change.experimentId})`}`;
    default:
      return `${change.kind} ${change.name}`;
  }
}

async function approvalOf(toolwright: Toolwright, id: string): Promise<Approval> {
  const approval = await toolwright.policy.approvals.get(id);
  if (!approval) {
    throw new PolicyError('POLICY_APPROVAL_NOT_FOUND', `No approval request has the id "${id}". \`toolwright approvals list --status all\` shows them.`, { details: { id } });
  }
  return approval;
}

/** `toolwright approvals list`. */
export const approvalsListCommand: CommandDefinition = {
  path: ['approvals', 'list'],
  summary: 'List the changes waiting for a person (or, with --status, the decided and applied ones too).',
  positionals: [],
  options: { status: { type: 'string', valueName: '<status>', description: 'proposed (default), approved, rejected, applied or all' } },
  async run(context) {
    const status = typeof context.options['status'] === 'string' ? context.options['status'] : 'proposed';
    if (status !== 'all' && !(STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${[...STATUSES, 'all'].join(', ')}; got "${status}".`, 'approvals list');
    }
    const toolwright = await context.open();
    try {
      const approvals = await toolwright.policy.approvals.list(status === 'all' ? {} : { status: status as Approval['status'] });
      if (context.json) context.stdout.write(formatJson(approvals));
      else if (approvals.length === 0) context.stdout.write(`No approval requests${status === 'all' ? '' : ` with status ${status}`}.\n`);
      else
        context.stdout.write(
          formatTable(
            ['id', 'status', 'change', 'proposed', 'verdict', 'why a person', 'decided by'],
            approvals.map((approval) => [
              approval.id,
              approval.status,
              describeChange(approval.change),
              formatTime(approval.proposedAt),
              approval.evidence.verdict?.decision,
              truncate(approval.reasons.map((reason) => reason.detail).join('; '), 60),
              approval.decidedBy,
            ]),
          ),
        );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright approvals show <id>`. */
export const approvalsShowCommand: CommandDefinition = {
  path: ['approvals', 'show'],
  summary: 'Show one approval request: the change, why it needs a person, the regression verdict and the diff.',
  positionals: [{ name: 'id' }],
  options: {},
  async run(context) {
    const toolwright = await context.open();
    try {
      const approval = await approvalOf(toolwright, context.args['id'] ?? '');
      if (context.json) {
        context.stdout.write(formatJson(approval));
        return EXIT_CODES.ok;
      }
      const verdict = approval.evidence.verdict;
      const lines = [
        `${approval.id}  ${approval.status}`,
        `change:    ${describeChange(approval.change)} (origin ${approval.change.origin})`,
        `proposed:  ${formatTime(approval.proposedAt)}`,
        ...approval.reasons.map((reason) => `why:       ${reason.rule}: ${reason.detail}`),
        ...(verdict
          ? [`verdict:   ${verdict.decision}`]
          : isToolChange(approval.change)
            ? ['verdict:   not run yet: a tool that needs a person runs with its capabilities only once approved, before it is applied']
            : []),
        ...(approval.evidence.diagnosis ? [`diagnosis: score ${approval.evidence.diagnosis.score.toFixed(2)}, ${approval.evidence.diagnosis.reasons.map((reason) => reason.message).join('; ')}`] : []),
        ...(approval.decidedBy ? [`decided:   by ${approval.decidedBy} at ${formatTime(approval.decidedAt)}${approval.decisionNote ? ` (${approval.decisionNote})` : ''}`] : []),
        ...(approval.appliedBy ? [`applied:   by ${approval.appliedBy} at ${formatTime(approval.appliedAt)}`] : []),
      ];
      context.stdout.write(`${lines.join('\n')}\n${approval.evidence.diff ? `\n${approval.evidence.diff}\n` : ''}`);
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/**
 * What `approve` and `reject` share: the request id, the person and their note, an open
 * Toolwright (closed afterwards), and the request as it was before the decision (a missing id
 * is `POLICY_APPROVAL_NOT_FOUND`, exit 3).
 */
async function decide(
  context: CommandContext,
  act: (toolwright: Toolwright, request: { readonly id: string; readonly by: string; readonly note: string | undefined; readonly approval: Approval }) => Promise<ExitCode>,
): Promise<ExitCode> {
  const id = context.args['id'] ?? '';
  const by = context.person();
  const note = typeof context.options['note'] === 'string' ? context.options['note'] : undefined;
  const toolwright = await context.open();
  try {
    return await act(toolwright, { id, by, note, approval: await approvalOf(toolwright, id) });
  } finally {
    await toolwright.close();
  }
}

function isToolChange(change: Approval['change']): boolean {
  return change.kind === 'create-tool' || change.kind === 'rewrite-tool';
}

/** `toolwright approvals approve <id>`. */
export const approvalsApproveCommand: CommandDefinition = {
  path: ['approvals', 'approve'],
  summary: 'Approve a queued change and apply it through the promotion path (e.g. promote the candidate).',
  details: 'A tool is proven on its cases with its capabilities first (a network tool needs --allow for each origin it fetches from), then promoted, in one transaction with the request marked applied and the audit entry. Refused (exit 1) when the request was rejected, the approver may not decide it, or the kill switch is on; approving an applied request again changes nothing (exit 0).',
  positionals: [{ name: 'id' }],
  options: { ...PERSON_OPTIONS, ...ALLOW_OPTION },
  run: (context) =>
    decide(context, async (toolwright, { id, by, note, approval }) => {
      const outcome = await toolwright.approve(id, { by, ...(note === undefined ? {} : { note }) });
      const active = outcome.status === 'applied' ? outcome.version : undefined;
      return reportOutcome(context, outcome, {
        message: `Approved ${id} (${describeChange(approval.change)}) by ${by}${active ? `: ${active.name} v${active.version} is now active` : ''}.`,
        result: { by, approval: await approvalOf(toolwright, id), active: active ?? null },
      });
    }),
};

/** `toolwright approvals reject <id>`. */
export const approvalsRejectCommand: CommandDefinition = {
  path: ['approvals', 'reject'],
  summary: 'Reject a queued change; a candidate version it carried is marked rejected for good.',
  positionals: [{ name: 'id' }],
  options: PERSON_OPTIONS,
  run: (context) =>
    decide(context, async (toolwright, { id, by, note, approval }) => {
      const outcome = await toolwright.reject(id, { by, ...(note === undefined ? {} : { note }) });
      // A rejection is a denial the person asked for: that is this command succeeding.
      if (outcome.status === 'denied' && outcome.decision.reasons.some((reason) => reason.rule === 'rejected-by-person')) {
        if (context.json) context.stdout.write(formatJson({ done: true, status: outcome.status, summary: outcome.summary, by, approval: await approvalOf(toolwright, id) }));
        else context.stdout.write(`Rejected ${id} (${describeChange(approval.change)}) by ${by}.\n`);
        return EXIT_CODES.ok;
      }
      return reportOutcome(context, outcome, { message: outcome.summary, result: {} });
    }),
};
