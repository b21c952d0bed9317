/** The batch report (seed fields, plus what the viewer and cost per audio hour need). */
import type { RunOrigin } from '../runOrigin';
import type { ReportAnalytics } from './analytics';

export type { ReportAnalytics } from './analytics';

export type ReportStatus = 'success' | 'partial' | 'failed' | 'skipped';

export interface ReportError {
  phase: 'scan' | 'lease' | 'host-start' | 'host-ready' | 'transcribe' | 'host-stop' | 'report' | 'run';
  message: string;
  userId?: string;
  sessionId?: string;
  chunk?: string;
  key?: string;
}

export interface ReportSession {
  sessionId: string;
  userId: string;
  chunksProcessed: number;
  chunksFailed: number;
  chunkNumbers: string[];
  failedChunks: string[];
  status: 'success' | 'partial' | 'failed' | 'cancelled';
  duration: string;
  durationSeconds: number;
  audioSeconds: number;
  /** Percent of the session's chunks in this run that got a transcript (analytics: success rate by session); absent in older reports. */
  successRate?: number;
}

export interface BatchReport {
  reportId: string;
  runId: string;
  timestamp: string;
  status: ReportStatus;
  cancelled: boolean;
  store: string;
  /** Who started the run (CLI user@host, VS Code window, timer) and why (manual, scheduled, adaptive); null in older reports. */
  origin?: RunOrigin | null;
  execution: { startTime: string; endTime: string; durationSeconds: number; durationHuman: string };
  gpu: {
    host: 'local' | 'ec2';
    instanceId: string;
    /** This run started the host (and so had to stop it). */
    started: boolean;
    /** The host was already running (e.g. realtime use) and was left running. */
    alreadyRunning: boolean;
    startTime: string | null;
    readyTime: string | null;
    firstChunkTime: string | null;
    lastChunkTime: string | null;
    stopRequestedTime: string | null;
    stopTime: string | null;
    runtimeSeconds: number;
    runtimeHuman: string;
    hourlyUsd: number;
    costUSD: number;
    /**
     * A live recording (batch-lock.json) held the GPU when this run wanted to stop it: the run waited
     * `waitedSeconds`, then stopped it once the lock was gone (`cleared`) or at the limit (`limit-reached`).
     */
    liveLock?: { key: string; holder?: string; since?: string; waitedSeconds: number; outcome: 'cleared' | 'limit-reached' } | null;
  };
  scanning: {
    totalSessions: number;
    sessionsScanned: number;
    sessionsWithMissingChunks: number;
    deferredSessions: number;
    totalMissingChunks: number;
    keysListed: number;
    durationMs: number;
    /** Chunks left out as quarantined (absent in older reports). */
    quarantinedChunks?: number;
    /** Transcript objects that exist but are not a transcript (absent in older reports). */
    invalidTranscripts?: number;
  };
  transcription: {
    engine: string;
    model: string | null;
    chunksFound: number;
    chunksTranscribed: number;
    chunksFailed: number;
    chunksSkipped: number;
    successRate: number;
    audioSeconds: number;
    costPerAudioHourUSD: number | null;
  };
  sessions: ReportSession[];
  /**
   * Poison chunks (quarantine.ts): those the scan left out, and those this run quarantined
   * (`newInThisRun`). Absent in older reports.
   */
  quarantine?: ReportQuarantined[];
  /** Transcript objects that are not a transcript (transcriptCheck.ts): kept, named. Absent in older reports. */
  invalidTranscripts?: ReportInvalidTranscript[];
  errors: ReportError[];
  nextScheduledRun: string | null;
  /** Time per chunk, real-time factor, cost per audio hour beside the managed service (src/core/report/analytics.ts); absent in older reports. */
  analytics?: ReportAnalytics | null;
}

export interface ReportInvalidTranscript {
  userId: string;
  sessionId: string;
  chunk: string;
  key: string;
  problem: string;
  hint?: string;
}

export interface ReportQuarantined {
  userId: string;
  sessionId: string;
  chunk: string;
  key: string;
  failures: number;
  lastError: string | null;
  lastFailedAt: string | null;
  newInThisRun: boolean;
}

/** What a reports listing shows without downloading every report. */
export interface ReportSummary {
  reportId: string;
  key: string;
  timestamp: string;
  status: ReportStatus;
  chunksTranscribed: number;
  chunksFailed: number;
  costUSD: number;
  runtimeSeconds: number;
  /** Where the run ran: cost and GPU time mean something only on 'ec2'. Absent in summaries of older versions. */
  host?: 'local' | 'ec2';
  /** Absent for reports of older versions. */
  origin?: RunOrigin | null;
  /** Analytics for the trends (absent for reports of older versions; checked numbers, null when unknown). */
  audioSeconds?: number;
  meanChunkSeconds?: number | null;
  p95ChunkSeconds?: number | null;
  realtimeFactor?: number | null;
  /** GPU runs only: null on this machine, which has no $ figures. */
  costPerAudioHourUSD?: number | null;
}

/** Cost and GPU time mean something for this run: it ran on EC2 (older summaries: it billed something). */
export function ranOnGpu(r: Pick<ReportSummary, 'host' | 'costUSD'>): boolean {
  return r.host === 'ec2' || (r.host === undefined && r.costUSD > 0);
}

/** The GPU timeline's steps in order, labelled for people (HTML report and viewer show the same). */
export function timelineSteps(g: BatchReport['gpu']): Array<[label: string, iso: string | null]> {
  return [
    ['Start requested', g.startTime],
    ['Ready', g.readyTime],
    ['First chunk', g.firstChunkTime],
    ['Last chunk', g.lastChunkTime],
    ['Stop requested', g.stopRequestedTime],
    ['Stopped', g.stopTime],
  ];
}

/** The monitoring targets' state (computed by src/core/monitoring.ts; shown by the CLI, the status bar and the viewer). */
export type MetricId = 'successRate' | 'gpuRuntime' | 'costPerDay' | 'pendingAge';
/** ok: target met; warn: target missed, alert not reached; alert: the alert threshold is crossed; unknown: no data. */
export type MetricState = 'ok' | 'warn' | 'alert' | 'unknown';

export interface Metric {
  id: MetricId;
  label: string;
  value: number | null;
  unit: string;
  target: string;
  alert: string;
  state: MetricState;
  detail: string;
}

export interface Monitoring {
  at: string;
  metrics: Metric[];
  /** The metrics in alert (what notifications are about). */
  alerts: Metric[];
}
