/**
 * One window's Whisper Batch: settings, the last scan, reports, the GPU state, and the runs of
 * every window (through the shared runs folder). Commands, views and the status bar read from it
 * and call it; it knows nothing of menus.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { notify, safeLog } from './safeUi';
import { systemClock, type Clock } from '../core/clock';
import { describeError, WbError } from '../core/errors';
import type { BatchEvent } from '../core/events';
import { BucketLayout } from '../core/layout';
import { listReports } from '../core/report/reportStore';
import { scan, type PendingJobs } from '../core/scan';
import type { Settings } from '../core/settings';
import type { ObjectStore } from '../core/store/objectStore';
import { CONFIG_SECTION } from './configContribution';
import { GpuStatusBar } from './gpuStatusBar';
import { Disposable, toDisposable } from './lifecycle';
import { missedTargets } from './monitoring';
import { PendingModel } from './pendingModel';
import { ReportsTree } from './reportsTree';
import { ScheduleRunner } from './runner';
import { timerMinutes } from '../core/schedule';
import { adaptiveDecision, adaptiveParamsOf, backlogOf } from '../core/adaptive';
import { RunTracker, cancelRun, defaultRunsDir, startDetachedRun, type TrackedRun } from './runProcess';
import { readSettings, settingOfProblem, type SettingsRead } from './settingsBridge';
import { refreshOpenReports } from './reportsLink';
import { openStoreFor, probeHost } from './storeAccess';
import { secretEnv } from './sshSecret';

export interface AppDeps {
  context: vscode.ExtensionContext;
  clock?: Clock;
  /** Folder shared by every window for run state and events (default ~/.whisper-batch/runs). */
  runsDir?: string;
}

export type RunOrigin = 'manual' | 'scheduled' | 'session';

export class App extends Disposable {
  readonly clock: Clock;
  readonly model = new PendingModel();
  readonly reports: ReportsTree;
  readonly log: vscode.LogOutputChannel;
  readonly status: GpuStatusBar;
  readonly tracker: RunTracker;
  readonly runner: ScheduleRunner;
  private read: SettingsRead;
  private storeCache: { key: string; store: ObjectStore } | undefined;
  private shownProblems = '';
  private readonly origins = new Map<number, RunOrigin>();
  private refreshTimer: unknown;
  private visibleViews = new Set<string>();
  private lastRunEnd: number | undefined;
  private scanning: Promise<PendingJobs | undefined> | undefined;
  private nextScan: Promise<PendingJobs | undefined> | undefined;
  private autoRefreshCount = 0;

  constructor(private readonly deps: AppDeps) {
    super();
    this.clock = deps.clock ?? systemClock;
    this.log = safeLog(this._register(vscode.window.createOutputChannel('Whisper Batch', { log: true })));
    this.reports = this._register(new ReportsTree());
    this.read = readSettings();
    this.status = this._register(
      new GpuStatusBar({
        configured: this.configured,
        hostKind: this.settings.host.kind,
        scheduleEnabled: false,
        idleWarningMinutes: this.settings.host.idleWarningMinutes,
        now: this.clock.now(),
      }),
    );
    this.tracker = this._register(new RunTracker({ dir: deps.runsDir ?? defaultRunsDir(), clock: this.clock }));
    this._register(this.tracker.onEvent(({ run, event }) => this.onRunEvent(run, event)));
    this._register(this.tracker.onRunStarted((run) => this.onRunStarted(run)));
    this._register(this.tracker.onRunEnded((run) => void this.onRunEnded(run)));
    this.runner = this._register(
      new ScheduleRunner({
        clock: this.clock,
        random: Math.random,
        memento: deps.context.globalState,
        isRunActive: () => this.tracker.live.length > 0,
        startRun: async () => void (await this.startRun('scheduled')),
        shouldStart: () => this.adaptiveShouldStart(),
        log: (m) => this.log.info(m),
      }),
    );
    this._register(this.runner.onDidChange((next) => this.status.update({ nextRunAt: next })));
    this._register(this.model.onDidChange(() => this.onModelChanged()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(CONFIG_SECTION)) this.reloadSettings();
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.reloadSettings()));
    this._register(toDisposable(() => this.refreshTimer !== undefined && this.clock.clearTimeout(this.refreshTimer)));
    this.applySettings();
    this.tracker.start();
    void this.tracker.prune(14 * 86_400_000);
  }

  get settings(): Settings {
    return this.read.settings;
  }

  get problems(): readonly string[] {
    return this.read.problems;
  }

  /** Configured = a store chosen by the user (an empty store means: show the welcome view). */
  get configured(): boolean {
    return this.settings.store.trim() !== '';
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  get layout(): BucketLayout {
    return new BucketLayout(this.settings.layout);
  }

  /** The store of the current settings (cached while they do not change). */
  store(): ObjectStore {
    if (!this.configured) throw new WbError('Config', 'No store configured', 'Try the local sample bucket or set whisperBatch.store.');
    const s = this.settings;
    const key = JSON.stringify([s.store, s.aws]);
    if (this.storeCache?.key !== key) {
      this.storeCache = { key, store: openStoreFor(s) };
    }
    return this.storeCache.store;
  }

  reloadSettings(): void {
    this.read = readSettings();
    this.storeCache = undefined;
    this.applySettings();
    if (this.configured) void this.scan().catch(() => undefined);
    else this.model.clear();
  }

  private applySettings(): void {
    const s = this.settings;
    void vscode.commands.executeCommand('setContext', 'whisperBatch.configured', this.configured);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.trusted', this.trusted);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.scheduleEnabled', s.schedule.enabled);
    this.status.update({ configured: this.configured, hostKind: s.host.kind, idleWarningMinutes: s.host.idleWarningMinutes, scheduleEnabled: s.schedule.enabled && this.trusted });
    // No scheduled runs from an untrusted workspace (restricted mode).
    // Adaptive mode fires every scan interval; each firing scans and decides (adaptiveShouldStart).
    this.runner.configure({ ...s.schedule, intervalMinutes: timerMinutes(s.schedule), enabled: s.schedule.enabled && this.trusted && this.configured });
    this.scheduleAutoRefresh();
    const problems = this.read.problems.join('\n');
    if (problems && problems !== this.shownProblems) {
      const first = this.read.problems[0];
      const setting = settingOfProblem(first);
      void notify.error(`Whisper Batch settings: ${first}${this.read.problems.length > 1 ? ` (and ${this.read.problems.length - 1} more, see the log)` : ''}`, 'Open Settings')
        .then((pick) => pick && vscode.commands.executeCommand('workbench.action.openSettings', setting ?? CONFIG_SECTION));
      for (const p of this.read.problems) this.log.error(`setting: ${p}`);
    }
    this.shownProblems = problems;
  }

  /**
   * A full scan of the store (a button press, a settings change, the end of a run). The answer
   * always reflects the store as it was when asked: a request while a scan is in flight (which may
   * have listed before the change the caller knows of) gets the next scan, shared by every request
   * made meanwhile, so requests never pile up more than one scan deep.
   */
  scan(): Promise<PendingJobs | undefined> {
    if (!this.configured) return Promise.resolve(undefined);
    if (!this.scanning) {
      this.scanning = this.doScan().finally(() => (this.scanning = undefined));
      return this.scanning;
    }
    this.nextScan ??= this.scanning
      .catch(() => undefined)
      .then(() => {
        this.nextScan = undefined;
        return this.scan();
      });
    return this.nextScan;
  }

  private async doScan(): Promise<PendingJobs | undefined> {
    try {
      const doc = await scan({ store: this.store(), settings: this.settings, clock: this.clock });
      this.model.setScan(doc, this.clock.now());
      this.log.info(`scan: ${doc.totalMissingChunks} missing chunk(s) in ${doc.sessionsWithMissingChunks} session(s), ${doc.deferredSessions.length} deferred, ${doc.stats.keys} keys in ${doc.stats.durationMs} ms`);
      return doc;
    } catch (e) {
      const msg = describeError(e);
      this.model.setError(msg);
      this.log.error(`scan failed: ${msg}`);
      throw e;
    }
  }

  async refreshReports(): Promise<void> {
    if (!this.configured) return this.reports.set([]);
    try {
      this.reports.set(await listReports(this.store(), this.layout, 100));
    } catch (e) {
      this.log.error(`reports: ${describeError(e)}`);
    }
  }

  async refreshHost(): Promise<void> {
    if (!this.configured) return;
    const r = await probeHost(this.settings);
    this.status.update({ hostState: r.state, hostSince: r.since, hostError: r.error, now: this.clock.now() });
  }

  private onModelChanged(): void {
    const t = this.model.totals;
    this.status.update({ pendingChunks: t?.missingChunks, pendingSessions: t?.pendingSessions, now: this.clock.now() });
  }

  // ---------------------------------------------------------------- auto-refresh

  /** How many auto-refreshes ran in this window (the in-editor tests read it). */
  get autoRefreshes(): number {
    return this.autoRefreshCount;
  }

  /** Views report their visibility; the refresh timer runs only while one is visible. */
  setViewVisible(id: string, visible: boolean): void {
    if (visible) this.visibleViews.add(id);
    else this.visibleViews.delete(id);
    this.scheduleAutoRefresh();
  }

  private scheduleAutoRefresh(): void {
    if (this.refreshTimer !== undefined) this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const secs = this.settings.schedule.autoRefreshSeconds;
    if (!secs || !this.visibleViews.size || !this.configured || this.isDisposed) return;
    this.refreshTimer = this.clock.setTimeout(() => void this.autoRefresh(), secs * 1000);
  }

  /** GPU state and the last scan's ages; no bucket scan (that is the Scan command's job). */
  private async autoRefresh(): Promise<void> {
    this.autoRefreshCount++;
    try {
      await this.refreshHost();
      this.model.touch();
      await this.tracker.poll();
    } finally {
      this.scheduleAutoRefresh();
    }
  }

  // ---------------------------------------------------------------- runs

  /** The adaptive schedule's decision (src/core/adaptive.ts) on a fresh scan; interval mode always runs. */
  private async adaptiveShouldStart(): Promise<{ start: boolean; reason: string }> {
    if (this.settings.schedule.mode !== 'adaptive') return { start: true, reason: 'interval schedule' };
    const doc = await this.scan();
    if (!doc) return { start: false, reason: 'the scan failed (see the log)' };
    return adaptiveDecision(backlogOf(doc, this.clock.now(), this.settings.cost.chunkSecondsEstimate), adaptiveParamsOf(this.settings));
  }

  get liveRuns(): TrackedRun[] {
    return this.tracker.live;
  }

  /** Starts a detached CLI run; resolves once it started (it ends on its own, even if this window closes). */
  async startRun(origin: RunOrigin, sessionId?: string): Promise<TrackedRun> {
    if (!this.trusted) throw new WbError('Usage', 'Runs are off in an untrusted workspace (restricted mode)', 'Trust this workspace to run batches from it.');
    if (!this.configured) throw new WbError('Config', 'No store configured', 'Try the local sample bucket or set whisperBatch.store.');
    if (this.read.problems.length) throw new WbError('Config', `Settings have problems: ${this.read.problems[0]}`, 'Fix the setting first.');
    if (this.tracker.live.length) throw new WbError('Lease', 'A run is already in progress', 'Wait for it or cancel it (status bar).');
    const ext = this.deps.context.extensionUri.fsPath;
    const state = await startDetachedRun({
      node: process.execPath,
      cliPath: path.join(ext, 'dist', 'cli.js'),
      settings: this.settings,
      dir: this.deps.runsDir ?? defaultRunsDir(),
      sessions: sessionId ? [sessionId] : [],
      now: this.clock.now(),
      // The SSH key's passphrase, if any, goes to the run in its environment, never in its settings file.
      env: await secretEnv(this.deps.context.secrets),
    });
    this.origins.set(state.pid, origin);
    this.log.info(`run started (${origin}${sessionId ? ` session "${sessionId}"` : ''}): pid ${state.pid}, events ${state.eventsFile}`);
    await this.tracker.poll();
    const run = this.tracker.live.find((r) => r.state.pid === state.pid);
    if (!run) {
      // It ended before we looked: still report it.
      return { state, stateFile: `${state.eventsFile}.state.json`, done: 0, failed: 0, total: 0, ended: true, offset: 0, partial: '' };
    }
    return run;
  }

  cancel(run: TrackedRun): boolean {
    this.log.warn(`cancelling run: pid ${run.state.pid}`);
    return cancelRun(run.state.pid);
  }

  /** Resolves when `run` ends (at once if it already has). */
  whenEnded(run: TrackedRun): Promise<TrackedRun> {
    if (run.ended) return Promise.resolve(run);
    return new Promise((resolve) => {
      const sub = this.tracker.onRunEnded((r) => {
        if (r === run || r.state.pid === run.state.pid) {
          sub.dispose();
          resolve(r);
        }
      });
    });
  }

  private onRunStarted(run: TrackedRun): void {
    if (!this.origins.has(run.state.pid)) this.log.info(`run in progress (another window or the CLI): pid ${run.state.pid}`);
    this.status.update({ run: { done: 0, total: 0 }, now: this.clock.now() });
    void vscode.commands.executeCommand('setContext', 'whisperBatch.running', true);
  }

  private onRunEvent(run: TrackedRun, e: BatchEvent): void {
    switch (e.type) {
      case 'log':
        this.log[e.level === 'warn' ? 'warn' : e.level === 'error' ? 'error' : e.level === 'debug' ? 'debug' : 'info'](e.message);
        break;
      case 'run.phase':
        this.log.info(`phase: ${e.phase}`);
        break;
      case 'host.state':
        this.log.info(`host: ${e.state}${e.detail ? ` (${e.detail})` : ''}`);
        this.status.update({ hostState: e.state, hostError: undefined, hostSince: e.state === 'running' ? e.time : undefined });
        break;
      case 'chunk.done':
        this.log.info(`transcribed ${e.index}/${e.total}: "${e.key}"`);
        break;
      case 'chunk.failed':
        this.log.error(`failed ${e.index}/${e.total}: "${e.key}": ${e.error}`);
        break;
      case 'chunk.skipped':
        this.log.info(`skipped: "${e.key}": ${e.reason}`);
        break;
      case 'run.done':
        this.log.info(`run done: ${e.status}${e.reportKey ? `, report "${e.reportKey}"` : ''}`);
        break;
    }
    this.status.update({ run: { done: run.done, total: run.total, phase: run.phase }, now: this.clock.now() });
  }

  private async onRunEnded(run: TrackedRun): Promise<void> {
    const origin = this.origins.get(run.state.pid);
    this.origins.delete(run.state.pid);
    this.lastRunEnd = this.clock.now();
    this.status.update({ run: undefined, lastRunEnd: this.lastRunEnd, now: this.clock.now() });
    void vscode.commands.executeCommand('setContext', 'whisperBatch.running', this.tracker.live.length > 0);
    this.log.info(`run ended: pid ${run.state.pid}, ${run.status ?? 'unknown'} (${run.done - run.failed} transcribed, ${run.failed} failed)`);
    const doc = await this.scan().catch(() => undefined);
    await this.refreshReports();
    await refreshOpenReports().catch((e) => this.log.warn(`report viewer: ${describeError(e)}`));
    await this.refreshHost().catch(() => undefined);
    if (origin === 'scheduled') {
      // The timed runner is quiet unless something needs a human.
      const missed = missedTargets(this.reports.items.slice(0, 10), doc);
      if (run.status === 'exited') missed.unshift('The scheduled run stopped without a report (see the log).');
      if (missed.length) {
        void notify.warn(`Whisper Batch: ${missed.join(' ')}`, 'Show Log', 'Open Reports').then((p) => {
          if (p === 'Show Log') this.log.show();
          if (p === 'Open Reports') void vscode.commands.executeCommand('whisperBatch.openReports', run.reportKey);
        });
      }
    }
  }
}
