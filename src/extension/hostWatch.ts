/**
 * The GPU's state in the status bar: one look on request, and for an EC2 host a look every few
 * minutes from start-up on, view or no view, so that a GPU left running with no batch is flagged
 * (GpuStatusBar turns to the warning colour) in a window where nobody opened the sidebar, and so is
 * one that a dead run left running (our tag, no live lease): an orphan, with "Stop it".
 * Only an EC2 host loads the AWS SDK, and only when it is looked at.
 */
import type { Clock } from '../core/clock';
import { readLease } from '../core/lease';
import type { GpuStatusBar } from './gpuStatusBar';
import { Disposable, toDisposable } from './lifecycle';
import type { SettingsState } from './settingsState';
import { probeHost } from './storeAccess';

/** How often an EC2 host is looked at while nothing else does (DescribeInstances: free, ~100 ms). */
export const HOST_WATCH_MS = 5 * 60_000;

export class HostWatch extends Disposable {
  private timer: unknown;

  constructor(
    private readonly settings: SettingsState,
    private readonly status: GpuStatusBar,
    private readonly clock: Clock,
  ) {
    super();
    this._register(toDisposable(() => this.stopTimer()));
  }

  async refresh(): Promise<void> {
    if (!this.settings.configured) return;
    const r = await probeHost(this.settings.current, () => readLease(this.settings.store(), this.settings.layout, this.clock));
    this.status.update({ hostState: r.state, hostSince: r.since, hostError: r.error, orphan: r.orphan && { instanceId: r.orphan.instanceId, reason: r.orphan.reason }, now: this.clock.now() });
  }

  /** (Re)starts the background look: the first one after `firstMs`, then every HOST_WATCH_MS. */
  watch(firstMs = 0): void {
    this.stopTimer();
    if (this.isDisposed || !this.settings.configured || this.settings.isLocalHost) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.refresh()
        .catch(() => undefined)
        .finally(() => this.watch(HOST_WATCH_MS));
    }, firstMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
