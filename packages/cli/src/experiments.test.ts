import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolManifest } from '@toolwright/core';
import { createToolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { cli } from './test-support/run-in-process.js';

// `toolwright experiments list|show|stop` and the per-arm part of `report`, in-process on a real
// SQLite database where a rewrite runs as a canary (createToolwright's rollout.canary).

const directory = mkdtempSync(join(tmpdir(), 'toolwright-cli-experiments-'));
const db = `sqlite:${join(directory, 'experiments.db')}`;
const run = (...argv: string[]) => cli([...argv, '--db', db], { cwd: directory });
let canaryId: string;

const spec: ToolManifest = {
  name: 'sum_values',
  description: 'Sums a list of numbers.',
  inputSchema: { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } }, required: ['values'] },
  language: 'ts',
  capabilities: [],
  examples: [{ input: { values: [1, 2, 3] }, output: 6 }],
};
const SUM = 'export default function sum({ values }: { values: number[] }): number {\n  return values.reduce((total, value) => total + value, 0);\n}\n';
const LOOP_SUM = 'export default function sum({ values }: { values: number[] }): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return total;\n}\n';

beforeAll(async () => {
  const tw = await createToolwright({ database: db, improve: false, reflect: false, rollout: { canary: { share: 0.5 }, tickMs: 0 } });
  try {
    expect((await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'sum_values', spec, source: SUM }, { by: 'integrator' })).status).toBe('applied');
    expect((await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'sum_values', fromVersion: 1, spec, source: LOOP_SUM }, { reason: 'loop' })).status).toBe('applied');
    for (let call = 0; call < 30; call++) await tw.call('sum_values', { values: [call, 1] }, { taskId: `task-${call}` });
    await tw.experiments.tick();
    canaryId = (await tw.rollout.experiments())[0]?.id as string;
  } finally {
    await tw.close();
  }
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('toolwright experiments', () => {
  it('lists the live canary with its arms and shares, as a table and as JSON', async () => {
    const json = await run('experiments', 'list', '--json');
    expect(json.code).toBe(EXIT_CODES.ok);
    expect(json.json()).toMatchObject([{ id: canaryId, kind: 'canary', artifact: 'sum_values', status: 'running', allocation: { baseline: 0.5, candidate: 0.5 } }]);
    const table = await run('experiments', 'list');
    expect(table.stdout).toMatch(/^ID +KIND +TOOL +STATUS +ARMS/);
    expect(table.stdout).toContain('v1 50.0% / v2 50.0%');
    expect((await run('experiments', 'list', '--status', 'completed')).stdout).toBe('No experiments with status completed.\n');
    expect((await run('experiments', 'list', '--tool', 'other_tool', '--json')).json()).toEqual([]);
  });

  it('shows one experiment: per-arm figures and its history', async () => {
    const json = (await run('experiments', 'show', canaryId, '--json')).json();
    expect(json.arms.map((arm: { arm: string; version: number }) => [arm.arm, arm.version])).toEqual([
      ['baseline', 1],
      ['candidate', 2],
    ]);
    const calls = json.arms.reduce((total: number, arm: { figures: { calls: number } }) => total + arm.figures.calls, 0);
    expect(calls).toBe(30);
    expect(json.events.map((event: { event: string }) => event.event)).toEqual(['started']);
    const text = await run('experiments', 'show', canaryId);
    expect(text.stdout).toContain(`experiment ${canaryId}: canary on sum_values, running`);
    expect(text.stdout).toMatch(/ARM +VERSION +SHARE +CALLS +SUCCESS +MEAN LATENCY/);
    expect(text.stdout).toMatch(/candidate +v2 +50\.0% +\d+ +100\.0%/);
  });

  it('report lists the live experiment per arm, with the same figures', async () => {
    const report = (await run('report', '--tool', 'sum_values', '--json')).json();
    expect(report.arms.map((arm: { arm: string; version: number; share: number }) => [arm.arm, arm.version, arm.share])).toEqual([
      ['baseline', 1, 0.5],
      ['candidate', 2, 0.5],
    ]);
    expect(report.arms.reduce((total: number, arm: { calls: number }) => total + arm.calls, 0)).toBe(30);
    const versions = report.versions.map((row: { version: number; calls: number }) => [row.version, row.calls > 0]);
    expect(versions).toEqual([
      [1, true],
      [2, true],
    ]);
    expect((await run('report')).stdout).toContain('Live experiments, per arm');
  });

  it('refuses a bad status and an unknown id with coded exits', async () => {
    const bad = await run('experiments', 'list', '--status', 'bogus');
    expect(bad.code).toBe(EXIT_CODES.usage);
    expect(bad.stderr).toContain('--status must be live, all or one of');
    const unknown = await run('experiments', 'show', 'no-such-id');
    expect(unknown.code).toBe(EXIT_CODES.notFound);
    expect(unknown.stderr).toContain('No experiment has id no-such-id');
  });

  it('stops the canary: rolled back to the baseline through the gate, audited; stopping it again is refused', async () => {
    const stopped = await run('experiments', 'stop', canaryId, '--by', 'ada', '--note', 'seen enough', '--json');
    expect(stopped.code, stopped.stderr).toBe(EXIT_CODES.ok);
    expect(stopped.json()).toMatchObject({ action: 'rolled-back', experiment: { status: 'rolled-back' } });
    const tw = await createToolwright({ database: db, improve: false, rollout: { tickMs: 0 } });
    try {
      expect((await tw.registry.active('sum_values'))?.version).toBe(1);
      const entry = (await tw.memory.auditLog({ artifact: 'sum_values' })).find((candidate) => candidate.action === 'rollback.applied');
      expect(entry?.actor).toEqual({ kind: 'person', id: 'ada' });
    } finally {
      await tw.close();
    }
    const again = await run('experiments', 'stop', canaryId);
    expect(again.code).toBe(EXIT_CODES.failed);
    expect(again.stderr).toContain('already ended');
    expect((await run('experiments', 'list')).stdout).toBe('No experiments with status live.\n');
  });
});
