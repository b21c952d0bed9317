/**
 * A run's analytics, from its chunk outcomes: transcription time per chunk (mean, p95), the
 * real-time factor, and on the GPU the cost per audio hour beside the managed alternative's price
 * (Amazon Transcribe batch). Pure (no Node imports), so the report viewer could read it too.
 * A run on this machine has no $ figures: its host costs nothing we can name.
 */

/** Amazon Transcribe batch, standard, first 250,000 minutes a month (us-east-1 list price): $0.024 per audio minute. */
export const MANAGED_TRANSCRIBE = { name: 'Amazon Transcribe batch', usdPerMinute: 0.024 } as const;

export interface ReportAnalytics {
  /** Transcription seconds of each transcribed chunk (its own processing time, not the run's wall time). */
  chunkSeconds: { count: number; mean: number | null; p95: number | null };
  /** Transcription seconds per audio second over the transcribed chunks (0.1: a minute of audio in 6 s); null without audio. */
  realtimeFactor: number | null;
  /** GPU runs only (null on this machine): what an audio hour cost here, and what the managed service charges. */
  cost: {
    gpuPerAudioHourUSD: number | null;
    managedName: string;
    managedPerAudioHourUSD: number;
    /** What the managed service would have charged for this run's audio. */
    managedForThisRunUSD: number;
  } | null;
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

/** Nearest-rank percentile of `xs` (0 < p <= 100); null for none. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (!xs.length) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

export function runAnalytics(o: {
  /** Transcribed chunks: their transcription seconds and audio seconds. */
  chunks: ReadonlyArray<{ seconds: number; audioSeconds?: number }>;
  host: 'local' | 'ec2';
  costUSD: number;
  audioSeconds: number;
}): ReportAnalytics {
  const secs = o.chunks.map((c) => c.seconds).filter((s) => Number.isFinite(s) && s >= 0);
  const timed = o.chunks.filter((c) => Number.isFinite(c.seconds) && c.seconds >= 0 && (c.audioSeconds ?? 0) > 0);
  const audio = timed.reduce((n, c) => n + (c.audioSeconds ?? 0), 0);
  const mean = secs.length ? secs.reduce((n, s) => n + s, 0) / secs.length : null;
  const p95 = percentile(secs, 95);
  const managedPerHour = MANAGED_TRANSCRIBE.usdPerMinute * 60;
  return {
    chunkSeconds: { count: secs.length, mean: mean === null ? null : round(mean, 3), p95: p95 === null ? null : round(p95, 3) },
    realtimeFactor: audio > 0 ? round(timed.reduce((n, c) => n + c.seconds, 0) / audio, 4) : null,
    cost:
      o.host === 'ec2'
        ? {
            gpuPerAudioHourUSD: o.audioSeconds > 0 && o.costUSD > 0 ? round(o.costUSD / (o.audioSeconds / 3600), 4) : null,
            managedName: MANAGED_TRANSCRIBE.name,
            managedPerAudioHourUSD: round(managedPerHour, 4),
            managedForThisRunUSD: round((o.audioSeconds / 60) * MANAGED_TRANSCRIBE.usdPerMinute, 4),
          }
        : null,
  };
}

/** A session's share of chunks transcribed, in percent (the report's successRate unit). */
export function sessionSuccessRate(s: { chunksProcessed: number; chunksFailed: number }): number {
  const n = s.chunksProcessed + s.chunksFailed;
  return n ? round((100 * s.chunksProcessed) / n, 1) : 100;
}
