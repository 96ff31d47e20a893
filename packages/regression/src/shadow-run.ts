import { type CompiledTool, type JsonValue, type RunResult, type Sandbox, jsonValueSchema, parseOrThrow } from '@toolwright/core';
import { inputHashOf } from './case-identity.js';
import { jsonEqual } from './json-compare.js';
import type { ShadowSummary } from './shadow-summary.js';
import type { CaseStore } from './store/case-store.js';
import type { VersionUnderTest } from './version-under-test.js';

/**
 * A candidate running beside the active version on live inputs, for a fixed number of calls,
 * without its output ever being served. Each observation (agreement, latency both sides,
 * the candidate's error) is stored; `compare` reads them into `Verdict.shadow`.
 */
export interface ShadowRun {
  /** How many calls the candidate shadows. */
  readonly target: number;
  /** How many candidate runs have been started so far (at most `target`). */
  readonly started: number;
  /** True once `target` candidate runs have been started; later calls run the active version only. */
  readonly complete: boolean;
  /**
   * Runs the active version on `input` and returns its result: what the caller serves. While
   * the shadow is not complete, the candidate runs on the same input at the same time; its
   * result is recorded, never returned, and never delays the active result.
   */
  serve(input: JsonValue): Promise<RunResult>;
  /**
   * For callers that ran the active version themselves: runs the candidate on `input` and
   * records it against `activeResult`. Resolves once recorded; does nothing when complete.
   */
  observe(input: JsonValue, activeResult: RunResult): Promise<void>;
  /** Waits for every candidate run started so far to be recorded; rejects if recording one failed. */
  settled(): Promise<void>;
  /** What the stored observations of this candidate show so far. */
  summary(): Promise<ShadowSummary | undefined>;
}

/** What a shadow run is built from (the runner compiles both versions first). */
export interface ShadowRunParts {
  readonly sandbox: Sandbox;
  readonly store: CaseStore;
  readonly candidate: VersionUnderTest;
  readonly candidateTool: CompiledTool;
  readonly active: VersionUnderTest;
  readonly activeTool: CompiledTool;
  readonly target: number;
  readonly tolerance: number;
  readonly timeoutMs: number | undefined;
  readonly now: () => number;
  readonly summarise: () => Promise<ShadowSummary | undefined>;
}

/** Builds a {@link ShadowRun}. */
export function createShadowRun(parts: ShadowRunParts): ShadowRun {
  let started = 0;
  const pending = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const runOptions = parts.timeoutMs === undefined ? undefined : { timeoutMs: parts.timeoutMs };

  const record = async (input: JsonValue, active: RunResult, candidate: RunResult): Promise<void> => {
    await parts.store.addShadowObservation({
      tool: parts.candidate.name,
      candidateHash: parts.candidate.hash,
      activeVersion: parts.active.version,
      inputHash: inputHashOf(input),
      activeOk: active.ok,
      candidateOk: candidate.ok,
      agreed: active.ok && candidate.ok && jsonEqual(candidate.value, active.value, parts.tolerance),
      activeMs: active.durationMs,
      candidateMs: candidate.durationMs,
      candidateErrorCode: candidate.ok ? undefined : candidate.error.code,
      at: parts.now(),
    });
  };

  const track = (work: Promise<void>): Promise<void> => {
    const tracked = work.catch((error: unknown) => {
      failures.push(error);
    });
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
    return work;
  };

  const reserve = (): boolean => {
    if (started >= parts.target) return false;
    started += 1;
    return true;
  };

  const checkInput = (input: JsonValue): JsonValue => parseOrThrow(jsonValueSchema, input, `shadow input of "${parts.candidate.name}"`);

  return {
    target: parts.target,
    get started() {
      return started;
    },
    get complete() {
      return started >= parts.target;
    },
    async serve(input) {
      const value = checkInput(input);
      if (!reserve()) return parts.sandbox.run(parts.activeTool, value, runOptions);
      const candidateRun = parts.sandbox.run(parts.candidateTool, value, runOptions);
      const activeRun = parts.sandbox.run(parts.activeTool, value, runOptions);
      void track(Promise.all([activeRun, candidateRun]).then(([active, candidate]) => record(value, active, candidate)));
      return activeRun;
    },
    async observe(input, activeResult) {
      const value = checkInput(input);
      if (!reserve()) return;
      await track(parts.sandbox.run(parts.candidateTool, value, runOptions).then((candidate) => record(value, activeResult, candidate)));
    },
    async settled() {
      while (pending.size > 0) await Promise.all([...pending]);
      if (failures.length > 0) {
        const first = failures[0];
        failures.length = 0;
        throw first;
      }
    },
    summary: parts.summarise,
  };
}
