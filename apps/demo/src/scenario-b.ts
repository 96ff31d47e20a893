import type { ArtifactVersion, ToolSummary } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import { PAIRS, rateOf, type ExchangeRateService } from './exchange-rate-service.js';

/** The tool as it was yesterday: one plain fetch, no retry, no timeout. */
export function exchangeRateToolV1(origin: string): string {
  return `interface RateQuery {
  from: string;
  to: string;
}

/** The exchange rate from one currency to another, from the rates service. */
export default async function fetchExchangeRate({ from, to }: RateQuery): Promise<number> {
  const response = await fetch(\`${origin}/rate?from=\${encodeURIComponent(from)}&to=\${encodeURIComponent(to)}\`);
  if (!response.ok) throw new Error(\`rates service answered HTTP \${response.status}\`);
  const body = (await response.json()) as { rate: number };
  return body.rate;
}
`;
}

export const TOOL = 'fetch_exchange_rate';
/** Calls served per measured window; also the improvement cycle's trigger. */
export const CALLS_PER_WINDOW = 12;

/** One version's measured behaviour. */
export interface VersionMeasure {
  readonly version: number;
  readonly calls: number;
  readonly successRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly score: number;
  readonly correct: number;
}

/** What scenario B showed. */
export interface RepairReport {
  readonly repairedEarlier: boolean;
  readonly v1?: VersionMeasure;
  readonly v2?: VersionMeasure;
  readonly diagnosis?: { readonly score: number; readonly reasons: readonly string[] };
  readonly approvalId?: string;
  readonly approvedBy?: string;
  readonly promotedVersion?: number;
  readonly diff?: string;
  readonly history: readonly { readonly version: number; readonly status: string; readonly author: string; readonly reason: string }[];
  readonly rolledBackTo?: number;
  readonly activeAfterRollback?: number;
  readonly activeAfterForward?: number;
  readonly measuredAfterForward?: VersionMeasure;
}

/** The integrator installs yesterday's tool through the gate, like any change: proven on its example, then active. */
async function installV1(agent: Toolwright, origin: string): Promise<void> {
  const example = PAIRS[0];
  const outcome = await agent.gate.propose(
    {
      kind: 'create-tool',
      origin: 'person',
      name: TOOL,
      source: exchangeRateToolV1(origin),
      spec: {
        name: TOOL,
        description: 'The exchange rate from one currency to another.',
        inputSchema: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } }, required: ['from', 'to'] },
        language: 'ts',
        capabilities: [{ kind: 'fetch', origins: [origin] }],
        examples: [{ input: { from: example.from, to: example.to }, output: rateOf(example.from, example.to) ?? 0 }],
      },
    },
    { by: 'integrator', reason: "yesterday's tool: one plain fetch, no retry, no timeout" },
  );
  if (outcome.status !== 'applied') throw new Error(`installing ${TOOL} v1 failed: ${outcome.summary}`);
}

/** A person's rollback, as `toolwright tools rollback` proposes it: through the gate, audited there. */
async function rollback(agent: Toolwright, fromVersion: number, toVersion: number, reason: string): Promise<void> {
  const outcome = await agent.gate.propose({ kind: 'rollback', origin: 'person', name: TOOL, fromVersion, toVersion }, { by: 'demo-operator', reason });
  if (outcome.status !== 'applied') throw new Error(`rolling ${TOOL} back to v${toVersion} failed: ${outcome.summary}`);
}

/** Serves one window of traffic through the agent (sandbox, metering, capture), then measures it. */
async function serveWindow(agent: Toolwright, version: number): Promise<VersionMeasure> {
  let correct = 0;
  for (let index = 0; index < CALLS_PER_WINDOW; index++) {
    const pair = PAIRS[index % PAIRS.length] ?? PAIRS[0];
    const call = await agent.call(TOOL, { from: pair.from, to: pair.to });
    if (call.ok && call.output === rateOf(pair.from, pair.to)) correct++;
  }
  await agent.idle();
  await agent.memory.flush();
  return measure(agent, await agent.memory.summary(TOOL, { version, lastN: CALLS_PER_WINDOW }), correct);
}

function measure(agent: Toolwright, summary: ToolSummary, correct: number): VersionMeasure {
  return {
    version: summary.version ?? 0,
    calls: summary.count,
    successRate: summary.successRate,
    p50Ms: summary.latency.p50,
    p95Ms: summary.latency.p95,
    score: agent.evaluator.evaluate(summary).score,
    correct,
  };
}

const historyOf = (versions: readonly ArtifactVersion[]): RepairReport['history'] =>
  versions.map((version) => ({ version: version.version, status: version.status, author: `${version.author.kind}:${version.author.id}`, reason: version.reason }));

/**
 * Scenario B: the rates service degrades; v1 is measured; after a window of calls the
 * improvement cycle diagnoses it, the rewriter proposes v2, regression proves it, the policy
 * queues it (a network tool needs a person) and the demo approves it as a person would with
 * `toolwright approvals approve <id>`; v2 is measured; then a rollback to v1 and forward again.
 */
export async function runRepair(agent: Toolwright, service: ExchangeRateService, progress: (line: string) => void): Promise<RepairReport> {
  const existing = await agent.registry.history(TOOL);
  if (existing.some((version) => version.version >= 2)) {
    progress(`  · ${TOOL} was repaired in an earlier run (v${(await agent.registry.active(TOOL))?.version}); serving a window on the degraded service`);
    service.degrade(1_300);
    const active = await agent.registry.active(TOOL);
    const measured = await serveWindow(agent, active?.version ?? 1);
    return { repairedEarlier: true, measuredAfterForward: measured, history: historyOf(await agent.registry.history(TOOL)) };
  }
  if (existing.length === 0) await installV1(agent, service.origin);

  progress(`  · the rates service starts to degrade (429s, answers slower than the 1 s run deadline)`);
  service.degrade(1_300);
  progress(`  · serving ${CALLS_PER_WINDOW} calls with v1 …`);
  const v1 = await serveWindow(agent, 1);
  progress(`    v1: ${(v1.successRate * 100).toFixed(0)} % success, p95 ${v1.p95Ms.toFixed(0)} ms, score ${v1.score.toFixed(2)}`);

  const audit = await agent.memory.auditLog({ artifact: TOOL });
  const diagnosed = audit.find((entry) => entry.action === 'improve.diagnose');
  const [request] = await agent.policy.approvals.list({ status: 'proposed', name: TOOL });
  if (!request) {
    progress('    the improvement cycle queued no candidate (see the audit log)');
    return { repairedEarlier: false, v1, history: historyOf(await agent.registry.history(TOOL)) };
  }
  const diagnosisEvidence = request.evidence.diagnosis;
  progress(`  · evaluator: ${diagnosed?.reason ?? 'degraded'}`);
  progress(`  · rewriter proposed v${(await agent.registry.history(TOOL)).at(-1)?.version}; regression: ${request.evidence.verdict?.decision ?? 'n/a'}; policy: needs a person (${request.reasons.map((reason) => reason.rule).join(', ')})`);
  progress(`  $ toolwright approvals approve ${request.id} --by demo-operator`);
  const applied = await agent.approve(request.id, { by: 'demo-operator', note: 'reviewed the diff and the verdict in the demo' });
  const promoted = applied.status === 'applied' ? applied.version : undefined;
  progress(applied.status === 'applied' ? `    approved and applied: v${promoted?.version} is active` : `    not applied (${applied.status}): ${applied.summary}`);

  progress(`  · serving ${CALLS_PER_WINDOW} calls with v2 …`);
  const v2 = await serveWindow(agent, promoted?.version ?? 2);
  progress(`    v2: ${(v2.successRate * 100).toFixed(0)} % success, p95 ${v2.p95Ms.toFixed(0)} ms, score ${v2.score.toFixed(2)}`);
  const diff = await agent.registry.diff(TOOL, 1, v2.version);

  progress(`  $ toolwright tools rollback ${TOOL} 1`);
  await rollback(agent, v2.version, 1, 'demo: roll back to v1');
  const afterRollback = (await agent.registry.active(TOOL))?.version;
  progress(`  $ toolwright tools rollback ${TOOL} ${v2.version}   (forward again)`);
  await rollback(agent, 1, v2.version, 'demo: forward to v2 again');
  const afterForward = (await agent.registry.active(TOOL))?.version;

  return {
    repairedEarlier: false,
    v1,
    v2,
    ...(diagnosisEvidence ? { diagnosis: { score: diagnosisEvidence.score, reasons: diagnosisEvidence.reasons.map((reason) => reason.message) } } : {}),
    approvalId: request.id,
    approvedBy: 'demo-operator',
    ...(promoted ? { promotedVersion: promoted.version } : {}),
    diff,
    history: historyOf(await agent.registry.history(TOOL)),
    rolledBackTo: 1,
    ...(afterRollback === undefined ? {} : { activeAfterRollback: afterRollback }),
    ...(afterForward === undefined ? {} : { activeAfterForward: afterForward }),
  };
}
