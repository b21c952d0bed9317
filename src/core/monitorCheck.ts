/**
 * The check after a run (CLI timer and extension runner alike): the monitoring from the store's
 * reports and the scan, the alerts that are new since the last check, and the state for the next.
 */
import type { Clock } from './clock';
import type { BucketLayout } from './layout';
import { readAlertState, writeAlertState } from './alertState';
import { evaluateMonitoring, newAlerts, oldestPendingAgeHours, type Metric, type Monitoring } from './monitoring';
import { listReports } from './report/reportStore';
import type { PendingJobs } from './scan';
import type { Settings } from './settings';
import type { ObjectStore } from './store/objectStore';
import type { ReportSummary } from './report/model';

/** Enough reports for a day of 5-minute runs. */
export const MONITOR_REPORTS = 400;

export async function monitoringOf(o: {
  store: ObjectStore;
  layout: BucketLayout;
  settings: Settings;
  clock: Clock;
  pending: PendingJobs | undefined;
  reports?: ReportSummary[];
}): Promise<Monitoring> {
  const reports = o.reports ?? (await listReports(o.store, o.layout, MONITOR_REPORTS));
  const now = o.clock.now();
  return evaluateMonitoring(reports, oldestPendingAgeHours(o.pending, now), o.settings.monitor, now);
}

/** Evaluates, finds the new alerts and records the current ones (so the next check does not repeat them). */
export async function checkMonitoring(o: Parameters<typeof monitoringOf>[0]): Promise<{ monitoring: Monitoring; fresh: Metric[]; problem?: string }> {
  const monitoring = await monitoringOf(o);
  const prev = await readAlertState(o.store, o.layout);
  const fresh = newAlerts(monitoring, prev.alerting);
  const now = monitoring.alerts.map((a) => a.id);
  // An alert state that could not be read is replaced by the current one.
  if (now.join() !== prev.alerting.join() || prev.problem) await writeAlertState(o.store, o.layout, { alerting: now, updatedAt: monitoring.at });
  return { monitoring, fresh, ...(prev.problem ? { problem: prev.problem } : {}) };
}
