import {
  type ArtifactVersion,
  type Candidate,
  type CaseResult,
  type CaseRun,
  type CompareRequest,
  type Diagnosis,
  type FeedbackRecord,
  type FeedbackRecordStatus,
  type JsonValue,
  type RegressionCase,
  type RegressionRunner,
  type RunResult,
  type ShadowComparison,
  jsonValueSchema,
  type ToolManifest,
  type Verdict,
  RegressionError,
  ValidationError,
  parseOrThrow,
  toolManifestSchema,
  toolNameSchema,
} from '@toolwright/core';
import type { InUnit } from '@toolwright/store';
import { z } from 'zod';
import {
  type CaptureInput,
  type CaptureOutcome,
  type ExplicitCaseInput,
  captureInputSchema,
  cleanExpectation,
  explicitCaseInputSchema,
  regressionCaseSchema,
} from './case-schemas.js';
import { checkRun, notCompiledRun, outputDiff } from './case-check.js';
import { caseIdOf, inputHashOf, isHeldOut } from './case-identity.js';
import { compileVersion } from './compile-version.js';
import { decide, type StatefulCase } from './decision.js';
import { CASES_PER_CALL, SideBudget } from './output-budget.js';
import { type RegressionRunnerOptions, parseRunnerOptions } from './options.js';
import { SchemaChecker } from './schema-check.js';
import { type ShadowRun, createShadowRun } from './shadow-run.js';
import { type ShadowSummary, summariseShadow } from './shadow-summary.js';
import type { CaseStore, StoredCase } from './store/case-store.js';
import { DatabaseCaseStore } from './store/database-case-store.js';
import { MemoryCaseStore } from './store/memory-case-store.js';
import { type VersionUnderTest, versionUnderTest } from './version-under-test.js';

/** What {@link RegressionSuite.shadow} needs. */
export interface ShadowRequest {
  readonly candidate: Candidate | ArtifactVersion;
  /** The version serving live traffic. */
  readonly active: ArtifactVersion;
  /** How many live calls the candidate shadows. */
  readonly runs: number;
}

/**
 * A {@link RegressionRunner} that also keeps each tool's cases — from the spec's examples,
 * added explicitly, and captured from live traffic with a stable, stored held-out split —
 * and runs candidates in the shadow of the active version.
 */
export interface RegressionSuite extends RegressionRunner {
  /**
   * Proves a candidate: both versions run in the sandbox on every case, each case in a fresh
   * isolate of its own (nothing a run leaves behind reaches the next case, nor production),
   * then the candidate is replayed warm to catch answers that change with the calls served.
   * With `capabilities: 'none'` both versions run with no capability at all, so nothing
   * reaches the network; a case whose run needs one fails with `CAPABILITY_DENIED`, and the
   * reasons say how many did.
   */
  compare(request: CompareRequest): Promise<Verdict>;
  /**
   * Stores the spec's examples as cases (golden output = the example's output). Examples are
   * never held out: the spec is visible to every rewriter. Inputs that already have a case are
   * left alone. All are stored or none: inside `unit` when one is given (they exist only once
   * it commits; a rollback leaves none), else in a transaction of their own. Resolves to the
   * cases added.
   *
   * @example
   * ```ts
   * await runInUnit(database, async (unit) => {
   *   await registryWriter.promote(spec.name, version, { unit });
   *   await regression.addExamples(spec, { unit });
   * });
   * ```
   */
  addExamples(spec: ToolManifest, options?: InUnit): Promise<RegressionCase[]>;
  /**
   * Resolves once the runner's tables are migrated (it starts migrating when created). Await
   * it before using the runner inside a unit of work on SQLite, whose one connection the unit
   * holds.
   */
  ready(): Promise<void>;
  /**
   * Adds a case written by a person or the integrator. A case with the same input is
   * replaced (its id is kept). `heldOut: true` keeps it from every rewriter.
   */
  addCase(input: ExplicitCaseInput): Promise<RegressionCase>;
  /**
   * Captures a live call as a case: the input, and the active version's output as the golden.
   * Only successful calls; one case per input (by input hash); at most `captureLimit`
   * captured cases per tool. A share (`heldOutShare`) is held out, chosen by a hash of the
   * case id, and the choice is stored.
   */
  capture(input: CaptureInput): Promise<CaptureOutcome>;
  /**
   * Starts shadowing: compiles both versions (a candidate the sandbox refuses throws its
   * `SandboxError`), then runs the candidate beside the active version on the next `runs`
   * live calls without serving its output. See {@link ShadowRun}.
   */
  shadow(request: ShadowRequest): Promise<ShadowRun>;
  /** What stored shadow runs show about a candidate (any process's), or `undefined` when it has none. */
  shadowSummary(candidate: Candidate | ArtifactVersion): Promise<ShadowSummary | undefined>;
  /**
   * Stores one post-promotion comparison (core's `ShadowComparison`): the agent ran the version
   * the active one replaced on a live input. It is a shadow run of that previous version (by
   * its content hash, so `shadowSummary(previous)` counts it) that also keeps both outputs.
   */
  recordShadowComparison(comparison: ShadowComparison): Promise<void>;
  /** The newest shadow runs of a tool whose two sides disagreed, newest first (default 20, at most 1,000), with both outputs when stored. */
  shadowDisagreements(tool: string, options?: { readonly limit?: number }): Promise<ShadowDisagreement[]>;
  /**
   * Remembers that a person judged call `callId` wrong, once per call id, where the cases are
   * kept (table `regression_feedback_calls` with the database, this process otherwise):
   * `'recorded'` the first time, `'already-recorded'` after — from any process on the same
   * database. The agent's feedback records its `WRONG_OUTPUT` signal only on `'recorded'`.
   */
  recordFeedback(record: FeedbackRecord): Promise<FeedbackRecordStatus>;
}

/** A stored shadow run in which the two sides disagreed. */
export interface ShadowDisagreement {
  readonly tool: string;
  readonly inputHash: string;
  readonly activeVersion: number | undefined;
  /** The shadowed version's number, for post-promotion comparisons (the version the active one replaced). */
  readonly shadowVersion: number | undefined;
  readonly activeOk: boolean;
  readonly shadowOk: boolean;
  readonly activeOutput?: JsonValue;
  readonly shadowOutput?: JsonValue;
  /** Which side a ground truth backed, when one did. */
  readonly truth?: 'active' | 'reference' | 'neither';
  readonly at: number;
}

const compareRequestSchema = z
  .object({
    candidate: z.custom<Candidate | ArtifactVersion>((value) => typeof value === 'object' && value !== null, { message: 'a Candidate or a tool ArtifactVersion' }),
    baseline: z.custom<ArtifactVersion>((value) => typeof value === 'object' && value !== null, { message: 'a tool ArtifactVersion' }).optional(),
    cases: z.array(regressionCaseSchema).max(100_000),
    diagnosis: z
      .custom<Diagnosis>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as Record<string, unknown>)['needsRewrite'] === 'boolean' &&
          Array.isArray((value as Record<string, unknown>)['reasons']),
        { message: 'a Diagnosis (needsRewrite, reasons, ...) from an Evaluator' },
      )
      .optional(),
    capabilities: z.enum(['declared', 'none']).optional(),
    signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, { message: 'an AbortSignal' }).optional(),
  })
  .strict();

const unitOptionsSchema = z
  .object({
    unit: z
      .custom<NonNullable<InUnit['unit']>>(
        (value) => typeof value === 'object' && value !== null && typeof (value as { afterCommit?: unknown }).afterCommit === 'function',
        { message: 'a UnitOfWork from @toolwright/store (runInUnit)' },
      )
      .optional(),
  })
  .strict()
  .default({});

/** How many times the warm replay runs the cases through one isolate. */
const WARM_REPLAY_ROUNDS = 2;

const shadowSideSchema = z
  .object({
    version: z.number().int().min(1),
    contentHash: z.string().regex(/^[0-9a-f]{64}$/),
    ok: z.boolean(),
    output: jsonValueSchema.optional(),
    errorCode: z.string().max(100).optional(),
    durationMs: z.number().nonnegative().finite(),
  })
  .strict();
const shadowComparisonSchema = z
  .object({
    tool: toolNameSchema,
    inputHash: z.string().regex(/^[0-9a-f]{64}$/),
    active: shadowSideSchema,
    reference: shadowSideSchema,
    agreed: z.boolean(),
    truth: z.enum(['active', 'reference', 'neither']).optional(),
    at: z.number().int().nonnegative(),
  })
  .strict();
const feedbackRecordSchema = z
  .object({
    callId: z.string().min(1).max(400),
    tool: toolNameSchema,
    version: z.number().int().positive(),
    at: z.number().int().nonnegative(),
  })
  .strict();
const disagreementsOptionsSchema = z.object({ limit: z.number().int().positive().max(1_000).default(20) }).strict().default({ limit: 20 });

const casesOptionsSchema = z.object({ includeHeldOut: z.boolean().default(false) }).strict().default({ includeHeldOut: false });
const shadowRequestSchema = z
  .object({
    candidate: z.custom<Candidate | ArtifactVersion>((value) => typeof value === 'object' && value !== null, { message: 'a Candidate or a tool ArtifactVersion' }),
    active: z.custom<ArtifactVersion>((value) => typeof value === 'object' && value !== null, { message: 'a tool ArtifactVersion' }),
    runs: z.number().int().positive().max(1_000_000),
  })
  .strict();

/**
 * Creates the regression runner: cases stored per tool (in `database`, or in this process),
 * both versions run in the sandbox on every case, and a verdict that promotes only a
 * candidate that regresses on nothing and fixes the diagnosed problem.
 *
 * @example
 * ```ts
 * import { createSandbox } from '@toolwright/sandbox';
 * import { openDatabase } from '@toolwright/store';
 * import { createRegressionRunner } from '@toolwright/regression';
 *
 * const regression = createRegressionRunner({ sandbox: createSandbox(), database: await openDatabase('sqlite:./toolwright.db') });
 * await regression.addExamples(active.spec);
 * await regression.capture({ tool: 'total_fares', version: 1, input, result }); // from live traffic
 * const cases = await regression.cases('total_fares', { includeHeldOut: true });
 * const verdict = await regression.compare({ candidate, baseline: active, cases, diagnosis });
 * if (verdict.decision === 'reject') console.log(verdict.reasons);
 * ```
 */
export function createRegressionRunner(options: RegressionRunnerOptions): RegressionSuite {
  const config = parseRunnerOptions(options);
  const { sandbox } = config;
  const now = config.now ?? Date.now;
  const store: CaseStore = config.database === undefined ? new MemoryCaseStore() : new DatabaseCaseStore(config.database);
  // Migrate now, so that a unit of work opened later finds the tables ready; a failure is
  // reported by the first call that needs them (which tries again).
  store.ready().catch(() => undefined);
  const schemas = new SchemaChecker();
  const runOptions = (signal?: AbortSignal) => ({
    ...(config.runTimeoutMs === undefined ? {} : { timeoutMs: config.runTimeoutMs }),
    ...(signal === undefined ? {} : { signal }),
  });

  const storedCase = (tool: string, input: JsonValue, fields: Pick<StoredCase, 'expect' | 'origin' | 'heldOut' | 'sourceVersion'>): StoredCase => {
    const inputHash = inputHashOf(input);
    return { id: caseIdOf(tool, inputHash), tool, input, inputHash, createdAt: now(), ...fields };
  };

  const shadowSummaryOf = async (version: VersionUnderTest): Promise<ShadowSummary | undefined> =>
    summariseShadow(await store.shadowObservations(version.name, version.hash));

  /**
   * One side of a comparison: compiled with a fresh isolate per case (so no state crosses from
   * one case to the next, nor into production's isolates) and run in calls of
   * {@link CASES_PER_CALL} cases, keeping within its half of the comparison's output budget.
   */
  const runSide = async (version: VersionUnderTest, inputs: readonly JsonValue[], capabilities: 'declared' | 'none', signal: AbortSignal | undefined, label: string) => {
    const compiled = await compileVersion(sandbox, version, { capabilities, isolation: 'per-run' });
    if (!compiled.ok) return { compileError: compiled.error, results: undefined };
    const budget = new SideBudget(Math.floor(config.maxComparisonOutputBytes / 2), Math.floor(config.maxComparisonOutputNodes / 2), label);
    const results: RunResult[] = [];
    for (let start = 0; start < inputs.length; start += CASES_PER_CALL) {
      signal?.throwIfAborted();
      const slice = inputs.slice(start, start + CASES_PER_CALL);
      if (budget.spent) {
        for (let index = 0; index < slice.length; index += 1) results.push(budget.notRun());
        continue;
      }
      for (const result of await sandbox.runMany(compiled.tool, slice, runOptions(signal))) {
        results.push(budget.spent ? budget.notRun() : budget.admit(result));
      }
    }
    return { compileError: undefined, results };
  };

  /**
   * The candidate once more, warm, as production will run it: every case in order, twice over,
   * in one isolate of its own and with no capability (nothing more reaches the network). A case
   * it passed in a fresh isolate but fails here means its answers depend on how many calls it
   * has served: a tool that behaves for its first calls and then changes.
   */
  const replayWarm = async (version: VersionUnderTest, cases: readonly RegressionCase[], fresh: readonly CaseResult[], signal: AbortSignal | undefined): Promise<StatefulCase[]> => {
    if (!fresh.some((result) => result.candidate.pass)) return [];
    const compiled = await compileVersion(sandbox, version, { capabilities: 'none', isolation: 'warm' });
    if (!compiled.ok) return [];
    const found: StatefulCase[] = [];
    let calls = 0;
    for (let round = 0; round < WARM_REPLAY_ROUNDS; round += 1) {
      for (let start = 0; start < cases.length; start += CASES_PER_CALL) {
        signal?.throwIfAborted();
        const slice = cases.slice(start, start + CASES_PER_CALL);
        const results = await sandbox.runMany(compiled.tool, slice.map((entry) => entry.input), runOptions(signal));
        results.forEach((result, offset) => {
          calls += 1;
          const entry = slice[offset];
          if (entry === undefined || fresh[start + offset]?.candidate.pass !== true) return;
          // Without capabilities a case that needs one cannot be judged here; it was judged fresh.
          if (!result.ok && (result.error.code === 'CAPABILITY_DENIED' || result.error.code === 'OUTPUT_TOO_LARGE')) return;
          const run = checkRun(entry, result, schemas, config.tolerance);
          if (!run.pass && !found.some((known) => known.caseId === entry.id)) found.push({ caseId: entry.id, earlierCalls: calls - 1, failure: run.failures[0] ?? 'failed' });
        });
      }
    }
    return found;
  };

  return {
    async cases(tool, caseOptions) {
      const name = parseOrThrow(toolNameSchema, tool, 'tool name');
      const { includeHeldOut } = parseOrThrow(casesOptionsSchema, caseOptions, 'cases options');
      return (await store.list(name, includeHeldOut)).map(publicCase);
    },

    async addExamples(spec, options) {
      const manifest = parseOrThrow(toolManifestSchema, spec, 'tool spec');
      const { unit } = parseOrThrow(unitOptionsSchema, options, 'addExamples options');
      const entries = manifest.examples.map((example) =>
        storedCase(manifest.name, example.input, { expect: { output: example.output, ...toleranceOf(manifest) }, origin: 'example', heldOut: false, sourceVersion: undefined }),
      );
      if (entries.length === 0) return [];
      return (await store.insertAllIfAbsent(entries, unit)).map(publicCase);
    },

    ready() {
      return store.ready();
    },

    async addCase(input) {
      const parsed = parseOrThrow(explicitCaseInputSchema, input, 'regression case');
      const expect = cleanExpectation(parsed.expect);
      if (expect.schema !== undefined) schemas.compile(expect.schema, `the case for "${parsed.tool}"`);
      const stored = await store.upsert(storedCase(parsed.tool, parsed.input, { expect, origin: 'explicit', heldOut: parsed.heldOut, sourceVersion: undefined }));
      return publicCase(stored);
    },

    async capture(input) {
      const parsed = parseOrThrow(captureInputSchema, input, 'captured call');
      if (!parsed.result.ok) return { captured: false, reason: 'failed-call' };
      const inputHash = inputHashOf(parsed.input);
      const id = caseIdOf(parsed.tool, inputHash);
      const entry = storedCase(parsed.tool, parsed.input, {
        expect: { output: parsed.result.value },
        origin: 'captured',
        heldOut: isHeldOut(id, config.heldOutShare),
        sourceVersion: parsed.version,
      });
      const outcome = await store.insertCaptured(entry, config.captureLimit);
      return outcome === 'captured' ? { captured: true, case: publicCase(entry) } : { captured: false, reason: outcome };
    },

    async shadow(request) {
      const parsed = parseOrThrow(shadowRequestSchema, request, 'shadow request');
      const candidate = versionUnderTest(parsed.candidate, 'shadow candidate');
      const active = versionUnderTest(parsed.active, 'active version');
      if (candidate.name !== active.name) {
        throw new ValidationError('INVALID_ARGUMENT', `Cannot shadow ${active.label} with ${candidate.label}: they are different tools.`);
      }
      const activeCompiled = await compileVersion(sandbox, active, { capabilities: 'declared', isolation: 'warm' });
      if (!activeCompiled.ok) {
        throw new ValidationError('INVALID_ARGUMENT', `The active version ${active.label} does not compile in this sandbox (${activeCompiled.error.code}): ${activeCompiled.error.message}`);
      }
      // Warm, as production runs it (a sandbox gives every compile an isolate of its own).
      const candidateTool = await sandbox.compile({ name: candidate.name, source: candidate.source, language: candidate.spec.language, capabilities: candidate.spec.capabilities });
      return createShadowRun({
        sandbox,
        store,
        candidate,
        candidateTool,
        active,
        activeTool: activeCompiled.tool,
        target: parsed.runs,
        tolerance: config.tolerance,
        timeoutMs: config.runTimeoutMs,
        now,
        summarise: () => shadowSummaryOf(candidate),
      });
    },

    async shadowSummary(candidate) {
      return shadowSummaryOf(versionUnderTest(candidate, 'candidate'));
    },

    async recordShadowComparison(comparison) {
      const parsed = parseOrThrow(shadowComparisonSchema, comparison, 'shadow comparison');
      await store.addShadowObservation({
        tool: parsed.tool,
        candidateHash: parsed.reference.contentHash,
        activeVersion: parsed.active.version,
        inputHash: parsed.inputHash,
        activeOk: parsed.active.ok,
        candidateOk: parsed.reference.ok,
        agreed: parsed.agreed,
        activeMs: parsed.active.durationMs,
        candidateMs: parsed.reference.durationMs,
        candidateErrorCode: parsed.reference.ok ? undefined : (parsed.reference.errorCode ?? 'UNKNOWN'),
        at: parsed.at,
        candidateVersion: parsed.reference.version,
        activeOutput: parsed.active.output,
        candidateOutput: parsed.reference.output,
        truth: parsed.truth,
      });
    },

    async recordFeedback(record) {
      const parsed = parseOrThrow(feedbackRecordSchema, record, 'feedback record');
      return store.recordFeedback(parsed);
    },

    async shadowDisagreements(tool, disagreementOptions) {
      const name = parseOrThrow(toolNameSchema, tool, 'tool name');
      const { limit } = parseOrThrow(disagreementsOptionsSchema, disagreementOptions, 'shadowDisagreements options');
      return (await store.shadowDisagreements(name, limit)).map((observation) => ({
        tool: observation.tool,
        inputHash: observation.inputHash,
        activeVersion: observation.activeVersion,
        shadowVersion: observation.candidateVersion,
        activeOk: observation.activeOk,
        shadowOk: observation.candidateOk,
        ...(observation.activeOutput === undefined ? {} : { activeOutput: observation.activeOutput }),
        ...(observation.candidateOutput === undefined ? {} : { shadowOutput: observation.candidateOutput }),
        ...(observation.truth === undefined ? {} : { truth: observation.truth }),
        at: observation.at,
      }));
    },

    async compare(request: CompareRequest): Promise<Verdict> {
      const parsed = parseOrThrow(compareRequestSchema, request, 'compare request');
      const candidate = versionUnderTest(parsed.candidate, 'candidate');
      const baseline = parsed.baseline === undefined ? undefined : versionUnderTest(parsed.baseline, 'baseline');
      if (baseline !== undefined && baseline.name !== candidate.name) {
        throw new ValidationError('INVALID_ARGUMENT', `Cannot compare ${candidate.label} with ${baseline.label}: they are different tools.`);
      }
      const cases = parsed.cases.map((entry) => ({ ...entry, expect: cleanExpectation(entry.expect) }));
      if (cases.length === 0) {
        throw new RegressionError(
          'REGRESSION_NO_CASES',
          `There are no cases to prove ${candidate.label} against. Add examples to its spec, add cases, or capture live calls first.`,
        );
      }
      const foreign = cases.find((entry) => entry.tool !== candidate.name);
      if (foreign !== undefined) {
        throw new ValidationError('INVALID_ARGUMENT', `Case ${foreign.id} belongs to "${foreign.tool}", not to "${candidate.name}"; pass only the cases of the tool under test.`);
      }
      for (const entry of cases) if (entry.expect.schema !== undefined) schemas.compile(entry.expect.schema, `case ${entry.id}`);

      const inputs = cases.map((entry) => entry.input);
      const { signal } = parsed;
      const capabilities = parsed.capabilities ?? 'declared';
      signal?.throwIfAborted();
      // One side after the other, so neither measures its latency against the other's load.
      const baselineSide = baseline === undefined ? undefined : await runSide(baseline, inputs, capabilities, signal, 'the baseline');
      signal?.throwIfAborted();
      const candidateSide = await runSide(candidate, inputs, capabilities, signal, 'the candidate');

      const results: CaseResult[] = cases.map((entry, index) => {
        const tolerance = { absolute: entry.expect.tolerance ?? config.tolerance, relative: entry.expect.relativeTolerance ?? 0 };
        const candidateRun = sideRun(candidateSide, index, entry, (result) => checkRun(entry, result, schemas, config.tolerance));
        const baselineRun =
          baselineSide === undefined ? undefined : sideRun(baselineSide, index, entry, (result) => checkRun(entry, result, schemas, config.tolerance));
        const diff = outputDiff(candidateRun.output, baselineRun?.output, tolerance);
        return {
          caseId: entry.id,
          heldOut: entry.heldOut,
          candidate: candidateRun,
          baseline: baselineRun,
          regressed: baselineRun?.pass === true && !candidateRun.pass,
          ...(diff === undefined ? {} : { outputDiff: diff }),
        };
      });

      const stateful = candidateSide.compileError === undefined ? await replayWarm(candidate, cases, results, signal) : [];
      const shadow = await shadowSummaryOf(candidate);
      const { decision, reasons } = decide({
        candidateLabel: candidate.label,
        hasBaseline: baseline !== undefined,
        results,
        stateful,
        candidateCompileError: candidateSide.compileError,
        baselineCompileError: baselineSide?.compileError,
        diagnosis: parsed.diagnosis,
        shadow,
        minLatencyImprovement: config.minLatencyImprovement,
        minShadowAgreement: config.minShadowAgreement,
        capabilities,
      });
      return {
        tool: candidate.name,
        candidateVersion: candidate.version,
        baselineVersion: baseline?.version,
        decision,
        reasons,
        cases: results,
        totals: {
          cases: results.length,
          candidatePassed: results.filter((result) => result.candidate.pass).length,
          baselinePassed: results.filter((result) => result.baseline?.pass === true).length,
          regressions: results.filter((result) => result.regressed).length,
        },
        ...(shadow === undefined
          ? {}
          : { shadow: { runs: shadow.runs, agreement: shadow.agreement, candidateP50Ms: shadow.candidateP50Ms, baselineP50Ms: shadow.baselineP50Ms } }),
      };
    },
  };
}

function sideRun(
  side: { compileError: { code: string; message: string } | undefined; results: RunResult[] | undefined },
  index: number,
  entry: RegressionCase,
  check: (result: RunResult) => CaseRun,
): CaseRun {
  if (side.compileError !== undefined) return notCompiledRun(side.compileError.code, side.compileError.message);
  const result = side.results?.[index];
  if (result === undefined) {
    return { pass: false, error: { code: 'CRASHED', message: `The sandbox returned no result for case ${entry.id}.` }, durationMs: 0, failures: ['the sandbox returned no result'] };
  }
  return check(result);
}

function publicCase(entry: StoredCase | RegressionCase): RegressionCase {
  return { id: entry.id, tool: entry.tool, input: entry.input, expect: entry.expect, origin: entry.origin, heldOut: entry.heldOut };
}

/** The tolerance a spec sets for its examples, as a case's expectation fields. */
function toleranceOf(manifest: ToolManifest): { tolerance?: number; relativeTolerance?: number } {
  const { absolute, relative } = manifest.tolerance ?? {};
  return { ...(absolute === undefined ? {} : { tolerance: absolute }), ...(relative === undefined || relative === 0 ? {} : { relativeTolerance: relative }) };
}
