import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FlakyService, flakyServicePrice, startFlakyService } from '@toolwright/core/testing';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/command-list.js';
import { EXIT_CODES } from './exit-codes.js';
import { makeFixtureDatabase } from './test-support/fixture-database.js';
import { cli } from './test-support/run-in-process.js';

// End to end on a real SQLite database made by running the agent (see fixture-database.ts),
// every command driven in-process through runCli. The tests run in order on one database.

const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-'));
let service: FlakyService;
let db: string;
let runs: readonly any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
const run = (...argv: string[]) => cli([...argv, '--db', db], { cwd: directory });

async function auditOf(artifact?: string) {
  const tw = await createToolwright({ database: db, improve: false });
  try {
    return await tw.memory.auditLog(artifact === undefined ? {} : { artifact });
  } finally {
    await tw.close();
  }
}

beforeAll(async () => {
  // A quote service that answers every other request (the first included) with 429.
  service = await startFlakyService({ schedule: (_request, index) => (index % 2 === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }) });
  ({ db, runs } = await makeFixtureDatabase(directory, service));
});
afterAll(async () => {
  await service?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('toolwright run', () => {
  it('writes a tool with the offline model on the first run and reuses it on the second', () => {
    expect(runs[0]).toMatchObject({ createdTools: ['sum_fares_price'], reusedTools: [], tokens: { input: 0, output: 0 }, solved: true, model: 'offline:offline-synthesis' });
    expect(runs[0].output).toBeCloseTo(590.59, 6);
    expect(runs[1]).toMatchObject({ createdTools: [], reusedTools: ['sum_fares_price'] });
  });

  it('prints the answer and what it built for a person', async () => {
    writeFileSync(join(directory, 'more-fares.json'), JSON.stringify({ fares: [{ price: 5 }, { price: 6 }] }));
    const result = await run('run', 'Total the fares', '--input', 'more-fares.json', '--examples', 'examples.json');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout.split('\n')[0]).toBe('11');
    expect(result.stdout).toMatch(/reused: +sum_fares_price/);
  });

  it('exits 1 when the offline model cannot solve the task, and writes no tool', async () => {
    writeFileSync(join(directory, 'odd.json'), JSON.stringify([{ input: { fares: [{ price: 1 }] }, output: 'seven' }, { input: { fares: [{ price: 2 }] }, output: 'nine' }]));
    const result = await run('run', 'Name the fares', '--input', 'fares.json', '--examples', 'odd.json');
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stderr).toContain('cannot solve this task');
    expect((await run('tools', 'list', '--json')).json().map((tool: { name: string }) => tool.name)).toEqual(['get_quote', 'get_rate', 'sum_fares_price']);
  });

  it('refuses wrong arguments with a one-line error and the usage (exit 2)', async () => {
    const missingFile = await run('run', 'Total the fares', '--input', 'nope.json');
    expect(missingFile.code).toBe(EXIT_CODES.usage);
    expect(missingFile.stderr.split('\n')[0]).toMatch(/^toolwright run: --input nope\.json: cannot read .* \(no such file\)\.$/);
    expect(missingFile.stderr).toContain('Usage: toolwright run <task> [options]');
    writeFileSync(join(directory, 'broken.json'), '{ not json');
    expect((await run('run', 'x', '--examples', 'broken.json')).code).toBe(EXIT_CODES.usage);
    expect((await run('run')).stderr.split('\n')[0]).toBe('toolwright run: missing <task>.');
    expect((await run('run', 'x', '--base-url', 'http://127.0.0.1:1/v1')).code).toBe(EXIT_CODES.usage);
    const unknown = await run('run', 'x', '--frobnicate');
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr.split('\n')[0]).toBe("toolwright run: unknown option '--frobnicate'.");
  });

  it('needs OPENAI_API_KEY or --base-url for --model (a usage error before any request)', async () => {
    const result = await run('run', 'Total the fares', '--model', 'gpt-4o-mini', '--json');
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.json().error.code).toBe('INVALID_ARGUMENT');
    expect(result.stderr.split('\n')[0]).toBe('toolwright run: --model needs OPENAI_API_KEY in the environment, or --base-url <url> for a local OpenAI-compatible server.');
    // An empty key (a .env template's) is no key.
    const empty = await cli(['run', 'Total the fares', '--model', 'gpt-4o-mini', '--db', db], { cwd: directory, env: { OPENAI_API_KEY: '' } });
    expect(empty.code).toBe(EXIT_CODES.usage);
    expect(empty.stderr.split('\n')[0]).toContain('--model needs OPENAI_API_KEY');
  });
});

describe('toolwright tools', () => {
  it('lists the tools with their active version and waiting candidates', async () => {
    const tools = (await run('tools', 'list', '--json')).json();
    expect(tools).toEqual([
      expect.objectContaining({ name: 'get_quote', activeVersion: 1, versions: 2, candidates: [2], pinned: false }),
      expect.objectContaining({ name: 'get_rate', activeVersion: null, versions: 1, candidates: [1] }),
      expect.objectContaining({ name: 'sum_fares_price', activeVersion: 1, versions: 1, candidates: [], author: { kind: 'model', id: 'offline-synthesis' } }),
    ]);
    const table = (await run('tools', 'list')).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +ACTIVE +VERSIONS +CANDIDATES +PINNED/);
    expect(table[1]).toMatch(/^get_quote +v1 +2 +v2 +no/);
  });

  it('shows a version: the active one by default, or --version n', async () => {
    const active = (await run('tools', 'show', 'get_quote', '--json')).json();
    expect(active).toMatchObject({ name: 'get_quote', version: 1, status: 'active' });
    const shown = await run('tools', 'show', 'get_quote', '--version', '2');
    expect(shown.code).toBe(EXIT_CODES.ok);
    expect(shown.stdout).toMatch(/^get_quote v2 {2}\(candidate\)/);
    expect(shown.stdout).toContain('author:      transform:');
    expect(shown.stdout).toContain('fetchWithRetry');
    expect((await run('tools', 'show', 'nope')).code).toBe(EXIT_CODES.notFound);
    expect((await run('tools', 'show', 'get_quote', '--version', '9')).code).toBe(EXIT_CODES.notFound);
    expect((await run('tools', 'show', 'get_quote', '--version', 'two')).code).toBe(EXIT_CODES.usage);
  });

  it('shows the history and the change log', async () => {
    const history = (await run('tools', 'history', 'get_quote', '--json')).json();
    expect(history.versions.map((version: { version: number; status: string }) => [version.version, version.status])).toEqual([
      [1, 'active'],
      [2, 'candidate'],
    ]);
    expect(history.changes.map((change: { type: string }) => change.type)).toEqual(['registered', 'promoted', 'registered']);
    const table = await run('tools', 'history', 'get_quote');
    expect(table.stdout).toMatch(/v2 +candidate +no +v1 +transform:/);
    expect((await run('tools', 'history', 'nope')).code).toBe(EXIT_CODES.notFound);
  });

  it('diffs two versions', async () => {
    const result = await run('tools', 'diff', 'get_quote', '1', '2');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toMatch(/^\+.*fetchWithRetry/m);
    expect(result.stdout).toMatch(/^-.*await fetch\(/m);
    expect((await run('tools', 'diff', 'get_quote', '1', '2', '--json')).json()).toMatchObject({ name: 'get_quote', from: 1, to: 2 });
    expect((await run('tools', 'diff', 'get_quote', '1', '7')).code).toBe(EXIT_CODES.notFound);
    expect((await run('tools', 'diff', 'get_quote', '1')).stderr.split('\n')[0]).toBe('toolwright tools diff: missing <b>.');
    expect((await run('tools', 'diff', 'get_quote', '1', '2', '3')).stderr.split('\n')[0]).toBe('toolwright tools diff: unexpected argument "3".');
  });
});

describe('toolwright approvals', () => {
  let quoteApproval: string;
  let rateApproval: string;

  it('lists the changes waiting for a person', async () => {
    const approvals = (await run('approvals', 'list', '--json')).json();
    expect(approvals).toHaveLength(2);
    expect(approvals[0]).toMatchObject({ status: 'proposed', change: { kind: 'rewrite-tool', name: 'get_quote', fromVersion: 1 } });
    // A network rewrite that needs a person has not run with its capabilities yet.
    expect(approvals[0].evidence.verdict).toBeUndefined();
    expect(approvals[1]).toMatchObject({ status: 'proposed', change: { kind: 'create-tool', name: 'get_rate' } });
    quoteApproval = approvals[0].id;
    rateApproval = approvals[1].id;
    const table = await run('approvals', 'list');
    expect(table.stdout).toContain(`${quoteApproval}  proposed  rewrite-tool get_quote (from v1)`);
    expect((await run('approvals', 'list', '--status', 'maybe')).code).toBe(EXIT_CODES.usage);
  });

  it('shows one request with its evidence', async () => {
    const shown = await run('approvals', 'show', quoteApproval);
    expect(shown.stdout).toContain('verdict:   not run yet');
    expect(shown.stdout).toContain('fetchWithRetry');
    expect((await run('approvals', 'show', 'no-such-id')).code).toBe(EXIT_CODES.notFound);
  });

  it('approves: the candidate is promoted through the registry and the person is in the audit log', async () => {
    const result = await run('approvals', 'approve', quoteApproval, '--by', 'alice', '--note', 'retry with backoff looks right', '--allow', service.origin);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toBe(`Approved ${quoteApproval} (rewrite-tool get_quote (from v1)) by alice: get_quote v2 is now active.\n`);
    expect((await run('tools', 'show', 'get_quote', '--json')).json()).toMatchObject({ version: 2, status: 'active' });
    const audit = await auditOf('get_quote');
    expect(audit).toContainEqual(expect.objectContaining({ actor: { kind: 'person', id: 'alice' }, action: 'rewrite-tool.applied', toVersion: 2, evidence: expect.objectContaining({ approvalId: quoteApproval }) }));
    // The person's note is the promotion's reason in the registry's change log.
    expect((await run('tools', 'history', 'get_quote', '--json')).json().changes.at(-1)).toMatchObject({ type: 'promoted', version: 2, reason: expect.stringContaining('retry with backoff looks right') });
    expect((await run('approvals', 'list', '--status', 'applied', '--json')).json()).toMatchObject([{ id: quoteApproval, decidedBy: 'alice', appliedBy: 'alice' }]);
  });

  it('approving an applied request again changes nothing (exit 0), and an unknown id is exit 3', async () => {
    const again = await run('approvals', 'approve', quoteApproval, '--json');
    expect(again.code).toBe(EXIT_CODES.ok);
    expect(again.json()).toMatchObject({ done: true, status: 'applied', summary: expect.stringContaining('already applied') });
    expect((await run('approvals', 'approve', 'no-such-id')).code).toBe(EXIT_CODES.notFound);
  });

  it('rejects: the candidate it carried is marked rejected, by the OS user by default', async () => {
    const result = await run('approvals', 'reject', rateApproval, '--json');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.json()).toMatchObject({ done: true, by: userInfo().username, approval: { status: 'rejected', decidedBy: userInfo().username } });
    expect((await run('tools', 'history', 'get_rate', '--json')).json().versions).toMatchObject([{ version: 1, status: 'rejected' }]);
    expect((await run('approvals', 'list', '--json')).json()).toEqual([]);
    expect((await run('approvals', 'list')).stdout).toBe('No approval requests with status proposed.\n');
  });
});

describe('toolwright report', () => {
  it('reports success rate, latency and score per tool and version', async () => {
    // A generous run deadline: v2 retries 429s with backoff, which a loaded machine can stretch past the default 1 s.
    await createToolwright({ database: db, improve: false, network: { allow: [service.origin] }, sandbox: { timeoutMs: 15_000 } }).then(async (tw) => {
      try {
        for (const key of ['ams', 'ber', 'cph', 'dub']) await tw.call('get_quote', { key });
      } finally {
        await tw.close();
      }
    });
    const report = (await run('report', '--json')).json();
    const row = (tool: string, version: number) => report.versions.find((entry: { tool: string; version: number }) => entry.tool === tool && entry.version === version);
    expect(row('get_quote', 1)).toMatchObject({ status: 'retired', calls: 6, successRate: 0.5 });
    expect(row('get_quote', 2)).toMatchObject({ status: 'active', calls: 4, successRate: 1 });
    expect(row('get_quote', 2).score).toBeGreaterThan(row('get_quote', 1).score);
    expect(row('get_quote', 1).latency.p95).toBeGreaterThanOrEqual(row('get_quote', 1).latency.p50);
    expect(row('sum_fares_price', 1)).toMatchObject({ calls: 3, successRate: 1 });
    expect(row('get_rate', 1)).toMatchObject({ calls: 0, successRate: null, score: null });
    const table = (await run('report', '--tool', 'get_quote')).stdout.split('\n');
    expect(table[0]).toMatch(/^TOOL +VERSION +STATUS +CALLS +SUCCESS +P50 +P95 +SCORE +HEALTH$/);
    expect(table[1]).toMatch(/^get_quote +v1 +retired +6 +50\.0% +\S+ ms +\S+ ms +\d\.\d\d/);
    expect(table[2]).toMatch(/^get_quote +v2 +active +4 +100\.0%/);
    expect((await run('report', '--tool', 'nope')).code).toBe(EXIT_CODES.notFound);
  });
});

describe('toolwright run --allow', () => {
  it('grants network origins, so the offline model reuses the network tool that reproduces the examples', async () => {
    writeFileSync(join(directory, 'quote.json'), JSON.stringify({ key: 'lis' }));
    writeFileSync(join(directory, 'quote-examples.json'), JSON.stringify(['ams', 'ber'].map((key) => ({ input: { key }, output: flakyServicePrice(key) }))));
    const args = ['run', 'Quote a key', '--input', 'quote.json', '--examples', 'quote-examples.json', '--json'];
    const withoutNetwork = await run(...args);
    expect(withoutNetwork.code).toBe(EXIT_CODES.failed);
    expect(withoutNetwork.json()).toMatchObject({ solved: false, reusedTools: [] });
    const allowed = await run(...args, '--allow', service.origin);
    expect(allowed.code).toBe(EXIT_CODES.ok);
    expect(allowed.json()).toMatchObject({ solved: true, output: flakyServicePrice('lis'), reusedTools: ['get_quote'], createdTools: [] });
    expect((await run('run', 'x', '--allow', '')).code).toBe(EXIT_CODES.usage);
  });
});

describe('person actions: rollback, pin, kill switch', () => {
  it('rolls back and forward again, audited with the person as actor', async () => {
    const back = await run('tools', 'rollback', 'get_quote', '1', '--by', 'bob', '--note', 'v2 misbehaves');
    expect(back.code).toBe(EXIT_CODES.ok);
    expect(back.stdout).toBe('get_quote: v2 → v1 (now active), by bob.\n');
    expect((await run('tools', 'show', 'get_quote', '--json')).json()).toMatchObject({ version: 1, status: 'active' });
    const forward = await run('tools', 'rollback', 'get_quote', '2', '--by', 'bob', '--json');
    expect(forward.json()).toMatchObject({ done: true, by: 'bob', from: 1, active: 2, changed: true });
    const unchanged = await run('tools', 'rollback', 'get_quote', '2', '--json');
    expect(unchanged.json()).toMatchObject({ changed: false });
    const audit = await auditOf('get_quote');
    expect(audit).toContainEqual(expect.objectContaining({ actor: { kind: 'person', id: 'bob' }, action: 'rollback.applied', fromVersion: 2, toVersion: 1, reason: expect.stringContaining('v2 misbehaves') }));
    expect(audit).toContainEqual(expect.objectContaining({ actor: { kind: 'person', id: 'bob' }, action: 'rollback.applied', fromVersion: 1, toVersion: 2 }));
    // One history of each event: the gate's entry names the policy's ledger row; the policy writes none of its own.
    expect(audit.filter((entry) => entry.action === 'rollback.applied').every((entry) => typeof entry.evidence['ledgerId'] === 'string')).toBe(true);
    expect(audit.some((entry) => entry.action.startsWith('policy.allow'))).toBe(false);
    const changes = (await run('tools', 'history', 'get_quote', '--json')).json().changes.map((change: { type: string }) => change.type);
    expect(changes.slice(-2)).toEqual(['rolled-back', 'rolled-back']);
  });

  it('refuses a rollback to a version that was never active (exit 1) or does not exist (exit 3)', async () => {
    expect((await run('tools', 'rollback', 'get_rate', '1', '--json')).json().error.code).toBe('REGISTRY_INVALID_TRANSITION');
    expect((await run('tools', 'rollback', 'get_quote', '5')).code).toBe(EXIT_CODES.notFound);
  });

  it('pins and unpins; a pinned tool cannot be rolled back', async () => {
    expect((await run('tools', 'pin', 'get_quote', '--by', 'carol')).stdout).toBe('get_quote pinned by carol (at v2).\n');
    expect((await run('tools', 'list', '--json')).json()[0]).toMatchObject({ name: 'get_quote', pinned: true });
    const refused = await run('tools', 'rollback', 'get_quote', '1', '--json');
    expect(refused.code).toBe(EXIT_CODES.failed);
    expect(refused.json().error.code).toBe('REGISTRY_PINNED');
    expect((await run('tools', 'pin', 'get_quote', '--json')).json()).toMatchObject({ changed: false });
    expect((await run('tools', 'unpin', 'get_quote', '--by', 'carol')).code).toBe(EXIT_CODES.ok);
    expect((await run('tools', 'show', 'get_quote', '--json')).json().pinned).toBe(false);
    const actions = (await auditOf('get_quote')).filter((entry) => entry.actor.kind === 'person' && entry.actor.id === 'carol').map((entry) => entry.action);
    expect(actions.reverse()).toEqual(['pin.applied', 'unpin.applied']);
  });

  it('flips the kill switch; while it is on, a person\'s rollback is denied by the policy', async () => {
    expect((await run('kill-switch', 'status', '--json')).json()).toMatchObject({ engaged: false });
    const on = await run('kill-switch', 'on', '--reason', 'incident 42');
    expect(on.stdout).toMatch(/^kill switch: ON — no self-modification \(by \S+ at .*: incident 42\)\n$/);
    expect((await run('kill-switch', 'status', '--json')).json()).toMatchObject({ engaged: true, by: userInfo().username, reason: 'incident 42' });
    const denied = await run('tools', 'rollback', 'get_quote', '1', '--json');
    expect(denied.code).toBe(EXIT_CODES.failed);
    expect(denied.json()).toMatchObject({ done: false, status: 'denied', reasons: [expect.objectContaining({ rule: 'kill-switch' })] });
    expect((await run('tools', 'show', 'get_quote', '--json')).json().version).toBe(2);
    expect((await run('kill-switch', 'off', '--by', 'dana', '--json')).json()).toMatchObject({ engaged: false, by: 'dana' });
    expect((await run('kill-switch', 'maybe')).stderr.split('\n')[0]).toBe('toolwright kill-switch: <action> must be on, off, status; got "maybe".');
    const audit = await auditOf();
    expect(audit).toContainEqual(expect.objectContaining({ actor: { kind: 'person', id: 'dana' }, action: 'policy.kill-switch.release' }));
  });
});

describe('toolwright run while the kill switch is on', () => {
  it('answers from the program it could not register, says why on stderr, and registers nothing', async () => {
    writeFileSync(join(directory, 'count-input.json'), JSON.stringify({ fares: [{ price: 1 }, { price: 2 }, { price: 3 }] }));
    writeFileSync(
      join(directory, 'count-examples.json'),
      JSON.stringify([1, 2, 4].map((n) => ({ input: { fares: Array.from({ length: n }, (_, i) => ({ price: i + 1 })) }, output: n }))),
    );
    const before = (await run('tools', 'list', '--json')).json().map((tool: { name: string }) => tool.name);
    expect((await run('kill-switch', 'on', '--reason', 'freeze for the test')).code).toBe(EXIT_CODES.ok);
    try {
      const args = ['run', 'Count the fares', '--input', 'count-input.json', '--examples', 'count-examples.json'];
      const result = await run(...args);
      expect(result.code).toBe(EXIT_CODES.ok);
      expect(result.stdout).toContain('3');
      expect(result.stderr).toMatch(/^toolwright: answered without a new tool, because create_tool was refused \(.*kill-switch.*\); nothing was registered\.$/m);
      const json = (await run(...args, '--json')).json();
      expect(json).toMatchObject({ solved: true, createdTools: [], answeredWithoutTool: { refusal: expect.stringContaining('kill-switch') } });
      expect((await run('tools', 'list', '--json')).json().map((tool: { name: string }) => tool.name)).toEqual(before);
    } finally {
      await run('kill-switch', 'off');
    }
  });
});

describe('toolwright export / import', () => {
  it('exports a bundle and imports it into a new database with the same tools', async () => {
    const exported = await run('export', '--out', 'bundle.json', '--json');
    expect(exported.code).toBe(EXIT_CODES.ok);
    expect(exported.json()).toMatchObject({ artifacts: 3, versions: 4 });
    const bundle = JSON.parse(readFileSync(join(directory, 'bundle.json'), 'utf8'));
    expect(bundle.format).toBe('toolwright.bundle');
    const toStdout = await run('export');
    expect(JSON.parse(toStdout.stdout).versions).toEqual(bundle.versions);

    const copy = `sqlite:${join(directory, 'copy.db')}`;
    // Without the origin get_quote fetches from, its activation is outside the capability envelope.
    const closed = `sqlite:${join(directory, 'closed.db')}`;
    const withoutNetwork = (await cli(['import', 'bundle.json', '--db', closed, '--json'], { cwd: directory })).json();
    expect(withoutNetwork).toMatchObject({ done: true, imported: 4 });
    expect(withoutNetwork.activations).toEqual([
      expect.objectContaining({ status: 'denied', summary: expect.stringContaining('outside the capability envelope') }),
      expect.objectContaining({ status: 'applied', summary: expect.stringContaining('"sum_fares_price" v1 is active') }),
    ]);
    const imported = await cli(['import', 'bundle.json', '--db', copy, '--by', 'erin', '--allow', service.origin, '--json'], { cwd: directory });
    expect(imported.json()).toMatchObject({ imported: 4, skipped: 0, by: 'erin' });
    const tools = (await cli(['tools', 'list', '--json', '--db', copy], { cwd: directory })).json();
    expect(tools.map((tool: { name: string; activeVersion: number | null }) => [tool.name, tool.activeVersion])).toEqual([
      ['get_quote', 2],
      ['get_rate', null],
      ['sum_fares_price', 1],
    ]);
    const again = await cli(['import', 'bundle.json', '--db', copy, '--json'], { cwd: directory });
    expect(again.json()).toMatchObject({ imported: 0, skipped: 4 });
  });

  it('refuses a tampered bundle and writes nothing (exit 1)', async () => {
    const bundle = JSON.parse(readFileSync(join(directory, 'bundle.json'), 'utf8'));
    bundle.versions[0].source += '\n// tampered';
    writeFileSync(join(directory, 'tampered.json'), JSON.stringify(bundle));
    const fresh = `sqlite:${join(directory, 'fresh.db')}`;
    const result = await cli(['import', 'tampered.json', '--db', fresh, '--json'], { cwd: directory });
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.json().error.code).toBe('REGISTRY_BUNDLE_INVALID');
    expect((await cli(['tools', 'list', '--json', '--db', fresh], { cwd: directory })).json()).toEqual([]);
    expect((await run('import', 'missing.json')).code).toBe(EXIT_CODES.usage);
  });
});

describe('every command', () => {
  it.each(COMMANDS.map((command) => [command.path.join(' '), command] as const))('%s --help prints its usage and exits 0', async (_name, command) => {
    const result = await cli([...command.path, '--help'], { cwd: directory });
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout).toMatch(new RegExp(`^Usage: toolwright ${command.path.join(' ')}\\b`));
    expect(result.stdout).toContain('--db <url>');
    expect(result.stdout).toContain('--json');
  });

  it('prints the overview with --help, and the usage with exit 2 for no or an unknown command', async () => {
    const help = await cli(['--help'], { cwd: directory });
    expect(help.code).toBe(EXIT_CODES.ok);
    for (const command of COMMANDS) expect(help.stdout).toContain(`toolwright ${command.path.join(' ')}`);
    expect((await cli(['tools', '--help'], { cwd: directory })).stdout).toMatch(/^Usage: toolwright tools <command>/);
    const none = await cli([], { cwd: directory });
    expect(none.code).toBe(EXIT_CODES.usage);
    expect(none.stderr.split('\n')[0]).toBe('toolwright: no command given.');
    const unknown = await cli(['tools', 'frob'], { cwd: directory });
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr.split('\n')[0]).toBe('toolwright tools: unknown command `tools frob`.');
    expect(unknown.stderr).toContain('toolwright tools rollback <name> <version>');
  });

  it('uses sqlite:./toolwright.db in the working directory by default and never creates a database to read it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'toolwright-cli-empty-'));
    try {
      const missing = await cli(['tools', 'list', '--json'], { cwd: empty });
      expect(missing.code).toBe(EXIT_CODES.notFound);
      expect(missing.json().error.code).toBe('STORAGE_DATABASE_NOT_FOUND');
      expect(missing.stderr).toContain(join(empty, 'toolwright.db'));
      writeFileSync(join(empty, 'examples.json'), readFileSync(join(directory, 'examples.json')));
      writeFileSync(join(empty, 'fares.json'), readFileSync(join(directory, 'fares.json')));
      expect((await cli(['run', 'Total the fares', '--input', 'fares.json', '--examples', 'examples.json'], { cwd: empty })).code).toBe(EXIT_CODES.ok);
      expect((await cli(['tools', 'list', '--json'], { cwd: empty })).json()).toMatchObject([{ name: 'sum_fares_price' }]);
      expect((await cli(['tools', 'list', '--json'], { cwd: directory, env: { TOOLWRIGHT_DB: join(empty, 'toolwright.db') } })).json()).toHaveLength(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect((await cli(['tools', 'list', '--db', 'mysql://localhost/x'], { cwd: directory })).code).toBe(EXIT_CODES.usage);
  });
});
