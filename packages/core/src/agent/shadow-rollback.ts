import type { ArtifactVersion } from '../artifact.js';
import type { Evaluator } from '../evaluator.js';
import type { ChangeGate, GateOutcome } from '../gate.js';
import type { JsonValue } from '../json.js';
import type { Memory } from '../memory.js';
import type { RegistryReader } from '../registry.js';
import { asJson } from './as-json.js';
import type { Emit } from './events.js';
import type { ResolvedShadowOptions } from './shadow-options.js';

/** One disagreement of the two versions, kept as evidence. */
export interface Disagreement {
  readonly inputHash: string;
  readonly activeOutput: JsonValue;
  readonly referenceOutput: JsonValue;
  readonly taskId: string;
  readonly step: number;
  readonly durationMs: number;
  readonly at: number;
  recorded: boolean;
}

/** What the shadow comparison knows of one version, in this process. */
export interface VersionState {
  served: number;
  inFlightSkipped: number;
  comparisons: number;
  bothOk: number;
  /** Disagreements the stored cases settle in the active version's favour. */
  activeRight: number;
  /** Disagreements with no ground truth, kept until the threshold is reached (bounded). */
  readonly unconfirmed: Disagreement[];
  /** Calls of this version recorded as WRONG_OUTPUT. */
  wrong: number;
  readonly examples: Disagreement[];
  /**
   * `proposing` while the gate is asked (no second proposal meanwhile), `proposed` once the gate
   * applied or queued it; an attempt that ends otherwise goes back to `none`.
   */
  rollback: 'none' | 'proposing' | 'proposed';
  /** The `wrong` count the next attempt needs: after a failed attempt, `rollbackAfter` more. */
  nextRollbackAt: number;
}

/** What {@link createShadowRollback} needs. */
export interface ShadowRollbackDependencies {
  readonly registry: Pick<RegistryReader, 'active'>;
  readonly memory: Pick<Memory, 'flush' | 'summary'>;
  readonly evaluator: Evaluator;
  readonly gate: ChangeGate;
  readonly emit: Emit;
  readonly options: Pick<ResolvedShadowOptions, 'rollbackAfter' | 'lastN'>;
}

/**
 * Proposes the rollback of `active` to `reference` through the gate when `rollbackAfter` of its
 * calls were judged wrong and the evaluator's diagnosis of its window names a `wrong-output`
 * reason; the reason carries the counts and disagreements (both outputs). Once the gate applied
 * or queued it, never again for that version; an attempt that did not get there (the version is
 * no longer active or is pinned, not diagnosed, denied, failed) tries again after another
 * `rollbackAfter` wrong calls.
 */
export function createShadowRollback(dependencies: ShadowRollbackDependencies): (active: ArtifactVersion, reference: ArtifactVersion, state: VersionState) => Promise<void> {
  const { registry, memory, evaluator, gate, emit, options } = dependencies;
  return async (active, reference, state) => {
    if (state.rollback !== 'none' || state.wrong < Math.max(options.rollbackAfter, state.nextRollbackAt)) return;
    state.rollback = 'proposing';
    let settled = false;
    try {
      settled = await attempt(active, reference, state);
    } finally {
      // Only an applied or queued rollback stands; otherwise a fresh rollbackAfter count of wrong calls may try again.
      state.rollback = settled ? 'proposed' : 'none';
      if (!settled) state.nextRollbackAt = state.wrong + options.rollbackAfter;
    }
  };

  /** One attempt; true when the gate applied or queued the rollback. */
  async function attempt(active: ArtifactVersion, reference: ArtifactVersion, state: VersionState): Promise<boolean> {
    const current = await registry.active(active.name);
    if (current?.version !== active.version || current.pinned) return false;
    await memory.flush();
    const summary = await memory.summary(active.name, { version: active.version, lastN: options.lastN });
    const diagnosis = evaluator.evaluate(summary);
    const wrongOutput = diagnosis.reasons.find((reason) => reason.kind === 'wrong-output');
    if (!wrongOutput || !diagnosis.needsRewrite) {
      emit({ type: 'shadow-rollback', name: active.name, fromVersion: active.version, toVersion: reference.version, status: 'not-diagnosed', summary: 'the evaluator does not diagnose wrong outputs (see its wrongOutput settings)' });
      return false;
    }
    const shown = state.examples.slice(0, 3).map((entry) => `input ${entry.inputHash.slice(0, 12)}: v${active.version} gave ${preview(entry.activeOutput)}, v${reference.version} gave ${preview(entry.referenceOutput)}`);
    const reason =
      `shadow comparison: ${state.wrong} call(s) of v${active.version} judged wrong against v${reference.version} ` +
      `(${state.comparisons} comparisons, ${state.examples.length} disagreements; ${wrongOutput.message}); ${shown.join('; ')}`;
    let outcome: GateOutcome;
    try {
      outcome = await gate.propose(
        { kind: 'rollback', origin: 'agent', name: active.name, fromVersion: active.version, toVersion: reference.version },
        { reason: reason.slice(0, 4000), diagnosis },
      );
    } catch (error) {
      emit({ type: 'shadow-rollback', name: active.name, fromVersion: active.version, toVersion: reference.version, status: 'failed', summary: error instanceof Error ? error.message : String(error) });
      return false;
    }
    emit({
      type: 'shadow-rollback',
      name: active.name,
      fromVersion: active.version,
      toVersion: reference.version,
      status: outcome.status,
      summary: outcome.summary,
      evidence: asJson({ comparisons: state.comparisons, wrong: state.wrong, disagreements: state.examples.slice(0, 10).map(({ recorded: _recorded, ...entry }) => entry) }),
    });
    return outcome.status === 'applied' || outcome.status === 'queued';
  }
}

/** A short JSON preview of a value, for reasons and messages. */
export function preview(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
