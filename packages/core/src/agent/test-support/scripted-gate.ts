import type { ArtifactVersion, VersionStatus } from '../../artifact.js';
import { contentHash } from '../../hash.js';
import type { ChangeEvidence, ChangeGate, GateOutcome, GateStatus } from '../../gate.js';
import type { Change, Decision } from '../../policy.js';
import type { Verdict } from '../../regression.js';
import type { InMemoryRegistry } from './in-memory-registry.js';

/** What the scripted gate answers a proposal with: a status (the outcome is built from it) or a whole outcome. */
export type GateAnswer = GateStatus | GateOutcome;

/**
 * Test support: a {@link ChangeGate} that records every proposal and answers as scripted
 * (default: `applied`). An applied tool or rule becomes the active version in the in-memory
 * registry, a queued one a candidate, as the real gate would leave them; nothing is tested or
 * reviewed. Core's tests code against the interface; the real gate lives in `@toolwright/gate`.
 */
export class ScriptedGate implements ChangeGate {
  readonly proposals: { readonly change: Change; readonly evidence: ChangeEvidence }[] = [];

  constructor(
    private readonly registry: InMemoryRegistry,
    private readonly answer: (change: Change, evidence: ChangeEvidence, index: number) => GateAnswer | Promise<GateAnswer> = () => 'applied',
  ) {}

  async propose(change: Change, evidence: ChangeEvidence = {}): Promise<GateOutcome> {
    const index = this.proposals.push({ change, evidence }) - 1;
    const answer = await this.answer(change, evidence, index);
    if (typeof answer !== 'string') return answer;
    const cases = evidence.cases?.length ?? 0;
    switch (answer) {
      case 'applied':
        return { status: 'applied', change, summary: 'applied', decision: ALLOW, ...this.#register(change, 'active'), verdict: verdictOf(change, cases, cases) };
      case 'queued':
        return { status: 'queued', change, summary: 'waits for a person', decision: NEEDS_APPROVAL, approvalId: `approval-${index + 1}`, ...this.#register(change, 'candidate') };
      case 'denied':
        return { status: 'denied', change, summary: 'kill-switch: the kill switch is on', decision: DENY };
      case 'failed-regression': {
        const { version } = this.#register(change, 'rejected');
        return { status: 'failed-regression', change, summary: 'failed its cases', verdict: verdictOf(change, cases, 0), version: version ?? fail('a failed regression needs a tool change') };
      }
      case 'failed':
        return { status: 'failed', change, summary: 'the sandbox refused the source', error: { code: 'SANDBOX_STATIC_GATE', message: 'eval is not allowed' } };
    }
  }

  async applyApproved(): Promise<GateOutcome> {
    throw new Error('the agent never applies approvals');
  }

  async reject(): Promise<GateOutcome> {
    throw new Error('the agent never rejects approvals');
  }

  #register(change: Change, status: VersionStatus): { version?: ArtifactVersion } {
    const base = { version: 0, parent: null, author: { kind: 'model' as const, id: 'scripted' }, reason: 'test', status, pinned: false, createdAt: 0 };
    let version: ArtifactVersion;
    if (change.kind === 'create-tool' || change.kind === 'rewrite-tool') {
      version = { ...base, kind: 'tool', name: change.name, source: change.source, spec: change.spec, contentHash: contentHash({ kind: 'tool', name: change.name, source: change.source, spec: change.spec }) };
    } else if (change.kind === 'add-learned-rule') {
      version = { ...base, kind: 'prompt-section', name: change.name, source: change.text, contentHash: contentHash({ kind: 'prompt-section', name: change.name, source: change.text }) };
    } else {
      return {};
    }
    return { version: this.registry.put({ ...version, version: this.registry.nextVersion(change.name) }) };
  }
}

const ALLOW: Decision = { outcome: 'allow', reasons: [] };
const NEEDS_APPROVAL: Decision = { outcome: 'needs-approval', reasons: [{ rule: 'capability-envelope', detail: 'network tools need a person' }], approvalId: 'approval' };
const DENY: Decision = { outcome: 'deny', reasons: [{ rule: 'kill-switch', detail: 'the kill switch is on' }] };

function verdictOf(change: Change, cases: number, passed: number): Verdict {
  const tool = 'name' in change ? change.name : 'unknown';
  return {
    tool,
    candidateVersion: undefined,
    baselineVersion: undefined,
    decision: passed === cases ? 'promote' : 'reject',
    reasons: passed === cases ? [] : ['the candidate failed 1 case'],
    cases: passed === cases ? [] : [{ caseId: 'case-0001', heldOut: false, candidate: { pass: false, durationMs: 1, failures: ['expected 3, got 2'] }, baseline: undefined, regressed: false }],
    totals: { cases, candidatePassed: passed, baselinePassed: 0, regressions: 0 },
  };
}

function fail(message: string): never {
  throw new Error(message);
}
