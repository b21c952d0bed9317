/**
 * The design's monitoring targets, checked after a run: the timed runner notifies only when one
 * is missed (or the run failed), never on success. Pure: tested with plain report summaries.
 */
import type { ReportSummary } from '../core/report/model';
import type { PendingJobs } from '../core/scan';

export const TARGETS = {
  /** Alert when the success rate is under this for 3 runs in a row. */
  minSuccessRate: 0.9,
  maxGpuMinutes: 30,
  maxCostPerDayUsd: 1,
  maxPendingAgeHours: 24,
};

const rate = (r: ReportSummary) => (r.chunksTranscribed + r.chunksFailed > 0 ? r.chunksTranscribed / (r.chunksTranscribed + r.chunksFailed) : 1);

/** `recent` newest first, the run just finished included. Returns one line per missed target. */
export function missedTargets(recent: ReportSummary[], pending: PendingJobs | undefined): string[] {
  const out: string[] = [];
  const last = recent[0];
  if (!last) return out;
  if (last.status === 'failed') out.push(`The last run failed (${last.reportId}).`);
  const ran = recent.filter((r) => r.status !== 'skipped');
  if (ran.length >= 3 && ran.slice(0, 3).every((r) => rate(r) < TARGETS.minSuccessRate)) {
    out.push(`Success rate under ${TARGETS.minSuccessRate * 100}% for 3 runs in a row (last: ${Math.round(rate(ran[0]) * 100)}%).`);
  }
  if (last.runtimeSeconds > TARGETS.maxGpuMinutes * 60) out.push(`The GPU ran ${Math.round(last.runtimeSeconds / 60)} min in the last run (target under ${TARGETS.maxGpuMinutes}).`);
  const day = last.timestamp.slice(0, 10);
  const dayCost = recent.filter((r) => r.timestamp.slice(0, 10) === day).reduce((n, r) => n + r.costUSD, 0);
  if (dayCost > TARGETS.maxCostPerDayUsd) out.push(`GPU cost on ${day} is $${dayCost.toFixed(2)} (alert above $${TARGETS.maxCostPerDayUsd.toFixed(2)}).`);
  const oldest = pending?.sessions.reduce((m, s) => Math.max(m, s.ageHours), 0) ?? 0;
  if (oldest > TARGETS.maxPendingAgeHours) out.push(`Chunks have waited ${Math.round(oldest)} h for a transcript (alert above ${TARGETS.maxPendingAgeHours} h).`);
  return out;
}
