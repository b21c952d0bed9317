/**
 * The design's monitoring targets (settings `monitor.*`), computed from the reports in the store and
 * the last scan: one place for `whisper-batch status`, the timers' checks after a run, the
 * extension's status bar, notifications and report viewer. Pure: tests cross each threshold with
 * crafted report summaries.
 */
import type { Metric, MetricState, Monitoring, ReportSummary } from './report/model';
import type { PendingJobs } from './scan';
import type { Settings } from './settings';
import { plural } from './plural';

export type MonitorSettings = Settings['monitor'];
export type { Metric, MetricId, MetricState, Monitoring } from './report/model';

const DAY_MS = 86_400_000;

/** Share of the run's chunks that got a transcript (1 when it had nothing to do). */
export function successRate(r: Pick<ReportSummary, 'chunksTranscribed' | 'chunksFailed'>): number {
  const n = r.chunksTranscribed + r.chunksFailed;
  return n > 0 ? r.chunksTranscribed / n : 1;
}

/** Age (hours) of the oldest chunk without a transcript in a scan, deferred sessions included; null without a scan. */
export function oldestPendingAgeHours(doc: Pick<PendingJobs, 'sessions' | 'deferredSessions'> | undefined, nowMs: number): number | null {
  if (!doc) return null;
  let oldest = Infinity;
  for (const s of [...doc.sessions, ...doc.deferredSessions]) {
    const missing = new Set(s.missingChunks.map(Number));
    const times = (s.chunks ?? []).filter((c) => missing.has(c.chunk)).map((c) => c.lastModified);
    // Without chunk detail (a saved document), the session's age is the bound.
    const t = times.length ? Math.min(...times) : s.missingChunks.length ? nowMs - s.ageHours * 3_600_000 : Infinity;
    oldest = Math.min(oldest, t);
  }
  return oldest === Infinity ? 0 : Math.max(0, (nowMs - oldest) / 3_600_000);
}

/** `reports` newest first (skipped runs included: they cost nothing and say nothing of success). */
export function evaluateMonitoring(reports: readonly ReportSummary[], pendingAgeHours: number | null, m: MonitorSettings, nowMs: number): Monitoring {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const ran = reports.filter((r) => r.status !== 'skipped');
  const metrics: Metric[] = [];

  const last = ran[0];
  const streak = ran.slice(0, m.successRateRuns);
  const rate = last ? successRate(last) : null;
  const allLow = streak.length >= m.successRateRuns && streak.every((r) => successRate(r) < m.successRateAlert);
  metrics.push({
    id: 'successRate',
    label: 'Batch success rate',
    value: rate,
    unit: 'ratio',
    target: `> ${pct(m.successRateTarget)}`,
    alert: `< ${pct(m.successRateAlert)} for ${plural(m.successRateRuns, 'run')} in a row`,
    state: rate === null ? 'unknown' : allLow ? 'alert' : rate < m.successRateTarget ? 'warn' : 'ok',
    detail:
      rate === null
        ? 'no run yet'
        : `last run ${last.reportId}: ${pct(rate)} (${last.chunksTranscribed} transcribed, ${last.chunksFailed} failed)${allLow ? `; the last ${m.successRateRuns} runs all under ${pct(m.successRateAlert)}` : ''}`,
  });

  const gpuMin = last ? last.runtimeSeconds / 60 : null;
  metrics.push({
    id: 'gpuRuntime',
    label: 'GPU runtime per run',
    value: gpuMin === null ? null : Math.round(gpuMin * 10) / 10,
    unit: 'min',
    target: `< ${m.gpuMinutesTarget} min`,
    alert: `> ${m.gpuMinutesAlert} min`,
    state: gpuMin === null ? 'unknown' : gpuMin > m.gpuMinutesAlert ? 'alert' : gpuMin > m.gpuMinutesTarget ? 'warn' : 'ok',
    detail: gpuMin === null ? 'no run yet' : `last run ${last.reportId}: ${gpuMin.toFixed(1)} min`,
  });

  // A rolling day: a run just after midnight does not reset the day's spend.
  const dayRuns = reports.filter((r) => {
    const t = Date.parse(r.timestamp);
    return t > nowMs - DAY_MS && t <= nowMs;
  });
  const cost = dayRuns.reduce((n, r) => n + (Number.isFinite(r.costUSD) ? r.costUSD : 0), 0);
  metrics.push({
    id: 'costPerDay',
    label: 'GPU cost, last 24 h',
    value: Math.round(cost * 10000) / 10000,
    unit: 'USD',
    target: `< $${m.costPerDayTarget.toFixed(2)}`,
    alert: `> $${m.costPerDayAlert.toFixed(2)}`,
    state: cost > m.costPerDayAlert ? 'alert' : cost > m.costPerDayTarget ? 'warn' : 'ok',
    detail: `$${cost.toFixed(3)} in ${dayRuns.length} ${dayRuns.length === 1 ? 'run' : 'runs'}`,
  });

  metrics.push({
    id: 'pendingAge',
    label: 'Oldest pending chunk',
    value: pendingAgeHours === null ? null : Math.round(pendingAgeHours * 100) / 100,
    unit: 'h',
    target: `< ${m.pendingAgeTargetHours} h`,
    alert: `> ${m.pendingAgeAlertHours} h`,
    state: pendingAgeHours === null ? 'unknown' : pendingAgeHours > m.pendingAgeAlertHours ? 'alert' : pendingAgeHours > m.pendingAgeTargetHours ? 'warn' : 'ok',
    detail: pendingAgeHours === null ? 'no scan' : pendingAgeHours === 0 ? 'nothing pending' : ageText(pendingAgeHours),
  });

  return { at: new Date(nowMs).toISOString(), metrics, alerts: metrics.filter((x) => x.state === 'alert') };
}

/** One line per metric, for the CLI and the log. */
export function monitoringLines(mon: Monitoring): string[] {
  const mark: Record<MetricState, string> = { ok: 'ok   ', warn: 'WARN ', alert: 'ALERT', unknown: '-    ' };
  return mon.metrics.map((x) => `${mark[x.state]} ${x.label}: ${x.detail} (target ${x.target}, alert ${x.alert})`);
}

/** The alerts that were not in alert at the previous check: one notification each, not one per check. */
export function newAlerts(mon: Monitoring, previouslyAlerting: readonly string[]): Metric[] {
  return mon.alerts.filter((a) => !previouslyAlerting.includes(a.id));
}

/** 5.25 -> "5.3 h"; 318.4 -> "13.3 d (318 h)": past two days, hours are hard to read, and the thresholds are in hours. */
export function ageText(hours: number): string {
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d (${Math.round(hours)} h)`;
}
