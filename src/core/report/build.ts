/** Builds the report from what a run recorded: a pure function, so every field is unit-testable. */
import { isoTime } from '../clock';
import { gpuCostUsd, humanDuration, round } from '../cost';
import type { ChunkOutcome } from '../engine/engine';
import type { HostTimeline, ReleaseOutcome } from '../host/host';
import type { RunOrigin } from '../runOrigin';
import { pad, reportId } from '../layout';
import type { QuarantinedChunk } from '../quarantine';
import type { PendingJobs } from '../scan';
import type { BatchReport, ReportError, ReportQuarantined, ReportSession, ReportStatus } from './model';
import { runAnalytics, sessionSuccessRate } from './analytics';

export interface RunRecord {
  runId: string;
  store: string;
  startMs: number;
  endMs: number;
  scan?: PendingJobs;
  jobsFound: number;
  outcomes: ChunkOutcome[];
  errors: ReportError[];
  cancelled: boolean;
  host: { kind: 'local' | 'ec2'; id: string; touched: boolean; startedByUs: boolean; hourlyUsd: number; timeline: HostTimeline; release?: ReleaseOutcome };
  /** Who started the run and why (audit). */
  origin?: RunOrigin;
  engine: { name: string; model?: string };
  nextScheduledRun: string | null;
  /** A failure that makes the run failed whatever the chunks did (host never ready, stop failed...). */
  fatal: boolean;
  /** Chunks this run quarantined (the scan's are in `scan`). */
  quarantined?: QuarantinedChunk[];
}

export function buildReport(r: RunRecord): BatchReport {
  const t = r.host.timeline;
  const ok = r.outcomes.filter((o) => o.ok);
  const failed = r.outcomes.filter((o) => !o.ok);
  const skipped = ok.filter((o) => o.written === false).length;
  const audioSeconds = round(
    ok.reduce((n, o) => n + (o.audioSeconds ?? 0), 0),
    2,
  );

  // GPU time this run is accountable for: boot to stop when we started it; ready to last chunk when it was already on.
  let runtimeSeconds = 0;
  if (r.host.touched) {
    if (r.host.startedByUs && t.startRequested !== undefined) runtimeSeconds = ((t.stopped ?? t.stopRequested ?? r.endMs) - t.startRequested) / 1000;
    else if (t.ready !== undefined) runtimeSeconds = ((t.lastChunk ?? r.endMs) - t.ready) / 1000;
  }
  runtimeSeconds = round(Math.max(0, runtimeSeconds), 1);
  const costUSD = r.host.hourlyUsd > 0 && runtimeSeconds > 0 ? (r.host.startedByUs ? gpuCostUsd(runtimeSeconds, r.host.hourlyUsd) : round((runtimeSeconds / 3600) * r.host.hourlyUsd, 4)) : 0;

  let status: ReportStatus;
  if (r.jobsFound === 0 && !r.fatal && r.errors.length === 0) status = 'skipped';
  else if (r.fatal || (r.jobsFound > 0 && ok.length === 0)) status = 'failed';
  else if (failed.length > 0 || r.cancelled || ok.length < r.jobsFound || r.errors.length > 0) status = 'partial';
  else status = 'success';

  const bySession = new Map<string, ChunkOutcome[]>();
  for (const o of r.outcomes) {
    const k = `${o.job.userId}/${o.job.sessionId}`;
    let list = bySession.get(k);
    if (!list) bySession.set(k, (list = []));
    list.push(o);
  }
  const sessions: ReportSession[] = [...bySession.values()].map((list) => {
    const good = list.filter((o) => o.ok);
    const bad = list.filter((o) => !o.ok);
    const secs = round(
      list.reduce((n, o) => n + o.seconds, 0),
      1,
    );
    return {
      sessionId: list[0].job.sessionId,
      userId: list[0].job.userId,
      chunksProcessed: good.length,
      chunksFailed: bad.length,
      chunkNumbers: good.map((o) => pad(o.job.chunk)),
      failedChunks: bad.map((o) => pad(o.job.chunk)),
      status: bad.length === 0 ? 'success' : good.length === 0 ? 'failed' : 'partial',
      duration: humanDuration(secs),
      durationSeconds: secs,
      audioSeconds: round(
        good.reduce((n, o) => n + (o.audioSeconds ?? 0), 0),
        2,
      ),
      successRate: sessionSuccessRate({ chunksProcessed: good.length, chunksFailed: bad.length }),
    };
  });

  const durationSeconds = round((r.endMs - r.startMs) / 1000, 1);
  const iso = (v?: number) => (v === undefined ? null : isoTime(v));
  return {
    reportId: reportId(r.startMs),
    runId: r.runId,
    timestamp: isoTime(r.startMs),
    status,
    cancelled: r.cancelled,
    store: r.store,
    origin: r.origin ?? null,
    execution: { startTime: isoTime(r.startMs), endTime: isoTime(r.endMs), durationSeconds, durationHuman: humanDuration(durationSeconds) },
    gpu: {
      host: r.host.kind,
      instanceId: r.host.id,
      started: r.host.startedByUs,
      alreadyRunning: r.host.touched && !r.host.startedByUs && r.host.kind === 'ec2',
      startTime: iso(t.startRequested),
      readyTime: iso(t.ready),
      firstChunkTime: iso(t.firstChunk),
      lastChunkTime: iso(t.lastChunk),
      stopRequestedTime: iso(t.stopRequested),
      stopTime: iso(t.stopped),
      runtimeSeconds,
      runtimeHuman: humanDuration(runtimeSeconds),
      hourlyUsd: r.host.hourlyUsd,
      costUSD,
      liveLock: r.host.release?.liveLock ?? null,
    },
    scanning: {
      totalSessions: r.scan?.totalSessions ?? 0,
      sessionsScanned: r.scan?.totalSessions ?? 0,
      sessionsWithMissingChunks: r.scan?.sessionsWithMissingChunks ?? 0,
      deferredSessions: r.scan?.deferredSessions.length ?? 0,
      totalMissingChunks: r.scan?.totalMissingChunks ?? 0,
      keysListed: r.scan?.stats.keys ?? 0,
      durationMs: r.scan?.stats.durationMs ?? 0,
      quarantinedChunks: r.scan?.totalQuarantinedChunks ?? 0,
      invalidTranscripts: r.scan?.totalInvalidTranscripts ?? 0,
    },
    transcription: {
      engine: r.engine.name,
      model: r.engine.model ?? null,
      chunksFound: r.jobsFound,
      chunksTranscribed: ok.length - skipped,
      chunksFailed: failed.length,
      chunksSkipped: skipped,
      successRate: r.jobsFound ? round((ok.length / r.jobsFound) * 100, 1) : 100,
      audioSeconds,
      costPerAudioHourUSD: audioSeconds > 0 && costUSD > 0 ? round(costUSD / (audioSeconds / 3600), 4) : null,
    },
    sessions,
    quarantine: [...(r.scan?.quarantinedChunks ?? []).map((q) => quarantineRow(q, false)), ...(r.quarantined ?? []).map((q) => quarantineRow(q, true))],
    invalidTranscripts: (r.scan?.invalidTranscripts ?? []).map(({ userId, sessionId, chunk, key, problem, hint }) => ({ userId, sessionId, chunk, key, problem, hint })),
    errors: r.errors,
    nextScheduledRun: r.nextScheduledRun,
    analytics: runAnalytics({ chunks: ok, host: r.host.kind, costUSD, audioSeconds }),
  };
}

function quarantineRow(q: QuarantinedChunk, newInThisRun: boolean): ReportQuarantined {
  return { userId: q.userId, sessionId: q.sessionId, chunk: q.chunk, key: q.audioKey, failures: q.failures, lastError: q.lastError ?? null, lastFailedAt: q.lastFailedAt ?? null, newInThisRun };
}
