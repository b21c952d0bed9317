/**
 * The runs of this machine as this window sees them: starting a detached CLI run (manual, scheduled,
 * one session), cancelling, waiting for the end, and following every run (also another window's or
 * the CLI's) through the shared runs folder into the log, the status bar and the `running` context.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Clock } from '../core/clock';
import { WbError } from '../core/errors';
import { Emitter, type BatchEvent } from '../core/events';
import type { GpuStatusBar } from './gpuStatusBar';
import { Disposable } from './lifecycle';
import { RunTracker, cancelRun, defaultRunsDir, startDetachedRun, type TrackedRun } from './runProcess';
import type { SettingsState } from './settingsState';
import { secretEnv } from './sshSecret';
import { webhookEnv } from './webhookSecret';

export type RunOrigin = 'manual' | 'scheduled' | 'session';

export interface RunsDeps {
  context: vscode.ExtensionContext;
  settings: SettingsState;
  status: GpuStatusBar;
  clock: Clock;
  log: vscode.LogOutputChannel;
  /** Folder shared by every window for run state and events (default ~/.whisper-batch/runs). */
  runsDir?: string;
}

export interface EndedRun {
  run: TrackedRun;
  /** Who started it in this window; undefined for a run of another window or the CLI. */
  origin: RunOrigin | undefined;
}

export class Runs extends Disposable {
  readonly tracker: RunTracker;
  private readonly origins = new Map<number, RunOrigin>();
  private readonly ended = new Emitter<EndedRun>();
  /** Every run's end, with its origin (after the status bar and log have it). */
  readonly onDidEnd = (l: (e: EndedRun) => void) => this.ended.on(l);

  constructor(private readonly deps: RunsDeps) {
    super();
    this.tracker = this._register(new RunTracker({ dir: this.dir, clock: deps.clock }));
    this._register(this.tracker.onEvent(({ run, event }) => this.onRunEvent(run, event)));
    this._register(this.tracker.onRunStarted((run) => this.onRunStarted(run)));
    this._register(this.tracker.onRunEnded((run) => this.onRunEnded(run)));
  }

  private get dir(): string {
    return this.deps.runsDir ?? defaultRunsDir();
  }

  /** Follows the runs folder from now on, and forgets runs older than two weeks. */
  start(): void {
    this.tracker.start();
    void this.tracker.prune(14 * 86_400_000);
  }

  get live(): TrackedRun[] {
    return this.tracker.live;
  }

  /** Starts a detached CLI run; resolves once it started (it ends on its own, even if this window closes). */
  async startRun(origin: RunOrigin, sessionId?: string): Promise<TrackedRun> {
    const s = this.deps.settings;
    if (!s.trusted) throw new WbError('Usage', 'Runs are off in an untrusted workspace (restricted mode)', 'Trust this workspace to run batches from it.');
    if (!s.configured) throw new WbError('Config', 'No store configured', 'Try the local sample bucket or set whisperBatch.store.');
    if (s.problems.length) throw new WbError('Config', `Settings have problems: ${s.problems[0]}`, 'Fix the setting first.');
    if (this.tracker.live.length) throw new WbError('Lease', 'A run is already in progress', 'Wait for it or cancel it (status bar).');
    const state = await startDetachedRun({
      node: process.execPath,
      cliPath: path.join(this.deps.context.extensionUri.fsPath, 'dist', 'cli.js'),
      settings: s.current,
      dir: this.dir,
      sessions: sessionId ? [sessionId] : [],
      now: this.deps.clock.now(),
      // Recorded in the lease and the report: this window asked, by hand or on its timer (adaptive: the rule said start).
      trigger: origin !== 'scheduled' ? 'manual' : s.current.schedule.mode === 'adaptive' ? 'adaptive' : 'scheduled',
      window: vscode.workspace.name,
      // The SSH key's passphrase and the notification webhook URL, if any, go to the run in its environment, never in its settings file.
      env: { ...(await secretEnv(this.deps.context.secrets)), ...(await webhookEnv(this.deps.context.secrets)) },
    });
    this.origins.set(state.pid, origin);
    this.deps.log.info(`run started (${origin}${sessionId ? ` session "${sessionId}"` : ''}): pid ${state.pid}, events ${state.eventsFile}`);
    await this.tracker.poll();
    const run = this.tracker.live.find((r) => r.state.pid === state.pid);
    // It ended before we looked: still report it.
    return run ?? { state, stateFile: `${state.eventsFile}.state.json`, done: 0, failed: 0, total: 0, ended: true, offset: 0, partial: '' };
  }

  cancel(run: TrackedRun): boolean {
    this.deps.log.warn(`cancelling run: pid ${run.state.pid}`);
    this.cancelled.add(run.state.pid);
    const sent = cancelRun(run.state);
    if (sent) this.deps.status.update({ run: { done: run.done, total: run.total, phase: run.phase, cancelling: true }, now: this.deps.clock.now() });
    return sent;
  }
  private readonly cancelled = new Set<number>();

  /** Whether this window asked `run` to stop (its report then says "partial": the message says "Cancelled"). */
  wasCancelled(run: TrackedRun): boolean {
    return this.cancelled.has(run.state.pid);
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
    if (!this.origins.has(run.state.pid)) this.deps.log.info(`run in progress (another window or the CLI): pid ${run.state.pid}`);
    this.deps.status.update({ run: { done: 0, total: 0 }, now: this.deps.clock.now() });
    void vscode.commands.executeCommand('setContext', 'whisperBatch.running', true);
  }

  private onRunEvent(run: TrackedRun, e: BatchEvent): void {
    const log = this.deps.log;
    switch (e.type) {
      case 'log':
        log[e.level === 'warn' ? 'warn' : e.level === 'error' ? 'error' : e.level === 'debug' ? 'debug' : 'info'](e.message);
        break;
      case 'run.phase':
        log.info(`phase: ${e.phase}`);
        break;
      case 'host.state':
        log.info(`host: ${e.state}${e.detail ? ` (${e.detail})` : ''}`);
        this.deps.status.update({ hostState: e.state, hostError: undefined, hostSince: e.state === 'running' ? e.time : undefined });
        break;
      case 'chunk.done':
        log.info(`transcribed ${e.index}/${e.total}: "${e.key}"`);
        break;
      case 'chunk.failed':
        log.error(`failed ${e.index}/${e.total}: "${e.key}": ${e.error}`);
        break;
      case 'chunk.skipped':
        log.info(`skipped: "${e.key}": ${e.reason}`);
        break;
      case 'run.done':
        log.info(`run done: ${e.status}${e.reportKey ? `, report "${e.reportKey}"` : ''}`);
        break;
    }
    this.deps.status.update({ run: { done: run.done, total: run.total, phase: run.phase, cancelling: this.cancelled.has(run.state.pid) || undefined }, now: this.deps.clock.now() });
  }

  private onRunEnded(run: TrackedRun): void {
    const origin = this.origins.get(run.state.pid);
    this.origins.delete(run.state.pid);
    const now = this.deps.clock.now();
    this.deps.status.update({ run: undefined, lastRunEnd: now, now });
    void vscode.commands.executeCommand('setContext', 'whisperBatch.running', this.tracker.live.length > 0);
    this.deps.log.info(`run ended: pid ${run.state.pid}, ${run.status ?? 'unknown'} (${run.done - run.failed} transcribed, ${run.failed} failed)`);
    this.ended.emit({ run, origin });
  }
}
