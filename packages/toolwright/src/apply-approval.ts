import { contentHash, RegistryError, type ArtifactVersion, type Change, type Memory, type Registry } from '@toolwright/core';
import type { RegressionSuite } from '@toolwright/regression';
import type { Approval, SafetyPolicy } from '@toolwright/safety-policy';

/** What applying an approved change did. */
export interface AppliedApproval {
  readonly approval: Approval;
  /** The version now active, for changes that promote or roll back. */
  readonly active?: ArtifactVersion;
}

/** The candidate version a tool change carries: registered earlier, found by its content hash. */
export async function findCandidate(registry: Registry, change: Change): Promise<ArtifactVersion | undefined> {
  if (change.kind !== 'create-tool' && change.kind !== 'rewrite-tool') return undefined;
  const hash = contentHash({ kind: 'tool', name: change.name, source: change.source, spec: change.spec });
  const history = await registry.history(change.name);
  return history.find((version) => version.contentHash === hash && version.status === 'candidate');
}

/**
 * Approves a queued change and applies it through the same path an automatic change takes,
 * then marks it applied. Each step is audited (by the policy, and here for the application).
 */
export async function applyApproval(
  parts: { readonly policy: SafetyPolicy; readonly registry: Registry; readonly regression: RegressionSuite; readonly memory: Memory },
  id: string,
  step: { readonly by: string; readonly note?: string },
): Promise<AppliedApproval> {
  const { policy, registry, regression, memory } = parts;
  const approval = await policy.approvals.approve(id, step);
  const change = approval.change;
  let active: ArtifactVersion | undefined;
  switch (change.kind) {
    case 'create-tool':
    case 'rewrite-tool': {
      const candidate = await findCandidate(registry, change);
      if (!candidate) {
        throw new RegistryError(
          'REGISTRY_NOT_FOUND',
          `Approval ${id} carries a ${change.kind} of "${change.name}", but no candidate version with that content is registered; it was approved but not applied. Register the candidate, then apply it again.`,
          { details: { approvalId: id, name: change.name } },
        );
      }
      active = await registry.promote(change.name, candidate.version, { reason: `approved by ${step.by}${step.note ? `: ${step.note}` : ''}` });
      await regression.addExamples(change.spec);
      break;
    }
    case 'rollback':
      active = await registry.rollback(change.name, change.toVersion, { reason: `approved by ${step.by}` });
      break;
    case 'pin':
      await registry.pin(change.name);
      break;
    case 'unpin':
      await registry.unpin(change.name);
      break;
    case 'change-prompt-section':
    case 'add-learned-rule': {
      const current = await registry.active(change.name);
      const version = await registry.register({
        kind: 'prompt-section',
        name: change.name,
        source: change.text,
        author: { kind: 'person', id: step.by },
        reason: `approved by ${step.by}`,
        parent: current?.version ?? null,
      });
      active = await registry.promote(change.name, version.version, { reason: `approved by ${step.by}` });
      break;
    }
    case 'grant-capability':
      // The policy widens its envelope itself when the grant is approved; nothing to promote.
      break;
  }
  const applied = await policy.approvals.markApplied(id, { by: step.by });
  await memory.audit({
    actor: { kind: 'person', id: step.by },
    action: 'approval.apply',
    ...('name' in change ? { artifact: change.name } : {}),
    ...(active ? { toVersion: active.version } : {}),
    reason: step.note ?? `approved change ${change.kind}`,
    evidence: { approvalId: id, changeHash: approval.changeHash },
  });
  return active ? { approval: applied, active } : { approval: applied };
}
