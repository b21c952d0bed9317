/**
 * The extension inside a real VS Code (code-server's Node extension host, or Electron with
 * @vscode/test-electron). Real parts throughout: the bundled dist/extension.js, a folder bucket,
 * the real CLI (dist/cli.js) started detached, pocketsphinx on real Chromium chunks, and moto for
 * EC2. The only stand-in is moto itself (no GPU here: its instance is "running" at once).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WhisperBatchApi } from '../../src/extension/activate';
import type { PendingNode, SessionNode, UserNode } from '../../src/extension/pendingModel';
import type { TrackedRun } from '../../src/extension/runProcess';
import { releaseMoto, startMoto } from '../support/moto';
import { startWebhookReceiver } from '../support/webhookReceiver';
import { HOSTILE_SESSION, OLD_SESSION, makeFixtureBucket, type FixtureBucket } from './fixtureBucket';
import { EXT_ID, activateExtension, setSetting, until } from './helpers';

const awsSdkInRequireCache = () => Object.keys(require.cache).some((k) => k.endsWith(`${path.sep}dist${path.sep}aws-sdk.js`));

describe('Whisper Batch in VS Code', function () {
  let api: WhisperBatchApi;
  let bucket: FixtureBucket;

  before(async function () {
    api = await activateExtension();
    bucket = await makeFixtureBucket();
  });

  it('activates without loading the AWS SDK, quickly, with every command registered', async function () {
    assert.equal(api.awsSdkRequested(), false, 'no SDK client requested');
    assert.equal(awsSdkInRequireCache(), false, 'dist/aws-sdk.js not in require.cache');
    console.log(`      activation: ${api.activationMs.toFixed(1)} ms`);
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON;
    const all = await vscode.commands.getCommands(true);
    for (const c of pkg.contributes.commands) assert.ok(all.includes(c.command), `${c.command} registered`);
    // The log is a LogOutputChannel (levels, timestamps), named after the extension.
    assert.equal(api.log.name, 'Whisper Batch');
    assert.equal(typeof api.log.logLevel, 'number');
  });

  it('shows the set-up state while no store is configured', async function () {
    assert.equal(api.configured(), false);
    assert.equal(api.status.presentation().state, 'not-configured');
    assert.deepEqual(api.pending.tree.getChildren(), []);
  });

  it('not configured: the status bar quick pick offers the set-up actions; "Try on a Local Sample Bucket" (also a welcome button) makes a sample bucket with work', async function () {
    assert.deepEqual(api.status.presentation().actions, ['trySample', 'configureAws', 'openSettings']);
    let picked: unknown;
    let settled = false;
    vscode.commands.executeCommand('whisperBatch.gpuActions').then(
      (c) => ((picked = c), (settled = true)),
      () => (settled = true),
    );
    // The quick pick opens asynchronously: accept its first item once it is there (a no-op before).
    const end = Date.now() + 90_000;
    while (!settled && Date.now() < end) {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(picked, 'whisperBatch.trySample', 'the first action of the quick pick ran');
    const dir = api.settings().store;
    assert.ok(dir.endsWith('sample-bucket') && fs.existsSync(dir), `whisperBatch.store points at the sample bucket (${dir})`);
    assert.equal(api.settings().host.kind, 'local');
    await until(() => (api.pending.model.totals?.missingChunks ?? 0) > 0, 'pending chunks in the sample', 60_000);
    for (const k of ['store', 'host.kind', 'engine.kind']) await setSetting(k, undefined);
    await until(() => !api.configured(), 'back to not configured');
  });

  it('names a wrong setting in its message and keeps working', async function () {
    await setSetting('scan.gracePeriodMinutes', -5);
    await until(() => api.problems().length > 0, 'the settings problem');
    assert.match(api.problems()[0], /^whisperBatch\.scan\.gracePeriodMinutes = -5: must be from 0 to 1440/);
    await setSetting('scan.gracePeriodMinutes', undefined);
    await until(() => api.problems().length === 0, 'the problem to clear');
  });

  it('the Pending view shows the sessions of the bucket: user > session > missing chunk, oldest first, badge = missing chunks', async function () {
    await setSetting('store', bucket.dir);
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    await until(() => api.pending.model.totals?.missingChunks === bucket.missing, 'the first scan');
    const users = api.pending.tree.getChildren() as UserNode[];
    assert.deepEqual(
      users.map((u) => api.pending.tree.getTreeItem(u).label),
      ['alice', 'bob'],
    );
    const bobSessions = api.pending.tree.getChildren(users[1]) as SessionNode[];
    const items = bobSessions.map((s) => api.pending.tree.getTreeItem(s));
    assert.deepEqual(
      items.map((i) => i.label),
      [HOSTILE_SESSION, 'session_live'],
      'hostile id shown as plain text, live session listed',
    );
    assert.deepEqual(
      items.map((i) => i.contextValue),
      ['session:pending', 'session:deferred:recording'],
    );
    assert.match(String(items[1].description), /live \(recording\)/);
    const aliceSessions = api.pending.tree.getChildren(users[0]) as SessionNode[];
    assert.deepEqual(
      aliceSessions.map((s) => s.sessionId),
      [OLD_SESSION],
      'transcribed sessions are not listed',
    );
    const chunks = api.pending.tree.getChildren(aliceSessions[0]) as PendingNode[];
    assert.deepEqual(
      chunks.map((c) => api.pending.tree.getTreeItem(c).label),
      ['chunk 001', 'chunk 002', 'chunk 003'],
    );
    assert.match(String(api.pending.tree.getTreeItem(aliceSessions[0]).description), /^3\/3 missing · \d+ KB · 2 d$/);
    assert.equal(api.pending.view.badge?.value, bucket.missing);
    assert.equal(await vscode.commands.executeCommand('whisperBatch.copyKey', chunks[0]), `users/alice/audio/sessions/${OLD_SESSION}/chunk-001.webm`);
    assert.equal(await vscode.env.clipboard.readText(), `users/alice/audio/sessions/${OLD_SESSION}/chunk-001.webm`);
    // A folder store: Copy Path gives the file itself.
    assert.equal(await vscode.commands.executeCommand('whisperBatch.copyPath', chunks[0]), path.join(api.settings().store, 'users', 'alice', 'audio', 'sessions', OLD_SESSION, 'chunk-001.webm'));
    // The recording app's ids read as a local date and time; the raw id stays in the tooltip.
    const alice = api.pending.tree.getTreeItem(aliceSessions[0]);
    assert.notEqual(alice.label, OLD_SESSION);
    assert.match(String(alice.label), /2026/);
    assert.match(String(alice.tooltip), new RegExp(OLD_SESSION));
  });

  it('"Transcribe This Session Next" on a pending session writes the store object `whisper-batch next` writes (batch-reports/.next.json), a row action of pending sessions only', async function () {
    const users = api.pending.tree.getChildren() as UserNode[];
    const bob = (api.pending.tree.getChildren(users[1]) as SessionNode[])[0];
    assert.equal(bob.sessionId, HOSTILE_SESSION);
    const file = path.join(bucket.dir, 'batch-reports', '.next.json');
    fs.rmSync(file, { force: true });
    const set = (await vscode.commands.executeCommand('whisperBatch.takeNext', bob)) as { userId: string; sessionId: string; setAt: string };
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(stored, set);
    assert.equal(stored.userId, 'bob');
    assert.equal(stored.sessionId, HOSTILE_SESSION);
    assert.ok(Date.parse(stored.setAt) > Date.now() - 60_000, 'set now');
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON;
    const row = pkg.contributes.menus['view/item/context'].filter((m: { command: string }) => m.command === 'whisperBatch.takeNext');
    assert.deepEqual(
      row.map((m: { when: string }) => /viewItem =~ \/\^session:pending\$\/ && isWorkspaceTrusted/.test(m.when)),
      [true],
    );
    fs.rmSync(file, { force: true });
  });

  it("a session's transcript opens in a read-only tab of the extension's scheme: chunks in order, segment times, missing chunks marked in place", async function () {
    const uri = (await vscode.commands.executeCommand('whisperBatch.openTranscript', { userId: 'bob', sessionId: HOSTILE_SESSION })) as string;
    assert.ok(uri?.startsWith('whisper-batch:'), `a virtual document (${uri})`);
    const doc = vscode.window.activeTextEditor!.document;
    assert.equal(doc.uri.toString(), uri);
    assert.equal(
      doc.getText(),
      [
        HOSTILE_SESSION,
        `Session: ${HOSTILE_SESSION}`,
        'User:    bob',
        'Chunks:  2 chunks, 1 transcribed, 1 missing',
        'Times are within each chunk.',
        '',
        'chunk-001  0:01.0',
        '  [0:00.0 - 0:01.0] done',
        '',
        'chunk-002  MISSING: no transcript yet',
        '',
      ].join('\n'),
    );
    // Read-only: typing into the tab changes nothing (the editor refuses it, as it does for any content provider's document).
    const before = doc.getText();
    await vscode.commands.executeCommand('type', { text: 'x' });
    assert.equal(doc.getText(), before);
    assert.equal(doc.isDirty, false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a done session (not in the Pending view) opens its transcript too', async function () {
    const uri = (await vscode.commands.executeCommand('whisperBatch.openTranscript', { userId: 'alice', sessionId: 'session_2026-11-21T10_00_00_000Z' })) as string;
    const text = vscode.window.activeTextEditor!.document.getText();
    assert.equal(vscode.window.activeTextEditor!.document.uri.toString(), uri);
    assert.match(text, /^Session: session_2026-11-21T10_00_00_000Z$/m);
    assert.match(text, /^Chunks: {2}1 chunk, 1 transcribed$/m);
    assert.match(text, /^chunk-001 {2}0:01\.0\n {2}\[0:00\.0 - 0:01\.0\] done$/m);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the status bar shows the local host and the pending count', async function () {
    const p = api.status.presentation();
    assert.equal(p.state, 'local');
    assert.match(p.text, new RegExp(`^\\$\\(device-desktop\\) Local idle · ${bucket.missing} pending$`));
    assert.match(p.tooltip, new RegExp(`Pending: ${bucket.missing} chunks in 2 sessions`));
    assert.match(p.tooltip, /Scheduled runs: off/);
  });

  it('auto-refreshes GPU state and ages every autoRefreshSeconds while a view is visible, without a bucket scan, and not while hidden', async function () {
    const scanned = api.pending.model.scanCount;
    await setSetting('schedule.autoRefreshSeconds', 1);
    // A settings change rescans once; the auto-refresh itself must not.
    await until(() => api.settings().schedule.autoRefreshSeconds === 1 && api.pending.model.scanCount > scanned, 'the rescan after the settings change');
    const scans = api.pending.model.scanCount;
    const n0 = api.autoRefreshes();
    await until(() => api.autoRefreshes() >= n0 + 2, 'two auto-refreshes', 20_000);
    assert.equal(api.pending.model.scanCount, scans, 'no bucket scan by the auto-refresh');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await until(() => !api.pending.view.visible, 'the Pending view hidden');
    const n1 = api.autoRefreshes();
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(api.autoRefreshes() <= n1 + 1, `no auto-refresh while hidden (${api.autoRefreshes() - n1})`);
    await vscode.commands.executeCommand('whisperBatch.pending.focus');
    await until(() => api.pending.view.visible, 'the Pending view shown again');
    await until(() => api.autoRefreshes() > n1 + 1, 'auto-refresh again once visible', 20_000);
    const before = api.pending.model.scanCount;
    await setSetting('schedule.autoRefreshSeconds', undefined);
    await until(() => api.settings().schedule.autoRefreshSeconds === 30 && api.pending.model.scanCount > before, 'the default back, and its rescan');
  });

  it('Scan Now finds a new chunk; a folder store never needs the AWS SDK', async function () {
    const { FolderStore } = await import('../../src/core/store/folderStore');
    const key = `users/alice/audio/sessions/${OLD_SESSION}/chunk-004.webm`;
    await new FolderStore(bucket.dir).put(key, fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/chromium-recording/chunk-004.webm')));
    const old = (Date.now() - 2 * 86_400_000) / 1000;
    fs.utimesSync(path.join(bucket.dir, ...key.split('/')), old, old);
    const doc: any = await vscode.commands.executeCommand('whisperBatch.scan');
    assert.equal(doc.totalMissingChunks, bucket.missing + 1);
    assert.equal(api.pending.view.badge?.value, bucket.missing + 1);
    assert.equal(api.awsSdkRequested(), false);
  });

  it('Transcribe This Session Now runs the real CLI detached on one session; the tree and status bar follow it', async function () {
    const users = api.pending.tree.getChildren() as UserNode[];
    const hostile = (api.pending.tree.getChildren(users[1]) as SessionNode[])[0];
    assert.equal(hostile.sessionId, HOSTILE_SESSION);
    const texts: string[] = [];
    const sub = api.runs.onEvent(() => texts.push(api.status.presentation().text));
    const run = (await vscode.commands.executeCommand('whisperBatch.transcribeSession', hostile, { wait: true })) as TrackedRun;
    sub.dispose();
    assert.ok(run, 'the command returned the run');
    assert.equal(run.status, 'success', `run status (log: ${run.state.eventsFile})`);
    assert.equal(run.done, 1);
    assert.ok(
      texts.some((t) => /Local 1\/1/.test(t)),
      `status bar showed progress: ${texts.join(' | ')}`,
    );
    await until(() => api.pending.model.totals?.missingChunks === bucket.missing, 'the rescan after the run');
    const bob = (api.pending.tree.getChildren() as UserNode[]).find((u) => u.userId === 'bob')!;
    assert.deepEqual(
      (api.pending.tree.getChildren(bob) as SessionNode[]).map((s) => s.sessionId),
      ['session_live'],
    );
    const written = fs.readFileSync(path.join(bucket.dir, 'users', 'bob', 'audio', 'sessions', HOSTILE_SESSION, 'layers', 'layer-0-raw-transcription', 'chunk-002.json'), 'utf8');
    assert.ok(JSON.parse(written).segments.length > 0, 'a real transcript was written');
  });

  it('Run Batch Now transcribes everything pending, writes a report, and the views show it', async function () {
    const run = (await vscode.commands.executeCommand('whisperBatch.runBatch', { yes: true, wait: true })) as TrackedRun;
    assert.ok(run);
    assert.equal(run.status, 'success');
    assert.equal(run.done, 4);
    await until(() => api.pending.model.totals?.missingChunks === 0, 'no missing chunk left');
    assert.equal(api.pending.view.badge, undefined);
    await until(() => api.reports.items().length === 2, 'two reports in the Reports view');
    const item = api.reports.treeItem(api.reports.items()[0]);
    assert.equal(String(item.description), 'success · 4 chunks', 'no cost for a run on this machine');
    assert.equal(item.command?.command, 'whisperBatch.openReports');
    assert.equal(api.status.presentation().state, 'local');
    assert.equal(api.runs.live().length, 0);
  });

  it('a run started elsewhere (another window, the CLI) shows here with its progress, and cancelling it keeps finished transcripts', async function () {
    // Make work again: a new session of 6 chunks.
    const { FolderStore } = await import('../../src/core/store/folderStore');
    const { defaultRunsDir, startDetachedRun } = await import('../../src/extension/runProcess');
    const store = new FolderStore(bucket.dir);
    const old = (Date.now() - 86_400_000) / 1000;
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const key = `users/carol/audio/sessions/s1/chunk-00${n}.webm`;
      await store.put(key, fs.readFileSync(path.resolve(__dirname, `../../../test/fixtures/chromium-recording/chunk-00${n}.webm`)));
      fs.utimesSync(path.join(bucket.dir, ...key.split('/')), old, old);
    }
    // What another window does: the CLI, detached, writing its events into the shared runs folder.
    const ext = vscode.extensions.getExtension(EXT_ID)!.extensionPath;
    const settings = { ...api.settings(), run: { ...api.settings().run, concurrency: 1 } };
    const state = await startDetachedRun({ node: process.execPath, cliPath: path.join(ext, 'dist', 'cli.js'), settings, dir: process.env.WHISPER_BATCH_RUNS_DIR || defaultRunsDir(), now: Date.now() });
    const texts: string[] = [];
    const sub = api.runs.onEvent(() => texts.push(api.status.presentation().text));
    const run = await until(() => api.runs.live().find((r) => r.state.pid === state.pid), 'this window to find the run');
    await until(() => run.done >= 1, 'a first chunk done', 90_000);
    assert.ok(
      texts.some((t) => /Local \d\/6/.test(t)),
      `the status bar shows the progress: ${texts.join(' | ')}`,
    );
    assert.ok(api.status.presentation().actions.includes('cancelRun'), 'the quick pick offers Cancel');
    await vscode.commands.executeCommand('whisperBatch.cancelRun');
    // Said at once, before the run has written its report and ended.
    assert.match(api.status.presentation().text, /^\$\(loading~spin\) Cancelling \d\/6$/);
    assert.ok(!api.status.presentation().actions.includes('cancelRun'), 'no second Cancel');
    const ended = await api.runs.whenEnded(run);
    sub.dispose();
    assert.ok(ended.status === 'partial' || ended.status === 'success', `status ${ended.status}`);
    await until(() => (api.pending.model.lastScanAt ?? 0) >= ended.endedAt! && api.runs.live().length === 0, 'the rescan after the cancelled run');
    const left = api.pending.model.totals!.missingChunks;
    assert.ok(left < 6, `finished transcripts kept (${left} left)`);
    assert.equal(api.status.presentation().state, 'local');
    if (left) {
      // "Open the Session's Report" finds the report of the run that worked on it.
      const carol = (api.pending.tree.getChildren() as UserNode[]).find((u) => u.userId === 'carol')!;
      await vscode.commands.executeCommand('whisperBatch.openSessionReport', carol.sessions[0]);
      await until(
        () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('whisperBatch.report'))),
        'the report viewer',
      );
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  it('the GPU status comes from EC2 (moto) and only then loads the AWS SDK', async function () {
    const moto = await startMoto();
    try {
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
      const { EC2Client, RunInstancesCommand } = require('@aws-sdk/client-ec2');
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      // Tagged as the product's GPU (host.tagKey/tagValue): only such an instance is started or stopped.
      const tags = [{ ResourceType: 'instance', Tags: [{ Key: 'ManagedBy', Value: 'BatchTranscription' }] }];
      const out = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: 'g4dn.xlarge', TagSpecifications: tags }));
      const id = out.Instances[0].InstanceId as string;
      await setSetting('aws.endpoint', moto.endpoint);
      await setSetting('host.instanceId', id);
      await setSetting('host.kind', 'ec2');
      await vscode.commands.executeCommand('whisperBatch.refresh');
      await until(() => api.status.presentation().state === 'idle', `GPU idle (state ${api.status.presentation().state}: ${api.status.facts().hostError ?? ''})`);
      assert.match(api.status.presentation().text, /GPU idle/);
      assert.equal(api.awsSdkRequested(), true);
      assert.equal(awsSdkInRequireCache(), true, 'dist/aws-sdk.js loaded on first use');
      // A GPU forgotten for longer than the setting turns the item to the warning colour.
      api.status.update({ hostSince: Date.now() - 60 * 60_000, lastRunEnd: Date.now() - 50 * 60_000, now: Date.now() });
      assert.equal(api.status.presentation().background, 'statusBarItem.warningBackground');
      assert.ok(api.status.presentation().actions.includes('stopGpu'));
      // Stop GPU (confirmed) runs `whisper-batch stop`; the status bar follows EC2.
      await vscode.commands.executeCommand('whisperBatch.stopGpu', { yes: true });
      await until(() => ['stopping', 'stopped'].includes(api.status.presentation().state), `GPU stopping or stopped (state ${api.status.presentation().state}: ${api.status.facts().hostError ?? ''})`);
      assert.ok(!api.status.presentation().actions.includes('stopGpu'), 'nothing left to stop');
    } finally {
      await setSetting('host.kind', undefined);
      await setSetting('host.instanceId', undefined);
      await setSetting('aws.endpoint', undefined);
      await releaseMoto();
    }
  });

  it('the schedule toggle turns the timed runner on with a next run time in the tooltip', async function () {
    assert.equal(await vscode.commands.executeCommand('whisperBatch.toggleSchedule'), true);
    await until(() => api.schedule.nextRunAt(), 'a next run time');
    assert.match(api.status.presentation().tooltip, /Next scheduled run: /);
    assert.match(api.status.presentation().text, /\$\(watch\)$/, 'a clock on the status bar item while scheduled runs are on');
    assert.equal(await vscode.commands.executeCommand('whisperBatch.toggleSchedule'), false);
    await until(() => api.schedule.nextRunAt() === undefined, 'the schedule off');
    assert.doesNotMatch(api.status.presentation().text, /\$\(watch\)/);
    // The menu entries name the state they switch to, and switch to it whatever the state was.
    assert.equal(await vscode.commands.executeCommand('whisperBatch.scheduleOff'), false);
    assert.equal(api.settings().schedule.enabled, false);
    assert.equal(await vscode.commands.executeCommand('whisperBatch.scheduleOn'), true);
    await until(() => api.schedule.nextRunAt(), 'a next run time');
    assert.equal(await vscode.commands.executeCommand('whisperBatch.scheduleOff'), false);
    await until(() => api.schedule.nextRunAt() === undefined, 'the schedule off');
  });

  it('a scheduled run starts on its own when due (a real CLI run, with a report), then waits an interval', async function () {
    await setSetting('schedule.firstRunDelayMinutes', 0);
    await setSetting('schedule.jitterSeconds', 0);
    await api.reports.refresh();
    const before = api.reports.items().length;
    await setSetting('schedule.enabled', true);
    await until(() => api.reports.items().length > before && api.runs.live().length === 0, 'the report of the scheduled run', 90_000);
    const next = await until(() => api.schedule.nextRunAt(), 'the next run time');
    assert.ok(next - Date.now() > 110 * 60_000, `the next run an interval later (${new Date(next).toISOString()})`);
    for (const k of ['schedule.enabled', 'schedule.firstRunDelayMinutes', 'schedule.jitterSeconds']) await setSetting(k, undefined);
    await until(() => api.schedule.nextRunAt() === undefined, 'the schedule off');
  });
  it('a failed run started here posts to the webhook URL kept in SecretStorage (by the CLI run), and a new alert is posted once (by this window)', async function () {
    const rx = await startWebhookReceiver();
    try {
      assert.equal(await vscode.commands.executeCommand('whisperBatch.setNotificationWebhook', rx.url), 'stored');
      assert.ok(!JSON.stringify(api.settings()).includes('SECRET'), 'the URL is in no setting');
      // A chunk that is not audio, 3 h old: the run fails on it, and it stays pending past a 1 h alert.
      const { FolderStore } = await import('../../src/core/store/folderStore');
      const key = 'users/carol/audio/sessions/session_bad/chunk-001.webm';
      await new FolderStore(bucket.dir).put(key, 'not audio');
      const old = (Date.now() - 3 * 3_600_000) / 1000;
      fs.utimesSync(path.join(bucket.dir, ...key.split('/')), old, old);
      await setSetting('monitor.pendingAgeTargetHours', 0.5);
      await setSetting('monitor.pendingAgeAlertHours', 1);
      const run = (await vscode.commands.executeCommand('whisperBatch.runBatch', { yes: true, wait: true })) as TrackedRun;
      assert.equal(run.status, 'failed', `run status (log: ${run.state.eventsFile})`);
      const texts = () => rx.received.map((r) => String(JSON.parse(r.body).text));
      await until(
        () => texts().some((t) => /FAILED on /.test(t)) && texts().some((t) => /ALERT .*Oldest pending|ALERT .*pending/i.test(t)),
        `the failed run and the alert on the webhook (got: ${texts().join(' | ')})`,
        30_000,
      );
      assert.equal(texts().filter((t) => /FAILED on /.test(t)).length, 1, 'one notice for the run');
      assert.equal(texts().filter((t) => /ALERT/.test(t)).length, 1, 'one notice for the alert');
      for (const f of fs.readdirSync(path.dirname(run.state.eventsFile))) assert.ok(!fs.readFileSync(path.join(path.dirname(run.state.eventsFile), f), 'utf8').includes('SECRET'), `${f} holds no URL`);
    } finally {
      await vscode.commands.executeCommand('whisperBatch.setNotificationWebhook', '');
      for (const k of ['monitor.pendingAgeTargetHours', 'monitor.pendingAgeAlertHours']) await setSetting(k, undefined);
      await rx.close();
    }
  });
});
