import type { LanguageModel, Toolwright, ToolwrightWorkerOptions } from 'toolwright';
import type { CliWritable } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';

/** An option of a command, in the shape `util.parseArgs` takes, plus its help text. */
export interface OptionDefinition {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Repeatable: every value is kept, in order (see `CommandContext.lists`). */
  readonly multiple?: boolean;
  readonly description: string;
  /** Shown in the usage, e.g. `<file>`. */
  readonly valueName?: string;
}

/** A positional argument of a command. */
export interface PositionalDefinition {
  readonly name: string;
  readonly optional?: boolean;
  /** When set, the argument must be one of these. */
  readonly choices?: readonly string[];
}

/** What a command's handler receives. */
export interface CommandContext {
  /** Parsed options by name (strings and booleans). */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  /** Values of repeatable options by name. */
  readonly lists: Readonly<Record<string, readonly string[] | undefined>>;
  /** Positional arguments by name. */
  readonly args: Readonly<Record<string, string | undefined>>;
  readonly json: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  /**
   * Opens Toolwright on `--db` (refusing a missing SQLite file unless the command creates one),
   * with the network origins of `--allow` when the command takes it.
   */
  open(extra?: OpenExtras): Promise<Toolwright>;
  /** The person acting: `--by`, else the OS user. */
  person(): string;
}

/** What a command may add when it opens Toolwright. */
export interface OpenExtras {
  readonly model?: LanguageModel;
  readonly improve?: boolean;
  /** Work the fleet's job queues (`toolwright worker`): `createToolwright({ worker })`. */
  readonly worker?: ToolwrightWorkerOptions;
}

/** One command of the CLI, e.g. `tools diff`. */
export interface CommandDefinition {
  /** The words that name it, e.g. `['tools', 'diff']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** More lines of help, printed after the summary. */
  readonly details?: string;
  readonly positionals: readonly PositionalDefinition[];
  readonly options: Readonly<Record<string, OptionDefinition>>;
  /** True for commands that may create the database (`run`, `import`). */
  readonly createsDatabase?: boolean;
  run(context: CommandContext): Promise<ExitCode>;
}
