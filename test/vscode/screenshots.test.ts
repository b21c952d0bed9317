/**
 * Not a test of behaviour: makes docs/screenshots/sidebar-<theme>.png from the real extension
 * (scripts/screenshots.mjs runs it once per theme). The sidebar shows a fixture bucket after one
 * run, the status bar item and the Reports view.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/extension/runProcess';
import type { SessionNode, UserNode } from '../../src/extension/pendingModel';
import { makeFixtureBucket } from './fixtureBucket';
import { activateExtension, screenshot, setSetting, until } from './helpers';

describe('screenshots', function () {
  it('sidebar with the Pending tree, the Reports view and the status bar', async function () {
    const dir = process.env.WB_SCREENSHOT_DIR;
    const theme = process.env.WB_SCREENSHOT_THEME || 'dark';
    assert.ok(dir, 'WB_SCREENSHOT_DIR is set');
    const api = await activateExtension();
    const bucket = await makeFixtureBucket();
    await setSetting('store', bucket.dir);
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    await until(() => api.app.model.totals?.missingChunks === bucket.missing, 'the scan');
    // One run on one session, so the Reports view has an entry and the tree still has work.
    const bob = (api.pendingTree.getChildren() as UserNode[]).find((u) => u.userId === 'bob')!;
    const s = (api.pendingTree.getChildren(bob) as SessionNode[])[0];
    const run = (await vscode.commands.executeCommand('whisperBatch.transcribeSession', s, { wait: true })) as TrackedRun;
    assert.equal(run?.status, 'success');
    await until(() => api.app.reports.items.length === 1, 'the report');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const users = api.pendingTree.getChildren() as UserNode[];
    const alice = users[0];
    await api.pendingView.reveal(alice.sessions[0].chunks[0] as never, { expand: true, select: false, focus: false });
    await vscode.commands.executeCommand('whisperBatch.reports.focus');
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    // A wider sidebar, so that session ids and descriptions are not cut.
    for (let i = 0; i < 12; i++) await vscode.commands.executeCommand('workbench.action.increaseViewWidth');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(await screenshot(path.join(dir, `sidebar-${theme}.png`)));
  });
});
