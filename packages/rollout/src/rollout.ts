import { randomUUID } from 'node:crypto';
import { parseOrThrow, type RegistryReader, RolloutError, type VersionAssignment, type VersionSelector } from '@toolwright/core';
import { unitHash } from './call-key.js';
import {
  banditScope,
  type CanaryPlan,
  type Experiment,
  type ExperimentArm,
  type ExperimentEvent,
  type ExperimentStatus,
  experimentScope,
  isLive,
} from './experiment.js';
import { abInputSchema, canaryInputSchema, checkAllocation, checkShare } from './inputs.js';
import { type Random, seededRandom } from './random.js';
import type { StopRule } from './statistics/ab-test.js';
import { addCounts, type ArmCounts, type ArmFigures, type CallOutcome, EMPTY_COUNTS, figuresOf } from './statistics/arm-counts.js';
import { type BanditStrategy, thompsonChoice, ucb1Choice } from './statistics/bandit.js';
import { type CountsDelta, type ExperimentPatch, type RolloutDatabase, RolloutStore } from './store/rollout-store.js';

/** Which version serves one call of an artifact under an experiment (core's `VersionAssignment`): give it back to {@link Rollout.record} with the outcome. */
export type Assignment = VersionAssignment;

/** Which arm a bandit chose for one call: give it back to {@link Rollout.recordArm} with the outcome. */
export interface BanditAssignment {
  readonly taskType: string;
  readonly arm: string;
  readonly strategy: BanditStrategy;
}

/** An experiment and its per-arm figures, for people and `--json`. */
export interface ExperimentReport {
  readonly experiment: Experiment;
  readonly arms: readonly { readonly arm: string; readonly version: number; readonly share: number; readonly figures: ArmFigures }[];
  readonly events: readonly ExperimentEvent[];
}

/** Options of {@link createRollout}. */
export interface CreateRolloutOptions {
  /** The handle to keep experiments and counts in: `openDatabase(url)` of `@toolwright/store`. */
  readonly database: RolloutDatabase;
  /**
   * When given, an experiment's versions must exist and be fit to serve live calls: the artifact
   * not pinned, no version rejected, a canary's candidate the active version (the gate promoted
   * it), and no candidate that {@link CreateRolloutOptions.openRequest} names a request for.
   */
  readonly registry?: Pick<RegistryReader, 'get' | 'active'>;
  /**
   * The id of an open approval request (proposed or approved, not applied) that carries this
   * version, if any: such a candidate waits for a person and serves no live call. The umbrella
   * wires it to the policy's approval queue. Default: none is open.
   */
  readonly openRequest?: (artifact: string, version: number) => Promise<string | undefined>;
  /** Uniform numbers for unkeyed assignments and Thompson draws. Default `Math.random`; inject `seededRandom(n)` for determinism. */
  readonly random?: Random;
  /** Epoch ms. Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * How often counts are written and other processes' counts and experiments read, in ms.
   * Default 1,000; 0 turns the timer off (call `flush()` yourself).
   */
  readonly flushIntervalMs?: number;
  /** Called with a background flush's error (the counts stay pending and are retried). Default: kept as `lastError`. */
  readonly onError?: (error: unknown) => void;
}

/** Options of {@link Rollout.selectArm}. */
export interface SelectArmOptions {
  /** Thompson sampling (Beta-Bernoulli, the default) or UCB1. */
  readonly strategy?: BanditStrategy;
  /** A task or user id: the same key with the same counts gets the same arm. */
  readonly callKey?: string;
}

/**
 * Which version serves which call: experiments (canary, A/B) on artifacts, and bandits over
 * strategies per task type, with their per-arm counts persisted (SQLite or PostgreSQL) and
 * shared by every instance on the database.
 *
 * The hot path — {@link serve}, {@link record}, {@link selectArm}, {@link recordArm} — never
 * touches the database: experiments and counts are cached, increments buffered and written in
 * the background (`flushIntervalMs`) as atomic `n = n + delta` updates, and other instances'
 * counts read back at the same time.
 *
 * It is core's `VersionSelector`: give it to the tool runner (`versions: { selector: rollout, registry }`).
 */
export interface Rollout extends VersionSelector {
  /**
   * Starts a canary: `candidate` gets `share` (default 10 %) of `artifact`'s calls and
   * `baseline` the rest. Refuses a pinned artifact, unknown versions, a share outside 0..1, and
   * a second live experiment on the artifact; nothing is written then. Use the canary
   * controller to widen it and roll it back.
   */
  startCanary(input: {
    readonly artifact: string;
    readonly baseline: number;
    readonly candidate: number;
    readonly share?: number;
    readonly steps?: readonly number[];
    readonly test?: CanaryPlan['test'];
    readonly id?: string;
  }): Promise<Experiment>;
  /** Starts an A/B test with a fixed split (default equal) and a stop rule (default sequential, α 0.05, at most 10,000 calls per arm). */
  startAbTest(input: {
    readonly artifact: string;
    readonly arms: readonly ExperimentArm[];
    readonly allocation?: Readonly<Record<string, number>>;
    readonly stopRule?:
      | { readonly kind: 'sequential'; readonly alpha?: number; readonly minCallsPerArm?: number; readonly maxCallsPerArm: number; readonly mixingSd?: number }
      | { readonly kind: 'fixed'; readonly alpha?: number; readonly callsPerArm: number };
    readonly id?: string;
  }): Promise<Experiment>;
  /**
   * The version that serves this call of `artifact`, or `undefined` when no experiment runs on
   * it (serve the registry's active version). With a `callKey` the answer is the same for the
   * key for the whole experiment (a key in the first 10 % stays in the candidate's share as it
   * widens); without one it is random. A frozen experiment serves its baseline.
   */
  serve(artifact: string, callKey?: string): Assignment | undefined;
  /** Records a served call's outcome (buffered; written in the background). */
  record(assignment: Assignment, outcome: CallOutcome): void;
  /**
   * Chooses one of `arms` (strategies, tool versions, prompt variants) for a call of `taskType`,
   * from the counts recorded for that task type: Thompson sampling by default, or UCB1.
   * Throws `ROLLOUT_NO_ARMS` for no arms.
   */
  selectArm(taskType: string, arms: readonly string[], options?: SelectArmOptions): BanditAssignment;
  /** Records the outcome of a bandit's choice. Throws `ROLLOUT_UNKNOWN_ARM` for an arm never offered for the task type. */
  recordArm(assignment: Pick<BanditAssignment, 'taskType' | 'arm'>, outcome: CallOutcome): void;
  /** The counts of an experiment's arms as this instance knows them (stored plus pending), by arm name. */
  counts(experimentId: string): Record<string, ArmCounts>;
  /** The counts of a task type's arms, by arm name. */
  banditCounts(taskType: string): Record<string, ArmCounts>;
  /** The stored counts of any experiment (live or ended), read from the database, by arm name. */
  storedCounts(experimentId: string): Promise<Record<string, ArmCounts>>;
  /** An experiment with each arm's version, share and figures (from the stored counts) and its history: what `experiments show` prints. Throws `ROLLOUT_NOT_FOUND`. */
  report(experimentId: string): Promise<ExperimentReport>;
  /** One experiment, read from the database. */
  experiment(id: string): Promise<Experiment | undefined>;
  /** Experiments, newest first, read from the database. */
  experiments(filter?: { readonly status?: readonly ExperimentStatus[]; readonly artifact?: string }): Promise<Experiment[]>;
  /** An experiment's history (started, widened, rolled back, …) with its evidence. */
  events(id: string): Promise<ExperimentEvent[]>;
  /** Writes pending counts, then reads experiments and every instance's counts back. */
  flush(): Promise<void>;
  /** The last background flush error, if the last flush failed. */
  readonly lastError: unknown;
  /** Flushes and stops the timer. The database handle stays open (it is the opener's). Idempotent. */
  close(): Promise<void>;
}

/** What the controller in this package uses beyond the public surface. */
export interface RolloutInternals {
  readonly store: RolloutStore;
  readonly clock: () => number;
  /** Applies a transition (compare-and-set on the revision) and updates the cache. */
  transition(experiment: Experiment, patch: ExperimentPatch, event: Omit<ExperimentEvent, 'experimentId' | 'at'>): Promise<Experiment | undefined>;
  appendEvent(experiment: Experiment, event: Omit<ExperimentEvent, 'experimentId' | 'at'>): Promise<void>;
  /** The live experiments as cached. */
  live(): readonly Experiment[];
}

const INTERNALS = new WeakMap<Rollout, RolloutInternals>();

/** The controller's access to a rollout (internal to the package). */
export function internalsOf(rollout: Rollout): RolloutInternals {
  const internals = INTERNALS.get(rollout);
  if (internals === undefined) throw new TypeError('Not a rollout created by createRollout of @toolwright/rollout.');
  return internals;
}

/** A live experiment, prepared for the hot path: cumulative shares and one frozen assignment per arm. */
interface LiveEntry {
  readonly experiment: Experiment;
  readonly scope: string;
  readonly cumulative: Float64Array;
  readonly assignments: readonly Assignment[];
  readonly arms: ReadonlySet<string>;
}

interface MutableCounts {
  successes: number;
  failures: number;
  latencyMsSum: number;
  logLatencySum: number;
  logLatencySquareSum: number;
}

const emptyMutable = (): MutableCounts => ({ successes: 0, failures: 0, latencyMsSum: 0, logLatencySum: 0, logLatencySquareSum: 0 });

function addOutcome(target: MutableCounts, outcome: CallOutcome): void {
  const latency = outcome.latencyMs !== undefined && outcome.latencyMs > 0 ? outcome.latencyMs : 0;
  const log = Math.log1p(latency);
  if (outcome.success) target.successes++;
  else target.failures++;
  target.latencyMsSum += latency;
  target.logLatencySum += log;
  target.logLatencySquareSum += log * log;
}

function addInto(target: MutableCounts, counts: ArmCounts): void {
  target.successes += counts.successes;
  target.failures += counts.failures;
  target.latencyMsSum += counts.latencyMsSum;
  target.logLatencySum += counts.logLatencySum;
  target.logLatencySquareSum += counts.logLatencySquareSum;
}

type CountsMap = Map<string, Map<string, MutableCounts>>;

function bucket(map: CountsMap, scope: string, arm: string): MutableCounts {
  let arms = map.get(scope);
  if (arms === undefined) map.set(scope, (arms = new Map()));
  let counts = arms.get(arm);
  if (counts === undefined) arms.set(arm, (counts = emptyMutable()));
  return counts;
}

/**
 * Opens the rollout on a database: migrates its tables (`toolwright_rollout_migrations`), loads
 * the live experiments and the stored counts, and starts the background flush.
 *
 * @example
 * ```ts
 * const db = await openDatabase('sqlite:toolwright.db');
 * const rollout = await createRollout({ database: db });
 * const assignment = rollout.serve('total_fares', taskId);
 * // … run assignment?.version (or the active version when undefined) …
 * if (assignment) rollout.record(assignment, { success: true, latencyMs: 12 });
 * ```
 */
export async function createRollout(options: CreateRolloutOptions): Promise<Rollout> {
  const store = await RolloutStore.open(options.database);
  const random = options.random ?? Math.random;
  const clock = options.clock ?? Date.now;
  const registry = options.registry;
  const openRequest = options.openRequest;
  let live = new Map<string, LiveEntry>();
  let liveById = new Map<string, LiveEntry>();
  /** Every instance's counts as last read, plus what this instance recorded since. */
  let view: CountsMap = new Map();
  /** Recorded here, not yet written. */
  let pending: CountsMap = new Map();
  /** Being written by the flush under way. */
  let inFlight: CountsMap = new Map();
  /** The bandit arms offered per scope (recordArm refuses others). */
  const offered = new Map<string, Set<string>>();
  let closed = false;
  let lastError: unknown;
  let flushing: Promise<void> | undefined;

  const prepare = (experiment: Experiment): LiveEntry => {
    const cumulative = new Float64Array(experiment.arms.length);
    let total = 0;
    experiment.arms.forEach((arm, index) => {
      total += experiment.status === 'frozen' ? (index === 0 ? 1 : 0) : (experiment.allocation[arm.name] ?? 0);
      cumulative[index] = total;
    });
    return {
      experiment,
      scope: experimentScope(experiment.id),
      cumulative,
      assignments: experiment.arms.map((arm) => Object.freeze({ experimentId: experiment.id, artifact: experiment.artifact, arm: arm.name, version: arm.version })),
      arms: new Set(experiment.arms.map((arm) => arm.name)),
    };
  };

  const setLive = (experiments: readonly Experiment[]) => {
    const byArtifact = new Map<string, LiveEntry>();
    const byId = new Map<string, LiveEntry>();
    for (const experiment of experiments) {
      if (!isLive(experiment.status)) continue;
      const entry = prepare(experiment);
      byArtifact.set(experiment.artifact, entry);
      byId.set(experiment.id, entry);
    }
    live = byArtifact;
    liveById = byId;
  };

  const cacheExperiment = (experiment: Experiment) => {
    const others = [...liveById.values()].map((entry) => entry.experiment).filter((other) => other.id !== experiment.id);
    setLive([...others, experiment]);
  };

  const knownScopes = () => {
    const scopes = new Set<string>([...view.keys(), ...pending.keys(), ...offered.keys()]);
    for (const entry of liveById.values()) scopes.add(entry.scope);
    return [...scopes];
  };

  const readBack = async () => {
    setLive(await store.list({ status: ['running', 'frozen'] }));
    const stored = await store.counts(knownScopes());
    const next: CountsMap = new Map();
    for (const [scope, arms] of stored) for (const [arm, counts] of arms) addInto(bucket(next, scope, arm), counts);
    // What was recorded while we read is not in the stored figures yet.
    for (const [scope, arms] of pending) for (const [arm, counts] of arms) addInto(bucket(next, scope, arm), counts);
    view = next;
  };

  const flushOnce = async () => {
    inFlight = pending;
    pending = new Map();
    const deltas: CountsDelta[] = [];
    for (const [scope, arms] of inFlight) for (const [arm, counts] of arms) deltas.push({ scope, arm, counts: { ...counts } });
    try {
      await store.addCounts(deltas, clock());
    } catch (error) {
      // Nothing was written (one transaction): keep the increments for the next flush.
      for (const [scope, arms] of inFlight) for (const [arm, counts] of arms) addInto(bucket(pending, scope, arm), counts);
      inFlight = new Map();
      throw error;
    }
    inFlight = new Map();
    await readBack();
  };

  const flush = async () => {
    // One flush at a time; a caller arriving during one waits for it and then runs its own, so its records are written.
    while (flushing !== undefined) await flushing.catch(() => {});
    flushing = flushOnce();
    try {
      await flushing;
      lastError = undefined;
    } finally {
      flushing = undefined;
    }
  };

  const ensureOpen = (what: string) => {
    if (closed) throw new RolloutError('ROLLOUT_CLOSED', `Cannot ${what}: the rollout was closed. Create a new one with createRollout.`);
  };

  const checkVersions = async (artifact: string, versions: readonly number[], options: { readonly activeCandidate?: number; readonly openRequest?: (artifact: string, version: number) => Promise<string | undefined> } = {}) => {
    if (registry === undefined) return;
    const active = await registry.active(artifact);
    if (active?.pinned === true) {
      throw new RolloutError('ROLLOUT_PINNED', `${artifact} is pinned: no experiment may change which version serves it. Unpin it first (toolwright tools unpin ${artifact}).`, {
        details: { artifact },
      });
    }
    for (const version of versions) {
      const found = await registry.get(artifact, version);
      if (found === undefined) {
        throw new RolloutError('ROLLOUT_UNKNOWN_ARM', `${artifact} has no version ${version}: give versions that exist in the registry (toolwright tools history ${artifact}).`, {
          details: { artifact, version },
        });
      }
      if (found.pinned) {
        throw new RolloutError('ROLLOUT_PINNED', `${artifact} is pinned: no experiment may change which version serves it. Unpin it first.`, { details: { artifact } });
      }
      if (found.status === 'rejected') {
        throw new RolloutError('ROLLOUT_UNFIT_VERSION', `${artifact} v${version} is rejected: it serves no live call. Propose the change again as a new candidate.`, { details: { artifact, version, status: found.status } });
      }
      if (options.activeCandidate === version && found.status !== 'active') {
        throw new RolloutError(
          'ROLLOUT_UNFIT_VERSION',
          `${artifact} v${version} is ${found.status}, not the active version: a canary's candidate is promoted through the gate first (a rewrite-tool or promote-version), then it starts as a canary against the version it replaced.`,
          { details: { artifact, version, status: found.status } },
        );
      }
      const request = found.status === 'candidate' && options.openRequest !== undefined ? await options.openRequest(artifact, version) : undefined;
      if (request !== undefined) {
        throw new RolloutError('ROLLOUT_UNFIT_VERSION', `${artifact} v${version} waits for a person in request ${request}: it serves no live call before it is approved (toolwright approvals show ${request}).`, {
          details: { artifact, version, request },
        });
      }
    }
  };

  const begin = async (experiment: Experiment, data: Record<string, unknown>) => {
    await store.create(experiment, { experimentId: experiment.id, at: experiment.startedAt, event: 'started', data });
    cacheExperiment(experiment);
    return experiment;
  };

  const rollout: Rollout = {
    async startCanary(input) {
      ensureOpen('start a canary');
      const parsed = parseOrThrow(canaryInputSchema, input, 'canary start');
      const share = parsed.share ?? 0.1;
      checkShare(share, 'The canary share');
      if (share === 0 || share === 1) {
        throw new RolloutError(
          'ROLLOUT_INVALID_SHARE',
          `A canary share of ${share} is no canary: give the candidate's first share strictly between 0 and 1 (default 0.1).`,
          { details: { share } },
        );
      }
      const later = parsed.steps ?? [0.5, 1].filter((step) => step > share);
      for (const step of later) checkShare(step, 'A canary step');
      const steps = [share, ...later];
      if (steps.at(-1) !== 1) steps.push(1);
      for (let index = 1; index < steps.length; index++) {
        if ((steps[index] as number) <= (steps[index - 1] as number)) {
          throw new RolloutError('ROLLOUT_INVALID_SHARE', `The canary steps ${steps.join(' → ')} do not increase: give increasing shares ending at 1.`, {
            details: { steps },
          });
        }
      }
      if (parsed.baseline === parsed.candidate) {
        throw new RolloutError('ROLLOUT_NO_ARMS', `A canary needs two different versions; both are ${parsed.baseline}. Give the baseline and the candidate.`, {
          details: { artifact: parsed.artifact },
        });
      }
      await checkVersions(parsed.artifact, [parsed.baseline, parsed.candidate], { activeCandidate: parsed.candidate, ...(openRequest === undefined ? {} : { openRequest }) });
      const at = clock();
      const experiment: Experiment = {
        id: parsed.id ?? randomUUID(),
        kind: 'canary',
        artifact: parsed.artifact,
        arms: [
          { name: 'baseline', version: parsed.baseline },
          { name: 'candidate', version: parsed.candidate },
        ],
        allocation: { baseline: 1 - share, candidate: share },
        plan: { kind: 'canary', steps, test: parsed.test ?? {} },
        status: 'running',
        outcome: undefined,
        step: 0,
        startedAt: at,
        endedAt: undefined,
        revision: 0,
      };
      return begin(experiment, { share, steps, baseline: parsed.baseline, candidate: parsed.candidate });
    },

    async startAbTest(input) {
      ensureOpen('start an A/B test');
      const parsed = parseOrThrow(abInputSchema, input, 'A/B test start');
      if (parsed.arms.length < 2) {
        throw new RolloutError('ROLLOUT_NO_ARMS', `An A/B test needs at least two arms (the control first); ${parsed.arms.length} given.`, {
          details: { artifact: parsed.artifact },
        });
      }
      const names = parsed.arms.map((arm) => arm.name);
      if (new Set(names).size !== names.length) {
        throw new RolloutError('ROLLOUT_CONFLICT', `Arm names repeat (${names.join(', ')}): give every arm its own name.`, { details: { arms: names } });
      }
      const allocation = parsed.allocation ?? Object.fromEntries(names.map((name) => [name, 1 / names.length]));
      checkAllocation(allocation, names);
      const rule = parsed.stopRule ?? { kind: 'sequential', maxCallsPerArm: 10_000 };
      const stopRule: StopRule =
        rule.kind === 'fixed'
          ? { kind: 'fixed', alpha: rule.alpha ?? 0.05, callsPerArm: rule.callsPerArm }
          : { kind: 'sequential', alpha: rule.alpha ?? 0.05, minCallsPerArm: rule.minCallsPerArm ?? 50, maxCallsPerArm: rule.maxCallsPerArm, mixingSd: rule.mixingSd ?? 0.05 };
      await checkVersions(
        parsed.artifact,
        parsed.arms.map((arm) => arm.version),
        openRequest === undefined ? {} : { openRequest },
      );
      const at = clock();
      const experiment: Experiment = {
        id: parsed.id ?? randomUUID(),
        kind: 'ab',
        artifact: parsed.artifact,
        arms: parsed.arms,
        allocation,
        plan: stopRule,
        status: 'running',
        outcome: undefined,
        step: 0,
        startedAt: at,
        endedAt: undefined,
        revision: 0,
      };
      return begin(experiment, { allocation, stopRule });
    },

    serve(artifact, callKey) {
      const entry = live.get(artifact);
      if (entry === undefined) return undefined;
      const point = callKey === undefined ? random() : unitHash(`${entry.experiment.id}\u0000${callKey}`);
      const cumulative = entry.cumulative;
      const last = cumulative.length - 1;
      for (let index = 0; index < last; index++) if (point < (cumulative[index] as number)) return entry.assignments[index];
      return entry.assignments[last];
    },

    record(assignment, outcome) {
      ensureOpen('record an outcome');
      const entry = liveById.get(assignment.experimentId);
      if (entry !== undefined && !entry.arms.has(assignment.arm)) {
        throw new RolloutError('ROLLOUT_UNKNOWN_ARM', `Experiment ${assignment.experimentId} has no arm "${assignment.arm}": record the assignment serve() returned.`, {
          details: { experimentId: assignment.experimentId, arm: assignment.arm },
        });
      }
      const scope = entry?.scope ?? experimentScope(assignment.experimentId);
      addOutcome(bucket(pending, scope, assignment.arm), outcome);
      addOutcome(bucket(view, scope, assignment.arm), outcome);
    },

    selectArm(taskType, arms, selectOptions) {
      if (arms.length === 0) {
        throw new RolloutError('ROLLOUT_NO_ARMS', `selectArm("${taskType}") was given no arms: pass the strategies (or versions) to choose from.`, { details: { taskType } });
      }
      const scope = banditScope(taskType);
      let known = offered.get(scope);
      if (known === undefined) offered.set(scope, (known = new Set()));
      const stored = view.get(scope);
      const counts: ArmCounts[] = new Array(arms.length);
      for (let index = 0; index < arms.length; index++) {
        const arm = arms[index] as string;
        known.add(arm);
        counts[index] = stored?.get(arm) ?? EMPTY_COUNTS;
      }
      const strategy = selectOptions?.strategy ?? 'thompson';
      const index =
        strategy === 'ucb1'
          ? ucb1Choice(counts)
          : thompsonChoice(counts, selectOptions?.callKey === undefined ? random : seededRandom(Math.floor(unitHash(`${taskType}\u0000${selectOptions.callKey}`) * 4294967296)));
      return { taskType, arm: arms[index] as string, strategy };
    },

    recordArm(assignment, outcome) {
      ensureOpen('record an outcome');
      const scope = banditScope(assignment.taskType);
      if (offered.get(scope)?.has(assignment.arm) !== true && view.get(scope)?.has(assignment.arm) !== true) {
        throw new RolloutError(
          'ROLLOUT_UNKNOWN_ARM',
          `No arm "${assignment.arm}" was offered for task type "${assignment.taskType}": record the arm selectArm() returned.`,
          { details: { taskType: assignment.taskType, arm: assignment.arm } },
        );
      }
      addOutcome(bucket(pending, scope, assignment.arm), outcome);
      addOutcome(bucket(view, scope, assignment.arm), outcome);
    },

    counts(experimentId) {
      return snapshot(view.get(experimentScope(experimentId)));
    },

    banditCounts(taskType) {
      return snapshot(view.get(banditScope(taskType)));
    },

    async storedCounts(experimentId) {
      const scope = experimentScope(experimentId);
      const stored = (await store.counts([scope])).get(scope);
      return stored === undefined ? {} : Object.fromEntries(stored);
    },

    async report(experimentId) {
      const experiment = await store.get(experimentId);
      if (experiment === undefined) {
        throw new RolloutError('ROLLOUT_NOT_FOUND', `No experiment has id ${experimentId}: list them with toolwright experiments list.`, { details: { id: experimentId } });
      }
      const scope = experimentScope(experimentId);
      const stored = (await store.counts([scope])).get(scope);
      return {
        experiment,
        arms: experiment.arms.map((entry) => ({
          arm: entry.name,
          version: entry.version,
          share: experiment.status === 'frozen' ? (entry === experiment.arms[0] ? 1 : 0) : (experiment.allocation[entry.name] ?? 0),
          figures: figuresOf(stored?.get(entry.name) ?? EMPTY_COUNTS),
        })),
        events: await store.events(experimentId),
      };
    },

    experiment: (id) => store.get(id),
    experiments: (filter) => store.list(filter),
    events: (id) => store.events(id),

    async flush() {
      ensureOpen('flush');
      await flush();
    },

    get lastError() {
      return lastError;
    },

    async close() {
      if (closed) return;
      if (timer !== undefined) clearInterval(timer);
      try {
        await flush();
      } finally {
        closed = true;
      }
    },
  };

  INTERNALS.set(rollout, {
    store,
    clock,
    async transition(experiment, patch, event) {
      const at = clock();
      const updated = await store.transition(experiment.id, experiment.revision, patch, { ...event, experimentId: experiment.id, at }, at);
      if (updated !== undefined) cacheExperiment(updated);
      else await readBack();
      return updated;
    },
    async appendEvent(experiment, event) {
      await store.appendEvent({ ...event, experimentId: experiment.id, at: clock() });
    },
    live: () => [...liveById.values()].map((entry) => entry.experiment),
  });

  for (const scope of await store.banditScopes()) view.set(scope, new Map());
  await readBack();
  const interval = options.flushIntervalMs ?? 1000;
  const timer =
    interval > 0
      ? setInterval(() => {
          flush().catch((error: unknown) => {
            lastError = error;
            if (options.onError !== undefined) options.onError(error);
          });
        }, interval)
      : undefined;
  timer?.unref();
  return rollout;
}

function snapshot(arms: Map<string, MutableCounts> | undefined): Record<string, ArmCounts> {
  const result: Record<string, ArmCounts> = {};
  if (arms === undefined) return result;
  for (const [arm, counts] of arms) result[arm] = addCounts(EMPTY_COUNTS, counts);
  return result;
}

