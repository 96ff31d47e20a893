import { startConsole } from '@toolwright/console';
import type { CommandDefinition } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { UsageError } from '../usage-error.js';
import { ALLOW_OPTION } from './shared-options.js';

/** `toolwright console [--port P]`: the web console (`@toolwright/console`) on a database. */
export const consoleCommand: CommandDefinition = {
  path: ['console'],
  summary: 'Serve the web console: tools, success rate / latency / score over time per version, diffs, the approval queue, the audit log, the kill switch.',
  details:
    'Binds 127.0.0.1 and prints a URL carrying a fresh token (or --token, else TOOLWRIGHT_CONSOLE_TOKEN): opening it signs the browser in. ' +
    'Approve, reject and the kill switch act as --by (default: the OS user) through the same API and audit log as the CLI; approving a network tool needs --allow for its origins. ' +
    'Pages update live as calls, promotions and approvals happen, here or in another process on the database. Runs until SIGINT / SIGTERM.',
  positionals: [],
  options: {
    port: { type: 'string', valueName: '<port>', description: 'the port to listen on (default 4780; 0: any free port)' },
    host: { type: 'string', valueName: '<address>', description: 'the address to bind (default 127.0.0.1)' },
    token: { type: 'string', valueName: '<token>', description: 'the access token (default: TOOLWRIGHT_CONSOLE_TOKEN, else a random one; at least 16 characters)' },
    by: { type: 'string', valueName: '<person>', description: 'who approves, rejects and flips the kill switch from the console (default: the OS user)' },
    'poll-ms': { type: 'string', valueName: '<ms>', description: 'how often to look for changes by other processes while a page is open (default 1000)' },
    ...ALLOW_OPTION,
  },
  async run(context) {
    const port = context.options['port'];
    if (typeof port === 'string' && (!/^\d+$/.test(port) || Number(port) > 65_535)) throw new UsageError(`--port takes a port number from 0 to 65535; got "${port}".`, 'console');
    const pollMs = context.options['poll-ms'];
    if (typeof pollMs === 'string' && !/^\d+$/.test(pollMs)) throw new UsageError(`--poll-ms takes a whole number of milliseconds; got "${pollMs}".`, 'console');
    const token = typeof context.options['token'] === 'string' ? context.options['token'] : context.env['TOOLWRIGHT_CONSOLE_TOKEN'];
    if (token !== undefined && token.length < 16) throw new UsageError('The console token needs at least 16 characters (--token or TOOLWRIGHT_CONSOLE_TOKEN).', 'console');
    const toolwright = await context.open();
    try {
      const server = await startConsole(toolwright, {
        person: context.person(),
        ...(typeof port === 'string' ? { port: Number(port) } : {}),
        ...(typeof context.options['host'] === 'string' ? { host: context.options['host'] } : {}),
        ...(token === undefined ? {} : { token }),
        ...(typeof pollMs === 'string' ? { pollIntervalMs: Number(pollMs) } : {}),
      });
      context.stdout.write(`toolwright console: open ${server.url}\n  (the token in it is the key; acting as ${server.person}; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      return EXIT_CODES.ok;
    } finally {
      await toolwright.close();
    }
  },
};
