import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ToolwrightError } from '@toolwright/core';
import { createToolwright } from 'toolwright';
import type { CliIo } from './cli-io.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { COMMANDS } from './commands/command-list.js';
import { assertDatabaseExists, DEFAULT_DATABASE, resolveDatabase } from './database-location.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';
import { commandHelp, GLOBAL_OPTIONS, groupHelp } from './help.js';
import { formatJson } from './output.js';
import { osUser } from './person.js';
import { UsageError } from './usage-error.js';

const GROUPS = new Set(COMMANDS.filter((command) => command.path.length > 1).map((command) => command.path[0] ?? ''));

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

/** The command `argv` names, or a usage error that says what is wrong. */
function findCommand(argv: readonly string[]): CommandDefinition {
  const matches = COMMANDS.filter((command) => command.path.every((word, index) => argv[index] === word));
  const command = matches.sort((a, b) => b.path.length - a.path.length)[0];
  if (command) return command;
  const [first, second] = argv;
  if (first !== undefined && GROUPS.has(first)) {
    throw new UsageError(second === undefined || second.startsWith('-') ? `\`${first}\` needs a command.` : `unknown command \`${first} ${second}\`.`, first);
  }
  throw new UsageError(first === undefined ? 'no command given.' : first.startsWith('-') ? `put the command first, before ${first}.` : `unknown command \`${first}\`.`, '');
}

/** The first sentence of node's parseArgs message, which continues with advice about `--`. */
function parseArgsMessage(error: Error): string {
  const message = error.message.replace(/\s+/g, ' ');
  const end = message.indexOf('. ');
  return (end === -1 ? message : message.slice(0, end + 1)).replace(/^(.)/, (letter) => letter.toLowerCase());
}

function parseCommandLine(
  command: CommandDefinition,
  args: readonly string[],
): { options: Record<string, string | boolean | undefined>; lists: Record<string, string[]>; args: Record<string, string | undefined> } {
  const name = command.path.join(' ');
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(Object.entries(options).map(([key, option]) => [key, { type: option.type, ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    if (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(parseArgsMessage(error), name);
    throw error;
  }
  const values: Record<string, string | boolean | undefined> = {};
  const lists: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    if (Array.isArray(value)) lists[key] = value.map(String);
    else values[key] = value;
  }
  if (values['help'] === true) return { options: values, lists, args: {} };
  const positionals: Record<string, string | undefined> = {};
  command.positionals.forEach((positional, index) => {
    const value = parsed.positionals[index];
    if (value === undefined) {
      if (!positional.optional) throw new UsageError(`missing ${positional.choices ? positional.choices.join('|') : `<${positional.name}>`}.`, name);
    } else if (positional.choices && !positional.choices.includes(value)) {
      throw new UsageError(`<${positional.name}> must be ${positional.choices.join(', ')}; got "${value}".`, name);
    }
    positionals[positional.name] = value;
  });
  const extra = parsed.positionals[command.positionals.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}".`, name);
  for (const [key, value] of Object.entries(values)) {
    if (value === '' && options[key]?.type === 'string') throw new UsageError(`--${key} is empty.`, name);
  }
  for (const [key, list] of Object.entries(lists)) {
    if (list.some((value) => value === '')) throw new UsageError(`--${key} is empty.`, name);
  }
  return { options: values, lists, args: positionals };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs the `toolwright` command in-process: `argv` are the arguments after the program name,
 * e.g. `['tools', 'list', '--json']`. Resolves to the exit code (see {@link EXIT_CODES}); it
 * never calls `process.exit`, so tests and other programs can drive it.
 *
 * @example
 * ```ts
 * import { runCli } from '@toolwright/cli';
 *
 * let out = '';
 * const code = await runCli(['report', '--json', '--db', 'sqlite:./toolwright.db'], {
 *   stdout: { write: (text) => (out += text) },
 *   stderr: process.stderr,
 * });
 * if (code === 0) console.log(JSON.parse(out).versions);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const json = argv.includes('--json');
  const first = argv[0];
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(groupHelp([]));
    return EXIT_CODES.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT_CODES.ok;
  }
  if (first !== undefined && GROUPS.has(first) && (argv[1] === '--help' || argv[1] === '-h')) {
    io.stdout.write(groupHelp([first]));
    return EXIT_CODES.ok;
  }
  let command: CommandDefinition | undefined;
  try {
    command = findCommand(argv);
    const parsed = parseCommandLine(command, argv.slice(command.path.length));
    if (parsed.options['help'] === true) {
      io.stdout.write(commandHelp(command));
      return EXIT_CODES.ok;
    }
    const definition = command;
    const given = typeof parsed.options['db'] === 'string' ? parsed.options['db'] : (env['TOOLWRIGHT_DB'] || DEFAULT_DATABASE);
    const context: CommandContext = {
      options: parsed.options,
      lists: parsed.lists,
      args: parsed.args,
      json: parsed.options['json'] === true,
      env,
      cwd,
      stdout: io.stdout,
      stderr: io.stderr,
      person: () => (typeof parsed.options['by'] === 'string' ? parsed.options['by'] : osUser(env)),
      async open(extra = {}) {
        const allow = parsed.lists['allow'] ?? [];
        const location = resolveDatabase(given, cwd);
        if (!definition.createsDatabase) assertDatabaseExists(location, given);
        return createToolwright({
          database: location.url,
          ...(extra.model === undefined ? {} : { model: extra.model }),
          ...(extra.improve === true ? {} : { improve: false }),
          ...(extra.worker === undefined ? {} : { worker: extra.worker }),
          ...(allow.length === 0 ? {} : { network: { allow: [...allow] } }),
        });
      },
    };
    return await definition.run(context);
  } catch (error) {
    const code = exitCodeFor(error);
    if (error instanceof UsageError) {
      io.stderr.write(`toolwright${error.command ? ` ${error.command}` : ''}: ${oneLine(error.message)}\n\n`);
      const usage = COMMANDS.find((entry) => entry.path.join(' ') === error.command);
      io.stderr.write(usage ? commandHelp(usage) : groupHelp(error.command === '' ? [] : [error.command]));
    } else {
      const message = error instanceof Error ? error.message : String(error);
      const prefix = ToolwrightError.isInstance(error) ? `${error.code}: ` : '';
      io.stderr.write(`toolwright${command ? ` ${command.path.join(' ')}` : ''}: ${prefix}${oneLine(message)}\n`);
      if (env['TOOLWRIGHT_DEBUG'] && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    }
    if (json) {
      const body = ToolwrightError.isInstance(error) ? { code: error.code, message: error.message } : { code: 'UNEXPECTED', message: error instanceof Error ? error.message : String(error) };
      io.stdout.write(formatJson({ error: body, exitCode: code }));
    }
    return code;
  }
}
