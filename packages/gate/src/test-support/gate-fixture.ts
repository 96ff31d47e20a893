import type { Change, ToolManifest } from '@toolwright/core';
import { createMemory, type MemoryStore } from '@toolwright/memory';
import { createRegistry, type RegistryStore } from '@toolwright/registry';
import { createRegressionRunner, type RegressionSuite } from '@toolwright/regression';
import { createPolicy, type PolicyConfig, type SafetyPolicy } from '@toolwright/safety-policy';
import type { IsolatedSandbox } from '@toolwright/sandbox';
import { openDatabase, type Database } from '@toolwright/store';
import { postgresBackend, sqliteBackend, type Backend, type TestDatabase } from '@toolwright/store/testing';
import { createGate, type Gate } from '../create-gate.js';

export { noticePostgresSkipped, POSTGRES_URL } from '@toolwright/store/testing';

/** The backends the gate's suite runs on. */
export const SQLITE: Backend<Database> = sqliteBackend(openDatabase, 'gate');
export const POSTGRES: Backend<Database> = postgresBackend(openDatabase, 'gate');

/** Every real part, on one database, and the gate over them. */
export interface GateFixture {
  readonly database: Database;
  readonly memory: MemoryStore;
  readonly registry: RegistryStore;
  readonly policy: SafetyPolicy;
  readonly regression: RegressionSuite;
  readonly gate: Gate;
  readonly test: TestDatabase<Database>;
  close(): Promise<void>;
}

/** Opens the parts on a fresh database of `backend`, with `policy` options. The sandbox is the caller's (one per test file). */
export async function openGate(backend: Backend<Database>, sandbox: IsolatedSandbox, policy: Omit<PolicyConfig, 'database' | 'audit'> = {}): Promise<GateFixture> {
  const test = await backend.create();
  const database = test.db;
  const memory = await createMemory({ database });
  const registry = await createRegistry({ database });
  const safety = await createPolicy({ ...policy, database, audit: memory });
  const regression = await createRegressionRunner({ sandbox, database });
  const gate = await createGate({ database, registry, policy: safety, memory, regression });
  return {
    database,
    memory,
    registry,
    policy: safety,
    regression,
    gate,
    test,
    async close() {
      await registry.close();
      await memory.close().catch(() => undefined);
      await test.cleanup();
    },
  };
}

/** A pure tool that sums its numbers, with examples. */
export const SUM_SOURCE = 'export default function sum({ values }: { values: number[] }): number {\n  return values.reduce((total, value) => total + value, 0);\n}\n';
export const WRONG_SUM_SOURCE = 'export default function sum({ values }: { values: number[] }): number {\n  return values.length;\n}\n';
export const FASTER_SUM_SOURCE = 'export default function sum({ values }: { values: number[] }): number {\n  let total = 0;\n  for (const value of values) total += value;\n  return total;\n}\n';

export function sumSpec(name = 'sum_values'): ToolManifest {
  return {
    name,
    description: 'Sums a list of numbers.',
    inputSchema: { type: 'object', properties: { values: { type: 'array', items: { type: 'number' } } }, required: ['values'] },
    language: 'ts',
    capabilities: [],
    examples: [
      { input: { values: [1, 2, 3] }, output: 6 },
      { input: { values: [10, -4] }, output: 6 },
    ],
  };
}

/** A create-tool change of the sum tool. */
export function createSum(origin: Change['origin'], source = SUM_SOURCE, name = 'sum_values'): Extract<Change, { kind: 'create-tool' }> {
  return { kind: 'create-tool', origin, name, spec: sumSpec(name), source };
}

/** Everything that is in force or was ever written, to assert that nothing changed. */
export async function snapshot(fixture: GateFixture): Promise<unknown> {
  const bundle = await fixture.registry.exportBundle();
  return {
    versions: bundle.versions.map((version) => ({ name: version.name, version: version.version, status: version.status, pinned: version.pinned })),
    changeLog: (await fixture.registry.changeLog()).length,
    approvals: (await fixture.policy.approvals.list()).map((approval) => ({ id: approval.id, status: approval.status })),
    learnedRules: (await fixture.policy.learnedRules()).map((rule) => rule.name),
  };
}
