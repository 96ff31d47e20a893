import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright preferences …` on a real SQLite database: a person lists, adds, edits and deletes
// one user's preferences; another user's stay untouched.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-preferences-'));
const db = `sqlite:${join(directory, 'preferences.sqlite')}`;
const run = (...argv: string[]) => cli([...argv, '--db', db], { cwd: directory });

beforeAll(async () => {
  const tw = await createToolwright({ database: db, improve: false, reflect: false, shadow: false });
  try {
    await tw.preferences.add('bob', { text: 'Use bullet points.' });
  } finally {
    await tw.close();
  }
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('toolwright preferences', () => {
  it('adds, lists, edits and deletes one user’s preferences, and refuses unknown ids and other users’', async () => {
    const added = await run('preferences', 'add', 'ana', 'Answer in Spanish.', '--json');
    expect(added.code, added.stderr).toBe(EXIT_CODES.ok);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    const listed = await run('preferences', 'list', 'ana');
    expect(listed.stdout).toContain('Answer in Spanish.');
    expect(listed.stdout).toContain('explicit');
    expect((await run('preferences', 'edit', 'ana', id, 'Answer in Catalan.')).stdout).toBe(`Preference ${id} of ana now reads: Answer in Catalan.\n`);
    // bob cannot touch ana's preference, even with its id.
    expect((await run('preferences', 'delete', 'bob', id)).code).toBe(EXIT_CODES.notFound);
    expect((await run('preferences', 'users')).stdout).toMatch(/ana\s+1[\s\S]*bob\s+1/);
    expect((await run('preferences', 'add', 'ana', 'x'.repeat(501))).code).toBe(EXIT_CODES.usage);
    expect((await run('preferences', 'delete', 'ana', id)).code).toBe(EXIT_CODES.ok);
    expect((await run('preferences', 'list', 'ana')).stdout).toBe('User ana has no stored preference.\n');
    expect((await run('preferences', 'list', 'bob')).stdout).toContain('Use bullet points.');
  });
});
