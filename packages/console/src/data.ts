import { type ArtifactVersion, type Diagnosis, RegistryError, type ToolSummary } from '@toolwright/core';
import type { Toolwright } from 'toolwright';
import { sideBySide, type SideBySideRow } from './side-by-side.js';

/** The parts of {@link Toolwright} the console reads and acts through: the same APIs as the CLI's. */
export type ConsoleSource = Pick<Toolwright, 'registry' | 'memory' | 'policy' | 'evaluator' | 'approve' | 'reject' | 'database'>;

const STATUSES = ['active', 'candidate', 'retired', 'rejected'] as const;
/** Calls per version the tool list and a tool's page summarise, as `toolwright report` does by default. */
export const SUMMARY_LAST_N = 1000;

/** A version's measured behaviour over its last {@link SUMMARY_LAST_N} calls. */
export interface VersionFigures {
  readonly calls: number;
  readonly successRate: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly score: number | null;
  readonly health: Diagnosis['status'] | null;
  readonly reasons: readonly string[];
  readonly lastCallAt: number | null;
}

/** A row of the tool list. */
export interface ToolRow {
  readonly name: string;
  readonly activeVersion: number | null;
  readonly versions: number;
  readonly candidates: readonly number[];
  readonly pinned: boolean;
  readonly description: string;
  /** Of the active version (else the newest). */
  readonly figures: VersionFigures;
}

/** A version without its source, as the history table shows it. */
export type VersionInfo = Omit<ArtifactVersion, 'source'> & { readonly figures: VersionFigures };

/** A tool's page: its versions with their figures and the registry's change log. */
export interface ToolDetail {
  readonly name: string;
  readonly activeVersion: number | null;
  readonly versions: readonly VersionInfo[];
  readonly changes: Awaited<ReturnType<Toolwright['registry']['changeLog']>>;
}

/** One time bucket of one version. `null` figures: no call in the bucket. */
export interface SeriesPoint {
  /** Start of the bucket, epoch ms. */
  readonly t: number;
  readonly calls: number;
  readonly successRate: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly score: number | null;
}

/** Success rate, latency and score over time, per version, in equal time buckets. */
export interface ToolSeries {
  readonly name: string;
  /** First bucket start and end of the last one (exclusive), epoch ms; `null` when never called. */
  readonly from: number | null;
  readonly to: number | null;
  readonly bucketMs: number;
  readonly versions: readonly { readonly version: number; readonly status: string; readonly points: readonly SeriesPoint[] }[];
  /** The arms of the tool's experiments (when the umbrella carries a rollout): each arm serves one version, plotted as that version's line. */
  readonly arms: readonly ExperimentArmView[];
}

/** One arm of an experiment on a tool. */
export interface ExperimentArmView {
  readonly experiment: string;
  readonly kind: string;
  readonly status: string;
  readonly arm: string;
  readonly version: number;
}

/** Two versions of a tool: the unified diff, its side-by-side rows and the two sources. */
export interface ToolDiff {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly unified: string;
  readonly rows: readonly SideBySideRow[];
}

export async function toolNames(source: ConsoleSource): Promise<string[]> {
  const names = new Set<string>();
  for (const status of STATUSES) for (const version of await source.registry.list({ kind: 'tool', status })) names.add(version.name);
  return [...names].sort();
}

function figuresOf(source: ConsoleSource, summary: ToolSummary): VersionFigures {
  if (summary.count === 0) return { calls: 0, successRate: null, p50: null, p95: null, score: null, health: null, reasons: [], lastCallAt: null };
  const diagnosis = source.evaluator.evaluate(summary);
  return {
    calls: summary.count,
    successRate: summary.successRate,
    p50: summary.latency.p50,
    p95: summary.latency.p95,
    score: diagnosis.score,
    health: diagnosis.status,
    reasons: diagnosis.reasons.map((reason) => reason.message),
    lastCallAt: summary.lastAt ?? null,
  };
}

async function versionFigures(source: ConsoleSource, name: string, version: number): Promise<VersionFigures> {
  return figuresOf(source, await source.memory.summary(name, { lastN: SUMMARY_LAST_N, version }));
}

async function historyOf(source: ConsoleSource, name: string): Promise<ArtifactVersion[]> {
  const history = await source.registry.history(name);
  if (history.length === 0 || history[0]?.kind !== 'tool') {
    throw new RegistryError('REGISTRY_NOT_FOUND', `There is no tool named "${name}". The tool list shows the tools there are.`, { details: { name } });
  }
  return history;
}

/** The tool list: every tool with its active version's figures (as `toolwright tools list` + `report`). */
export async function listTools(source: ConsoleSource): Promise<ToolRow[]> {
  const rows: ToolRow[] = [];
  for (const name of await toolNames(source)) {
    const history = await source.registry.history(name);
    const active = history.find((version) => version.status === 'active');
    const shown = active ?? history[history.length - 1];
    if (shown === undefined) continue;
    rows.push({
      name,
      activeVersion: active?.version ?? null,
      versions: history.length,
      candidates: history.filter((version) => version.status === 'candidate').map((version) => version.version),
      pinned: history.some((version) => version.pinned),
      description: shown.spec?.description ?? '',
      figures: await versionFigures(source, name, shown.version),
    });
  }
  return rows;
}

/** A tool's versions (author, reason, status, figures) and its change log. */
export async function toolDetail(source: ConsoleSource, name: string): Promise<ToolDetail> {
  const history = await historyOf(source, name);
  const versions: VersionInfo[] = [];
  for (const { source: _source, ...version } of history) versions.push({ ...version, figures: await versionFigures(source, name, version.version) });
  return {
    name,
    activeVersion: history.find((version) => version.status === 'active')?.version ?? null,
    versions,
    changes: await source.registry.changeLog(name),
  };
}

/**
 * Success rate, p50 / p95 latency and the evaluator's score of every version over time: the
 * span from the tool's first call to its last, cut into `buckets` equal buckets. When the
 * memory has `series` (`@toolwright/memory` does), every bucket of every version comes from that
 * one grouped query; otherwise each bucket is summarised with `summary({ since, until, version })`
 * (one indexed range query per bucket and version). Both give the same figures; each point's
 * score is the evaluator's score of its bucket's figures.
 */
export async function toolSeries(source: ConsoleSource, name: string, buckets: number): Promise<ToolSeries> {
  const history = await historyOf(source, name);
  const arms = await experimentArms(source, name);
  const span = await source.memory.summary(name, { since: 0 });
  if (span.firstAt === undefined || span.lastAt === undefined) return { name, from: null, to: null, bucketMs: 0, versions: history.map((version) => ({ version: version.version, status: version.status, points: [] })), arms };
  const from = span.firstAt;
  const bucketMs = Math.max(1, Math.ceil((span.lastAt + 1 - from) / buckets));
  const to = from + buckets * bucketMs;
  const bucketsOf = typeof source.memory.series === 'function' ? await bucketsFromSeries(source, name, from, to, bucketMs) : undefined;
  const versions = [];
  for (const version of history) {
    const points: SeriesPoint[] = [];
    for (let index = 0; index < buckets; index += 1) {
      const since = from + index * bucketMs;
      const summary = bucketsOf === undefined ? await source.memory.summary(name, { since, until: since + bucketMs, version: version.version }) : bucketsOf.get(`${index}:${version.version}`);
      if (summary === undefined || summary.count === 0) {
        points.push({ t: since, calls: 0, successRate: null, p50: null, p95: null, score: null });
        continue;
      }
      points.push({ t: since, calls: summary.count, successRate: summary.successRate, p50: summary.latency.p50, p95: summary.latency.p95, score: source.evaluator.evaluate(summary).score });
    }
    versions.push({ version: version.version, status: version.status, points });
  }
  return { name, from, to, bucketMs, versions, arms };
}

/**
 * Every (bucket, version) of `[from, to)` from one `memory.series` query, keyed `index:version`,
 * each as the {@link ToolSummary} of its bucket. A series bucket has no error lists: the
 * evaluator's score does not read them (only success rate, latency and spread do), so the
 * score is the one `summary` per bucket would give.
 */
async function bucketsFromSeries(source: ConsoleSource, name: string, from: number, to: number, bucketMs: number): Promise<Map<string, ToolSummary>> {
  const series = source.memory.series;
  if (series === undefined) return new Map();
  const result = await series.call(source.memory, name, { since: from, until: to, bucketMs });
  const byBucket = new Map<string, ToolSummary>();
  for (const bucket of result.buckets) {
    byBucket.set(`${bucket.index}:${bucket.version}`, {
      tool: name,
      version: bucket.version,
      window: { since: bucket.start, until: bucket.start + bucketMs },
      count: bucket.count,
      successCount: bucket.successCount,
      successRate: bucket.successRate,
      latency: bucket.latency,
      errors: [],
      recentErrors: [],
      firstAt: bucket.firstAt,
      lastAt: bucket.lastAt,
    });
  }
  return byBucket;
}

async function experimentArms(source: ConsoleSource, name: string): Promise<ExperimentArmView[]> {
  const rollout = rolloutOf(source);
  if (rollout === undefined) return [];
  const experiments = (await rollout.experiments({ artifact: name })) as readonly ExperimentLike[];
  return experiments
    .filter((experiment) => experiment.artifact === name)
    .flatMap((experiment) => (experiment.arms ?? []).map((arm) => ({ experiment: experiment.id, kind: String(experiment.kind ?? ''), status: String(experiment.status ?? ''), arm: arm.name, version: arm.version })));
}

/** The fields of a rollout's experiment the console reads. */
interface ExperimentLike {
  readonly id: string;
  readonly artifact?: string;
  readonly kind?: string;
  readonly status?: string;
  readonly arms?: readonly { readonly name: string; readonly version: number }[];
}

/** The registry's diff of two versions, and the same laid out side by side. */
export async function toolDiff(source: ConsoleSource, name: string, from: number, to: number): Promise<ToolDiff> {
  const history = await historyOf(source, name);
  for (const wanted of [from, to]) {
    if (!history.some((version) => version.version === wanted)) {
      throw new RegistryError('REGISTRY_NOT_FOUND', `${name} has no version ${wanted}; it has ${history.map((version) => `v${version.version}`).join(', ')}.`, { details: { name, version: wanted } });
    }
  }
  const unified = await source.registry.diff(name, from, to);
  return { name, from, to, unified, rows: sideBySide(unified) };
}

type Approval = Awaited<ReturnType<Toolwright['policy']['approvals']['list']>>[number];

/** An approval request with its evidence diff laid out side by side. */
export type ApprovalView = Approval & { readonly diffRows: readonly SideBySideRow[] };

/** The approval queue (`status`: one status, or every request with `all`), newest first. */
export async function listApprovals(source: ConsoleSource, status: Approval['status'] | 'all'): Promise<ApprovalView[]> {
  const approvals = await source.policy.approvals.list(status === 'all' ? {} : { status });
  return approvals
    .map((approval) => ({ ...approval, diffRows: approval.evidence.diff === undefined ? [] : sideBySide(approval.evidence.diff) }))
    .sort((a, b) => b.proposedAt - a.proposedAt);
}

/** What the console knows of an experiment runner (`toolwright.rollout`, when the umbrella has one). */
interface RolloutLike {
  experiments(filter?: object): Promise<readonly { readonly id: string }[]>;
  report(id: string): Promise<unknown>;
}

/** The rollout of `source`, when the umbrella carries one (`toolwright.rollout`); else `undefined`. */
export function rolloutOf(source: object): RolloutLike | undefined {
  const rollout = (source as { readonly rollout?: unknown }).rollout;
  if (typeof rollout !== 'object' || rollout === null) return undefined;
  const candidate = rollout as Partial<RolloutLike>;
  return typeof candidate.experiments === 'function' && typeof candidate.report === 'function' ? (rollout as RolloutLike) : undefined;
}

/** Every experiment's report (arms, shares, figures, events), or `available: false` without a rollout. */
export async function listExperiments(source: object): Promise<{ readonly available: boolean; readonly experiments: readonly unknown[] }> {
  const rollout = rolloutOf(source);
  if (rollout === undefined) return { available: false, experiments: [] };
  const experiments = await rollout.experiments();
  const reports = [];
  for (const experiment of experiments) reports.push(await rollout.report(experiment.id));
  return { available: true, experiments: reports };
}
