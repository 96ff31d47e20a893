import type { ToolManifest } from '@toolwright/core';
import { createToolwright, type Toolwright } from 'toolwright';
import { FARES } from './data/fares.js';

/** One canary of scenario C, as it went. */
export interface CanaryRow {
  readonly rewrite: string;
  readonly baseline: number;
  readonly candidate: number;
  /** The candidate's shares, in the order it served them (`10 % → 50 % → 100 %`). */
  readonly shares: readonly number[];
  /** `completed` (it serves every call) or `rolled-back` (the gate made the baseline active again). */
  readonly status: string;
  readonly calls: { readonly baseline: number; readonly candidate: number };
  readonly successRate: { readonly baseline: number | undefined; readonly candidate: number | undefined };
  /** What the gate recorded: `widen-rollout.applied`, `rollback.applied`. */
  readonly gateActions: readonly string[];
  readonly reason: string;
  /** The active version once the canary ended. */
  readonly activeAfter: number | undefined;
}

/** The bandit of scenario C: two strategies, their pulls and measured success. */
export interface BanditRow {
  readonly strategy: string;
  readonly pulls: number;
  readonly successRate: number;
}

/** Everything scenario C showed. */
export interface RolloutReport {
  readonly canaries: readonly CanaryRow[];
  readonly bandit: { readonly taskType: string; readonly rows: readonly BanditRow[]; readonly chosen: string };
}

const fareSpec = (name: string, description: string): ToolManifest => ({
  name,
  description,
  inputSchema: {
    type: 'object',
    properties: { fares: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] } } },
    required: ['fares'],
  },
  language: 'ts',
  capabilities: [],
  examples: [
    { input: { fares: [{ price: 120.5 }, { price: 310 }] }, output: 430.5 },
    { input: { fares: [{ price: 299.99 }, { price: 75 }, { price: 42 }] }, output: 416.99 },
  ],
});

const TOTAL_SPEC = fareSpec('total_fares', 'The total of a list of fares, to the cent.');
const V1 = 'export default function totalFares({ fares }: { fares: { price: number }[] }): number {\n  return Math.round(fares.reduce((sum, fare) => sum + fare.price, 0) * 100) / 100;\n}\n';
/** The rewrite: the same answers, summed in whole cents. */
const V2 = 'export default function totalFares({ fares }: { fares: { price: number }[] }): number {\n  let cents = 0;\n  for (const fare of fares) cents += Math.round(fare.price * 100);\n  return cents / 100;\n}\n';
/**
 * Deliberately worse: a fast path that refuses itineraries of more than five fares. Every
 * regression case so far (the examples, and the calls captured while at most five fares came
 * in) passes, so the gate promotes it; live traffic with longer itineraries is what it fails.
 */
const V3 = "export default function totalFares({ fares }: { fares: { price: number }[] }): number {\n  if (fares.length > 5) throw new Error('too many fares for the fast path');\n  let cents = 0;\n  for (const fare of fares) cents += Math.round(fare.price * 100);\n  return cents / 100;\n}\n";

/** Two strategies for the same task, as two tools: round once at the end, or add the raw floats. */
const ROUNDED = 'export default function totalRounded({ fares }: { fares: { price: number }[] }): number {\n  return Math.round(fares.reduce((sum, fare) => sum + fare.price, 0) * 100) / 100;\n}\n';
const RAW = 'export default function totalRaw({ fares }: { fares: { price: number }[] }): number {\n  return fares.reduce((sum, fare) => sum + fare.price, 0);\n}\n';

/** The i-th task's fares: 2 to `most` of the bundled fares, rotating. */
function faresOf(index: number, most = 5): { price: number }[] {
  const count = 2 + (index % (most - 1));
  return Array.from({ length: count }, (_, offset) => ({ price: (FARES[(index + offset) % FARES.length] as { price: number }).price }));
}

const truthOf = (fares: readonly { price: number }[]): number => fares.reduce((cents, fare) => cents + Math.round(fare.price * 100), 0) / 100;

async function rewriteAsCanary(tw: Toolwright, label: string, source: string, mostFares: number, progress: (line: string) => void): Promise<CanaryRow> {
  const fromVersion = (await tw.registry.active('total_fares'))?.version ?? 1;
  const outcome = await tw.gate.propose({ kind: 'rewrite-tool', origin: 'agent', name: 'total_fares', fromVersion, spec: TOTAL_SPEC, source }, { reason: label });
  if (outcome.status !== 'applied') throw new Error(`the rewrite "${label}" was not applied: ${outcome.summary}`);
  const [experiment] = await tw.rollout.experiments({ status: ['running'], artifact: 'total_fares' });
  if (experiment === undefined) throw new Error('the rewrite did not start as a canary');
  progress(`    ${label}: v${outcome.version?.version} starts as a canary at ${Math.round((experiment.allocation['candidate'] ?? 0) * 100)} % of the calls`);
  const shares = [experiment.allocation['candidate'] ?? 0];
  let status: string = experiment.status;
  let reason = '';
  for (let look = 0, task = 0; look < 100 && status === 'running'; look++) {
    for (let call = 0; call < 60; call++, task++) await tw.call('total_fares', { fares: faresOf(task, mostFares) }, { taskId: `${experiment.id}-task-${task}` });
    const [step] = await tw.experiments.tick();
    if (step === undefined) break;
    status = step.experiment.status;
    if (step.action !== 'none') {
      reason = step.reason;
      progress(`    look ${look + 1}: ${step.action} — ${step.reason.slice(0, 140)}`);
    }
    const share = step.experiment.allocation['candidate'] ?? 0;
    if (step.action === 'widened' || step.action === 'completed') shares.push(share);
  }
  const report = await tw.rollout.report(experiment.id);
  const figures = (arm: string) => report.arms.find((entry) => entry.arm === arm)?.figures;
  const audit = await tw.memory.auditLog({ artifact: 'total_fares' });
  const gateActions = audit
    .filter((entry) => entry.action === 'widen-rollout.applied' || entry.action === 'rollback.applied')
    .filter((entry) => entry.evidence['experimentId'] === experiment.id || entry.reason.includes(experiment.id))
    .map((entry) => entry.action)
    .reverse();
  return {
    rewrite: label,
    baseline: report.arms[0]?.version ?? 0,
    candidate: report.arms[1]?.version ?? 0,
    shares,
    status,
    calls: { baseline: figures('baseline')?.calls ?? 0, candidate: figures('candidate')?.calls ?? 0 },
    successRate: { baseline: figures('baseline')?.successRate, candidate: figures('candidate')?.successRate },
    gateActions,
    reason,
    activeAfter: (await tw.registry.active('total_fares'))?.version,
  };
}

/**
 * Scenario C — live experiments, on an in-memory database of its own: a rewrite rolled out by
 * canary (10 → 50 → 100 %, each step a `widen-rollout` through the gate), a deliberately worse
 * rewrite rolled back on its own (a `rollback` through the gate, with the evidence), and a
 * Thompson-sampling bandit that learns which of two strategies answers exactly.
 */
export async function runRollout(progress: (line: string) => void): Promise<RolloutReport> {
  // The canaries are judged on success: the latency half of the test runs on real timings, which a
  // loaded machine turns into noise (a slower sandbox call is not a slower tool), so it tolerates anything here.
  const tw = await createToolwright({ database: 'sqlite::memory:', improve: false, reflect: false, rollout: { canary: { latencyTolerance: 100 }, tickMs: 0 } });
  try {
    const installed = await tw.gate.propose({ kind: 'create-tool', origin: 'person', name: 'total_fares', spec: TOTAL_SPEC, source: V1 }, { by: 'demo-operator', reason: 'installed by the demo' });
    if (installed.status !== 'applied') throw new Error(`installing total_fares failed: ${installed.summary}`);
    // Itineraries of up to five fares while the first rewrite rolls out; longer ones arrive later.
    const better = await rewriteAsCanary(tw, 'whole-cent rewrite', V2, 5, progress);
    const worse = await rewriteAsCanary(tw, 'fast-path rewrite (worse)', V3, 8, progress);

    progress('    bandit: round at the end, or add the raw floats? (Thompson sampling, per task type)');
    for (const [name, source] of [
      ['total_rounded', ROUNDED],
      ['total_raw', RAW],
    ] as const) {
      const outcome = await tw.gate.propose({ kind: 'create-tool', origin: 'person', name, spec: { ...fareSpec(name, 'The total of a list of fares.'), examples: [] }, source }, { by: 'demo-operator' });
      if (outcome.status !== 'applied') throw new Error(`installing ${name} failed: ${outcome.summary}`);
    }
    const arms = ['total_rounded', 'total_raw'];
    const taskType = 'total-fares';
    for (let task = 0; task < 300; task++) {
      const choice = tw.rollout.selectArm(taskType, arms, { callKey: `bandit-task-${task}` });
      const fares = faresOf(task, 8);
      const call = await tw.call(choice.arm, { fares }, { taskId: `bandit-task-${task}` });
      tw.rollout.recordArm(choice, { success: call.ok && call.output === truthOf(fares), latencyMs: call.durationMs });
    }
    const counts = tw.rollout.banditCounts(taskType);
    const rows = arms.map((strategy) => {
      const arm = counts[strategy];
      const pulls = (arm?.successes ?? 0) + (arm?.failures ?? 0);
      return { strategy, pulls, successRate: pulls === 0 ? 0 : (arm?.successes ?? 0) / pulls };
    });
    const chosen = [...rows].sort((a, b) => b.pulls - a.pulls)[0]?.strategy ?? '';
    return { canaries: [better, worse], bandit: { taskType, rows, chosen } };
  } finally {
    await tw.close();
  }
}
