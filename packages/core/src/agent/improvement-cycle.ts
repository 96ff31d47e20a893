import type { ArtifactVersion } from '../artifact.js';
import type { AuditAction } from '../audit-actions.js';
import { ToolwrightError } from '../errors.js';
import type { Diagnosis, Evaluator } from '../evaluator.js';
import type { ChangeGate, GateOutcome } from '../gate.js';
import type { JsonObject } from '../json.js';
import type { Memory } from '../memory.js';
import type { RegistryReader } from '../registry.js';
import type { RegressionRunner } from '../regression.js';
import type { Candidate, RewriteRequest, Rewriter } from '../rewriter.js';
import { asJson } from './as-json.js';

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

/** Options of one run of an {@link ImprovementCycle}. */
export interface ImprovementOptions {
  /** Only this tool; default every active tool. */
  readonly tool?: string;
  /** The window the evaluator judges: the version's last N calls. */
  readonly lastN: number;
}

/** What {@link createImprovementCycle} needs. */
export interface ImprovementCycleDependencies {
  readonly registry: Pick<RegistryReader, 'list' | 'active'>;
  readonly memory: Pick<Memory, 'flush' | 'summary' | 'audit'>;
  readonly evaluator: Evaluator;
  readonly rewriter: Rewriter;
  /** The visible cases, shown to the rewriter. */
  readonly regression: Pick<RegressionRunner, 'cases'>;
  /** Every candidate goes through it: compile, cases, review, promotion or approval, audit. */
  readonly gate: ChangeGate;
}

/** Runs one improvement cycle. */
export type ImprovementCycle = (options: ImprovementOptions) => Promise<ImprovementReport>;

/**
 * One improvement cycle: for each active tool, evaluator → rewriter → the gate, candidate by
 * candidate until one is applied or queued. Pinned tools are left alone. The cycle audits its
 * own steps (`improve.diagnose`, `improve.no-candidate`, `improve.failed`); the gate audits
 * each candidate. Errors for one tool are recorded as `failed` and never stop the others.
 */
export function createImprovementCycle(dependencies: ImprovementCycleDependencies): ImprovementCycle {
  const { registry, memory, evaluator, rewriter, regression, gate } = dependencies;

  const audit = async (action: AuditAction, version: ArtifactVersion, reason: string, evidence: JsonObject = {}): Promise<void> => {
    try {
      await memory.audit({ actor: { kind: 'system', id: 'improvement-cycle' }, action, artifact: version.name, fromVersion: version.version, reason: reason.slice(0, 4000), evidence });
    } catch {
      // The audit log failing must not hide the cycle's outcome; the report still carries it.
    }
  };

  const improveTool = async (options: ImprovementOptions, active: ArtifactVersion): Promise<ToolImprovement> => {
    const base = { tool: active.name, version: active.version };
    if (active.pinned) return { ...base, outcome: 'pinned', reasons: ['pinned: never changed automatically'] };

    const summary = await memory.summary(active.name, { version: active.version, lastN: options.lastN });
    const baseline = summary.firstAt === undefined ? undefined : await memory.summary(active.name, { version: active.version, since: 0, until: summary.firstAt });
    const diagnosis = evaluator.evaluate(summary, baseline && baseline.count > 0 ? { baseline } : undefined);
    if (diagnosis.status === 'insufficient-data') return { ...base, outcome: 'insufficient-data', diagnosis, reasons: [`${summary.count} calls are too few to judge`] };
    if (!diagnosis.needsRewrite) return { ...base, outcome: 'healthy', diagnosis, reasons: [`score ${diagnosis.score.toFixed(2)}`] };
    await audit('improve.diagnose', active, diagnosis.reasons.map((reason) => reason.message).join('; '), { diagnosis: asJson(diagnosis) });

    const { candidates, why } = await proposeOrNone(rewriter, {
      artifact: active,
      diagnosis,
      evidence: {
        recentErrors: summary.recentErrors.map((error) => ({ code: error.code, message: error.message })),
        failingInputs: [],
        cases: await regression.cases(active.name, { includeHeldOut: false }),
      },
    });
    if (candidates.length === 0) {
      const reason = why === undefined ? 'the rewriter proposed no candidate' : `the rewriter proposed no candidate: ${why}`;
      await audit('improve.no-candidate', active, reason);
      return { ...base, outcome: 'no-candidate', diagnosis, reasons: [reason] };
    }

    const reasons: string[] = [];
    for (const candidate of candidates) {
      const outcome = await gate.propose(
        { kind: 'rewrite-tool', origin: 'agent', name: active.name, fromVersion: active.version, spec: candidate.spec, source: candidate.source },
        { diagnosis, author: candidate.author, reason: candidate.reason },
      );
      if (outcome.status === 'applied') return { ...base, outcome: 'promoted', diagnosis, ...newVersion(outcome), reasons: [candidate.reason] };
      if (outcome.status === 'queued') return { ...base, outcome: 'queued', diagnosis, ...newVersion(outcome), approvalId: outcome.approvalId, reasons: [outcome.summary] };
      reasons.push(refusal(outcome));
    }
    return { ...base, outcome: 'rejected', diagnosis, reasons };
  };

  return async (options) => {
    const startedAt = Date.now();
    const active = options.tool === undefined
      ? await registry.list({ kind: 'tool', status: 'active' })
      : [await registry.active(options.tool)].filter((version): version is ArtifactVersion => version !== undefined && version.kind === 'tool');
    // The evaluator judges what memory holds: every buffered call first.
    await memory.flush();
    const tools: ToolImprovement[] = [];
    for (const version of active) {
      try {
        tools.push(await improveTool(options, version));
      } catch (error) {
        const reason = ToolwrightError.isInstance(error) ? `${error.code}: ${error.message}` : String(error);
        tools.push({ tool: version.name, version: version.version, outcome: 'failed', reasons: [reason] });
        await audit('improve.failed', version, reason);
      }
    }
    return { startedAt, tools };
  };
}

function newVersion(outcome: GateOutcome): { newVersion?: number } {
  return outcome.version === undefined ? {} : { newVersion: outcome.version.version };
}

function refusal(outcome: Exclude<GateOutcome, { status: 'applied' | 'queued' }>): string {
  switch (outcome.status) {
    case 'denied':
      return `denied by policy: ${outcome.summary}`;
    case 'failed-regression':
      return `rejected by regression: ${outcome.verdict.reasons.join('; ') || outcome.summary}`;
    case 'failed':
      return `failed at the gate: ${outcome.error.code}: ${outcome.error.message}`;
  }
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
