/** Builders of valid reports for report tests (HTML, webview, screenshots). */
import type { BatchReport, ReportSession, ReportSummary } from '../../src/core/report/model';

export const XSS = '<img src=x onerror=alert(1)>';

export function makeSession(i: number, over: Partial<ReportSession> = {}): ReportSession {
  const failed = i % 17 === 3 ? 1 : 0;
  const chunks = 1 + (i % 9);
  return {
    sessionId: `session_2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10_${String(i % 60).padStart(2, '0')}_00_${String(i).padStart(5, '0')}Z`,
    userId: `user-${i % 7}`,
    chunksProcessed: chunks - failed,
    chunksFailed: failed,
    chunkNumbers: Array.from({ length: chunks }, (_, k) => String(k + 1).padStart(3, '0')),
    failedChunks: failed ? ['002'] : [],
    status: failed ? 'partial' : 'success',
    duration: `${(i * 7) % 90}s`,
    durationSeconds: (i * 7) % 90,
    audioSeconds: chunks * 5,
    ...over,
  };
}

export function makeReport(over: Partial<BatchReport> = {}, sessionCount = 3): BatchReport {
  const sessions = Array.from({ length: sessionCount }, (_, i) => makeSession(i));
  const transcribed = sessions.reduce((n, s) => n + s.chunksProcessed, 0);
  const failed = sessions.reduce((n, s) => n + s.chunksFailed, 0);
  const audio = sessions.reduce((n, s) => n + s.audioSeconds, 0);
  return {
    reportId: 'batch-2026-11-25-1030',
    runId: 'run-1f2e3d',
    timestamp: '2026-11-25T10:48:12.000Z',
    status: failed ? 'partial' : 'success',
    cancelled: false,
    store: 's3://recordings-bucket',
    execution: { startTime: '2026-11-25T10:30:00.000Z', endTime: '2026-11-25T10:48:12.000Z', durationSeconds: 1092, durationHuman: '18m 12s' },
    gpu: {
      host: 'ec2',
      instanceId: 'i-0abc123def4567890',
      started: true,
      alreadyRunning: false,
      startTime: '2026-11-25T10:30:02.000Z',
      readyTime: '2026-11-25T10:33:40.000Z',
      firstChunkTime: '2026-11-25T10:33:45.000Z',
      lastChunkTime: '2026-11-25T10:47:30.000Z',
      stopRequestedTime: '2026-11-25T10:47:31.000Z',
      stopTime: '2026-11-25T10:48:10.000Z',
      runtimeSeconds: 1088,
      runtimeHuman: '18m 08s',
      hourlyUsd: 0.526,
      costUSD: 0.159,
    },
    scanning: {
      totalSessions: sessionCount + 40,
      sessionsScanned: sessionCount + 40,
      sessionsWithMissingChunks: sessionCount,
      deferredSessions: 1,
      totalMissingChunks: transcribed + failed,
      keysListed: 4210,
      durationMs: 2300,
    },
    transcription: {
      engine: 'remote-faster-whisper',
      model: 'small.en',
      chunksFound: transcribed + failed,
      chunksTranscribed: transcribed,
      chunksFailed: failed,
      chunksSkipped: 0,
      successRate: transcribed + failed ? (100 * transcribed) / (transcribed + failed) : 100,
      audioSeconds: audio,
      costPerAudioHourUSD: audio ? 0.159 / (audio / 3600) : null,
    },
    sessions,
    errors: failed
      ? sessions
          .filter((s) => s.chunksFailed)
          .slice(0, 5)
          .map((s) => ({ phase: 'transcribe' as const, message: 'ffmpeg: EBML header parsing failed', userId: s.userId, sessionId: s.sessionId, chunk: '002' }))
      : [],
    nextScheduledRun: '2026-11-25T12:30:00.000Z',
    ...over,
  };
}

/** A report in which every string a user or the store can influence is an HTML injection. */
export function hostileReport(): BatchReport {
  const base = makeReport({}, 2);
  const s = makeSession(1, { sessionId: XSS, userId: `"><script>alert(2)</script>`, failedChunks: [`<b>7</b>`], duration: '<i>x</i>', chunksFailed: 1, status: 'partial' });
  return {
    ...base,
    reportId: `batch-<svg onload=alert(3)>`,
    runId: `'"><img src=x onerror=alert(4)>`,
    store: `s3://b/<img src=x onerror=alert(5)>`,
    sessions: [s, base.sessions[0]],
    errors: [{ phase: 'transcribe', message: `<img src=x onerror=alert(6)> & more`, userId: '<u>', sessionId: XSS, chunk: '<002>', key: `users/<k>/a` }],
    execution: { ...base.execution, durationHuman: '<img src=x onerror=alert(7)>' },
    gpu: { ...base.gpu, instanceId: '<img src=x onerror=alert(8)>', runtimeHuman: '<img src=x>', stopTime: '<img src=x onerror=alert(9)>' },
    transcription: { ...base.transcription, engine: '<img src=x onerror=alert(10)>', model: '</style><img src=x>' },
    nextScheduledRun: '<img src=x onerror=alert(11)>',
    timestamp: '<img src=x onerror=alert(12)>',
  };
}

export function makeSummaries(n: number, startMs = Date.parse('2026-11-10T00:30:00Z')): ReportSummary[] {
  const statuses = ['success', 'success', 'partial', 'success', 'skipped', 'success', 'failed'] as const;
  return Array.from({ length: n }, (_, i) => {
    const t = startMs + i * 2 * 3600_000 * 3; // every 6 hours
    const status = statuses[i % statuses.length];
    const transcribed = status === 'skipped' ? 0 : 20 + ((i * 37) % 80);
    const failed = status === 'partial' ? 3 : status === 'failed' ? 12 : 0;
    const runtime = status === 'skipped' ? 0 : 300 + transcribed * 9;
    const id = `batch-${new Date(t)
      .toISOString()
      .slice(0, 16)
      .replace(/[T:]/g, '-')
      .replace(/-(\d\d)$/, '$1')}`;
    return {
      reportId: id,
      key: `batch-reports/${id}.json`,
      timestamp: new Date(t).toISOString(),
      status,
      chunksTranscribed: transcribed,
      chunksFailed: failed,
      costUSD: runtime ? Math.round((Math.max(60, runtime) / 3600) * 0.526 * 1e4) / 1e4 : 0,
      runtimeSeconds: runtime,
    };
  });
}

/** A run that found nothing pending: no session, host untouched, no cost. */
export function makeSkippedReport(over: Partial<BatchReport> = {}): BatchReport {
  const r = makeReport({ status: 'skipped', ...over }, 0);
  r.gpu = {
    ...r.gpu,
    host: 'local',
    instanceId: 'localhost',
    started: false,
    startTime: null,
    readyTime: null,
    firstChunkTime: null,
    lastChunkTime: null,
    stopRequestedTime: null,
    stopTime: null,
    runtimeSeconds: 0,
    runtimeHuman: '0s',
    costUSD: 0,
  };
  r.transcription = { ...r.transcription, chunksFound: 0, chunksTranscribed: 0, chunksFailed: 0, successRate: 100, audioSeconds: 0, costPerAudioHourUSD: null };
  r.execution = { ...r.execution, durationSeconds: 3, durationHuman: '3s' };
  return r;
}
