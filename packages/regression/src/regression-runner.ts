import {
  type ArtifactVersion,
  type Candidate,
  type CaseResult,
  type CaseRun,
  type CompareRequest,
  type Diagnosis,
  type JsonValue,
  type RegressionCase,
  type RegressionRunner,
  type RunResult,
  type ToolManifest,
  type Verdict,
  RegressionError,
  ValidationError,
  parseOrThrow,
  toolManifestSchema,
  toolNameSchema,
} from '@toolwright/core';
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
import { decide } from './decision.js';
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
   * Stores the spec's examples as cases (golden output = the example's output). Examples are
   * never held out: the spec is visible to every rewriter. Inputs that already have a case are
   * left alone. Resolves to the cases added.
   */
  addExamples(spec: ToolManifest): Promise<RegressionCase[]>;
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
    signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, { message: 'an AbortSignal' }).optional(),
  })
  .strict();

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
 * import { openDatabase } from '@toolwright/memory';
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

  const runSide = async (version: VersionUnderTest, inputs: readonly JsonValue[], signal: AbortSignal | undefined) => {
    const compiled = await compileVersion(sandbox, version);
    if (!compiled.ok) return { compileError: compiled.error, results: undefined };
    signal?.throwIfAborted();
    const results: RunResult[] = await sandbox.runMany(compiled.tool, inputs, runOptions(signal));
    return { compileError: undefined, results };
  };

  return {
    async cases(tool, caseOptions) {
      const name = parseOrThrow(toolNameSchema, tool, 'tool name');
      const { includeHeldOut } = parseOrThrow(casesOptionsSchema, caseOptions, 'cases options');
      return (await store.list(name, includeHeldOut)).map(publicCase);
    },

    async addExamples(spec) {
      const manifest = parseOrThrow(toolManifestSchema, spec, 'tool spec');
      const added: RegressionCase[] = [];
      for (const example of manifest.examples) {
        const entry = storedCase(manifest.name, example.input, { expect: { output: example.output }, origin: 'example', heldOut: false, sourceVersion: undefined });
        if (await store.insertIfAbsent(entry)) added.push(publicCase(entry));
      }
      return added;
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
      const activeCompiled = await compileVersion(sandbox, active);
      if (!activeCompiled.ok) {
        throw new ValidationError('INVALID_ARGUMENT', `The active version ${active.label} does not compile in this sandbox (${activeCompiled.error.code}): ${activeCompiled.error.message}`);
      }
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
      signal?.throwIfAborted();
      // One side after the other, so neither measures its latency against the other's load.
      const baselineSide = baseline === undefined ? undefined : await runSide(baseline, inputs, signal);
      signal?.throwIfAborted();
      const candidateSide = await runSide(candidate, inputs, signal);

      const results: CaseResult[] = cases.map((entry, index) => {
        const tolerance = entry.expect.tolerance ?? config.tolerance;
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

      const shadow = await shadowSummaryOf(candidate);
      const { decision, reasons } = decide({
        candidateLabel: candidate.label,
        hasBaseline: baseline !== undefined,
        results,
        candidateCompileError: candidateSide.compileError,
        baselineCompileError: baselineSide?.compileError,
        diagnosis: parsed.diagnosis,
        shadow,
        minLatencyImprovement: config.minLatencyImprovement,
        minShadowAgreement: config.minShadowAgreement,
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
