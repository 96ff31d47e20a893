/** A stream the CLI writes to: `process.stdout`, or anything with `write(text)` in tests. */
export interface CliWritable {
  write(text: string): unknown;
}

/** Where {@link runCli} reads its environment and writes its output. */
export interface CliIo {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  /** Environment variables (`OPENAI_API_KEY`, `TOOLWRIGHT_DB`, ...). Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths (`--db sqlite:./x.db`, `--input`, `--out`) resolve against. Default: `process.cwd()`. */
  readonly cwd?: string;
}
