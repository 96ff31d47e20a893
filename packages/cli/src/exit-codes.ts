import { ToolwrightError } from '@toolwright/core';

/**
 * The exit codes of the `toolwright` command. Scripts can rely on them; a code never changes
 * meaning.
 */
export const EXIT_CODES = {
  /** The command did what was asked. */
  ok: 0,
  /** The operation failed or was refused (policy denial, pinned artifact, kill switch, invalid bundle, model failure, a task the model cannot solve). */
  failed: 1,
  /** Wrong arguments: unknown command or option, missing or malformed argument, unreadable input file, bad `--db` URL. */
  usage: 2,
  /** Something named does not exist: tool, version, approval request, database. */
  notFound: 3,
  /** The change was not made: the safety policy queued it for a person to approve. */
  queued: 4,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'STORAGE_BAD_URL']);
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['REGISTRY_NOT_FOUND', 'POLICY_APPROVAL_NOT_FOUND', 'STORAGE_NOT_FOUND', 'STORAGE_DATABASE_NOT_FOUND', 'ROLLOUT_NOT_FOUND']);

/** The exit code an error ends the command with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!ToolwrightError.isInstance(error)) return EXIT_CODES.failed;
  if (USAGE_CODES.has(error.code)) return EXIT_CODES.usage;
  if (NOT_FOUND_CODES.has(error.code)) return EXIT_CODES.notFound;
  if (error.code === 'POLICY_APPROVAL_REQUIRED') return EXIT_CODES.queued;
  return EXIT_CODES.failed;
}
