import { RegistryError, type ArtifactVersion, type Change, type Decision, type GateOutcome, type PolicyContext } from '@toolwright/core';
import type { RegistryChange } from '@toolwright/registry';
import { assessFirst, decideInUnit, queued } from './decide.js';
import type { GateParts, Proposal, UnitOfWork } from './gate-parts.js';
import { recordOutcome } from './outcome.js';

type SimpleChange = Extract<Change, { kind: 'rollback' | 'pin' | 'unpin' | 'grant-capability' }>;

/**
 * Makes an allowed or approved rollback, pin, unpin or capability grant happen inside `unit`:
 * the registry transition (none for a grant: the policy widens its envelope itself when the grant
 * is approved or allowed). Returns the version now active, when there is one, and the rows written.
 */
export async function applySimple(parts: GateParts, change: SimpleChange, reason: string, unit: UnitOfWork): Promise<{ version?: ArtifactVersion; changes: readonly RegistryChange[] }> {
  switch (change.kind) {
    case 'rollback': {
      const written = await parts.writer.rollback(change.name, change.toVersion, { reason: reason.slice(0, 4000), unit });
      return { version: written.value, changes: written.changes };
    }
    case 'pin':
      return { changes: (await parts.writer.pin(change.name, { unit })).changes };
    case 'unpin':
      return { changes: (await parts.writer.unpin(change.name, { unit })).changes };
    case 'grant-capability':
      return { changes: [] };
  }
}

/** One sentence for an applied simple change. */
export function describeSimple(change: SimpleChange, version: ArtifactVersion | undefined): string {
  switch (change.kind) {
    case 'rollback':
      return `"${change.name}" is rolled back from v${change.fromVersion} to v${version?.version ?? change.toVersion}.`;
    case 'pin':
      return `"${change.name}" is pinned: nothing changes it automatically until it is unpinned.`;
    case 'unpin':
      return `"${change.name}" is unpinned.`;
    case 'grant-capability':
      return `The capability ${JSON.stringify(change.capability)} is granted.`;
  }
}

/**
 * Why a rollback no longer fits what is in force, read under the artifact's lock inside `unit`:
 * its `fromVersion` is not the active version. Undefined when it fits.
 */
export async function staleRollback(parts: GateParts, change: Extract<Change, { kind: 'rollback' }>, unit: UnitOfWork): Promise<string | undefined> {
  const locked = await parts.writer.lock(change.name, { unit });
  if (locked.activeVersion === change.fromVersion) return undefined;
  return `the rollback of "${change.name}" is from v${change.fromVersion}, but ${locked.activeVersion === null ? 'no version' : `v${locked.activeVersion}`} is active now`;
}

function staleDecision(why: string): Decision {
  return { outcome: 'deny', reasons: [{ rule: 'stale', detail: `${why}; propose the rollback again from what is in force.` }] };
}

/** The version a rollback puts back in force, read from the registry (for the policy's protected phrases); undefined for other changes or a missing version. */
export async function rollbackTarget(parts: GateParts, change: Change): Promise<ArtifactVersion | undefined> {
  return change.kind === 'rollback' ? parts.registry.get(change.name, change.toVersion) : undefined;
}

/**
 * A rollback, pin, unpin or capability grant: assess → review + transition + audit in one
 * transaction. A rollback to the version already active is applied with nothing written (it is
 * in force: a repeated rollback changes nothing and is audited once); a rollback from a version
 * that is not active any more is denied as stale (checked again under the lock, in the unit).
 */
export async function proposeSimple(parts: GateParts, proposal: Proposal<SimpleChange>): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  const current = 'name' in change ? await parts.registry.active(change.name) : undefined;
  // A rollback's target, so the policy judges the text it puts back in force (protected phrases); a version's content never changes, so reading it before the unit is safe.
  const target = await rollbackTarget(parts, change);
  if (change.kind === 'rollback' && target === undefined) {
    // Nothing to review: a rollback names a registered version (not queued for a person, who could not apply it either).
    throw new RegistryError('REGISTRY_NOT_FOUND', `Cannot roll "${change.name}" back to v${change.toVersion}: there is no such version (see toolwright tools history ${change.name}).`, {
      details: { name: change.name, version: change.toVersion },
    });
  }
  const context: PolicyContext = { ...(current === undefined ? {} : { current }), ...(target === undefined ? {} : { target }) };
  if (change.kind === 'rollback' && current?.version === change.toVersion) {
    const decision: Decision = { outcome: 'allow', reasons: [{ rule: 'already-in-force', detail: `"${change.name}" v${change.toVersion} is already the active version.` }] };
    return { status: 'applied', change, decision, version: current, summary: `"${change.name}" v${change.toVersion} is already active; nothing changed.` };
  }
  if (change.kind === 'rollback' && current?.version !== change.fromVersion) {
    const why = `the rollback of "${change.name}" is from v${change.fromVersion}, but ${current === undefined ? 'no version' : `v${current.version}`} is active now`;
    const decision = staleDecision(why);
    const summary = `The gate refused this rollback of "${change.name}": ${why}.`;
    const auditId = await recordOutcome(parts, undefined, { change, evidence, status: 'denied', summary, decision, fromVersion: change.fromVersion, toVersion: change.toVersion });
    return { status: 'denied', change, decision, summary, auditId };
  }
  const pre = await assessFirst(parts, proposal, context);
  if ('denied' in pre) return pre.denied;
  const fromVersion = change.kind === 'rollback' ? change.fromVersion : undefined;
  return decideInUnit(parts, proposal, context, {
    apply: async (unit, decision) => {
      const stale = change.kind === 'rollback' ? await staleRollback(parts, change, unit) : undefined;
      if (stale !== undefined) {
        const refused = staleDecision(stale);
        const summary = `The gate refused this rollback: ${stale}.`;
        const auditId = await recordOutcome(parts, unit, { change, evidence, status: 'denied', summary, decision: refused, ...(fromVersion === undefined ? {} : { fromVersion }) });
        return { status: 'denied', change, decision: refused, summary, auditId };
      }
      const applied = await applySimple(parts, change, evidence.reason ?? `${change.kind} allowed by policy`, unit);
      const summary = describeSimple(change, applied.version);
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'applied', summary, decision, registryChanges: applied.changes,
        ...(fromVersion === undefined ? {} : { fromVersion }),
        ...(applied.version === undefined ? {} : { toVersion: applied.version.version }),
      });
      return { status: 'applied', change, decision, summary, auditId, ...(applied.version === undefined ? {} : { version: applied.version }) };
    },
    onQueued: queued(parts, proposal, fromVersion === undefined ? {} : { fromVersion }),
  });
}
