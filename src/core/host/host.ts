/**
 * The machine that runs the engine. `local` is this machine (ready = engine reachable); `ec2` is the
 * GPU instance (start / wait-ready / stop, ownership, dead-man's switch). Every host records its
 * own timeline, with its own clock, that reports and cost are computed from: the run only tells it
 * when chunks begin and end (chunkStarted / chunkFinished).
 */
import type { HostStateName } from '../events';

export interface HostTimeline {
  startRequested?: number;
  running?: number;
  ready?: number;
  firstChunk?: number;
  lastChunk?: number;
  stopRequested?: number;
  stopped?: number;
}

export interface HostStatus {
  state: HostStateName;
  instanceId?: string;
  /** When the current state began, if known (ms). */
  since?: number;
  /** Set when the instance carries our ownership mark (a run of ours started it). */
  ownedByRun?: string;
  detail?: string;
}

/** What release() did with the host, for the report. */
export interface ReleaseOutcome {
  action: 'stopped' | 'left-running';
  reason?: string;
  /** A live recording held the GPU when the run wanted to stop it. */
  liveLock?: { key: string; holder?: string; since?: string; waitedSeconds: number; outcome: 'cleared' | 'limit-reached' };
}

export interface PrepareResult {
  /** true when this run started the host and must stop it. */
  startedByUs: boolean;
}

export interface GpuHost {
  readonly kind: 'local' | 'ec2';
  /** Instance id or 'localhost'. */
  readonly id: string;
  readonly timeline: Readonly<HostTimeline>;
  /** Work on a chunk began (the timeline's first chunk is the first call). */
  chunkStarted(): void;
  /** A chunk finished, done or failed (the timeline's last chunk is the latest call). */
  chunkFinished(): void;
  status(signal?: AbortSignal): Promise<HostStatus>;
  /** Start if needed and wait until the engine can take work. Throws on timeout with the reason. */
  prepare(runId: string, signal: AbortSignal): Promise<PrepareResult>;
  /** Stop if we started it (or when `force`). Retries; throws WbError('StopFailed') loudly if it never stops. */
  release(opts: { force?: boolean; reason: string }): Promise<void>;
  /** What the last release did; undefined before one (and always for the local host). */
  readonly lastRelease?: ReleaseOutcome;
  /** Hourly price for cost; 0 for the local host. */
  readonly hourlyUsd: number;
}
