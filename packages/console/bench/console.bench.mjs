#!/usr/bin/env node
// How fast the console's pages answer on a database with 100,000 invocations.
//
//   pnpm --filter @toolwright/console build && node packages/console/bench/console.bench.mjs [--calls 100000] [--runs 5] [--screenshot file.png]
//
// 1. Makes a SQLite database: two tools through the gate (`lookup` with three versions, `total`
//    with one) and N invocations (default 100,000) spread over the last 7 days, recorded through
//    memory's public `record` + `flush`, with ~4% failures and a latency that changes per version.
// 2. Starts the console on it (127.0.0.1, any port) and times each API the pages call (server
//    response, median of --runs).
// 3. Opens every page in headless Chromium (/usr/bin/chromium or TOOLWRIGHT_CHROMIUM) and times
//    from navigation to the page's content drawn (the tool list's rows, the plots' points, the
//    approval cards, the audit rows), median of --runs. Goal: every page under 1 s.
// Prints a table and writes bench/results/latest.json.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createToolwright } from 'toolwright';
import { startConsole } from '../dist/index.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '100000' }, runs: { type: 'string', default: '5' }, screenshot: { type: 'string' } } });
const CALLS = Number(values.calls);
const RUNS = Number(values.runs);
const CHROMIUM = process.env.TOOLWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const GOAL_MS = 1000;

const hash = (text) => createHash('sha256').update(text).digest('hex');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spec = (name, description) => ({ name, description, inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }, language: 'ts', capabilities: [], examples: [{ input: { n: 2 }, output: 4 }] });
const source = (body) => `export default function tool({ n }: { n: number }): number {\n  ${body}\n}\n`;

async function makeDatabase(directory) {
  const db = `sqlite:${join(directory, 'bench.db')}`;
  const tw = await createToolwright({ database: db, improve: false, reflect: false });
  try {
    const propose = async (change, reason) => {
      const outcome = await tw.gate.propose({ origin: 'person', ...change }, { by: 'bench', reason });
      if (outcome.status !== 'applied') throw new Error(`${change.kind} ${change.name}: ${outcome.summary}`);
    };
    await propose({ kind: 'create-tool', name: 'lookup', spec: spec('lookup', 'Doubles n.'), source: source('return n * 2;') }, 'first version');
    await propose({ kind: 'rewrite-tool', name: 'lookup', fromVersion: 1, spec: spec('lookup', 'Doubles n.'), source: source('const twice = n + n;\n  return twice;') }, 'second version');
    await propose({ kind: 'rewrite-tool', name: 'lookup', fromVersion: 2, spec: spec('lookup', 'Doubles n.'), source: source('return 2 * n;') }, 'third version');
    await propose({ kind: 'create-tool', name: 'total', spec: spec('total', 'Doubles n, too.'), source: source('return n * 2;') }, 'another tool');
    const now = Date.now();
    const span = 7 * 86_400_000;
    const started = performance.now();
    for (let index = 0; index < CALLS; index += 1) {
      const share = index / CALLS;
      const onLookup = index % 5 !== 0;
      const version = onLookup ? (share < 0.4 ? 1 : share < 0.7 ? 2 : 3) : 1;
      const ok = (index * 7919) % 100 >= (version === 2 ? 9 : 3);
      tw.memory.record({
        tool: onLookup ? 'lookup' : 'total',
        version,
        startedAt: Math.floor(now - span + share * span),
        durationMs: (version === 2 ? 20 : 5) + ((index * 31) % 97) / 10,
        outcome: ok ? { ok: true } : { ok: false, error: { code: 'TOOL_THREW', message: 'bench failure' } },
        inputHash: hash(`in${index % 1000}`),
        ...(ok ? { outputHash: hash(`out${index % 1000}`) } : {}),
        taskId: `bench-${index % 500}`,
      });
      if (index % 10_000 === 9_999) await tw.memory.flush();
    }
    await tw.memory.flush();
    console.log(`recorded ${CALLS} invocations in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await tw.close();
  }
  return db;
}

const directory = mkdtempSync(join(tmpdir(), 'toolwright-console-bench-'));
const results = { calls: CALLS, runs: RUNS, node: process.version, api: {}, pages: {} };
try {
  const db = await makeDatabase(directory);
  const tw = await createToolwright({ database: db, improve: false, reflect: false });
  const server = await startConsole(tw, { port: 0 });
  try {
    const login = await fetch(server.url, { redirect: 'manual' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const apis = ['/api/overview', '/api/tools', '/api/tools/lookup', '/api/tools/lookup/series?buckets=24', '/api/tools/lookup/diff?from=1&to=3', '/api/approvals?status=all', '/api/audit?limit=500'];
    for (const path of apis) {
      const times = [];
      for (let run = 0; run < RUNS; run += 1) {
        const started = performance.now();
        const response = await fetch(`${server.origin}${path}`, { headers: { cookie } });
        await response.text();
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        times.push(performance.now() - started);
      }
      results.api[path] = { medianMs: Number(median(times).toFixed(1)), maxMs: Number(Math.max(...times).toFixed(1)) };
    }
    // The plots cover every call: the buckets of lookup's versions add up to its invocations.
    const series = await (await fetch(`${server.origin}/api/tools/lookup/series?buckets=24`, { headers: { cookie } })).json();
    const plotted = series.versions.reduce((sum, version) => sum + version.points.reduce((total, point) => total + point.calls, 0), 0);
    const expected = CALLS - Math.ceil(CALLS / 5);
    if (plotted !== expected) throw new Error(`the series of lookup covers ${plotted} calls, not ${expected}`);
    results.plottedCalls = plotted;

    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        await page.goto(server.url);
        await page.locator('[data-testid=tool-list] tbody tr').first().waitFor();
        const pages = {
          'tool list': ['/#/', '[data-testid=tool-list] tbody tr[data-tool=total]'],
          "a tool's page (plots, history, diff)": ['/#/tools/lookup', 'figure[data-chart=Score] circle'],
          approvals: ['/#/approvals?x', 'h1'],
          'audit log': ['/#/audit', '[data-testid=audit] tbody tr'],
          'kill switch': ['/#/kill-switch', '[data-testid=kill-switch-state]'],
        };
        for (const [name, [path, selector]] of Object.entries(pages)) {
          const times = [];
          for (let run = 0; run < RUNS; run += 1) {
            await page.goto('about:blank');
            const started = performance.now();
            await page.goto(`${server.origin}${path.replace('?x', '')}`);
            await page.locator(selector).first().waitFor({ state: 'attached' });
            if (name.startsWith("a tool's")) await page.locator('[data-testid=diff] td.add').first().waitFor({ state: 'attached' });
            times.push(performance.now() - started);
          }
          results.pages[name] = { medianMs: Number(median(times).toFixed(1)), maxMs: Number(Math.max(...times).toFixed(1)) };
        }
        if (values.screenshot !== undefined) {
          await page.goto(`${server.origin}/#/tools/lookup`);
          await page.locator('figure[data-chart=Score] circle').first().waitFor({ state: 'attached' });
          await page.screenshot({ path: values.screenshot });
        }
      } finally {
        await browser.close();
      }
    } else {
      console.log(`no Chromium at ${CHROMIUM}: page loads not measured (apt-get install chromium)`);
    }
  } finally {
    await server.close();
    await tw.close();
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

console.log(`\n${CALLS} invocations, median of ${RUNS} (max):`);
for (const [group, entries] of [['server response', results.api], ['page load in Chromium', results.pages]]) {
  console.log(`\n${group}`);
  for (const [name, { medianMs, maxMs }] of Object.entries(entries)) console.log(`  ${name.padEnd(44)} ${String(medianMs).padStart(8)} ms  (${maxMs} ms)${maxMs > GOAL_MS ? '  OVER 1 s' : ''}`);
}
const out = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
const over = [...Object.values(results.api), ...Object.values(results.pages)].some((entry) => entry.maxMs > GOAL_MS);
process.exitCode = over ? 1 : 0;
