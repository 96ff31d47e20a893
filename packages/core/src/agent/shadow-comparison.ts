import type { ArtifactVersion } from '../artifact.js';
import type { Evaluator } from '../evaluator.js';
import { ToolwrightError } from '../errors.js';
import type { ChangeGate } from '../gate.js';
import { contentHash } from '../hash.js';
import type { JsonValue } from '../json.js';
import { WRONG_OUTPUT_CODE, type Memory } from '../memory.js';
import type { RegistryReader } from '../registry.js';
import type { RegressionRunner, ShadowComparison, ShadowSide } from '../regression.js';
import type { CompiledTool, Sandbox } from '../sandbox.js';
import type { BackgroundWork } from './background.js';
import type { Emit } from './events.js';
import { DEFAULT_EXAMPLE_TOLERANCE, outputsMatch, type NumericTolerance } from './output-match.js';
import type { ResolvedShadowOptions } from './shadow-options.js';
import { createShadowRollback, preview, type Disagreement, type VersionState } from './shadow-rollback.js';

/** How the previous version did on the input. */
type ReferenceRun = { readonly ok: true; readonly value: JsonValue; readonly durationMs: number } | { readonly ok: false; readonly code: string; readonly durationMs: number };

/** What {@link createShadowComparison} needs. */
export interface ShadowComparisonDependencies {
  readonly sandbox: Pick<Sandbox, 'run'>;
  readonly compile: (version: ArtifactVersion) => Promise<CompiledTool>;
  readonly registry: Pick<RegistryReader, 'get' | 'active'>;
  readonly memory: Pick<Memory, 'record' | 'flush' | 'summary'>;
  /** Ground truth (the stored cases), and where comparisons are stored. */
  readonly regression: Pick<RegressionRunner, 'cases' | 'capture' | 'recordShadowComparison'>;
  readonly evaluator: Evaluator;
  readonly gate: ChangeGate;
  readonly background: Pick<BackgroundWork, 'track'>;
  readonly emit: Emit;
  /** How outputs are compared with each other and with the stored cases. */
  readonly tolerance?: NumericTolerance;
  readonly options: ResolvedShadowOptions;
  readonly now?: () => number;
}

/** One call the active version served, offered for shadowing. */
export interface ShadowOffer {
  readonly version: ArtifactVersion;
  readonly input: JsonValue;
  readonly output: JsonValue;
  readonly durationMs: number;
  readonly taskId: string;
  readonly step: number;
}

/** The agent's post-promotion shadow comparison. */
export interface ShadowComparer {
  /**
   * Decides (synchronously, no I/O) whether this call is sampled; when it is, the previous
   * version runs on the same input in the background and the call's capture as a golden case
   * waits for the comparison (a disputed output is not captured). Returns whether it was sampled.
   */
  offer(call: ShadowOffer): boolean;
  /**
   * Feedback from a person: the output of `version` on `input` was wrong. It counts toward the
   * version's rollback when `expected` is not given, or when the previous version gives it.
   */
  judgedWrong(version: ArtifactVersion, input: JsonValue, expected: JsonValue | undefined): Promise<void>;
}

const MAX_KEPT_DISAGREEMENTS = 50;


/**
 * Creates the shadow comparison: after a tool version is promoted, a sample of its live calls
 * also runs on the version it replaced (its `parent`), in the sandbox, in the background.
 *
 * How "the previous version was right" is judged, in order:
 * 1. **A stored case** (spec example, explicit case, a person's feedback — never a captured
 *    case, which is only what some version once served) for the input with a golden output:
 *    the side that matches it is right. The active version wrong → `WRONG_OUTPUT` at once.
 * 2. **No ground truth**: a disagreement alone proves nothing (the new version may have fixed
 *    the old one). The previous version is presumed right only when at least `minDisagreements`
 *    comparisons disagreed, they are at least `minDisagreementShare` of the comparisons where
 *    both succeeded, no stored case ever sided with the active version, and memory holds no
 *    `WRONG_OUTPUT` of the previous version (it was not itself known to be wrong). Then every
 *    kept disagreement is recorded as a `WRONG_OUTPUT` call of the active version.
 *
 * Once `rollbackAfter` calls of the version are recorded wrong, memory is flushed, the
 * evaluator judges the version's window, and when its diagnosis names a `wrong-output` reason
 * a `rollback` to the previous version is proposed through the gate, once, with the
 * diagnosis and the disagreements (both outputs) as evidence.
 */
export function createShadowComparison(dependencies: ShadowComparisonDependencies): ShadowComparer {
  const { sandbox, compile, registry, memory, regression, evaluator, gate, background, emit, options } = dependencies;
  const tolerance = dependencies.tolerance ?? DEFAULT_EXAMPLE_TOLERANCE;
  const now = dependencies.now ?? Date.now;
  const random = options.random ?? Math.random;
  const states = new Map<string, VersionState>();
  let inFlight = 0;

  const stateOf = (version: ArtifactVersion): VersionState => {
    const key = `${version.name}@${version.version}`;
    let state = states.get(key);
    if (!state) {
      state = { served: 0, inFlightSkipped: 0, comparisons: 0, bothOk: 0, activeRight: 0, unconfirmed: [], wrong: 0, examples: [], rollback: 'none', nextRollbackAt: 0 };
      states.set(key, state);
    }
    return state;
  };

  const side = (version: ArtifactVersion, result: ReferenceRun | undefined, output?: JsonValue): ShadowSide =>
    result === undefined
      ? { version: version.version, contentHash: version.contentHash, ok: true, output: output ?? null, durationMs: 0 }
      : result.ok
        ? { version: version.version, contentHash: version.contentHash, ok: true, output: result.value, durationMs: result.durationMs }
        : { version: version.version, contentHash: version.contentHash, ok: false, errorCode: result.code, durationMs: result.durationMs };

  const recordWrong = (version: ArtifactVersion, disagreement: Disagreement, why: string): void => {
    disagreement.recorded = true;
    memory.record({
      tool: version.name,
      version: version.version,
      startedAt: disagreement.at,
      durationMs: disagreement.durationMs,
      outcome: { ok: false, error: { code: WRONG_OUTPUT_CODE, message: why.slice(0, 4000) } },
      inputHash: disagreement.inputHash,
      taskId: disagreement.taskId,
      modelTurn: disagreement.step,
    });
  };

  const keep = (state: VersionState, disagreement: Disagreement): void => {
    if (state.examples.length < MAX_KEPT_DISAGREEMENTS) state.examples.push(disagreement);
  };

  /** The golden output of a stored case for this input, when one that is not a capture exists. */
  const groundTruth = async (tool: string, inputHash: string): Promise<JsonValue | undefined> => {
    const cases = await regression.cases(tool, { includeHeldOut: true });
    const found = cases.find((entry) => entry.origin !== 'captured' && entry.expect.output !== undefined && contentHash(entry.input) === inputHash);
    return found?.expect.output;
  };

  const referenceKnownWrong = async (reference: ArtifactVersion): Promise<boolean> => {
    const summary = await memory.summary(reference.name, { version: reference.version, lastN: options.lastN });
    return summary.errors.some((error) => error.code === WRONG_OUTPUT_CODE);
  };

  const maybeRollBack = createShadowRollback({ registry, memory, evaluator, gate, emit, options });

  const compare = async (call: ShadowOffer, state: VersionState): Promise<void> => {
    const active = call.version;
    const reference = active.parent === null ? undefined : await registry.get(active.name, active.parent);
    const inputHash = contentHash(call.input);
    const capture = (): void => {
      background.track(regression.capture({ tool: active.name, version: active.version, input: call.input, result: { ok: true, value: call.output, durationMs: call.durationMs, logs: [] } }));
    };
    if (reference === undefined || reference.kind !== 'tool' || reference.contentHash === active.contentHash) {
      capture();
      return;
    }
    let result: ReferenceRun;
    try {
      const run = await sandbox.run(await compile(reference), call.input);
      result = run.ok ? { ok: true, value: run.value, durationMs: run.durationMs } : { ok: false, code: run.error.code, durationMs: run.durationMs };
    } catch (error) {
      // The previous version no longer compiles here: nothing to compare with.
      result = { ok: false, code: ToolwrightError.isInstance(error) ? error.code : 'CRASHED', durationMs: 0 };
    }
    state.comparisons += 1;
    const agreed = result.ok && outputsMatch(result.value, call.output, tolerance);
    const truthOutput = agreed || !result.ok ? undefined : await groundTruth(active.name, inputHash);
    const truth: ShadowComparison['truth'] =
      truthOutput === undefined ? undefined : outputsMatch(truthOutput, call.output, tolerance) ? 'active' : result.ok && outputsMatch(truthOutput, result.value, tolerance) ? 'reference' : 'neither';
    await regression
      .recordShadowComparison?.({ tool: active.name, inputHash, active: side(active, undefined, call.output), reference: side(reference, result), agreed, ...(truth === undefined ? {} : { truth }), at: now() })
      .catch(() => undefined);
    if (!result.ok) {
      capture();
      return;
    }
    state.bothOk += 1;
    if (agreed) {
      capture();
      return;
    }
    emit({ type: 'shadow-disagreement', name: active.name, version: active.version, reference: reference.version, ...(truth === undefined ? {} : { truth }) });
    const disagreement: Disagreement = { inputHash, activeOutput: call.output, referenceOutput: result.value, taskId: call.taskId, step: call.step, durationMs: call.durationMs, at: now(), recorded: false };
    keep(state, disagreement);
    if (truth === 'active') {
      state.activeRight += 1;
      capture();
      return;
    }
    if (truth === 'reference') {
      recordWrong(active, disagreement, `output ${preview(call.output)} differs from the stored case's ${preview(truthOutput ?? null)}, which v${reference.version} gives (shadow comparison)`);
      state.wrong += 1;
    } else if (truth === 'neither') {
      // Wrong by the stored case, but the previous version is no better: a rewrite, not a rollback.
      recordWrong(active, disagreement, `output ${preview(call.output)} differs from the stored case's ${preview(truthOutput ?? null)} (v${reference.version} gives neither)`);
    } else {
      if (state.unconfirmed.length < MAX_KEPT_DISAGREEMENTS) state.unconfirmed.push(disagreement);
      const enough = state.unconfirmed.length >= options.minDisagreements && state.unconfirmed.length / state.bothOk >= options.minDisagreementShare;
      if (enough && state.activeRight === 0 && !(await referenceKnownWrong(reference))) {
        for (const entry of state.unconfirmed) {
          if (entry.recorded) continue;
          recordWrong(
            active,
            entry,
            `output ${preview(entry.activeOutput)} differs from v${reference.version}'s ${preview(entry.referenceOutput)}; ${state.unconfirmed.length} of ${state.bothOk} shadow comparisons disagree, so the previous version is presumed right`,
          );
          state.wrong += 1;
        }
      }
    }
    await maybeRollBack(active, reference, state);
  };

  return {
    offer(call) {
      if (call.version.parent === null) return false;
      const state = stateOf(call.version);
      if (state.rollback !== 'none') return false;
      state.served += 1;
      const rate = state.served <= options.initialCalls ? options.initialRate : options.rate;
      if (rate <= 0 || random() >= rate) return false;
      if (inFlight >= options.maxConcurrent) {
        state.inFlightSkipped += 1;
        return false;
      }
      inFlight += 1;
      background.track(
        compare(call, state).finally(() => {
          inFlight -= 1;
        }),
      );
      return true;
    },
    async judgedWrong(version, input, expected) {
      if (version.parent === null) return;
      const reference = await registry.get(version.name, version.parent);
      if (reference === undefined || reference.kind !== 'tool') return;
      const state = stateOf(version);
      if (expected !== undefined) {
        // Rolling back helps only when the previous version gives the expected answer.
        const run = await sandbox.run(await compile(reference), input).catch(() => undefined);
        if (!run?.ok || !outputsMatch(expected, run.value, tolerance)) return;
        keep(state, { inputHash: contentHash(input), activeOutput: '(marked wrong by a person)', referenceOutput: run.value, taskId: 'feedback', step: 0, durationMs: 0, at: now(), recorded: true });
      }
      state.wrong += 1;
      await maybeRollBack(version, reference, state);
    },
  };
}
