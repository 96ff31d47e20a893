import { LEARNED_RULE_PREFIX, ValidationError, type ArtifactVersion, type Change, type ChangeEvidence, type GateOutcome, type JsonValue } from '@toolwright/core';
import { readBundle, type BundleKey } from '@toolwright/registry';
import { assessFirst, decideInUnit } from './decide.js';
import type { GateParts, Proposal } from './gate-parts.js';
import { failed, recordOutcome } from './outcome.js';

type ImportChange = Extract<Change, { kind: 'import-bundle' }>;

/**
 * The `import-bundle` change for a bundle: its hash and the artifacts it carries. Throws
 * `REGISTRY_BUNDLE_INVALID` for a bad bundle, and with `publicKey`, `REGISTRY_BUNDLE_UNSIGNED`
 * for an unsigned one and `REGISTRY_BUNDLE_INVALID` for one its signature does not verify.
 */
export function importChangeOf(bundle: unknown, origin: ImportChange['origin'], publicKey?: BundleKey): ImportChange {
  const info = readBundle(bundle as JsonValue, publicKey === undefined ? {} : { publicKey });
  return { kind: 'import-bundle', origin, bundleHash: info.bundleHash, names: [...info.names] };
}

/**
 * A bundle import: the policy reviews the import (the kill switch stops it, before anything is
 * written); allowed, every version arrives as a candidate, in one transaction with the audit
 * entry. Nothing becomes active by import: each activation the bundle asks for is then proposed
 * as a change of its own (a new tool, a rewrite, a prompt section, a learned rule) through the
 * same gate — tested, reviewed, queued or applied like any other.
 */
export async function proposeImport(
  parts: GateParts,
  proposal: Proposal<ImportChange>,
  propose: (change: Change, evidence: ChangeEvidence) => Promise<GateOutcome>,
): Promise<GateOutcome> {
  const { change, evidence } = proposal;
  if (evidence.bundle === undefined) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', 'An import-bundle change carries its bundle as evidence.bundle; pass the bundle (or use gate.importBundle(bundle)).'));
  }
  let checked: ImportChange;
  try {
    checked = importChangeOf(evidence.bundle, change.origin, parts.bundlePublicKey);
  } catch (error) {
    return failed(change, error);
  }
  if (checked.bundleHash !== change.bundleHash) {
    return failed(change, new ValidationError('INVALID_ARGUMENT', `The change names bundle ${change.bundleHash.slice(0, 12)}…, but the bundle given is ${checked.bundleHash.slice(0, 12)}…; propose the change of the bundle you import.`));
  }
  const pre = await assessFirst(parts, proposal, {});
  if ('denied' in pre) return pre.denied;

  let activations: readonly ArtifactVersion[] = [];
  const outcome = await decideInUnit(parts, proposal, {}, {
    apply: async (unit, decision) => {
      const written = await parts.writer.importBundle(evidence.bundle as JsonValue, { unit });
      activations = written.value.activations;
      const summary = `Bundle ${change.bundleHash.slice(0, 12)}… imported as candidates: ${written.value.imported} version(s) new, ${written.value.skipped} already here; ${activations.length} activation(s) it asks for go through the gate one by one.`;
      const auditId = await recordOutcome(parts, unit, {
        change, evidence, status: 'applied', summary, decision, registryChanges: written.changes,
        extra: { bundleHash: change.bundleHash, imported: written.value.imported, skipped: written.value.skipped },
      });
      return { status: 'applied', change, decision, summary, auditId, imported: { versions: written.value.imported, skipped: written.value.skipped, activations: [] } };
    },
  });
  if (outcome.status !== 'applied' || outcome.imported === undefined) return outcome;

  const results: GateOutcome[] = [];
  for (const version of activations) {
    if (version.status === 'active') continue;
    const activation = await activationOf(parts, version, change.origin);
    if (activation === undefined) continue;
    const { bundle: _bundle, ...rest } = evidence;
    results.push(await propose(activation, { ...rest, author: version.author, reason: `imported from bundle ${change.bundleHash.slice(0, 12)}…: ${version.reason}`.slice(0, 4000) }));
  }
  return { ...outcome, imported: { ...outcome.imported, activations: results } };
}

/** The change that makes an imported version active here, judged like any other of its kind. */
async function activationOf(parts: GateParts, version: ArtifactVersion, origin: ImportChange['origin']): Promise<Change | undefined> {
  const current = await parts.registry.active(version.name);
  if (version.kind === 'tool') {
    if (version.spec === undefined) return undefined;
    return current === undefined
      ? { kind: 'create-tool', origin, name: version.name, spec: version.spec, source: version.source }
      : { kind: 'rewrite-tool', origin, name: version.name, fromVersion: current.version, spec: version.spec, source: version.source };
  }
  if (version.name.startsWith(LEARNED_RULE_PREFIX)) return { kind: 'add-learned-rule', origin, name: version.name, text: version.source };
  return { kind: 'change-prompt-section', origin, name: version.name, fromVersion: current?.version, text: version.source };
}
