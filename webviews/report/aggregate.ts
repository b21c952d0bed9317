/** Trend points from report summaries: one per run and one per UTC day (pure, no DOM). */
import type { ReportSummary } from '../../src/core/report/model';
import { dateTime, day } from './format';

export interface Point {
  label: string;
  transcribed: number;
  failed: number;
  /** Percent, null when the run had nothing to do. */
  successRate: number | null;
  gpuMinutes: number;
  cost: number;
  runs: number;
}

/** Oldest first, one point per run. */
export function perRun(reports: ReportSummary[]): Point[] {
  return [...reports].sort((a, b) => a.timestamp.localeCompare(b.timestamp)).map((r) => point(dateTime(r.timestamp), [r]));
}

/** Oldest first, one point per UTC day. */
export function perDay(reports: ReportSummary[]): Point[] {
  const days = new Map<string, ReportSummary[]>();
  for (const r of reports) {
    const d = day(r.timestamp);
    const list = days.get(d);
    if (list) list.push(r);
    else days.set(d, [r]);
  }
  return [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, rs]) => point(d, rs));
}

function point(label: string, rs: ReportSummary[]): Point {
  const transcribed = rs.reduce((n, r) => n + r.chunksTranscribed, 0);
  const failed = rs.reduce((n, r) => n + r.chunksFailed, 0);
  return {
    label,
    transcribed,
    failed,
    successRate: transcribed + failed ? (100 * transcribed) / (transcribed + failed) : null,
    gpuMinutes: rs.reduce((n, r) => n + r.runtimeSeconds, 0) / 60,
    cost: rs.reduce((n, r) => n + r.costUSD, 0),
    runs: rs.length,
  };
}
