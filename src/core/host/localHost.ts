/**
 * The local host: the engine runs on this machine, so there is nothing to start or stop and no
 * hourly price; ready means the engine's own check passes. The timeline is still recorded so the
 * report reads the same for both hosts.
 */
import type { Clock } from '../clock';
import type { Engine } from '../engine/engine';
import type { BatchEventInput } from '../events';
import type { GpuHost, HostStatus, HostTimeline, PrepareResult } from './host';

export interface LocalHostDeps {
  engine: Engine;
  clock: Clock;
  emit?: (e: BatchEventInput) => void;
}

export class LocalHost implements GpuHost {
  readonly kind = 'local' as const;
  readonly id = 'localhost';
  readonly hourlyUsd = 0;
  readonly timeline: HostTimeline = {};

  constructor(private readonly d: LocalHostDeps) {}

  async status(): Promise<HostStatus> {
    return { state: 'running', instanceId: this.id, detail: `engine ${this.d.engine.name} on this machine` };
  }

  async prepare(_runId: string, signal: AbortSignal): Promise<PrepareResult> {
    this.timeline.startRequested = this.d.clock.now();
    await this.d.engine.check(signal);
    const now = this.d.clock.now();
    this.timeline.running = now;
    this.timeline.ready = now;
    this.d.emit?.({ type: 'host.state', state: 'running', detail: 'ready' });
    return { startedByUs: false };
  }

  chunkStarted(): void {
    this.timeline.firstChunk ??= this.d.clock.now();
  }

  chunkFinished(): void {
    this.timeline.lastChunk = this.d.clock.now();
  }

  async release(_opts: { force?: boolean; reason: string }): Promise<void> {
    if (this.timeline.startRequested === undefined || this.timeline.stopped !== undefined) return;
    this.timeline.stopRequested = this.d.clock.now();
    this.timeline.stopped = this.timeline.stopRequested;
  }
}
