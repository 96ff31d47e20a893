import {
  CHANGE_KINDS,
  parseOrThrow,
  ValidationError,
  type Change,
  type ChangeEvidence,
  type ChangeGate,
  type GateOutcome,
  type GateStep,
} from '@toolwright/core';
import { KeyObject } from 'node:crypto';
import type { BundleKey } from '@toolwright/registry';
import { createRegistryWriter } from '@toolwright/registry/writer';
import type { SafetyPolicy } from '@toolwright/safety-policy';
import type { MigratableDatabase } from '@toolwright/store';
import { z } from 'zod';
import { applyApproved, rejectApproval } from './approvals.js';
import { importChangeOf, proposeImport } from './bundle-import.js';
import type { GateAuditLog, GateParts, GateRegistry, GateRegression } from './gate-parts.js';
import { failed } from './outcome.js';
import { proposeRollout } from './rollout-changes.js';
import { proposeSection } from './section-changes.js';
import { proposeSimple } from './simple-changes.js';
import { proposeTool } from './tool-changes.js';

/** Options of {@link createGate}: every part on one database handle. */
export interface CreateGateOptions {
  /** The handle every part below was created on (`openDatabase` of `@toolwright/store`). The gate's registry writer is opened on it. */
  readonly database: MigratableDatabase & Parameters<typeof createRegistryWriter>[0]['database'];
  /** The registry reader (`createRegistry` of `@toolwright/registry`). */
  readonly registry: GateRegistry;
  readonly policy: SafetyPolicy;
  /** The audit log (`createMemory` of `@toolwright/memory`). */
  readonly memory: GateAuditLog;
  /** The regression runner (`createRegressionRunner` of `@toolwright/regression`). */
  readonly regression: GateRegression;
  /** The clock of the registry writer, epoch ms. */
  readonly now?: () => number;
  /**
   * An Ed25519 public key (`KeyObject` or PEM): `importBundle` (and an `import-bundle`
   * change) accepts only bundles signed with its private key — exported by a registry with
   * `bundleSigningKey`. Unsigned is `REGISTRY_BUNDLE_UNSIGNED`, altered or signed by another
   * key `REGISTRY_BUNDLE_INVALID`; nothing is reviewed or written.
   */
  readonly bundlePublicKey?: BundleKey;
}

/** The gate, with the bundle import spelled out. */
export interface Gate extends ChangeGate {
  /**
   * Imports a bundle through the gate: the `import-bundle` change is reviewed (the kill switch
   * stops it before anything is written), the versions arrive as candidates, and each
   * activation the bundle asks for is proposed as a change of its own.
   */
  importBundle(bundle: unknown, evidence?: Omit<ChangeEvidence, 'bundle'> & { readonly origin?: 'person' | 'agent' }): Promise<GateOutcome>;
}

const partSchema = (what: string, methods: readonly string[]) =>
  z.custom<unknown>(
    (value) => typeof value === 'object' && value !== null && methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function'),
    { message: `pass ${what} (it needs ${methods.join(', ')})` },
  );

const optionsSchema = z
  .object({
    database: z.custom<unknown>((value) => typeof value === 'object' && value !== null && 'kysely' in value, { message: 'pass the database handle every part was created on' }),
    registry: partSchema('the registry reader', ['active', 'get', 'list', 'history']),
    policy: partSchema('the safety policy', ['review', 'assess']),
    memory: partSchema('the audit log (memory)', ['audit']),
    regression: partSchema('the regression runner', ['compare', 'cases', 'addExamples']),
    now: z.custom<() => number>((value) => typeof value === 'function').optional(),
    bundlePublicKey: z.custom<BundleKey>((value) => typeof value === 'string' || value instanceof KeyObject, { message: 'pass a KeyObject or PEM text of an Ed25519 public key' }).optional(),
  })
  .strict();

const KNOWN_KINDS: ReadonlySet<string> = new Set(CHANGE_KINDS);

const evidenceSchema = z
  .object({
    by: z.string().trim().min(1).max(200).optional(),
    reason: z.string().max(4000).optional(),
    taskId: z.string().max(200).optional(),
  })
  .loose();

/**
 * Creates the one gate. It owns the only registry writer there is: hand out the gate, and
 * registry readers, to everything else.
 *
 * @example
 * ```ts
 * const gate = await createGate({ database, registry, policy, memory, regression });
 * const outcome = await gate.propose({ kind: 'rollback', origin: 'person', name: 'total_fares', fromVersion: 3, toVersion: 2 }, { by: 'ada' });
 * if (outcome.status !== 'applied') console.error(outcome.summary);
 * ```
 */
export async function createGate(options: CreateGateOptions): Promise<Gate> {
  parseOrThrow(optionsSchema, options, 'createGate options');
  const { bundlePublicKey } = options;
  const writer = await createRegistryWriter({
    database: options.database,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(bundlePublicKey === undefined ? {} : { bundlePublicKey }),
  });
  const parts: GateParts = {
    database: options.database, registry: options.registry, writer, policy: options.policy, memory: options.memory, regression: options.regression,
    ...(bundlePublicKey === undefined ? {} : { bundlePublicKey }),
  };

  const propose = async (change: Change, evidence: ChangeEvidence = {}): Promise<GateOutcome> => {
    parseOrThrow(evidenceSchema, evidence, 'change evidence');
    if (typeof change !== 'object' || change === null || !KNOWN_KINDS.has((change as { kind?: unknown }).kind as string)) {
      throw new ValidationError('INVALID_ARGUMENT', `gate.propose needs a change: an object whose "kind" is one of ${CHANGE_KINDS.join(', ')}.`);
    }
    if (change.origin === 'person' && evidence.by === undefined) {
      throw new ValidationError('INVALID_ARGUMENT', `A person's ${change.kind} says who acts: pass evidence.by (the person's id).`);
    }
    try {
      switch (change.kind) {
        case 'create-tool':
        case 'rewrite-tool':
          return await proposeTool(parts, { change, evidence });
        case 'change-prompt-section':
        case 'add-learned-rule':
          return await proposeSection(parts, { change, evidence });
        case 'rollback':
        case 'pin':
        case 'unpin':
        case 'grant-capability':
          return await proposeSimple(parts, { change, evidence });
        case 'import-bundle':
          return await proposeImport(parts, { change, evidence }, propose);
        case 'widen-rollout':
        case 'promote-version':
          return await proposeRollout(parts, { change, evidence });
      }
    } catch (error) {
      return failed(change, error);
    }
  };

  return {
    propose,
    applyApproved: (id: string, step: GateStep) => applyApproved(parts, id, step),
    reject: (id: string, step: GateStep) => rejectApproval(parts, id, step),
    async importBundle(bundle, evidence = {}) {
      const { origin = 'person', ...rest } = evidence;
      let change: Change;
      try {
        change = importChangeOf(bundle, origin, bundlePublicKey);
      } catch (error) {
        return failed({ kind: 'import-bundle', origin, bundleHash: '', names: [] }, error);
      }
      return propose(change, { ...rest, bundle });
    },
  };
}
