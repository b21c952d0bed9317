/**
 * The timed background runner: a run every `intervalMinutes`, the first one `firstRunDelayMinutes`
 * after start-up, a catch-up soon after start-up when a run was missed while VS Code was closed,
 * and a random jitter so that windows and machines do not collide. The last run time lives in
 * globalState (shared by the windows of this machine); the run lease in the store keeps runs one at
 * a time across machines. Clock and randomness are injected: tests drive hours in milliseconds.
 */
import type { Clock } from '../core/clock';
import { Emitter } from '../core/events';
import { nextRunTime, type ScheduleSettings as CoreScheduleSettings } from '../core/schedule';
import { Disposable, toDisposable } from './lifecycle';

export const LAST_RUN_KEY = 'whisperBatch.lastScheduledRunAt';
/** When runs are due is the core's (src/core/schedule.ts), shared with the CLI's systemd timer. */
export { CATCH_UP_DELAY_MS, nextRunTime } from '../core/schedule';

/** The runner's part of the core's schedule settings (autoRefreshSeconds is the views' business). */
export type ScheduleSettings = Pick<CoreScheduleSettings, 'enabled' | 'intervalMinutes' | 'firstRunDelayMinutes' | 'jitterSeconds'>;

export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export interface RunnerDeps {
  clock: Clock;
  /** In [0, 1). */
  random: () => number;
  memento: MementoLike;
  /** Starts a run (detached); resolves when it was started, not when it ends. */
  startRun: () => Promise<void>;
  /** True while some run (ours or another window's) is in progress on this machine. */
  isRunActive: () => boolean;
  /** Asked at each firing before a run starts (adaptive mode: scan and decide); absent: always run. */
  shouldStart?: () => Promise<{ start: boolean; reason: string }>;
  log?: (message: string) => void;
}

export class ScheduleRunner extends Disposable {
  private settings: ScheduleSettings = { enabled: false, intervalMinutes: 120, firstRunDelayMinutes: 10, jitterSeconds: 60 };
  private timer: unknown;
  private next: number | undefined;
  private readonly startedAt: number;
  private readonly changed = new Emitter<number | undefined>();
  readonly onDidChange = (l: (next: number | undefined) => void) => this.changed.on(l);

  constructor(private readonly deps: RunnerDeps) {
    super();
    this.startedAt = deps.clock.now();
    this._register(toDisposable(() => this.clear()));
  }

  get nextRunAt(): number | undefined {
    return this.next;
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  configure(s: ScheduleSettings): void {
    this.settings = { ...s };
    this.reschedule();
  }

  /** Plans the next run from the current settings and the last run time. */
  reschedule(): void {
    this.clear();
    if (!this.settings.enabled || this.isDisposed) {
      this.setNext(undefined);
      return;
    }
    const now = this.deps.clock.now();
    const jitter = Math.floor(this.deps.random() * this.settings.jitterSeconds * 1000);
    const at = nextRunTime(this.settings, now, this.startedAt, this.deps.memento.get<number>(LAST_RUN_KEY), jitter);
    this.setNext(at);
    this.timer = this.deps.clock.setTimeout(() => void this.fire(), Math.max(0, at - now));
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    const now = this.deps.clock.now();
    const last = this.deps.memento.get<number>(LAST_RUN_KEY);
    // Another window of this machine may have run meanwhile (globalState is shared): follow its schedule.
    if (last !== undefined && now - last < this.settings.intervalMinutes * 60_000 - 1000) {
      this.deps.log?.(`scheduled run skipped: another window ran one at ${new Date(last).toISOString()}`);
      return this.reschedule();
    }
    if (this.deps.isRunActive()) {
      this.deps.log?.('scheduled run skipped: a run is in progress');
      await this.deps.memento.update(LAST_RUN_KEY, now);
      return this.reschedule();
    }
    await this.deps.memento.update(LAST_RUN_KEY, now);
    try {
      const go = this.deps.shouldStart ? await this.deps.shouldStart() : { start: true, reason: '' };
      if (!go.start) {
        this.deps.log?.(`scheduled scan: not starting a run: ${go.reason}`);
        return this.reschedule();
      }
      await this.deps.startRun();
    } catch (e) {
      this.deps.log?.(`scheduled run could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.reschedule();
  }

  private setNext(at: number | undefined): void {
    if (this.next === at) return;
    this.next = at;
    this.changed.emit(at);
  }

  private clear(): void {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
