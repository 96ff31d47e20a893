import type { ArtifactVersion, Change, ChangeEvidence, ChangeGate, GateOutcome, Policy, RegistryReader } from '@toolwright/core';
import type { RolloutProposal, RolloutReviewer } from '../canary-controller.js';

/**
 * A gate that records what it is asked and answers `applied` (or what `answer` says). The real
 * gate (`@toolwright/gate`) composes registry, policy and sandbox; the controller only needs
 * core's `ChangeGate`, and these tests check what it proposes.
 */
export function recordingGate(answer: GateOutcome['status'] = 'applied'): ChangeGate & { proposals: { change: Change; evidence: ChangeEvidence | undefined }[] } {
  const proposals: { change: Change; evidence: ChangeEvidence | undefined }[] = [];
  const decision = { outcome: answer === 'denied' ? ('deny' as const) : ('allow' as const), reasons: [] };
  return {
    proposals,
    async propose(change, evidence) {
      proposals.push({ change, evidence });
      if (answer === 'applied') return { status: 'applied', change, decision, summary: 'rolled back', auditId: `audit-${proposals.length}` };
      if (answer === 'queued') return { status: 'queued', change, decision, approvalId: 'approval-1', summary: 'waits for a person' };
      return { status: 'denied', change, decision, summary: 'denied by the policy' };
    },
    async applyApproved() {
      throw new Error('not used');
    },
    async reject() {
      throw new Error('not used');
    },
  };
}

/** A policy whose kill switch the test flips. */
export function switchablePolicy(): Policy & { engaged: boolean } {
  const policy = {
    engaged: false,
    async review() {
      return { outcome: 'allow' as const, reasons: [] };
    },
    killSwitch: {
      state: async () => ({ engaged: policy.engaged }),
    },
  };
  return policy;
}

/** A reviewer that answers `status` and records the proposals. */
export function recordingReviewer(status: 'applied' | 'queued' | 'denied' = 'applied'): RolloutReviewer & { proposals: RolloutProposal[] } {
  const proposals: RolloutProposal[] = [];
  return {
    proposals,
    async review(proposal) {
      proposals.push(proposal);
      return { status, summary: status === 'applied' ? 'allowed' : `answered ${status}` };
    },
  };
}

/** The registry reads the rollout makes: versions 1..versions of `name`, pinned or not. */
export function registryWith(name: string, versions: number, pinned = false): Pick<RegistryReader, 'get' | 'active'> {
  const version = (number: number): ArtifactVersion =>
    ({
      kind: 'tool',
      name,
      version: number,
      source: 'export default () => 1;',
      contentHash: `hash-${number}`,
      parent: number === 1 ? null : number - 1,
      author: { kind: 'person', id: 'test' },
      reason: 'test',
      status: number === versions ? 'active' : 'retired',
      pinned,
      createdAt: 0,
    }) as ArtifactVersion;
  return {
    async get(artifact, number) {
      return artifact === name && number >= 1 && number <= versions ? version(number) : undefined;
    },
    async active(artifact) {
      return artifact === name ? version(versions) : undefined;
    },
  };
}
