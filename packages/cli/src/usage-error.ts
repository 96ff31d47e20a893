import { ValidationError } from '@toolwright/core';

/**
 * Wrong arguments on the command line: the CLI prints the message on one line, then the
 * usage of `command`, and exits with 2.
 */
export class UsageError extends ValidationError {
  /** The command path whose usage is printed, e.g. `tools diff`; empty for the top level. */
  readonly command: string;

  constructor(message: string, command: string) {
    super('INVALID_ARGUMENT', message, { details: { command } });
    this.command = command;
  }
}
