import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatJson, formatMs, formatPercent, formatTable } from '../output.js';
import { parseVersion } from '../artifact-lookup.js';
import { historyOf } from '../artifact-lookup.js';
import { readJobStats, readParkedJobs } from 'toolwright';

/** `toolwright report`. */
export const reportCommand: CommandDefinition = {
  path: ['report'],
  summary: "Measured behaviour per tool and version: calls, success rate, latency p50 / p95, and the evaluator's score.",
  details:
    'Each version is summarised over its own last N calls (--last, default 1000). Versions never called are listed with "-". ' +
    'Live experiments (canaries, A/B tests) follow, per arm: the version, its share of the calls and its figures since the experiment started.',
  positionals: [],
  options: {
    tool: { type: 'string', valueName: '<name>', description: 'only this tool' },
    last: { type: 'string', valueName: '<n>', description: 'calls per version to summarise (default 1000)' },
  },
  async run(context) {
    const lastN = typeof context.options['last'] === 'string' ? parseVersion(context.options['last'], '--last', 'report') : 1000;
    const only = typeof context.options['tool'] === 'string' ? context.options['tool'] : undefined;
    const toolwright = await context.open();
    try {
      let names: string[];
      if (only !== undefined) {
        await historyOf(toolwright, only);
        names = [only];
      } else {
        const found = new Set<string>();
        for (const status of ['active', 'candidate', 'retired', 'rejected'] as const) for (const version of await toolwright.registry.list({ kind: 'tool', status })) found.add(version.name);
        names = [...found].sort();
      }
      const rows = [];
      for (const name of names) {
        for (const version of await toolwright.registry.history(name)) {
          const summary = await toolwright.memory.summary(name, { lastN, version: version.version });
          const diagnosis = summary.count > 0 ? toolwright.evaluator.evaluate(summary) : undefined;
          rows.push({
            tool: name,
            version: version.version,
            status: version.status,
            calls: summary.count,
            successRate: summary.count > 0 ? summary.successRate : null,
            latency: summary.count > 0 ? { p50: summary.latency.p50, p95: summary.latency.p95, mean: summary.latency.mean } : null,
            errors: summary.errors,
            score: diagnosis?.score ?? null,
            health: diagnosis?.status ?? null,
            needsRewrite: diagnosis?.needsRewrite ?? false,
            reasons: diagnosis?.reasons.map((reason) => reason.message) ?? [],
          });
        }
      }
      const arms = [];
      for (const experiment of await toolwright.rollout.experiments({ status: ['running', 'frozen'], ...(only === undefined ? {} : { artifact: only }) })) {
        const report = await toolwright.rollout.report(experiment.id);
        for (const arm of report.arms) {
          arms.push({
            experiment: experiment.id,
            kind: experiment.kind,
            tool: experiment.artifact,
            status: experiment.status,
            arm: arm.arm,
            version: arm.version,
            share: arm.share,
            calls: arm.figures.calls,
            successRate: arm.figures.successRate ?? null,
            meanLatencyMs: arm.figures.meanLatencyMs ?? null,
          });
        }
      }
      // The fleet's jobs (PostgreSQL): queued, running, failed (to be retried) and parked per queue.
      const jobs = await readJobStats(toolwright.database);
      const parked = jobs.some((queue) => queue.parked > 0) ? await readParkedJobs(toolwright.database) : [];
      if (context.json) {
        context.stdout.write(formatJson({ window: { lastN }, versions: rows, arms, jobs, parked }));
      } else if (rows.length === 0) {
        context.stdout.write('No tools yet: nothing to report.\n');
      } else {
        context.stdout.write(
          formatTable(
            ['tool', 'version', 'status', 'calls', 'success', 'p50', 'p95', 'score', 'health'],
            rows.map((row) => [
              row.tool,
              `v${row.version}`,
              row.status,
              row.calls,
              row.successRate === null ? '-' : formatPercent(row.successRate),
              row.latency ? formatMs(row.latency.p50) : '-',
              row.latency ? formatMs(row.latency.p95) : '-',
              row.score === null ? '-' : row.score.toFixed(2),
              row.health ?? '-',
            ]),
          ),
        );
      }
      if (!context.json && arms.length > 0) {
        context.stdout.write('\nLive experiments, per arm (since each started):\n');
        context.stdout.write(
          formatTable(
            ['experiment', 'kind', 'tool', 'arm', 'version', 'share', 'calls', 'success', 'mean latency'],
            arms.map((row) => [
              row.experiment,
              row.kind,
              row.tool,
              row.arm,
              `v${row.version}`,
              formatPercent(row.share),
              row.calls,
              row.successRate === null ? '-' : formatPercent(row.successRate),
              row.meanLatencyMs === null ? '-' : formatMs(row.meanLatencyMs),
            ]),
          ),
        );
      }
      if (!context.json && jobs.length > 0) {
        context.stdout.write('\nBackground jobs, per queue:\n');
        context.stdout.write(formatTable(['queue', 'queued', 'running', 'failed', 'parked', 'completed'], jobs.map((queue) => [queue.queue, queue.queued, queue.running, queue.failed, queue.parked, queue.completed])));
        for (const job of parked) context.stdout.write(`parked ${job.queue} ${job.key ?? job.id} after ${job.attempts} attempts: ${job.error}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
