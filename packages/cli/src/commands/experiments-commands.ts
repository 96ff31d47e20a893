import type { Toolwright } from 'toolwright';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatMs, formatPercent, formatTable, formatTime, truncate } from '../output.js';
import { UsageError } from '../usage-error.js';

type Experiment = Awaited<ReturnType<Toolwright['rollout']['experiments']>>[number];
type ExperimentStatus = Experiment['status'];

const STATUSES: readonly ExperimentStatus[] = ['running', 'frozen', 'completed', 'rolled-back', 'stopped'];
const LIVE: readonly ExperimentStatus[] = ['running', 'frozen'];

/** `v3 90% / v4 10%`: each arm's version and share. */
function describeArms(experiment: Experiment): string {
  return experiment.arms
    .map((arm, index) => {
      const share = experiment.status === 'frozen' ? (index === 0 ? 1 : 0) : (experiment.allocation[arm.name] ?? 0);
      return `v${arm.version} ${formatPercent(share)}`;
    })
    .join(' / ');
}

function describeOutcome(experiment: Experiment): string {
  const outcome = experiment.outcome;
  if (outcome === undefined) return '';
  return `${outcome.result}${outcome.winner === undefined ? '' : ` (${outcome.winner})`}: ${truncate(outcome.reason, 80)}`;
}

/** `toolwright experiments list`. */
export const experimentsListCommand: CommandDefinition = {
  path: ['experiments', 'list'],
  summary: 'List live experiments (canaries, A/B tests): which versions serve which share of the calls, and how ended ones ended.',
  details: 'Newest first. --status live (running or frozen) is the default; all lists every experiment.',
  positionals: [],
  options: {
    status: { type: 'string', valueName: '<status>', description: `live (default), all, or one of ${STATUSES.join(', ')}` },
    tool: { type: 'string', valueName: '<name>', description: 'only experiments on this tool' },
  },
  async run(context) {
    const status = typeof context.options['status'] === 'string' ? context.options['status'] : 'live';
    if (status !== 'live' && status !== 'all' && !(STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be live, all or one of ${STATUSES.join(', ')}; got "${status}".`, 'experiments list');
    }
    const statuses = status === 'all' ? undefined : status === 'live' ? LIVE : [status as ExperimentStatus];
    const tool = typeof context.options['tool'] === 'string' ? context.options['tool'] : undefined;
    const toolwright = await context.open();
    try {
      const experiments = await toolwright.rollout.experiments({ ...(statuses === undefined ? {} : { status: statuses }), ...(tool === undefined ? {} : { artifact: tool }) });
      if (context.json) context.stdout.write(formatJson(experiments));
      else if (experiments.length === 0) context.stdout.write(`No experiments${status === 'all' ? '' : ` with status ${status}`}${tool === undefined ? '' : ` on ${tool}`}.\n`);
      else
        context.stdout.write(
          formatTable(
            ['id', 'kind', 'tool', 'status', 'arms', 'started', 'outcome'],
            experiments.map((experiment) => [experiment.id, experiment.kind, experiment.artifact, experiment.status, describeArms(experiment), formatTime(experiment.startedAt), describeOutcome(experiment)]),
          ),
        );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright experiments show <id>`. */
export const experimentsShowCommand: CommandDefinition = {
  path: ['experiments', 'show'],
  summary: 'One experiment: its arms with their share and measured figures (calls, success rate, mean latency), and its history with the evidence.',
  positionals: [{ name: 'id' }],
  options: {},
  async run(context) {
    const id = context.args['id'] as string;
    const toolwright = await context.open();
    try {
      const report = await toolwright.rollout.report(id);
      if (context.json) {
        context.stdout.write(formatJson(report));
        return EXIT_CODES.ok;
      }
      const { experiment } = report;
      const lines = [
        `experiment ${experiment.id}: ${experiment.kind} on ${experiment.artifact}, ${experiment.status}`,
        `started ${formatTime(experiment.startedAt)}${experiment.endedAt === undefined ? '' : `, ended ${formatTime(experiment.endedAt)}`}`,
        ...(experiment.outcome === undefined ? [] : [`outcome: ${describeOutcome(experiment)}`]),
        '',
      ];
      context.stdout.write(lines.join('\n'));
      context.stdout.write(
        formatTable(
          ['arm', 'version', 'share', 'calls', 'success', 'mean latency'],
          report.arms.map((arm) => [
            arm.arm,
            `v${arm.version}`,
            formatPercent(arm.share),
            arm.figures.calls,
            arm.figures.successRate === undefined ? '-' : formatPercent(arm.figures.successRate),
            arm.figures.meanLatencyMs === undefined ? '-' : formatMs(arm.figures.meanLatencyMs),
          ]),
        ),
      );
      context.stdout.write('\n');
      context.stdout.write(
        formatTable(
          ['time', 'event', 'detail'],
          report.events.map((event) => [formatTime(event.at), event.event, truncate(typeof event.data['reason'] === 'string' ? event.data['reason'] : '', 120)]),
        ),
      );
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

/** `toolwright experiments stop <id>`. */
export const experimentsStopCommand: CommandDefinition = {
  path: ['experiments', 'stop'],
  summary: 'A person ends an experiment: a canary is rolled back to its baseline through the gate; an A/B test keeps its control.',
  positionals: [{ name: 'id' }],
  options: {
    by: { type: 'string', valueName: '<person>', description: 'who acts (default: the OS user)' },
    note: { type: 'string', valueName: '<text>', description: 'why; kept in the experiment and the audit log' },
  },
  async run(context) {
    const id = context.args['id'] as string;
    const by = context.person();
    const reason = typeof context.options['note'] === 'string' && context.options['note'] !== '' ? context.options['note'] : `stopped by ${by} with the toolwright CLI`;
    const toolwright = await context.open();
    try {
      const step = await toolwright.experiments.stop(id, { by, reason });
      const code = step.action === 'rolled-back' || step.action === 'stopped' ? EXIT_CODES.ok : EXIT_CODES.failed;
      if (context.json) context.stdout.write(formatJson(step));
      else {
        const what = step.action === 'rolled-back' ? `rolled back to v${step.experiment.arms[0]?.version}` : step.action === 'stopped' ? 'stopped; the control keeps serving' : `not stopped (${step.action})`;
        context.stdout.write(`experiment ${id} (${step.experiment.artifact}): ${what}. ${step.reason}\n`);
      }
      return code;
    } finally {
      await toolwright.close();
    }
  },
};
