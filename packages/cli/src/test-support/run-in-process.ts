import { runCli } from '../run-cli.js';

/** What one in-process run of the CLI printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = any>(): T; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Runs `toolwright <argv>` in-process with captured output, in `cwd`. */
export async function cli(argv: readonly string[], options: { readonly cwd: string; readonly env?: Record<string, string | undefined> }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    cwd: options.cwd,
  });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
