/**
 * Every command of the extension (palette category "Whisper Batch"). Handlers are thin: they ask,
 * confirm, and call the App; errors end as one message naming what to do, and in the log.
 */
import * as vscode from 'vscode';
import { notify, withSafeProgress } from './safeUi';
import { describeError, isCancelled } from '../core/errors';
import { CONFIG_SECTION } from './configContribution';
import type { App } from './app';
import { COMMON_REGIONS, listAwsProfiles } from './awsProfiles';
import type { GpuAction } from './gpuStatus';
import type { PendingNode, SessionNode } from './pendingModel';
import { openReportPanel } from './reportsLink';
import { openTranscript, type TranscriptRef } from './transcriptDocs';
import { ListenPanel, type ListenTarget } from './listenPanel';
import type { SessionRef } from '../core/layout';
import { sessionLabel } from '../core/sessionLabel';
import { uiText } from '../core/safeText';
import { runConfirmation, sessionConfirmation } from './runConfirm';
import { followRun, runEndMessage } from './runProgress';
import type { TrackedRun } from './runProcess';
import { makeSample } from './sample';
import { promptSshPassphrase, secretEnv } from './sshSecret';
import { setWebhookUrl } from './webhookSecret';
import { writeNext } from '../core/priority';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { plural } from '../core/plural';

export interface RunBatchArgs {
  /** Skip the modal confirmation (tests, the scheduler). */
  yes?: boolean;
  /** Resolve when the run ends rather than when it starts. */
  wait?: boolean;
}

const ACTION_LABELS: Record<GpuAction, { label: string; command: string }> = {
  stopOrphan: { label: '$(primitive-square) Stop it (no run owns this GPU)', command: 'whisperBatch.stopGpu' },
  runBatch: { label: '$(play) Run batch now', command: 'whisperBatch.runBatch' },
  cancelRun: { label: '$(debug-stop) Cancel the run', command: 'whisperBatch.cancelRun' },
  stopGpu: { label: '$(primitive-square) Stop the GPU', command: 'whisperBatch.stopGpu' },
  scan: { label: '$(search) Scan now', command: 'whisperBatch.scan' },
  showLog: { label: '$(output) Show log', command: 'whisperBatch.showLog' },
  openReports: { label: '$(graph) Open reports', command: 'whisperBatch.openReports' },
  toggleSchedule: { label: '$(watch) Turn scheduled runs on', command: 'whisperBatch.scheduleOn' },
  configureAws: { label: '$(cloud) Choose AWS profile and region', command: 'whisperBatch.configureAws' },
  trySample: { label: '$(beaker) Try on a local sample bucket', command: 'whisperBatch.trySample' },
  openSettings: { label: '$(gear) Open settings', command: 'whisperBatch.openSettings' },
  refresh: { label: '$(refresh) Refresh', command: 'whisperBatch.refresh' },
};

/** The schedule entry names the state it switches to (like the view's menu). */
function scheduleAction(enabled: boolean): { label: string; command: string } {
  return enabled ? { label: '$(debug-pause) Turn scheduled runs off', command: 'whisperBatch.scheduleOff' } : ACTION_LABELS.toggleSchedule;
}

export function registerCommands(app: App, context: vscode.ExtensionContext): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: any[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: any[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (isCancelled(e)) return undefined;
        const msg = describeError(e);
        app.log.error(`${id}: ${msg}`);
        void notify.error(`Whisper Batch: ${msg}`);
        return undefined;
      }
    });

  // Runs this window follows in a progress notification (which says how they ended).
  const followed = new Set<number>();
  const follow = (run: TrackedRun, title: string) => (
    followed.add(run.state.pid),
    withSafeProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      followRun({ onEvent: (l) => app.runs.tracker.onEvent(l), whenEnded: (r) => app.runs.whenEnded(r), cancel: (r) => app.runs.cancel(r) }, run, progress, token),
    )
  );

  const afterRun = (run: TrackedRun) => {
    const { level, text } = runEndMessage(run, app.runs.wasCancelled(run));
    void notify[level](text, 'Open Report', 'Show Log').then((p) => {
      if (p === 'Open Report') void vscode.commands.executeCommand('whisperBatch.openReports', run.reportKey);
      if (p === 'Show Log') app.log.show();
    });
  };

  const sessionOf = (node: PendingNode | undefined): SessionNode | undefined => (node?.kind === 'session' ? node : node?.kind === 'chunk' ? node.session : undefined);

  return [
    reg('whisperBatch.scan', async () => {
      return withSafeProgress({ location: { viewId: 'whisperBatch.pending' }, title: 'Scanning' }, () => app.scanner.scan());
    }),

    reg('whisperBatch.refresh', async () => {
      await Promise.all([app.scanner.scan(), app.reports.refresh(), app.host.refresh(), app.runs.tracker.poll()]);
    }),

    reg('whisperBatch.runBatch', async (args: RunBatchArgs = {}) => {
      const doc = await app.scanner.scan();
      if (!doc) return undefined;
      if (!doc.totalMissingChunks && !args.yes) {
        void notify.info(`Nothing to transcribe${doc.deferredSessions.length ? ` (${plural(doc.deferredSessions.length, 'session')} deferred: live or locked)` : ''}.`);
        return undefined;
      }
      if (!args.yes) {
        const c = runConfirmation(doc, app.settings.current);
        const pick = await notify[c.severity === 'warning' ? 'warn' : 'info'](c.message, { modal: true, detail: c.detail }, 'Run');
        if (pick !== 'Run') return undefined;
      }
      const run = await app.runs.startRun('manual');
      const ended = follow(run, 'Whisper Batch run');
      void ended.then(afterRun);
      return args.wait ? ended : run;
    }),

    reg('whisperBatch.transcribeSession', async (node?: PendingNode, args: RunBatchArgs = {}) => {
      const s = sessionOf(node);
      if (!s) throw new Error('Pick a session in the Pending view');
      if (s.state !== 'pending') throw new Error(`Session "${s.sessionId}" is deferred (${s.state}): ${s.deferredDetail ?? ''}`);
      if (app.settings.current.host.kind === 'ec2' && !args.yes) {
        const c = sessionConfirmation(s, app.settings.current);
        const pick = await notify.warn(c.message, { modal: true, detail: c.detail }, 'Run');
        if (pick !== 'Run') return undefined;
      }
      const run = await app.runs.startRun('session', s.sessionId);
      const ended = follow(run, `Transcribing "${s.sessionId}"`);
      void ended.then(afterRun);
      return args.wait ? ended : run;
    }),

    // The same store object as `whisper-batch next`: every runner (the CLI timer, any window) takes this session first.
    reg('whisperBatch.takeNext', async (node?: PendingNode) => {
      const s = sessionOf(node);
      if (!s) throw new Error('Pick a session in the Pending view');
      if (!app.settings.trusted) throw new Error('Setting the next session is off in an untrusted workspace (restricted mode)');
      const next = { userId: s.userId, sessionId: s.sessionId, setAt: new Date(app.clock.now()).toISOString() };
      await writeNext(app.settings.store(), app.settings.layout, next);
      app.log.info(`next: the next run takes "${s.userId}" / "${s.sessionId}" first`);
      vscode.window.setStatusBarMessage(uiText(`Whisper Batch: the next run takes ${sessionLabel(s.sessionId)} first`), 4000);
      return next;
    }),

    reg('whisperBatch.cancelRun', async () => {
      const live = app.runs.live;
      if (!live.length) return void notify.info('No run in progress.');
      let run = live[0];
      if (live.length > 1) {
        const pick = await vscode.window.showQuickPick(
          live.map((r) => ({ label: `pid ${r.state.pid}`, description: `${r.done}/${r.total} · started ${r.state.startedAt}`, run: r })),
          { title: 'Cancel which run?' },
        );
        if (!pick) return;
        run = pick.run;
      }
      // Finished transcripts stay; the CLI still stops the GPU and writes the report. The status bar
      // item says "Cancelling" at once; the end ("Cancelled: 2 transcribed, 7 still pending") comes
      // with the report: from the progress notification of a run started here, else from here.
      app.runs.cancel(run);
      if (!followed.has(run.state.pid)) void app.runs.whenEnded(run).then(afterRun);
    }),

    reg('whisperBatch.stopGpu', async (args: { yes?: boolean } = {}) => {
      const s = app.settings.current;
      if (s.host.kind !== 'ec2') return void notify.info('The host is this machine (host.kind = local): there is no GPU to stop.');
      // The live path writes batch-lock.json while a browser records on the GPU: the CLI refuses to stop
      // then, unless told to (--yes). Say so here, and pass --yes only after the user confirmed it.
      const lock = app.settings.layout.lockKey;
      const locked = !!(await app.settings
        .store()
        .head(lock)
        .catch(() => undefined));
      if (!args.yes) {
        const detail = app.runs.live.length
          ? 'A run is in progress: cancel it instead, it stops the GPU when it ends.'
          : locked
            ? `${lock} is present: a live recording may be using the GPU, and would lose it.`
            : 'A live recording that uses it would lose it.';
        const pick = await notify.warn(`Stop the GPU ${s.host.instanceId}?`, { modal: true, detail }, locked ? 'Stop Anyway' : 'Stop');
        if (pick !== 'Stop' && pick !== 'Stop Anyway') return;
      }
      const out = await runCli(app, context, ['stop', ...(locked ? ['--yes'] : [])]);
      app.log.info(`stop: ${out.trim()}`);
      await app.host.refresh();
    }),

    reg('whisperBatch.openReports', async (key?: unknown) => {
      await openReportPanel(context, {
        store: app.settings.store(),
        layout: app.settings.layout,
        log: (l) => app.log.info(l),
        monitoring: (r) => app.monitoringFor(r),
        initialReportKey: typeof key === 'string' ? key : undefined,
      });
    }),

    reg('whisperBatch.openSessionReport', async (node?: PendingNode) => {
      const s = sessionOf(node);
      if (!s) return;
      await app.reports.refresh();
      const { readReport } = await import('../core/report/reportStore');
      for (const r of app.reports.items.slice(0, 30)) {
        const rep = await readReport(app.settings.store(), r.key).catch(() => undefined);
        if (rep?.sessions.some((x) => x.sessionId === s.sessionId && x.userId === s.userId)) {
          return vscode.commands.executeCommand('whisperBatch.openReports', r.key);
        }
      }
      void notify.info(`No report mentions session "${s.sessionId}" yet.`);
    }),

    reg('whisperBatch.openTranscript', async (node?: PendingNode | TranscriptRef) => {
      const ref = node && 'kind' in node ? sessionOf(node) : node;
      if (!ref || typeof ref.userId !== 'string' || typeof ref.sessionId !== 'string') throw new Error('Pick a session in the Pending view, or use Browse Transcripts');
      const reportKey = 'reportKey' in ref && typeof ref.reportKey === 'string' ? ref.reportKey : undefined;
      const editor = await openTranscript({ userId: ref.userId, sessionId: ref.sessionId, reportKey });
      return editor.document.uri.toString();
    }),

    reg('whisperBatch.listen', async (node?: PendingNode | (SessionRef & { chunk?: unknown })) => {
      let target: ListenTarget | undefined;
      if (node && 'kind' in node) {
        const s = sessionOf(node);
        if (s) target = { userId: s.userId, sessionId: s.sessionId, chunk: node.kind === 'chunk' ? parseInt(node.chunk, 10) : undefined };
      } else if (node && typeof node.userId === 'string' && typeof node.sessionId === 'string') {
        target = { userId: node.userId, sessionId: node.sessionId, chunk: typeof node.chunk === 'number' && Number.isInteger(node.chunk) ? node.chunk : undefined };
      } else {
        const ref = await pickSession(app);
        if (ref) target = ref;
      }
      if (!target) return undefined;
      ListenPanel.show(context, app.settings, target, app.log);
      return true;
    }),

    reg('whisperBatch.browseTranscripts', async () => {
      const ref = await pickSession(app);
      if (ref) return vscode.commands.executeCommand('whisperBatch.openTranscript', ref);
      return undefined;
    }),

    reg('whisperBatch.scheduleOn', () => vscode.commands.executeCommand('whisperBatch.toggleSchedule', true)),
    reg('whisperBatch.scheduleOff', () => vscode.commands.executeCommand('whisperBatch.toggleSchedule', false)),

    reg('whisperBatch.copyPath', async (node?: PendingNode) => {
      const key = node?.kind === 'chunk' ? node.key : node?.kind === 'session' ? node.sessionPath : undefined;
      if (!key) return;
      // A folder store: the file's own path, what a terminal or file manager takes.
      const root = app.settings.current.store;
      const file = path.join(root.startsWith('file://') ? fileURLToPath(root) : root, ...key.split('/'));
      await vscode.env.clipboard.writeText(file);
      vscode.window.setStatusBarMessage(uiText(`Copied ${file}`), 3000);
      return file;
    }),

    reg('whisperBatch.copyKey', async (node?: PendingNode) => {
      const key = node?.kind === 'chunk' ? node.key : node?.kind === 'session' ? node.sessionPath : undefined;
      if (!key) return;
      await vscode.env.clipboard.writeText(key);
      vscode.window.setStatusBarMessage(`Copied ${key}`, 3000);
      return key;
    }),

    reg('whisperBatch.toggleSchedule', async (to?: unknown) => {
      const enabled = typeof to === 'boolean' ? to : !app.settings.current.schedule.enabled;
      if (enabled && !app.settings.trusted) throw new Error('Scheduled runs are off in an untrusted workspace (restricted mode)');
      await vscode.workspace.getConfiguration(CONFIG_SECTION).update('schedule.enabled', enabled, vscode.ConfigurationTarget.Global);
      const next = app.runner.nextRunAt;
      vscode.window.setStatusBarMessage(enabled ? `Whisper Batch: scheduled runs on${next ? `, next at ${new Date(next).toLocaleTimeString()}` : ''}` : 'Whisper Batch: scheduled runs off', 4000);
      return enabled;
    }),

    reg('whisperBatch.showLog', () => app.log.show(true)),

    reg('whisperBatch.openSettings', () => vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${context.extension.id}`)),

    reg('whisperBatch.setSshPassphrase', async () => {
      const done = await promptSshPassphrase(context.secrets);
      if (done !== 'cancelled') void notify.info(done === 'stored' ? 'Whisper Batch: SSH key passphrase kept in SecretStorage.' : 'Whisper Batch: SSH key passphrase removed.');
      return done;
    }),

    reg('whisperBatch.setNotificationWebhook', async (url?: unknown) => {
      const done = await setWebhookUrl(context.secrets, url);
      if (done !== 'cancelled') void notify.info(done === 'stored' ? 'Whisper Batch: notification webhook URL kept in SecretStorage.' : 'Whisper Batch: notification webhook URL removed.');
      return done;
    }),

    reg('whisperBatch.configureAws', async () => {
      const profiles = await listAwsProfiles();
      const current = app.settings.current.aws.profile;
      const p = await vscode.window.showQuickPick(
        [{ label: '(default credential chain)', value: '' }, ...profiles.map((n) => ({ label: n, value: n, description: n === current ? 'current' : undefined }))],
        { title: 'AWS profile (from ~/.aws/config)', placeHolder: profiles.length ? 'Pick a profile' : 'No profiles in ~/.aws/config: the default chain is used' },
      );
      if (!p) return;
      const r = await vscode.window.showQuickPick(
        COMMON_REGIONS.map((x) => ({ label: x, description: x === app.settings.current.aws.region ? 'current' : undefined })),
        { title: 'AWS region of the bucket and the GPU' },
      );
      if (!r) return;
      const store = await vscode.window.showInputBox({
        title: 'Bucket',
        prompt: 's3://bucket[/prefix] of the recordings',
        value: app.settings.current.store.startsWith('s3://') ? app.settings.current.store : 's3://',
        validateInput: (v) => (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(v) ? undefined : 'Use s3://bucket[/prefix] (bucket: 3-63 lowercase letters, digits, "." or "-")'),
      });
      if (store === undefined) return;
      const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
      await cfg.update('aws.profile', p.value, vscode.ConfigurationTarget.Global);
      await cfg.update('aws.region', r.label, vscode.ConfigurationTarget.Global);
      await cfg.update('store', store, vscode.ConfigurationTarget.Global);
    }),

    reg('whisperBatch.trySample', async () => {
      const dir = await withSafeProgress({ location: vscode.ProgressLocation.Notification, title: 'Making a sample bucket with real speech' }, (progress) =>
        makeSample(context.globalStorageUri.fsPath, app.settings.current.layout, app.clock, (m) => (progress.report({ message: m }), app.log.info(`sample: ${m}`))),
      );
      const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
      await cfg.update('store', dir, vscode.ConfigurationTarget.Global);
      await cfg.update('host.kind', 'local', vscode.ConfigurationTarget.Global);
      await cfg.update('engine.kind', 'auto', vscode.ConfigurationTarget.Global); // faster-whisper once set up, else pocketsphinx
      void vscode.commands.executeCommand('whisperBatch.pending.focus');
      return dir;
    }),

    reg('whisperBatch.gpuActions', async () => {
      const p = app.status.presentation;
      const pick = await vscode.window.showQuickPick(
        p.actions.map((a) => (a === 'toggleSchedule' ? scheduleAction(app.settings.current.schedule.enabled) : ACTION_LABELS[a])),
        { title: p.tooltip.split('\n')[0] },
      );
      if (!pick) return undefined;
      await vscode.commands.executeCommand(pick.command);
      return pick.command;
    }),
  ];
}

/**
 * Every session of the store, also the transcribed ones the Pending view does not list: a user,
 * then one of their sessions (two folder listings, not a scan), newest first, labelled by time.
 */
async function pickSession(app: App): Promise<SessionRef | undefined> {
  const store = app.settings.store();
  const layout = app.settings.layout;
  const users = (await store.listPrefixes(layout.usersPrefix)).map((p) => p.slice(layout.usersPrefix.length, -1)).filter((u) => u && !u.includes('/'));
  if (!users.length) return void notify.info('No users in the store yet.');
  const user =
    users.length === 1
      ? users[0]
      : (
          await vscode.window.showQuickPick(
            users.map((u) => ({ label: uiText(u), user: u })),
            { title: 'Transcripts: whose sessions?', matchOnDescription: true },
          )
        )?.user;
  if (user === undefined) return undefined;
  const prefix = layout.userSessionsPrefix(user);
  const ids = (await store.listPrefixes(prefix)).map((p) => p.slice(prefix.length, -1)).filter(Boolean);
  if (!ids.length) return void notify.info(`No sessions for user "${user}".`);
  ids.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const pick = await vscode.window.showQuickPick(
    ids.map((id) => ({ label: uiText(sessionLabel(id)), description: sessionLabel(id) === id ? undefined : uiText(id), id })),
    { title: uiText(`Transcripts of ${user}`), placeHolder: 'Pick a session to read its transcript', matchOnDescription: true },
  );
  return pick ? { userId: user, sessionId: pick.id } : undefined;
}

/** The CLI for one short command (stop), with the settings as a file: no shell, arguments as an array. */
async function runCli(app: App, context: vscode.ExtensionContext, args: string[]): Promise<string> {
  const { promises: fs } = await import('node:fs');
  const os = await import('node:os');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'whisper-batch-'));
  const config = path.join(dir, 'settings.json');
  await fs.writeFile(config, JSON.stringify(app.settings.current), { mode: 0o600 });
  const secrets = await secretEnv(context.secrets);
  try {
    return await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(context.extensionUri.fsPath, 'dist', 'cli.js'), ...args, '--config', config],
        { env: { ...process.env, ...secrets, ELECTRON_RUN_AS_NODE: '1' }, timeout: 15 * 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error((stderr || stdout || err.message).trim().split('\n').slice(-3).join(' '))) : resolve(stdout + stderr)),
      ),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
