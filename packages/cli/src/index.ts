/**
 * `@toolwright/cli`: the `toolwright` command — run tasks, inspect, diff, pin, roll back and
 * approve what a self-improving agent changed about itself, flip the kill switch, and move
 * its tools between databases. `runCli` drives it in-process.
 *
 * @packageDocumentation
 */
export { runCli } from './run-cli.js';
export type { CliIo, CliWritable } from './cli-io.js';
export { EXIT_CODES, exitCodeFor } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export { DEFAULT_DATABASE } from './database-location.js';
