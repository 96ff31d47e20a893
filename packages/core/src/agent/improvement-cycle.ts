import type { ArtifactVersion } from '../artifact.js';
import { ToolwrightError } from '../errors.js';
import type { Diagnosis } from '../evaluator.js';
import { contentHash } from '../hash.js';
import type { JsonObject } from '../json.js';
import { asJson } from './as-json.js';
import type { Change, Decision } from '../policy.js';
import type { Candidate, RewriteRequest, Rewriter } from '../rewriter.js';
import type { CompiledTool } from '../sandbox.js';
import type { AgentComponents } from './agent.js';

/** What happened to one tool in one improvement cycle. */
export interface ToolImprovement {
  readonly tool: string;
  readonly version: number;
  readonly outcome: 'healthy' | 'insufficient-data' | 'pinned' | 'no-candidate' | 'promoted' | 'queued' | 'rejected' | 'failed';
  readonly diagnosis?: Diagnosis;
  /** The version promoted or queued, when there is one. */
  readonly newVersion?: number;
  readonly approvalId?: string;
  /** Why, in sentences. */
  readonly reasons: readonly string[];
}

/** The result of one improvement cycle. */
export interface ImprovementReport {
  readonly startedAt: number;
  readonly tools: readonly ToolImprovement[];
}

/** Options of {@link runImprovementCycle}. */
export interface ImprovementOptions {
  /** Only this tool; default every active tool. */
  readonly tool?: string;
  /** The window the evaluator judges: the version's last N calls. */
  readonly lastN: number;
  /** Compiles (and caches) a version in the sandbox. */
  readonly compile: (version: Pick<ArtifactVersion, 'name' | 'source' | 'spec' | 'contentHash'>) => Promise<CompiledTool>;
}

/**
 * One improvement cycle: for each active tool, evaluator → rewriter → policy → sandbox →
 * regression → registry, with every step's outcome in the audit log. Pinned tools are left
 * alone. Errors for one tool are recorded as `failed` and never stop the others.
 */
export async function runImprovementCycle(components: AgentComponents, options: ImprovementOptions): Promise<ImprovementReport> {
  const startedAt = Date.now();
  const active = options.tool === undefined
    ? await components.registry.list({ kind: 'tool', status: 'active' })
    : [await components.registry.active(options.tool)].filter((version): version is ArtifactVersion => version !== undefined);
  await components.memory.flush();
  const tools: ToolImprovement[] = [];
  for (const version of active) {
    try {
      tools.push(await improveTool(components, options, version));
    } catch (error) {
      const reason = ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
      tools.push({ tool: version.name, version: version.version, outcome: 'failed', reasons: [reason] });
      await auditQuietly(components, 'improve.failed', version.name, reason, {}, { from: version.version });
    }
  }
  return { startedAt, tools };
}

async function improveTool(components: AgentComponents, options: ImprovementOptions, active: ArtifactVersion): Promise<ToolImprovement> {
  const { memory, evaluator, rewriter, regression, policy, registry } = components;
  const base = { tool: active.name, version: active.version };
  if (active.pinned) return { ...base, outcome: 'pinned', reasons: ['pinned: never changed automatically'] };

  const summary = await memory.summary(active.name, { version: active.version, lastN: options.lastN });
  const baseline = summary.firstAt === undefined
    ? undefined
    : await memory.summary(active.name, { version: active.version, since: 0, until: summary.firstAt });
  const diagnosis = evaluator.evaluate(summary, baseline && baseline.count > 0 ? { baseline } : undefined);
  if (diagnosis.status === 'insufficient-data') return { ...base, outcome: 'insufficient-data', diagnosis, reasons: [`${summary.count} calls are too few to judge`] };
  if (!diagnosis.needsRewrite) return { ...base, outcome: 'healthy', diagnosis, reasons: [`score ${diagnosis.score.toFixed(2)}`] };
  await auditQuietly(components, 'improve.diagnose', active.name, diagnosis.reasons.map((reason) => reason.message).join('; '), { diagnosis: asJson(diagnosis) }, { from: active.version });

  const visibleCases = await regression.cases(active.name, { includeHeldOut: false });
  const { candidates, why } = await proposeOrNone(rewriter, {
    artifact: active,
    diagnosis,
    evidence: {
      recentErrors: summary.recentErrors.map((error) => ({ code: error.code, message: error.message })),
      failingInputs: [],
      cases: visibleCases,
    },
  });
  if (candidates.length === 0) {
    const reason = why === undefined ? 'the rewriter proposed no candidate' : `the rewriter proposed no candidate: ${why}`;
    await auditQuietly(components, 'improve.no-candidate', active.name, reason, {}, { from: active.version });
    return { ...base, outcome: 'no-candidate', diagnosis, reasons: [reason] };
  }

  const reasons: string[] = [];
  for (const candidate of candidates) {
    const change: Change = { kind: 'rewrite-tool', origin: 'agent', name: active.name, fromVersion: active.version, spec: candidate.spec, source: candidate.source };
    try {
      await options.compile({ name: active.name, source: candidate.source, spec: candidate.spec, contentHash: contentHash({ kind: 'tool', name: active.name, source: candidate.source, spec: candidate.spec }) });
    } catch (error) {
      reasons.push(`refused by the sandbox: ${ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error)}`);
      continue;
    }
    const version = await registerCandidate(components, candidate);
    const allCases = await regression.cases(active.name, { includeHeldOut: true });
    const verdict = await regression.compare({ candidate: version, baseline: active, cases: allCases, diagnosis });
    if (verdict.decision === 'reject') {
      reasons.push(`rejected by regression: ${verdict.reasons.join('; ')}`);
      await registry.reject(active.name, version.version, verdict.reasons.join('; ').slice(0, 4000));
      await auditQuietly(components, 'regression.reject', active.name, verdict.reasons.join('; '), { totals: asJson(verdict.totals) }, { from: active.version, to: version.version });
      continue;
    }
    // One review, with the evidence: the policy records it and queues it when a person must decide.
    const decision = await policy.review(change, { current: active, diagnosis, verdict });
    if (decision.outcome === 'deny') {
      reasons.push(`denied by policy: ${decisionText(decision)}`);
      await registry.reject(active.name, version.version, decisionText(decision).slice(0, 4000));
      await auditQuietly(components, 'policy.deny', active.name, decisionText(decision), { decision: asJson(decision) }, { from: active.version, to: version.version });
      continue;
    }
    if (decision.outcome === 'needs-approval') {
      await auditQuietly(components, 'approval.queue', active.name, decisionText(decision), decision.approvalId === undefined ? {} : { approvalId: decision.approvalId }, { from: active.version, to: version.version });
      return {
        ...base,
        outcome: 'queued',
        diagnosis,
        newVersion: version.version,
        ...(decision.approvalId === undefined ? {} : { approvalId: decision.approvalId }),
        reasons: [decisionText(decision)],
      };
    }
    const promoted = await registry.promote(active.name, version.version, { reason: candidate.reason });
    await regression.addExamples(candidate.spec);
    await auditQuietly(components, 'improve.promote', active.name, candidate.reason, { totals: asJson(verdict.totals) }, { from: active.version, to: promoted.version });
    return { ...base, outcome: 'promoted', diagnosis, newVersion: promoted.version, reasons: [candidate.reason] };
  }
  return { ...base, outcome: 'rejected', diagnosis, reasons };
}

/**
 * A rewriter that finds nothing acceptable may throw `REWRITER_NO_CANDIDATE`; that is "no
 * candidate", not a failure, and its message says why.
 */
async function proposeOrNone(rewriter: Rewriter, request: RewriteRequest): Promise<{ candidates: Candidate[]; why?: string }> {
  try {
    return { candidates: await rewriter.propose(request) };
  } catch (error) {
    if (ToolwrightError.isInstance(error) && error.code === 'REWRITER_NO_CANDIDATE') return { candidates: [], why: error.message.slice(0, 2000) };
    throw error;
  }
}

async function registerCandidate(components: AgentComponents, candidate: Candidate): Promise<ArtifactVersion> {
  return components.registry.register({
    kind: 'tool',
    name: candidate.name,
    source: candidate.source,
    spec: candidate.spec,
    author: candidate.author,
    reason: candidate.reason,
    parent: candidate.parent,
  });
}

function decisionText(decision: Decision): string {
  return decision.reasons.map((reason) => `${reason.rule}: ${reason.detail}`).join('; ') || decision.outcome;
}

async function auditQuietly(
  components: AgentComponents,
  action: string,
  artifact: string,
  reason: string,
  evidence: JsonObject,
  versions: { from?: number; to?: number },
): Promise<void> {
  try {
    await components.memory.audit({
      actor: { kind: 'system', id: 'improvement-cycle' },
      action,
      artifact,
      ...(versions.from === undefined ? {} : { fromVersion: versions.from }),
      ...(versions.to === undefined ? {} : { toVersion: versions.to }),
      reason: reason.slice(0, 4000),
      evidence,
    });
  } catch {
    // The audit log failing must not hide the cycle's outcome; the report still carries it.
  }
}
