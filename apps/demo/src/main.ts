import { parseArgs } from 'node:util';
import { modelFromEnvironment, runDemo, type DemoReport } from './demo.js';
import type { TaskRow } from './scenario-a.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, db: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log('Usage: toolwright-demo [--db sqlite:./toolwright-demo.db] [--json]\n\nWith OPENAI_API_KEY, or TOOLWRIGHT_BASE_URL and TOOLWRIGHT_MODEL, scenario A also runs on that model.');
  process.exit(0);
}

// With --json, stdout carries only the report; progress goes to stderr.
const progress = (line: string): void => {
  (values.json ? process.stderr : process.stdout).write(`${line}\n`);
};
let realModel: ReturnType<typeof modelFromEnvironment>;
try {
  realModel = modelFromEnvironment();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const report = await runDemo({ ...(values.db ? { database: values.db } : {}), progress, ...(realModel ? { realModel } : {}) });

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  print(report);
}

/** Columns of {@link table} under one label; a table's groups cover its columns left to right. */
interface ColumnGroup {
  readonly label: string;
  readonly span: number;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], groups: readonly ColumnGroup[] = []): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const spanned = (start: number, span: number): number => widths.slice(start, start + span).reduce((total, width) => total + width, 0) + 2 * (span - 1);
  let start = 0;
  for (const group of groups) {
    // Widen the group's last column until the label fits above the group.
    const missing = group.label.length - spanned(start, group.span);
    if (missing > 0) widths[start + group.span - 1] = (widths[start + group.span - 1] ?? 0) + missing;
    start += group.span;
  }
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  const lines = [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  if (groups.length > 0) {
    start = 0;
    const labels = groups.map((group) => {
      const label = group.label.padEnd(spanned(start, group.span));
      start += group.span;
      return label;
    });
    lines.unshift(labels.join('  '));
  }
  return lines.join('\n');
}

function taskTable(rows: readonly TaskRow[]): string {
  return table(
    ['task', 'answer', 'truth', 'exact', 'tool', 'tokens', 'ms'],
    rows.map((row) => [row.task, JSON.stringify(row.answer), String(Math.round(row.truth * 100) / 100), row.exact ? 'yes' : 'NO', row.toolName ? `${row.tool} (${row.toolName})` : row.tool, String(row.tokens), row.ms.toFixed(0)]),
  );
}

type RealModelRun = NonNullable<DemoReport['scenarioA']['realModel']>;

/** Scenario A's three runs, labelled: the offline model, then the real model as static baseline and self-improving. */
function modesOf(offline: readonly TaskRow[], real: RealModelRun): { readonly label: string; readonly rows: readonly TaskRow[] }[] {
  return [
    { label: `offline (${offline[0]?.model ?? 'offline'})`, rows: offline },
    { label: `static baseline (${real.model})`, rows: real.baseline },
    { label: `self-improving (${real.model})`, rows: real.selfImproving },
  ];
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Scenario A side by side: one row per task, a group of columns per run. */
function comparisonTable(offline: readonly TaskRow[], real: RealModelRun): string {
  const modes = modesOf(offline, real);
  const cells = (row: TaskRow | undefined): string[] =>
    row ? [shorten(JSON.stringify(row.answer), 24), row.exact ? 'yes' : 'NO', String(row.tokens), row.tool] : ['-', '-', '-', '-'];
  return table(
    ['task', 'truth', ...modes.flatMap(() => ['answer', 'exact', 'tokens', 'tool'])],
    offline.map((row, index) => [row.task, String(Math.round(row.truth * 100) / 100), ...modes.flatMap((mode) => cells(mode.rows[index]))]),
    [{ label: '', span: 2 }, ...modes.map((mode) => ({ label: mode.label, span: 4 }))],
  );
}

/** Per run: exact answers, tokens spent, tools built and reused. */
function totalsTable(offline: readonly TaskRow[], real: RealModelRun): string {
  return table(
    ['mode', 'exact', 'tokens', 'built', 'reused'],
    modesOf(offline, real).map(({ label, rows }) => [
      label,
      `${rows.filter((row) => row.exact).length}/${rows.length}`,
      String(rows.reduce((total, row) => total + row.tokens, 0)),
      String(rows.filter((row) => row.tool === 'built').length),
      String(rows.filter((row) => row.tool.startsWith('reused')).length),
    ]),
  );
}

function print(report: DemoReport): void {
  const { scenarioA: a, scenarioB: b } = report;
  console.log('\n=== Scenario A: authoring and reuse ===');
  if (a.realModel) {
    console.log(comparisonTable(a.rows, a.realModel));
    console.log(`\n${totalsTable(a.rows, a.realModel)}`);
    if (report.reusedEarlierRun) console.log('(offline: tools from an earlier run on this database were reused)');
  } else {
    console.log(taskTable(a.rows));
    console.log(`${a.exact}/${a.rows.length} exact; ${a.built} tool(s) built, ${a.reused} reused${report.reusedEarlierRun ? ' (tools from an earlier run on this database were reused)' : ''}.`);
  }
  console.log('\n=== Scenario B: degradation and repair ===');
  if (b.v1 && b.v2) {
    const pct = (rate: number): string => `${(rate * 100).toFixed(0)} %`;
    console.log(
      table(
        ['version', 'calls', 'success', 'correct', 'p50 ms', 'p95 ms', 'score'],
        [b.v1, b.v2].map((m) => [`v${m.version}`, String(m.calls), pct(m.successRate), String(m.correct), m.p50Ms.toFixed(0), m.p95Ms.toFixed(0), m.score.toFixed(2)]),
      ),
    );
    if (b.diagnosis) console.log(`\ndiagnosis of v1 (score ${b.diagnosis.score.toFixed(2)}): ${b.diagnosis.reasons.join('; ')}`);
    console.log(`approval ${b.approvalId} approved by ${b.approvedBy}; v${b.promotedVersion} promoted`);
    console.log(`\ndiff v1 → v${b.promotedVersion}:\n${b.diff}`);
    console.log(`rollback: active v${b.activeAfterRollback} after rolling back, v${b.activeAfterForward} after going forward again`);
  } else if (b.measuredAfterForward) {
    const m = b.measuredAfterForward;
    console.log(`repaired in an earlier run; v${m.version} served ${m.calls} calls on the degraded service: ${(m.successRate * 100).toFixed(0)} % success, p95 ${m.p95Ms.toFixed(0)} ms`);
  }
  console.log('\nversion history:');
  console.log(table(['version', 'status', 'author', 'reason'], b.history.map((v) => [`v${v.version}`, v.status, v.author, v.reason.slice(0, 70)])));
  const c = report.scenarioC;
  console.log('\n=== Scenario C: live experiments ===');
  const share = (value: number | undefined): string => (value === undefined ? '-' : `${(value * 100).toFixed(0)} %`);
  console.log(
    table(
      ['rewrite', 'baseline', 'candidate', 'shares served', 'calls (base / cand)', 'success (base / cand)', 'outcome', 'through the gate', 'active after'],
      c.canaries.map((row) => [
        row.rewrite,
        `v${row.baseline}`,
        `v${row.candidate}`,
        row.shares.map(share).join(' → '),
        `${row.calls.baseline} / ${row.calls.candidate}`,
        `${share(row.successRate.baseline)} / ${share(row.successRate.candidate)}`,
        row.status,
        row.gateActions.join(', '),
        `v${row.activeAfter}`,
      ]),
    ),
  );
  console.log(`\nbandit (${c.bandit.taskType}, Thompson sampling):`);
  console.log(table(['strategy', 'pulls', 'success'], c.bandit.rows.map((row) => [row.strategy, String(row.pulls), share(row.successRate)])));
  console.log(`chosen: ${c.bandit.chosen}`);
  const d = report.scenarioD;
  console.log('\n=== Scenario D: prompt evolution ===');
  console.log(`batch reflection: ${d.dominant}`);
  console.log(`refinement of tool-hints: ${d.refinement}`);
  console.log(table(['phase', 'arm', 'tool-hints', 'runs', 'success'], d.rows.map((row) => [row.phase, row.arm, `v${row.version}`, String(row.runs), share(row.successRate)])));
  console.log(`canary: ${d.canaryOutcome.slice(0, 200)}`);
  console.log(`approved by a person: ${d.approvals.join(', ')}; prompt ${d.promptTokens.before} → ${d.promptTokens.after} tokens`);
  console.log(`a variant without the disclaimer: ${d.protectedDenial.slice(0, 200)}`);
  console.log(`\nDone in ${(report.durationMs / 1000).toFixed(1)} s. State is in ${report.database}; run the demo again to see the tools reused.`);
}
