/**
 * The report viewer inside a real VS Code (code-server, suite `reportView`): a folder store with a
 * month of reports written through the real report store, the real command opening the real panel,
 * and screenshots in the Light and Dark Modern themes (docs/screenshots/report-vscode-*.png when
 * WB_SCREENSHOT_DIR is set). The webview's DOM is tested in Chromium (test/web/reportView.test.ts);
 * here we check the panel the workbench shows and that a theme change keeps it open.
 *
 *   WB_VSCODE_SUITE=reportView WB_SCREENSHOT_DIR=$PWD/docs/screenshots \
 *   node test/vscode-host/run-extension-tests.mjs --extension "$PWD" --tests "$PWD/out/test/vscode/index.js"
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BucketLayout } from '../../src/core/layout';
import { listReports, writeReport } from '../../src/core/report/reportStore';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import type { BatchReport } from '../../src/core/report/model';
import { makeReport, makeSkippedReport, XSS } from '../support/reportBuilders';
import type { WhisperBatchApi } from '../../src/extension/activate';
import { activateExtension, clickInWebview, probeWebview, screenshot, setSetting, until } from './helpers';

const VIEW_TYPE = 'whisperBatch.report';

function reportTab(): vscode.Tab | undefined {
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs) if (t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(VIEW_TYPE)) return t;
  }
  return undefined;
}

/** Switches the colour theme and resolves once the workbench applied it (not when the setting was written). */
async function setTheme(name: string | undefined, kind: vscode.ColorThemeKind): Promise<void> {
  const applied = new Promise<void>((resolve) => {
    if (vscode.window.activeColorTheme.kind === kind) return resolve();
    const sub = vscode.window.onDidChangeActiveColorTheme((t) => t.kind === kind && (sub.dispose(), resolve()));
  });
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', name, vscode.ConfigurationTarget.Global);
  await applied;
}

/** A report where every chunk worked (most runs look like this). */
function allGood(r: BatchReport): BatchReport {
  const t = r.transcription;
  return {
    ...r,
    status: 'success',
    sessions: r.sessions.map((x) => ({ ...x, chunksProcessed: x.chunksProcessed + x.chunksFailed, chunksFailed: 0, failedChunks: [], status: 'success' })),
    errors: [],
    transcription: { ...t, chunksTranscribed: t.chunksTranscribed + t.chunksFailed, chunksFailed: 0, successRate: 100 },
  };
}

describe('Report viewer in VS Code', function () {
  let dir: string;
  let newestKey: string;
  let newestId: string;
  /** A session of the newest report whose chunk 2 failed in that run (makeSession(3)), with its audio in the store. */
  let failedSession: { userId: string; sessionId: string };

  let api: WhisperBatchApi;

  before(async function () {
    api = await activateExtension();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-vscode-reports-'));
    const store = new FolderStore(dir);
    const layout = new BucketLayout(defaultSettings().layout);
    const start = Date.parse('2026-11-22T04:30:00Z');
    for (let i = 0; i < 14; i++) {
      const t = start + i * 6 * 3600_000;
      // Mostly successful runs, a partial one now and then, and skipped runs when nothing was pending.
      const r = i % 5 === 4 ? makeSkippedReport() : i % 3 === 1 ? makeReport({}, 4 + ((i * 5) % 23)) : allGood(makeReport({}, 4 + ((i * 5) % 23)));
      r.reportId = `batch-${new Date(t)
        .toISOString()
        .slice(0, 16)
        .replace(/[T:]/g, '-')
        .replace(/-(\d\d)$/, '$1')}`;
      r.execution = { ...r.execution, startTime: new Date(t).toISOString(), endTime: new Date(t + r.execution.durationSeconds * 1000).toISOString() };
      r.timestamp = r.execution.endTime;
      if (r.status !== 'skipped') r.gpu = { ...r.gpu, runtimeSeconds: 400 + r.sessions.length * 30, costUSD: Math.round(((400 + r.sessions.length * 30) / 3600) * 0.526 * 1000) / 1000 };
      // The newest run also holds a session id that is HTML: it must show as text.
      if (i === 13) r.sessions[1] = { ...r.sessions[1], sessionId: XSS };
      if (i === 13) {
        const s = r.sessions[3];
        assert.deepEqual(s.failedChunks, ['002']);
        failedSession = { userId: s.userId, sessionId: s.sessionId };
        for (const n of [1, 2, 3, 4]) await store.put(layout.audioKey(failedSession, n), Buffer.from('audio'));
        for (const n of [1, 3]) await store.put(layout.transcriptKey(failedSession, n), JSON.stringify({ segments: [{ text: ` words of chunk ${n}`, start: 0, end: 2, words: [] }], duration: 5 }));
      }
      await writeReport(store, layout, r, t);
    }
    const listed = await listReports(store, layout);
    assert.equal(listed.length, 14);
    newestKey = listed[0].key;
    newestId = listed[0].reportId;
    await setSetting('store', dir);
  });

  after(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('store', undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('opens the report viewer on a report, once, and keeps it through theme changes', async function () {
    await setTheme('Default Light Modern', vscode.ColorThemeKind.Light);
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const delivered = api.reportsDelivered();
    await vscode.commands.executeCommand('whisperBatch.openReports', newestKey);
    const tab = await until(() => reportTab(), 'the report viewer tab');
    assert.equal(tab.label, 'Whisper Batch Reports');
    assert.ok(tab.isActive);
    // Opening again reuses the one panel.
    await vscode.commands.executeCommand('whisperBatch.openReports', newestKey);
    const count = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(VIEW_TYPE)).length;
    assert.equal(count, 1, 'a single report panel');

    // The page loads, says ready, and is handed the report (the host counts what the page accepted).
    await until(() => api.reportsDelivered() > delivered, 'the report handed to the page', 60_000);
    // What the page shows, seen from the browser: the session id that is HTML is text in the table,
    // no element was made from it, and no dialog opened.
    const probe = await probeWebview(path.join(os.tmpdir(), `wb-probe-${process.pid}.json`), '.vt-rows>.vt-row>.vt-cell:first-child');
    if (probe) {
      const pages = probe.frames.filter((f) => f.count > 0);
      assert.equal(pages.length, 1, `one report page (${JSON.stringify(probe.frames.map((f) => f.url))})`);
      assert.ok(pages[0].texts.includes(XSS), `the hostile session id shown as text: ${JSON.stringify(pages[0].texts.slice(0, 3))}`);
      assert.equal(pages[0].made, 0, 'no img/iframe/handler attribute made from data');
      // Scripts: the bundle, plus the one VS Code injects into every webview (acquireVsCodeApi).
      assert.deepEqual(
        pages[0].scripts.filter((x) => x !== 'inline').map((x) => x.split('?')[0].split('/').slice(-3).join('/')),
        ['dist/webviews/report.js'],
        'only the bundle by src',
      );
      assert.deepEqual(probe.dialogs, [], 'no dialog');
      console.log(`      webview: ${pages[0].count} session rows drawn, the hostile id as text`);
    }
    const shots = process.env.WB_SCREENSHOT_DIR;
    const settle = () => new Promise((r) => setTimeout(r, 500)); // the page draws on the message; one beat for layout
    await settle();
    if (shots) assert.ok(await screenshot(path.join(shots, 'report-vscode-light.png')), 'light screenshot');
    await setTheme('Default Dark Modern', vscode.ColorThemeKind.Dark);
    await settle();
    if (shots) assert.ok(await screenshot(path.join(shots, 'report-vscode-dark.png')), 'dark screenshot');
    assert.ok(reportTab(), 'still open after the theme change');
    await setTheme(undefined, vscode.ColorThemeKind.Dark);
  });

  it('Open Reports with no report named opens the newest one', async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await until(() => !reportTab(), 'the viewer closed');
    const delivered = api.reportsDelivered();
    await vscode.commands.executeCommand('whisperBatch.openReports');
    await until(() => api.reportsDelivered() > delivered, 'a report handed to the page', 60_000);
    const probe = await probeWebview(path.join(os.tmpdir(), `wb-probe-title-${process.pid}.json`), '.report-title');
    if (!probe) return this.skip();
    const titles = probe.frames.flatMap((f) => f.texts);
    assert.equal(titles.length, 1, JSON.stringify(titles));
    assert.ok(titles[0]?.startsWith(newestId), `the newest report (${newestId}) is open: ${titles[0]}`);
  });

  it("a session's Transcript button in the sessions table opens its transcript, the run's failed chunk marked in place", async function () {
    // The viewer is open on the newest report (the test above); row 4 is failedSession.
    const clicked = await clickInWebview(path.join(os.tmpdir(), `wb-click-${process.pid}.json`), '.vt-rows>.vt-row:nth-child(4)>.vt-cell>button.open-transcript');
    if (!clicked) return this.skip();
    assert.equal(clicked.clicked, 1, 'the button is there');
    const editor = await until(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'whisper-batch'), 'the transcript tab');
    const text = editor.document.getText();
    assert.ok(text.includes(`Session: ${failedSession.sessionId}`), text.slice(0, 300));
    assert.match(text, /\nchunk-001  0:05\.0\n  \[0:00\.0 - 0:02\.0\] words of chunk 1\n/);
    assert.match(text, /\nchunk-002  FAILED in the run of [^\n]+: [^\n]+\n/);
    assert.match(text, /\nchunk-004  MISSING: no transcript yet\n/);
    assert.match(text, /Chunks: {2}4 chunks, 2 transcribed, 1 missing, 1 failed/);
  });
});
