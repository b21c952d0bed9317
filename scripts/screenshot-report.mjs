#!/usr/bin/env node
// Screenshots of the report viewer (light and dark) into docs/screenshots/, from the real page and
// bundle served with VS Code-like theme variables (test/support/reportViewPage.ts) in Debian's
// Chromium. Needs the compiled tests: run `npx tsc -p .` first.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'out/test/support');
if (!existsSync(join(out, 'reportViewPage.js'))) {
  console.error('out/test/support/reportViewPage.js is missing: run `npx tsc -p .` first.');
  process.exit(2);
}
const { chromium } = require('playwright-core');
const page$ = require(join(out, 'reportViewPage.js'));
const { makeReport, makeSummaries } = require(join(out, 'reportBuilders.js'));

const shots = join(root, 'docs/screenshots');
mkdirSync(shots, { recursive: true });

// A month of runs, newest first, and the newest one opened: 30 sessions, a few failed chunks.
const reports = makeSummaries(24, Date.parse('2026-11-19T16:30:00Z')).reverse();
const report = makeReport({}, 30);
// The opened run is the newest one in the list, with the report's own figures.
const first = Object.assign(reports[0], {
  reportId: report.reportId,
  key: `batch-reports/${report.reportId}.json`,
  timestamp: report.timestamp,
  status: report.status,
  chunksTranscribed: report.transcription.chunksTranscribed,
  chunksFailed: report.transcription.chunksFailed,
  costUSD: report.gpu.costUSD,
  runtimeSeconds: report.gpu.runtimeSeconds,
});
const bundle = await page$.buildReportBundle();
const server = await page$.startReportViewServer(bundle);
const browser = await chromium.launch({ executablePath: page$.CHROMIUM_PATH, headless: true, args: page$.CHROMIUM_ARGS });
try {
  for (const theme of ['light', 'dark']) {
    for (const tab of ['report', 'trends']) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
      await page.goto(server.url({ theme, state: { tab, selectedKey: first.key } }));
      await page.waitForFunction(() => window.__posted?.length > 0);
      await page.evaluate((json) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(json) })), JSON.stringify({ type: 'init', reports, selectedKey: first.key, report }));
      if (tab === 'trends') await page.waitForFunction(() => document.querySelectorAll('canvas[data-chart]').length === 4);
      await page.waitForTimeout(300);
      const file = join(shots, tab === 'report' ? `report-${theme}.png` : `report-trends-${theme}.png`);
      await page.screenshot({ path: file });
      console.log(file);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(bundle, { recursive: true, force: true });
}
