/**
 * The adaptive schedule's decision: scans are cheap (no GPU), so scan often and start the GPU only
 * when waiting one more scan would let the oldest pending chunk pass the age target before a run
 * could finish, or when enough audio is pending to be worth a start anyway. Pure: the timers (CLI,
 * extension) and the cost simulator (simulate.ts) call the same function.
 */
import type { PendingJobs } from './scan';
import { plural } from './plural';

export interface AdaptiveParams {
  /** No chunk should wait longer than this (hours) for its transcript. */
  ageTargetHours: number;
  /** Start when this much audio (minutes) is pending, whatever its age. */
  pendingAudioMinutes: number;
  /** Minutes until the next scan: the decision must hold until then. */
  scanMinutes: number;
  /** Boot-to-ready estimate (s): a run cannot finish sooner than this. */
  bootSecondsEstimate: number;
  /** Transcription seconds per audio second. */
  realtimeFactorEstimate: number;
}

/** What the decision needs of the work that a run started now would do. */
export interface Backlog {
  chunks: number;
  /** Age of the oldest chunk a run would take (s). */
  oldestAgeSeconds: number;
  audioSeconds: number;
}

export type AdaptiveTrigger = 'age' | 'audio';

export interface AdaptiveDecision {
  start: boolean;
  trigger: AdaptiveTrigger | null;
  /** Estimated seconds from start to the last transcript. */
  runSecondsEstimate: number;
  reason: string;
}

export function estimateRunSeconds(b: Backlog, p: Pick<AdaptiveParams, 'bootSecondsEstimate' | 'realtimeFactorEstimate'>): number {
  return p.bootSecondsEstimate + b.audioSeconds * p.realtimeFactorEstimate;
}

export function adaptiveDecision(b: Backlog, p: AdaptiveParams): AdaptiveDecision {
  const run = estimateRunSeconds(b, p);
  if (b.chunks <= 0) return { start: false, trigger: null, runSecondsEstimate: 0, reason: 'nothing pending' };
  const target = p.ageTargetHours * 3600;
  // If we wait for the next scan and start then, the oldest chunk is done at this age:
  const ageIfWaiting = b.oldestAgeSeconds + p.scanMinutes * 60 + run;
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  if (ageIfWaiting >= target)
    return {
      start: true,
      trigger: 'age',
      runSecondsEstimate: run,
      reason: `oldest chunk ${h(b.oldestAgeSeconds)} old would pass ${p.ageTargetHours} h (done at ${h(ageIfWaiting)} if started at the next scan)`,
    };
  if (b.audioSeconds >= p.pendingAudioMinutes * 60)
    return { start: true, trigger: 'audio', runSecondsEstimate: run, reason: `${(b.audioSeconds / 60).toFixed(1)} min of audio pending (threshold ${p.pendingAudioMinutes} min)` };
  return { start: false, trigger: null, runSecondsEstimate: run, reason: `waiting: ${plural(b.chunks, 'chunk')}, oldest ${h(b.oldestAgeSeconds)}, ${(b.audioSeconds / 60).toFixed(1)} min of audio` };
}

/**
 * The backlog of a scan: only sessions a run would take (deferred ones, still recording or locked,
 * cannot be helped by starting now). Durations are unknown before decoding: `chunkSecondsEstimate` each.
 */
export function backlogOf(doc: Pick<PendingJobs, 'sessions'>, nowMs: number, chunkSecondsEstimate: number): Backlog {
  let chunks = 0;
  let oldest = Infinity;
  for (const s of doc.sessions) {
    const missing = new Set(s.missingChunks.map((c) => Number(c)));
    for (const c of s.chunks) {
      if (!missing.has(c.chunk)) continue;
      chunks++;
      oldest = Math.min(oldest, c.lastModified);
    }
  }
  return { chunks, oldestAgeSeconds: chunks ? Math.max(0, (nowMs - oldest) / 1000) : 0, audioSeconds: chunks * chunkSecondsEstimate };
}

export function adaptiveParamsOf(s: {
  schedule: { ageTargetHours: number; pendingAudioMinutes: number; scanMinutes: number };
  cost: { bootSecondsEstimate: number; realtimeFactorEstimate: number };
}): AdaptiveParams {
  return { ...s.schedule, bootSecondsEstimate: s.cost.bootSecondsEstimate, realtimeFactorEstimate: s.cost.realtimeFactorEstimate };
}
