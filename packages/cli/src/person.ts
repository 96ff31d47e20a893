import { userInfo } from 'node:os';

/** The OS user running the CLI: who acts when `--by` is not given. */
export function osUser(env: Readonly<Record<string, string | undefined>>): string {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // userInfo throws when the uid has no passwd entry (some containers); fall back to the environment.
  }
  return env['USER'] ?? env['USERNAME'] ?? 'unknown';
}
