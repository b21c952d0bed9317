/**
 * The report viewer with a large report, in real Chromium (Debian's /usr/bin/chromium through
 * playwright-core): the real page shell (src/extension/reportHtml.ts, with its CSP) and the real
 * webview bundle (report.js + report.css of the build being measured), served on 127.0.0.1 by
 * test/support/reportViewPage.ts, which stands in for VS Code's acquireVsCodeApi and theme.
 *
 * Per round, a fresh page: load, wait for the page's `ready`, hand the report to the page untimed,
 * then in the page: performance.mark('wb-post'), window.postMessage(report) (structured clone, as a
 * VS Code webview receives it), and marks when the page's message handler has rendered the rows into
 * the DOM and after the next frame (requestAnimationFrame, then a task: the frame with the rows has
 * been produced). Times are read from the performance marks.
 */
import type { Browser } from 'playwright-core';
import type { BatchReport, ReportSummary } from '../src/core/report/model';
import { makeReport } from '../test/support/reportBuilders';
import { CHROMIUM_ARGS, CHROMIUM_PATH, startReportViewServer } from '../test/support/reportViewPage';

export interface ViewerBenchFigures {
  sessions: number;
  bundleDir: string;
  chromium: string;
  /** Report size as JSON (what the host posts). */
  reportBytes: number;
  /** wb-post -> rows in the DOM (the page's handler done), per round. */
  rowsInDomMs: number[];
  /** wb-post -> the frame after the rows (the target's figure), per round. */
  firstFrameMs: number[];
  /** Rows the virtual table put into the DOM (a window, not 10,000). */
  rowsInDom: number;
}

// The page's globals that the callbacks below use in Chromium, typed here (module-local) because the root
// tsconfig gives no code the DOM library: core must not compile against browser globals.
declare const window: { addEventListener(type: 'message', listener: () => void, o: { once: boolean }): void; postMessage(message: unknown, targetOrigin: string): void };
declare const document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): { textContent: string | null } | null };
declare function requestAnimationFrame(callback: () => void): number;

export async function viewerBench(o: { bundleDir: string; sessions: number; rounds: number; log: (m: string) => void }): Promise<ViewerBenchFigures> {
  const { chromium } = await import('playwright-core');
  const server = await startReportViewServer(o.bundleDir);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    const report = makeReport({}, o.sessions);
    const key = 'batch-reports/batch-2026-11-25-1030.json';
    const summary: ReportSummary = {
      reportId: report.reportId,
      key,
      timestamp: report.timestamp,
      status: report.status,
      chunksTranscribed: report.transcription.chunksTranscribed,
      chunksFailed: report.transcription.chunksFailed,
      costUSD: report.gpu.costUSD,
      runtimeSeconds: report.gpu.runtimeSeconds,
    };
    const json = JSON.stringify({ type: 'init', reports: [summary], selectedKey: key, report: report as BatchReport });
    const fig: ViewerBenchFigures = {
      sessions: o.sessions,
      bundleDir: o.bundleDir,
      chromium: browser.version(),
      reportBytes: Buffer.byteLength(json),
      rowsInDomMs: [],
      firstFrameMs: [],
      rowsInDom: 0,
    };
    for (let i = 0; i < o.rounds; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(server.url());
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted?.some((m) => m.type === 'ready'));
      // Untimed: the report arrives in the page as an object (playwright's own serializer is slow for it).
      await page.evaluate((text) => {
        (window as unknown as { __report: unknown }).__report = JSON.parse(text);
      }, json);
      const r = await page.evaluate(
        () =>
          new Promise<{ rowsInDomMs: number; firstFrameMs: number; rows: number; total: string }>((resolve) => {
            const w = window as unknown as { __report: unknown };
            const rowCount = () => document.querySelectorAll('.vt-rows .vt-row').length;
            // Added after the bundle's own listener, so it runs once the page has handled the message.
            window.addEventListener(
              'message',
              () => {
                performance.mark('wb-rows-in-dom');
                requestAnimationFrame(() =>
                  setTimeout(() => {
                    performance.mark('wb-first-frame');
                    const at = (n: string) => performance.measure(`${n}-m`, 'wb-post', n).duration;
                    resolve({ rowsInDomMs: at('wb-rows-in-dom'), firstFrameMs: at('wb-first-frame'), rows: rowCount(), total: document.querySelector('.toolbar .muted')?.textContent ?? '' });
                  }, 0),
                );
              },
              { once: true },
            );
            performance.mark('wb-post');
            window.postMessage(w.__report, '*');
          }),
      );
      await page.close();
      if (errors.length) throw new Error(`report viewer page errors: ${errors.join('; ')}`);
      // Not a time check: the timed render must have drawn the report (a window of rows, all sessions counted).
      if (!(r.rows > 0) || r.total !== `${o.sessions} sessions`) throw new Error(`report viewer drew ${r.rows} rows, toolbar "${r.total}"`);
      fig.rowsInDomMs.push(r.rowsInDomMs);
      fig.firstFrameMs.push(r.firstFrameMs);
      fig.rowsInDom = r.rows;
    }
    o.log(`report viewer: ${o.sessions} sessions, first frame after ${fig.firstFrameMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    return fig;
  } finally {
    await browser?.close();
    await server.close();
  }
}
