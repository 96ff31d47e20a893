import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlakyService } from '@toolwright/core/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createToolwright, type Toolwright } from 'toolwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleServer, startConsole } from './index.js';
import { rolloutOf } from './data.js';
import { makeDemoDatabase, QUOTE_KEYS, startQuoteService } from './test-support/fixture.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); override with TOOLWRIGHT_CHROMIUM. */
const CHROMIUM = process.env['TOOLWRIGHT_CHROMIUM'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
if (!HAVE_CHROMIUM) console.warn(`console browser tests skipped: no Chromium at ${CHROMIUM} (install Debian's chromium: apt-get install chromium, or set TOOLWRIGHT_CHROMIUM).`);

let directory: string;
let service: FlakyService;
let toolwright: Toolwright;
let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!HAVE_CHROMIUM)('the console in headless Chromium, on a database the demo produced', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    directory = mkdtempSync(join(tmpdir(), 'toolwright-console-browser-'));
    service = await startQuoteService();
    const db = await makeDemoDatabase(directory, service);
    toolwright = await createToolwright({ database: db, network: { allow: [service.origin] }, improve: false, reflect: false });
    server = await startConsole(toolwright, { port: 0, person: 'ada', pollIntervalMs: 100 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
    page = await context.newPage();
    await page.goto(server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await toolwright?.close();
    await service?.close();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it('opens with the token URL, which leaves the address bar, and lists the demo\'s tools', async () => {
    expect(new URL(page.url()).search).toBe('');
    const rows = page.locator('[data-testid=tool-list] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(3);
    expect(await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-tool')))).toEqual(['get_quote', 'get_rate', 'sum_fares_price']);
    expect(await page.locator('tr[data-tool=get_quote]').innerText()).toContain('v2 waiting');
    await screenshot('tools');
  });

  it('shows new calls without a reload (server-sent events)', async () => {
    const calls = page.locator('tr[data-tool=sum_fares_price] td:nth-child(4)');
    const before = Number(await calls.innerText());
    const result = await toolwright.call('sum_fares_price', { fares: [{ price: 1 }, { price: 2 }] }, { taskId: 'console-test' });
    expect(result.ok).toBe(true);
    await expect.poll(async () => Number(await calls.innerText()), { timeout: 20_000 }).toBe(before + 1);
  });

  it("draws a tool's plots of success rate, latency and score over time, with its version history", async () => {
    await page.goto(`${server.origin}/#/tools/get_quote`);
    for (const title of ['Success rate', 'Latency p50 / p95', 'Score']) {
      const chart = page.locator(`figure[data-chart="${title}"]`);
      await chart.locator('circle').first().waitFor({ state: 'attached' });
      const points = await chart.locator('.series[data-series^="v1"] circle').count();
      expect(points).toBeGreaterThan(0);
    }
    const history = page.locator('[data-testid=versions] tbody tr');
    await expect.poll(() => history.count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('tr[data-version="1"]').innerText()).toContain("person:integrator");
    expect(await page.locator('tr[data-version="1"]').innerText()).toContain("yesterday's tool: no retry, no timeout");
    expect(await page.locator('tr[data-version="2"]').innerText()).toContain('candidate');
    await screenshot('tool');
  });

  it('shows the diff of v1 → v2 side by side, with the retry code added on the right', async () => {
    await page.selectOption('select[name=from]', '1');
    await page.selectOption('select[name=to]', '2');
    const added = page.locator('[data-testid=diff] td.add');
    await added.first().waitFor();
    const text = (await added.allInnerTexts()).join('\n');
    expect(text).toMatch(/retry/i);
    expect(await page.locator('[data-testid=diff] td.del').count()).toBeGreaterThan(0);
    await page.locator('[data-testid=diff]').screenshot({ path: join(ARTIFACTS, 'diff.png') });
  });

  it('approving the queued rewrite from the approval queue makes v2 active, audited once', async () => {
    await page.goto(`${server.origin}/#/approvals`);
    const card = page.locator('article.card', { hasText: 'rewrite-tool get_quote' });
    await card.waitFor();
    expect(await card.innerText()).toMatch(/diagnosis[\s\S]*score/);
    expect(await card.locator('table.diff td.add').count()).toBeGreaterThan(0);
    await screenshot('approvals');
    await card.locator('input[name=note]').fill('retries fix the 429s');
    await card.locator('button.approve').click();
    await page.locator('p.notice', { hasText: 'get_quote v2 is now active' }).waitFor({ timeout: 90_000 });
    const active = await toolwright.registry.active('get_quote');
    expect(active?.version).toBe(2);
    const applied = (await toolwright.memory.auditLog({ artifact: 'get_quote' })).filter((entry) => entry.action === 'rewrite-tool.applied');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.actor).toMatchObject({ id: 'ada' });
    // The queue no longer holds it, without a reload.
    await expect.poll(() => page.locator('article.card', { hasText: 'rewrite-tool get_quote' }).count(), { timeout: 20_000 }).toBe(0);
  }, 120_000);

  it('lists what happened in the audit log', async () => {
    await page.goto(`${server.origin}/#/audit`);
    const row = page.locator('[data-testid=audit] tr[data-action="rewrite-tool.applied"]');
    await row.first().waitFor();
    expect(await row.first().innerText()).toContain('get_quote');
    await screenshot('audit');
  });

  it('toggles the kill switch on and off, through the policy', async () => {
    await page.goto(`${server.origin}/#/kill-switch`);
    const state = page.locator('[data-testid=kill-switch-state]');
    await state.waitFor();
    expect(await state.innerText()).toMatch(/^off/);
    await page.locator('input[name=reason]').fill('incident drill');
    await page.locator('[data-testid=kill-switch-toggle]').click();
    await page.locator('[data-testid=kill-switch-state]', { hasText: 'ON' }).waitFor();
    expect(await toolwright.policy.killSwitch.state()).toMatchObject({ engaged: true, by: 'ada', reason: 'incident drill' });
    await page.locator('.banner').waitFor();
    await screenshot('kill-switch');
    await page.locator('[data-testid=kill-switch-toggle]').click();
    await page.locator('[data-testid=kill-switch-state]', { hasText: 'off' }).waitFor();
    expect((await toolwright.policy.killSwitch.state()).engaged).toBe(false);
    const flips = (await toolwright.memory.auditLog({ limit: 20 })).filter((entry) => entry.action.startsWith('policy.kill-switch'));
    expect(flips.map((entry) => entry.action)).toEqual(['policy.kill-switch.release', 'policy.kill-switch.engage']);
  });

  it("shows a live experiment's arms on the experiments page and in the tool's plots, when the umbrella carries a rollout", async () => {
    const controller = (toolwright as { readonly experiments?: { startAbTest(input: object): Promise<{ id: string }> } }).experiments;
    if (rolloutOf(toolwright) === undefined || controller === undefined) {
      console.warn('no toolwright.rollout: the experiments page is not shown, nothing to check');
      expect((await page.evaluate(async () => (await (await fetch('/api/overview')).json()) as { experiments: boolean })).experiments).toBe(false);
      return;
    }
    const experiment = await controller.startAbTest({ artifact: 'get_quote', arms: [{ name: 'control', version: 2 }, { name: 'previous', version: 1 }], stopRule: { kind: 'fixed', callsPerArm: 1000 } });
    for (const key of QUOTE_KEYS) await toolwright.call('get_quote', { key }, { taskId: `experiment-${key}` });
    await page.goto(`${server.origin}/#/experiments`);
    const card = page.locator('article.card', { hasText: 'get_quote' });
    await card.waitFor();
    expect(await card.innerText()).toContain(experiment.id);
    expect(await card.locator('tbody tr').count()).toBe(2);
    await screenshot('experiments');
    await page.goto(`${server.origin}/#/tools/get_quote`);
    await page.locator('[data-testid=arms]', { hasText: 'control = v2' }).waitFor();
    await page.locator('figure[data-chart="Success rate"] .series[data-series="v2 (control)"]').waitFor({ state: 'attached' });
    await screenshot('tool-with-experiment');
  });

  it('refuses a browser without the token', async () => {
    const stranger = await browser.newContext();
    try {
      const response = await (await stranger.newPage()).goto(`${server.origin}/`);
      expect(response?.status()).toBe(401);
      expect(await response?.text()).toContain('Unauthorized');
      const api = await stranger.request.get(`${server.origin}/api/tools`);
      expect(api.status()).toBe(401);
    } finally {
      await stranger.close();
    }
  });
});
