/**
 * The report viewer in real Chromium (Debian's /usr/bin/chromium via playwright-core). The page is
 * the real shell (with its CSP) and the real bundle, served on 127.0.0.1; VS Code itself is replaced
 * by a stand-in `acquireVsCodeApi` that records posted messages, and by the Dark/Light Modern theme
 * variables (test/support/reportViewPage.ts). Messages from the "extension" are dispatched as the
 * window `message` events VS Code delivers.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { BatchReport, ReportSummary } from '../../src/core/report/model';
import type { ToReportView } from '../../src/core/report/protocol';
import { hostileReport, makeReport, makeSummaries, XSS } from '../support/reportBuilders';
import { buildReportBundle, CHROMIUM_ARGS, CHROMIUM_PATH, startReportViewServer, THEMES, type ReportViewServer } from '../support/reportViewPage';

declare global {
  interface Window {
    __posted: unknown[];
    __state: unknown;
    __csp: string[];
  }
}

describe('report viewer webview (Chromium) @integration', function () {
  this.timeout(60_000);
  let bundleDir: string;
  let server: ReportViewServer;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];
  let pageErrors: string[];

  before(async function () {
    bundleDir = await buildReportBundle();
    server = await startReportViewServer(bundleDir);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async function () {
    await browser?.close();
    await server?.close();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  beforeEach(async function () {
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    dialogs = [];
    pageErrors = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });

  afterEach(async function () {
    const csp = await page.evaluate(() => window.__csp).catch(() => []);
    await page.close();
    assert.deepEqual(pageErrors, [], 'no script error in the page');
    assert.deepEqual(csp, [], 'no Content-Security-Policy violation');
  });

  async function load(state?: unknown): Promise<void> {
    await page.goto(server.url({ state }));
    await page.waitForFunction(() => window.__posted?.some((m) => (m as { type: string }).type === 'ready'));
  }

  /** Delivers a host message the way VS Code does (a window `message` event), synchronously. */
  async function send(m: ToReportView): Promise<number> {
    // Passed as JSON text: playwright's own argument serializer is slow for 10,000 sessions.
    return page.evaluate((json) => {
      const data: unknown = JSON.parse(json);
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data }));
      return performance.now() - t0;
    }, JSON.stringify(m));
  }

  function summaryOf(key: string, r: BatchReport): ReportSummary {
    return {
      reportId: r.reportId,
      key,
      timestamp: r.timestamp,
      status: r.status,
      chunksTranscribed: r.transcription.chunksTranscribed,
      chunksFailed: r.transcription.chunksFailed,
      costUSD: r.gpu.costUSD,
      runtimeSeconds: r.gpu.runtimeSeconds,
    };
  }

  it('says ready with no state, and the shell holds no data', async function () {
    await load();
    const posted = await page.evaluate(() => window.__posted);
    assert.deepEqual(posted, [{ type: 'ready' }]);
  });

  it('shows a hostile session id as text: no element from data, no dialog', async function () {
    await load();
    const report = hostileReport();
    const key = `batch-reports/${XSS}.json`;
    await send({ type: 'init', reports: [{ ...summaryOf(key, report), reportId: XSS }], selectedKey: key, report });
    // Let any injected handler (onerror, onload) get its chance to run.
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, []);
    const found = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img, svg, iframe, object, embed, b, i, u').length,
      scripts: Array.from(document.scripts).map((s) => s.src || 'inline'),
      firstCell: document.querySelector('.vt-rows .vt-row .vt-cell')?.textContent,
      listLabel: document.querySelector('.report-item')?.getAttribute('aria-label') ?? '',
      errorsText: document.querySelector('.errors')?.textContent ?? '',
      title: document.querySelector('.report-title')?.textContent ?? '',
    }));
    assert.equal(found.imgs, 0, 'no element made from data');
    assert.equal(found.scripts.length, 2, 'only the stand-in and the bundle');
    assert.equal(found.firstCell, XSS, 'session id shown as text in the table');
    assert.ok(found.listLabel.includes(XSS), 'report id given as text in the list item label');
    assert.ok(found.errorsText.includes('<img src=x onerror=alert(6)> & more'));
    assert.ok(found.title.includes('<svg onload=alert(3)>'));
    assert.ok(await page.getByText(XSS, { exact: true }).first().isVisible());
  });

  it('filters and sorts 10,000 sessions, rendering only the rows in view', async function () {
    await load();
    const n = 10_000;
    const report = makeReport({}, n);
    const key = 'batch-reports/batch-2026-11-25-1030.json';
    const ms = await send({ type: 'init', reports: [summaryOf(key, report)], selectedKey: key, report });
    const rowsInDom = await page.locator('.vt-rows .vt-row').count();
    console.log(`      render of a ${n}-session report: ${ms.toFixed(1)} ms, ${rowsInDom} rows in the DOM`);
    assert.ok(rowsInDom > 0 && rowsInDom < 100, `virtual rows: ${rowsInDom}`);
    assert.equal(await page.locator('.toolbar .muted').textContent(), `${n} sessions`);

    // Filter by user.
    const expected = report.sessions.filter((s) => `${s.sessionId}\n${s.userId}\n${s.status}`.toLowerCase().includes('user-3')).length;
    const t0 = Date.now();
    await page.fill('input.filter', 'user-3');
    await page.waitForFunction((want) => document.querySelector('.toolbar .muted')?.textContent === want, `${expected} of ${n} sessions`);
    console.log(`      filter of ${n} sessions: ${Date.now() - t0} ms (round trip through playwright)`);
    const users = await page.locator('.vt-rows .vt-row .vt-cell:nth-child(2)').allTextContents();
    assert.ok(users.length > 0 && users.every((u) => u === 'user-3'), users.join(','));
    assert.deepEqual(await page.evaluate(() => (window.__state as { filter?: string }).filter), 'user-3', 'filter kept in state');

    // Sort by chunks, ascending then descending.
    await page.fill('input.filter', '');
    const chunksHeader = page.getByRole('columnheader', { name: /Chunks/ });
    await chunksHeader.getByRole('button').click();
    assert.equal(await chunksHeader.getAttribute('aria-sort'), 'ascending');
    const asc = (await page.locator('.vt-rows .vt-row .vt-cell:nth-child(4)').allTextContents()).map(Number);
    const min = Math.min(...report.sessions.map((s) => s.chunksProcessed));
    const max = Math.max(...report.sessions.map((s) => s.chunksProcessed));
    assert.equal(asc[0], min);
    assert.deepEqual(
      asc,
      [...asc].sort((a, b) => a - b),
    );
    await chunksHeader.getByRole('button').click();
    assert.equal(await chunksHeader.getAttribute('aria-sort'), 'descending');
    const desc = (await page.locator('.vt-rows .vt-row .vt-cell:nth-child(4)').allTextContents()).map(Number);
    assert.equal(desc[0], max);

    // Keyboard: the focused table moves a current row with the arrows, and End reaches the last one.
    await page.focus('.vt-viewport');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    const activeRow = () =>
      page.evaluate(() => {
        const v = document.querySelector('.vt-viewport')!;
        const row = document.getElementById(v.getAttribute('aria-activedescendant') ?? '');
        return { index: row?.getAttribute('aria-rowindex'), active: row?.classList.contains('active') };
      });
    assert.deepEqual(await activeRow(), { index: '5', active: true });
    await page.keyboard.press('End');
    await page.waitForFunction((last) => document.querySelector('.vt-viewport')?.getAttribute('aria-activedescendant') === `wb-row-${last}` && !!document.getElementById(`wb-row-${last}`), n - 1);
    assert.deepEqual(await activeRow(), { index: String(n + 1), active: true });
    await page.keyboard.press('Home');
    assert.deepEqual(await activeRow(), { index: '2', active: true });

    // Scrolled to the end, the last row is drawn (and still only a window of rows exists).
    await page.evaluate(() => {
      const v = document.querySelector('.vt-viewport')!;
      v.scrollTop = v.scrollHeight;
    });
    await page.waitForFunction((last) => !!document.querySelector(`.vt-rows .vt-row[aria-rowindex="${last}"]`), n + 1);
    assert.ok((await page.locator('.vt-rows .vt-row').count()) < 100);
  });

  it('draws the trends charts and redraws them in the new theme colours', async function () {
    await load({ tab: 'trends' });
    await send({ type: 'init', reports: makeSummaries(30) });
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 4);
    const colours = () =>
      page.evaluate(() => {
        const c = document.querySelector<HTMLCanvasElement>('canvas[data-chart="chunks-run"]')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<string>();
        let painted = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] > 200) {
            painted++;
            seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
          }
        }
        return { painted, seen: Array.from(seen) };
      });
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas[data-chart="chunks-run"]')!;
      return (
        c.width > 0 &&
        c
          .getContext('2d')!
          .getImageData(0, 0, c.width, c.height)
          .data.some((v, i) => i % 4 === 3 && v > 0)
      );
    });
    const light = await colours();
    assert.ok(light.painted > 1000, `pixels drawn: ${light.painted}`);
    assert.ok(light.seen.includes('26,133,255'), 'light --vscode-charts-blue (#1a85ff) is used');

    // What VS Code does on a theme change: new variables on <html> and a new body class.
    await page.evaluate((vars) => {
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
      document.body.className = 'vscode-dark';
    }, THEMES.dark);
    await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas[data-chart="chunks-run"]')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 55 && d[i + 1] === 148 && d[i + 2] === 255) return true; // #3794ff
      return false;
    });
    const dark = await colours();
    assert.ok(!dark.seen.includes('26,133,255'), 'the light blue is gone');
    const state = await page.evaluate(() => window.__state);
    assert.deepEqual(state, { tab: 'trends' });
  });

  it('is usable by keyboard: Tab reaches the report list, Enter opens, arrows move', async function () {
    await load();
    const reports = makeSummaries(5).reverse();
    await send({ type: 'init', reports });
    let focused: string | null = null;
    for (let i = 0; i < 10 && !focused; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement?.classList.contains('report-item') ? document.activeElement.getAttribute('data-key') : null));
    }
    assert.equal(focused, reports[0].key, 'Tab reaches the first report');
    await page.keyboard.press('ArrowDown');
    const second = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    assert.equal(second, reports[1].key);
    await page.keyboard.press('Enter');
    const posted = await page.evaluate(() => window.__posted);
    assert.deepEqual(posted[posted.length - 1], { type: 'open', key: reports[1].key });
    assert.equal(await page.locator('.detail').getAttribute('aria-busy'), 'true');

    const report = makeReport({ reportId: reports[1].reportId }, 3);
    await send({ type: 'report', key: reports[1].key, report });
    assert.equal(await page.locator('.report-title').textContent(), `${reports[1].reportId} ${report.status}`);
    assert.equal(await page.locator('.report-item[aria-current="true"]').getAttribute('data-key'), reports[1].key);
    assert.deepEqual(await page.evaluate(() => (window.__state as { selectedKey?: string }).selectedKey), reports[1].key);
  });

  it('shows a report the host opens by itself, leaving the trends tab', async function () {
    await load({ tab: 'trends' });
    const reports = makeSummaries(3);
    await send({ type: 'init', reports });
    assert.equal(await page.locator('#tab-trends').getAttribute('aria-selected'), 'true');
    await send({ type: 'report', key: reports[2].key, report: makeReport({ reportId: reports[2].reportId }, 2) });
    assert.equal(await page.locator('#tab-report').getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('.report-item[aria-current="true"]').getAttribute('data-key'), reports[2].key);
    assert.deepEqual(await page.evaluate(() => window.__state), { tab: 'report', selectedKey: reports[2].key });
  });

  it('restores from saved state: asks for the report it showed, and shows host errors', async function () {
    const key = 'batch-reports/batch-2026-11-20-0830.json';
    await load({ selectedKey: key, tab: 'report', filter: 'user-1' });
    assert.deepEqual(await page.evaluate(() => window.__posted), [{ type: 'ready', selectedKey: key }]);
    const report = makeReport({}, 50);
    await send({ type: 'init', reports: [summaryOf(key, report)], selectedKey: key, report });
    assert.equal(await page.inputValue('input.filter'), 'user-1');
    await send({ type: 'error', message: 'could not read "x": AccessDenied' });
    assert.equal(await page.getByRole('alert').textContent(), 'could not read "x": AccessDenied');
    // Malformed messages are ignored, not rendered.
    await send({ type: 'report', key, report: { nope: true } } as unknown as ToReportView);
    assert.equal(await page.locator('.report-title').count(), 1);
  });
  it('on a local host: no cost, no GPU words, no phases bar; an EC2 report keeps them', async function () {
    await load();
    const local = makeReport({ reportId: 'batch-2026-11-26-0900' }, 2);
    local.gpu = { ...local.gpu, host: 'local', instanceId: 'localhost', started: false, hourlyUsd: 0, costUSD: 0, startTime: null, readyTime: null, stopRequestedTime: null, stopTime: null };
    local.transcription = { ...local.transcription, costPerAudioHourUSD: 0 };
    const key = 'batch-reports/batch-2026-11-26-0900.json';
    await send({ type: 'init', reports: [{ ...summaryOf(key, local), host: 'local' }], selectedKey: key, report: local });
    const text = (await page.locator('#app').textContent()) ?? '';
    assert.ok(!text.includes('$'), `no dollar amount: ${text.slice(0, 400)}`);
    assert.ok(!/GPU/.test(text), 'no GPU words');
    assert.equal(await page.locator('.phases').count(), 0, 'no one-colour phases bar');
    assert.ok(text.includes('this machine'));

    const ec2 = makeReport({}, 2);
    const ekey = 'batch-reports/batch-2026-11-25-1030.json';
    await send({ type: 'init', reports: [{ ...summaryOf(ekey, ec2), host: 'ec2' }], selectedKey: ekey, report: ec2 });
    const etext = (await page.locator('#app').textContent()) ?? '';
    assert.ok(etext.includes('$0.159') && etext.includes('GPU timeline'), 'cost and GPU on EC2');
    assert.equal(await page.locator('.phases').count(), 1);
  });

  it('trends of local runs: no GPU time or cost cards or charts; the cards add up what the charts draw', async function () {
    await load({ tab: 'trends' });
    const reports = makeSummaries(6).map((r) => ({ ...r, host: 'local' as const, costUSD: 0 }));
    await send({ type: 'init', reports });
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 2);
    assert.deepEqual(await page.locator('canvas[data-chart]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-chart'))), ['chunks-run', 'chunks-day']);
    const cards = Object.fromEntries(await page.locator('.trends .card').evaluateAll((cs) => cs.map((c) => [c.getAttribute('data-card'), c.querySelector('dd')?.textContent])));
    assert.deepEqual(Object.keys(cards), ['Runs', 'Success rate', 'Chunks transcribed', 'Chunks failed']);
    assert.equal(cards['Runs'], '6');
    assert.equal(cards['Chunks transcribed'], String(reports.reduce((n, r) => n + r.chunksTranscribed, 0)));
    assert.equal(cards['Chunks failed'], String(reports.reduce((n, r) => n + r.chunksFailed, 0)));
    const text = (await page.locator('.trends').textContent()) ?? '';
    assert.ok(!text.includes('$') && !/GPU/.test(text), text.slice(0, 300));
    const monitoring = (await page.locator('.monitoring').textContent()) ?? '';
    assert.ok(!/GPU|cost/i.test(monitoring), `monitoring without GPU targets: ${monitoring}`);
  });

  it('a trend of one run shows points, not a bar across the chart', async function () {
    await load({ tab: 'trends' });
    await send({ type: 'init', reports: makeSummaries(1) });
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 4);
    // Pixels in the transcribed colour (light --vscode-charts-blue #1a85ff): a full-width bar paints tens of thousands.
    const blue = await page.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas[data-chart="chunks-run"]')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 26 && d[i + 1] === 133 && d[i + 2] === 255) n++;
      return n > 0 && { n, area: c.width * c.height };
    });
    const { n, area } = (await blue.jsonValue()) as { n: number; area: number };
    assert.ok(n < area / 200, `the one run is a point: ${n} blue pixels of ${area}`);
  });

  it('a row of the sessions table asks the host for its transcript (button and Enter), naming the report', async function () {
    await load();
    const report = hostileReport();
    const key = 'batch-reports/batch-2026-11-25-1030.json';
    await send({ type: 'init', reports: [summaryOf(key, report)], selectedKey: key, report });
    await page
      .locator('.vt-rows .vt-row')
      .first()
      .getByRole('button', { name: /Open the transcript of/ })
      .click();
    const first = report.sessions[0];
    const asked = () => page.evaluate(() => window.__posted.filter((m) => (m as { type: string }).type === 'openTranscript'));
    assert.deepEqual(await asked(), [{ type: 'openTranscript', key, userId: first.userId, sessionId: first.sessionId }]);
    await page.focus('.vt-viewport');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal((await asked()).length, 2);
    assert.deepEqual(dialogs, []);
  });

  it('with no reports, the list and the detail say what to do', async function () {
    await load();
    await send({ type: 'init', reports: [] });
    const text = (await page.locator('#app').textContent()) ?? '';
    assert.match(text, /Run Batch Now/);
  });
});
