/**
 * One window's Whisper Batch, wired from parts with one job each: settings (settingsState.ts), the
 * scanner (scanner.ts), the reports feed (reportsFeed.ts), the GPU watch (hostWatch.ts), the runs
 * (runs.ts), alerts (alerts.ts), the auto-refresh (autoRefresh.ts), the timed runner (runner.ts)
 * and the status bar. This file only connects them; commands and views take the parts they need.
 */
import * as vscode from 'vscode';
import { systemClock, type Clock } from '../core/clock';
import { adaptiveDecision, adaptiveParamsOf, backlogOf } from '../core/adaptive';
import { describeError } from '../core/errors';
import { timerMinutes } from '../core/schedule';
import { evaluateMonitoring, oldestPendingAgeHours, type Monitoring } from '../core/monitoring';
import type { ReportSummary } from '../core/report/model';
import { alertAfterRun } from './alerts';
import { notifyDepsOf } from '../core/aws/sns';
import { sendNotices, type Notice } from '../core/notify';
import { notifyClientFactory } from './storeAccess';
import { webhookUrlOf } from './webhookSecret';
import { AutoRefresh } from './autoRefresh';
import { GpuStatusBar } from './gpuStatusBar';
import { HostWatch } from './hostWatch';
import { Disposable } from './lifecycle';
import { PendingModel } from './pendingModel';
import { ReportsFeed } from './reportsFeed';
import { refreshOpenReports } from './reportsLink';
import { ScheduleRunner } from './runner';
import { Runs, type EndedRun } from './runs';
import { Scanner } from './scanner';
import { safeLog } from './safeUi';
import { SettingsState } from './settingsState';

export type { RunOrigin } from './runs';

export interface AppDeps {
  context: vscode.ExtensionContext;
  clock?: Clock;
  /** Folder shared by every window for run state and events (default ~/.whisper-batch/runs). */
  runsDir?: string;
}

export class App extends Disposable {
  readonly clock: Clock;
  readonly log: vscode.LogOutputChannel;
  readonly settings: SettingsState;
  readonly model = new PendingModel();
  readonly scanner: Scanner;
  readonly reports: ReportsFeed;
  readonly status: GpuStatusBar;
  readonly host: HostWatch;
  readonly runs: Runs;
  readonly runner: ScheduleRunner;
  readonly autoRefresh: AutoRefresh;
  private readonly secrets: vscode.SecretStorage;

  constructor(deps: AppDeps) {
    super();
    const clock = (this.clock = deps.clock ?? systemClock);
    this.secrets = deps.context.secrets;
    const log = (this.log = safeLog(this._register(vscode.window.createOutputChannel('Whisper Batch', { log: true }))));
    const settings = (this.settings = this._register(new SettingsState(log)));
    this.scanner = new Scanner(settings, this.model, clock, log);
    this.reports = this._register(new ReportsFeed(settings, log));
    const s = settings.current;
    this.status = this._register(new GpuStatusBar({ configured: settings.configured, hostKind: s.host.kind, scheduleEnabled: false, idleWarningMinutes: s.host.idleWarningMinutes, now: clock.now() }));
    this.host = this._register(new HostWatch(settings, this.status, clock));
    this.runs = this._register(new Runs({ context: deps.context, settings, status: this.status, clock, log, runsDir: deps.runsDir }));
    this.runner = this._register(
      new ScheduleRunner({
        clock,
        random: Math.random,
        memento: deps.context.globalState,
        isRunActive: () => this.runs.live.length > 0,
        startRun: async () => void (await this.runs.startRun('scheduled')),
        shouldStart: () => this.adaptiveShouldStart(),
        log: (m) => log.info(m),
      }),
    );
    this.autoRefresh = this._register(
      new AutoRefresh(settings, clock, async () => {
        await this.host.refresh();
        this.model.touch();
        await this.runs.tracker.poll();
      }),
    );
    this._register(this.runner.onDidChange((next) => this.status.update({ nextRunAt: next })));
    this._register(this.model.onDidChange(() => this.onModelChanged()));
    this._register(this.runs.onDidEnd((e) => void this.afterRun(e)));
    // The status bar warns while a monitoring target is in alert, from whatever the Reports view last listed.
    this._register(this.reports.tree.onDidChangeTreeData(() => this.status.update({ alerts: this.monitoringFor(this.reports.items).alerts.map((a) => a.label) })));
    this._register(settings.onDidChange(() => this.onSettingsChanged()));
    this.applySettings();
    settings.showProblems();
    this.runs.start();
  }

  private onSettingsChanged(): void {
    this.applySettings();
    // The Reports view follows a store change at once, like the tree.
    void this.reports.refresh();
    if (this.settings.configured) void this.scanner.scan().catch(() => undefined);
    else this.model.clear();
  }

  private applySettings(): void {
    const st = this.settings;
    const s = st.current;
    void vscode.commands.executeCommand('setContext', 'whisperBatch.configured', st.configured);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.trusted', st.trusted);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.scheduleEnabled', s.schedule.enabled);
    // Menus hide what cannot apply: Stop GPU and the SSH passphrase on this machine, "Copy S3 Key" on a folder.
    void vscode.commands.executeCommand('setContext', 'whisperBatch.hostKind', s.host.kind);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.transport', s.host.transport);
    void vscode.commands.executeCommand('setContext', 'whisperBatch.storeKind', s.store.startsWith('s3://') ? 's3' : 'folder');
    this.status.update({ configured: st.configured, hostKind: s.host.kind, idleWarningMinutes: s.host.idleWarningMinutes, scheduleEnabled: s.schedule.enabled && st.trusted });
    // No scheduled runs from an untrusted workspace (restricted mode).
    // Adaptive mode fires every scan interval; each firing scans and decides (adaptiveShouldStart).
    this.runner.configure({ ...s.schedule, intervalMinutes: timerMinutes(s.schedule), enabled: s.schedule.enabled && st.trusted && st.configured });
    this.autoRefresh.reschedule();
    // An EC2 host is watched from start-up (a forgotten GPU), a moment after activation returned.
    this.host.watch(1000);
  }

  /** The adaptive schedule's decision (src/core/adaptive.ts) on a fresh scan; interval mode always runs. */
  private async adaptiveShouldStart(): Promise<{ start: boolean; reason: string }> {
    const s = this.settings.current;
    if (s.schedule.mode !== 'adaptive') return { start: true, reason: 'interval schedule' };
    const doc = await this.scanner.scan();
    if (!doc) return { start: false, reason: 'the scan failed (see the log)' };
    return adaptiveDecision(backlogOf(doc, this.clock.now(), s.cost.chunkSecondsEstimate), adaptiveParamsOf(s));
  }

  private onModelChanged(): void {
    const t = this.model.totals;
    this.status.update({ pendingChunks: t?.missingChunks, pendingSessions: t?.pendingSessions, now: this.clock.now() });
  }

  /** After any run: the tree, the reports, an open viewer and the GPU state follow; alerts if needed. */
  private async afterRun(e: EndedRun): Promise<void> {
    const doc = await this.scanner.scan().catch(() => undefined);
    await this.reports.refresh();
    await refreshOpenReports().catch((err) => this.log.warn(`report viewer: ${describeError(err)}`));
    await this.host.refresh().catch(() => undefined);
    const settings = this.settings.current;
    const send = async (notices: Notice[]) => sendNotices(notices, notifyDepsOf(settings, await webhookUrlOf(this.secrets), notifyClientFactory()));
    await alertAfterRun(e, { store: this.settings.store(), layout: this.settings.layout, settings, clock: this.clock, pending: doc }, this.status, this.log, send);
  }

  /** The monitoring targets (src/core/monitoring.ts) for these reports and the last scan (viewer, status bar). */
  monitoringFor(reports: readonly ReportSummary[]): Monitoring {
    const now = this.clock.now();
    return evaluateMonitoring(reports, oldestPendingAgeHours(this.model.lastScan, now), this.settings.current.monitor, now);
  }
}
