import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** Reads and parses a JSON file named on the command line; a missing or malformed file is a usage error. */
export async function readJsonFile(path: string, cwd: string, option: string, command: string): Promise<unknown> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`${option} ${path}: cannot read ${file} (${reason}).`, command);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${option} ${path}: ${file} is not valid JSON (${(error as Error).message}).`, command);
  }
}
