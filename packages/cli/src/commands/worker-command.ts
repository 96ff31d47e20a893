import { EXPERIMENTS_QUEUE, IMPROVE_QUEUE, readJobStats } from 'toolwright';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION } from './shared-options.js';

/** `toolwright worker [--concurrency N] [--queue NAME]…`: run the fleet's background jobs until stopped. */
export const workerCommand: CommandDefinition = {
  path: ['worker'],
  summary: "Run the fleet's background jobs (improvement cycles, looks at live experiments) from the database's queues, until SIGINT / SIGTERM.",
  details:
    'On PostgreSQL the jobs are shared by every instance on the database: one job per tool and degradation episode, taken by one worker, ' +
    'retried by another if this one dies holding it (after --expire seconds), parked after its last attempt (see toolwright report). ' +
    'Serves no tool calls itself. On SQLite jobs live in the process that sends them, so a separate worker has nothing to take.',
  positionals: [],
  options: {
    concurrency: { type: 'string', valueName: '<n>', description: 'jobs run at once by this worker (default 1)' },
    queue: { type: 'string', multiple: true, valueName: '<name>', description: `a queue to work (repeatable; default ${IMPROVE_QUEUE} and ${EXPERIMENTS_QUEUE})` },
    expire: { type: 'string', valueName: '<seconds>', description: 'a job still running after this long is presumed lost and retried elsewhere (default 900)' },
    ...ALLOW_OPTION,
  },
  async run(context) {
    const concurrency = wholeNumber(context.options['concurrency'], '--concurrency', 1);
    if (concurrency < 1) throw new UsageError('--concurrency is at least 1 for a worker.', 'worker');
    const expire = wholeNumber(context.options['expire'], '--expire', 900);
    const queues = context.lists['queue'] ?? [IMPROVE_QUEUE, EXPERIMENTS_QUEUE];
    const toolwright = await context.open({ worker: { concurrency, queues: [...queues], expireInSeconds: Math.max(1, expire) } });
    try {
      if (toolwright.database.dialect !== 'postgres') {
        context.stderr.write('toolwright worker: on SQLite, jobs run in the process that sends them; a separate worker has nothing to take. Use a postgres:// database for a fleet.\n');
        return EXIT_CODES.ok;
      }
      const waiting = (await readJobStats(toolwright.database)).filter((stats) => queues.includes(stats.queue)).reduce((sum, stats) => sum + stats.queued + stats.failed, 0);
      context.stderr.write(`toolwright worker: working ${queues.join(', ')} (concurrency ${concurrency}; ${waiting} waiting); Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};

function wholeNumber(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError(`${name} takes a whole number; got "${String(value)}".`, 'worker');
  return Number(value);
}
