/**
 * Not a test of behaviour: makes docs/screenshots/sidebar-<theme>.png from the real extension
 * (scripts/screenshots.mjs runs it once per theme). The sidebar shows a fixture bucket after one
 * real run (pocketsphinx through the CLI): pending sessions of a few users, one still recording,
 * one locked by the live path, the Reports view and the status bar item.
 */
import * as assert from 'node:assert/strict';
import { readFileSync, utimesSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import type { TrackedRun } from '../../src/extension/runProcess';
import type { SessionNode, UserNode } from '../../src/extension/pendingModel';
import { HOSTILE_SESSION, OLD_SESSION, makeFixtureBucket } from './fixtureBucket';
import { activateExtension, screenshot, setSetting, until } from './helpers';

const CHUNKS = path.resolve(__dirname, '../../../test/fixtures/chromium-recording');

/** A few more users and sessions than the test fixture, so the tree looks like a working day. */
async function addSessions(dir: string): Promise<number> {
  const store = new FolderStore(dir);
  const layout = new BucketLayout(defaultSettings().layout);
  const now = Date.now();
  let added = 0;
  const put = async (userId: string, sessionId: string, chunks: number[], ageHours: number) => {
    for (const n of chunks) {
      const key = layout.audioKey({ userId, sessionId }, n);
      await store.put(key, readFileSync(path.join(CHUNKS, `chunk-00${n}.webm`)));
      const t = (now - ageHours * 3_600_000) / 1000;
      utimesSync(path.join(dir, ...key.split('/')), t, t);
    }
  };
  // The fixture's oldest session is named after 2026-11-20 09:00 UTC: let its chunks be that old, so
  // the age in the picture matches the id (when this machine's clock is past that date).
  const named = Date.parse('2026-11-20T09:00:00Z');
  if (named < now) {
    for (const n of [1, 2, 3]) {
      const t = (named + n * 5000) / 1000;
      utimesSync(path.join(dir, ...layout.audioKey({ userId: 'alice', sessionId: OLD_SESSION }, n).split('/')), t, t);
    }
  }
  const stamp = (ageHours: number) => `session_${new Date(now - ageHours * 3_600_000).toISOString().replace(/[:.]/g, '_')}`;
  await put('carol', stamp(30), [1, 2, 3, 4, 5, 6], 30);
  await put('carol', stamp(5), [1, 2], 5);
  added += 8;
  // The realtime path holds the lock for one of dave's sessions: deferred, not counted.
  const locked = stamp(1);
  await put('dave', locked, [1, 2, 3], 1);
  await store.put(layout.lockKey, JSON.stringify({ sessionId: locked, holder: 'recorder-web', createdAt: new Date(now - 2 * 60_000).toISOString() }));
  return added;
}

describe('screenshots', function () {
  it('sidebar with the Pending tree, the Reports view and the status bar', async function () {
    const dir = process.env.WB_SCREENSHOT_DIR;
    const theme = process.env.WB_SCREENSHOT_THEME || 'dark';
    assert.ok(dir, 'WB_SCREENSHOT_DIR is set');
    const api = await activateExtension();
    const bucket = await makeFixtureBucket();
    const missing = bucket.missing + (await addSessions(bucket.dir));
    await setSetting('store', bucket.dir);
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    await until(() => api.pending.model.totals?.missingChunks === missing, 'the scan');
    // One real run on one session, so the Reports view has an entry and the tree still has work.
    const bob = (api.pending.tree.getChildren() as UserNode[]).find((u) => u.userId === 'bob')!;
    const s = (api.pending.tree.getChildren(bob) as SessionNode[]).find((x) => x.sessionId === HOSTILE_SESSION)!;
    const run = (await vscode.commands.executeCommand('whisperBatch.transcribeSession', s, { wait: true })) as TrackedRun;
    assert.equal(run?.status, 'success');
    await until(() => api.reports.items().length === 1 && api.pending.model.totals?.missingChunks === missing - 1, 'the report and the rescan');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Expand the oldest session down to its chunks, and every user.
    const users = api.pending.tree.getChildren() as UserNode[];
    for (const u of users) await api.pending.view.reveal(u as never, { expand: true, select: false, focus: false });
    await api.pending.view.reveal(users[0].sessions[0].chunks[0] as never, { expand: true, select: false, focus: false });
    await vscode.commands.executeCommand('whisperBatch.reports.focus');
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    // A wider sidebar, so that session ids and descriptions are not cut. (In VS Code 1.139
    // increaseViewWidth resizes the editor; increaseViewSize resizes the focused part.)
    await vscode.commands.executeCommand('workbench.action.focusSideBar');
    for (let i = 0; i < 5; i++) await vscode.commands.executeCommand('workbench.action.increaseViewSize');
    // No selection highlight in the picture.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await new Promise((r) => setTimeout(r, 1000));
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.ok(await screenshot(path.join(dir, `sidebar-${theme}.png`)));
  });
});
