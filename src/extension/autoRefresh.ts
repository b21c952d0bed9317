/**
 * While a view of ours is visible, every `schedule.autoRefreshSeconds`: the GPU state, the ages in
 * the tree and the runs folder. Never a bucket scan (that is the Scan command's job), and no timer
 * at all while every view is hidden.
 */
import type { Clock } from '../core/clock';
import { Disposable, toDisposable } from './lifecycle';
import type { SettingsState } from './settingsState';

export class AutoRefresh extends Disposable {
  private timer: unknown;
  private readonly visible = new Set<string>();
  private count = 0;

  constructor(
    private readonly settings: SettingsState,
    private readonly clock: Clock,
    private readonly refresh: () => Promise<void>,
  ) {
    super();
    this._register(toDisposable(() => this.stop()));
  }

  /** How many auto-refreshes ran in this window (the in-editor tests read it). */
  get runs(): number {
    return this.count;
  }

  /** Views report their visibility; the timer runs only while one is visible. */
  setViewVisible(id: string, visible: boolean): void {
    if (visible) this.visible.add(id);
    else this.visible.delete(id);
    this.reschedule();
  }

  reschedule(): void {
    this.stop();
    const secs = this.settings.current.schedule.autoRefreshSeconds;
    if (!secs || !this.visible.size || !this.settings.configured || this.isDisposed) return;
    this.timer = this.clock.setTimeout(() => void this.fire(), secs * 1000);
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    this.count++;
    try {
      await this.refresh();
    } finally {
      this.reschedule();
    }
  }

  private stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
