import { userInfo } from 'node:os';
import { z } from 'zod';

/** Options of {@link startConsole}. */
export const consoleOptionsSchema = z
  .object({
    /** The port to listen on; 0 picks a free one. Default 4780. */
    port: z.number().int().min(0).max(65_535).default(4780),
    /** The address to bind. Default 127.0.0.1: only this machine can reach the console. */
    host: z.string().min(1).default('127.0.0.1'),
    /** The access token (at least 16 characters); default: 32 random bytes, printed in the start URL. */
    token: z.string().min(16, 'the console token needs at least 16 characters').max(512).optional(),
    /** Who approves, rejects and flips the kill switch from this console, in the audit log. Default: the OS user. */
    person: z.string().min(1).max(200).optional(),
    /** How often to look for changes made by other processes while a page listens, in ms; 0 turns polling off. Default 1,000. */
    pollIntervalMs: z.number().int().min(0).max(3_600_000).default(1000),
    /** Host names (without port) a request may address, against DNS rebinding. Default: 127.0.0.1, localhost, [::1] and `host`. */
    allowedHosts: z.array(z.string().min(1)).optional(),
    /** The built front end; default: the `web` folder shipped in the package's dist. */
    assetsDir: z.string().min(1).optional(),
  })
  .strict();

/** See {@link consoleOptionsSchema}. */
export type ConsoleOptions = z.input<typeof consoleOptionsSchema>;

/** The OS user, else `$USER`, else `person`. */
export function defaultPerson(env: Readonly<Record<string, string | undefined>> = process.env): string {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry for the uid (some containers).
  }
  return env['USER'] ?? env['USERNAME'] ?? 'person';
}
