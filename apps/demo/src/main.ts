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
const realModel = modelFromEnvironment();
const report = await runDemo({ ...(values.db ? { database: values.db } : {}), progress, ...(realModel ? { realModel } : {}) });

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  print(report);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function taskTable(rows: readonly TaskRow[]): string {
  return table(
    ['task', 'answer', 'truth', 'exact', 'tool', 'tokens', 'ms'],
    rows.map((row) => [row.task, JSON.stringify(row.answer), String(Math.round(row.truth * 100) / 100), row.exact ? 'yes' : 'NO', row.toolName ? `${row.tool} (${row.toolName})` : row.tool, String(row.tokens), row.ms.toFixed(0)]),
  );
}

function print(report: DemoReport): void {
  const { scenarioA: a, scenarioB: b } = report;
  console.log('\n=== Scenario A: authoring and reuse ===');
  console.log(taskTable(a.rows));
  console.log(`${a.exact}/${a.rows.length} exact; ${a.built} tool(s) built, ${a.reused} reused${report.reusedEarlierRun ? ' (tools from an earlier run on this database were reused)' : ''}.`);
  if (a.realModel) {
    console.log(`\n--- ${a.realModel.model}: static baseline (no tools) ---`);
    console.log(taskTable(a.realModel.baseline));
    console.log(`\n--- ${a.realModel.model}: self-improving ---`);
    console.log(taskTable(a.realModel.selfImproving));
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
  console.log(`\nDone in ${(report.durationMs / 1000).toFixed(1)} s. State is in ${report.database}; run the demo again to see the tools reused.`);
}
