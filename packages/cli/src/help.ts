import type { CommandDefinition, OptionDefinition } from './command.js';
import { COMMANDS } from './commands/command-list.js';
import { DEFAULT_DATABASE } from './database-location.js';

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionDefinition>> = {
  db: { type: 'string', valueName: '<url>', description: `database: sqlite:<file>, a file path, or postgres://… (default: TOOLWRIGHT_DB, else ${DEFAULT_DATABASE})` },
  json: { type: 'boolean', description: 'print JSON for scripts instead of tables' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

function positionalUsage(command: CommandDefinition): string {
  return command.positionals
    .map((positional) => {
      const name = positional.choices ? positional.choices.join('|') : `<${positional.name}>`;
      return positional.optional ? `[${name}]` : name;
    })
    .join(' ');
}

/** `toolwright tools diff <name> <a> <b> [options]`. */
export function usageLine(command: CommandDefinition): string {
  return ['toolwright', ...command.path, positionalUsage(command), '[options]'].filter((part) => part !== '').join(' ');
}

function optionLines(options: Readonly<Record<string, OptionDefinition>>): string[] {
  const entries = Object.entries(options).map(([name, option]) => [`${option.short ? `-${option.short}, ` : ''}--${name}${option.valueName ? ` ${option.valueName}` : ''}${option.multiple ? ' …' : ''}`, option.description] as const);
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

/** The help of one command. */
export function commandHelp(command: CommandDefinition): string {
  return [
    `Usage: ${usageLine(command)}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}

/** The help of a group (`tools`, `approvals`) or of the whole CLI. */
export function groupHelp(prefix: readonly string[]): string {
  const commands = COMMANDS.filter((command) => prefix.every((word, index) => command.path[index] === word));
  const lines = commands.map((command) => [['toolwright', ...command.path, positionalUsage(command)].filter((part) => part !== '').join(' '), command.summary] as const);
  const width = Math.max(...lines.map(([usage]) => usage.length));
  return [
    `Usage: toolwright ${prefix.length > 0 ? `${prefix.join(' ')} ` : ''}<command> [options]`,
    '',
    ...(prefix.length === 0 ? ['Run tasks with a self-improving agent, and inspect, diff, pin, roll back and approve what it changed about itself.', ''] : []),
    'Commands:',
    ...lines.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    '',
    'Every command takes:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    '`toolwright <command> --help` shows its options.',
    'Exit codes: 0 ok, 1 failed or refused, 2 wrong arguments, 3 not found, 4 queued for approval.',
    '',
  ].join('\n');
}
