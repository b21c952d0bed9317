/**
 * Retention: reports (JSON and HTML) older than retention.reportDays are deleted, and archived
 * pending-jobs snapshots (pendingJobsFile.ts) older than retention.pendingJobsDays. A file is old
 * only when both its name (the run's start, UTC) and the object's last-modified time are older
 * than the cutoff, so an object someone just put under an old-looking name stays. Only keys that
 * are report names directly under the reports prefix, or snapshot names directly under the
 * archive folder, are ever deleted: never the lease, the alert state, the current pending-jobs
 * document or anything else there.
 */
import type { BucketLayout } from './layout';
import { archivePrefix, snapshotReportName } from './pendingJobsFile';
import type { ObjectStore } from './store/objectStore';

const DAY = 86_400_000;
const REPORT_NAME = /^batch-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(?:-\d{1,6})?\.(?:json|html)$/;

export interface CleanupPlan {
  cutoff: string;
  /** Keys to delete, oldest first. */
  delete: string[];
  /** Reports kept (younger than the cutoff). */
  kept: number;
  /** Archived pending-jobs snapshots: their own cutoff (retention.pendingJobsDays), keys to delete oldest first, how many stay. */
  snapshots: { cutoff: string; delete: string[]; kept: number };
}

/** The archived pending-jobs snapshots to plan for: layout.pendingJobsKey ('' for none) and retention.pendingJobsDays. */
export interface SnapshotRetention {
  pendingJobsKey: string;
  days: number;
}

/** The run's start time from a report's name, or undefined when the name is not a report's. */
export function reportNameTime(name: string): number | undefined {
  const m = REPORT_NAME.exec(name);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  return Number.isNaN(t) ? undefined : t;
}

export async function planCleanup(store: ObjectStore, layout: BucketLayout, now: number, reportDays: number, signal?: AbortSignal, snapshots?: SnapshotRetention): Promise<CleanupPlan> {
  const cutoff = now - reportDays * DAY;
  const old: Array<{ key: string; t: number }> = [];
  let kept = 0;
  if (reportDays > 0) {
    for await (const o of store.list(layout.reportsPrefix, { signal })) {
      const name = o.key.slice(layout.reportsPrefix.length);
      const t = o.key.startsWith(layout.reportsPrefix) ? reportNameTime(name) : undefined;
      if (t === undefined) continue;
      if (t < cutoff && o.lastModified < cutoff) old.push({ key: o.key, t });
      else kept++;
    }
  }
  old.sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : 1));
  return { cutoff: new Date(cutoff).toISOString(), delete: old.map((o) => o.key), kept, snapshots: await planSnapshots(store, now, snapshots, signal) };
}

async function planSnapshots(store: ObjectStore, now: number, r: SnapshotRetention | undefined, signal?: AbortSignal): Promise<CleanupPlan['snapshots']> {
  const cutoff = now - (r?.days ?? 0) * DAY;
  const old: Array<{ key: string; t: number }> = [];
  let kept = 0;
  if (r && r.pendingJobsKey && r.days > 0) {
    const prefix = archivePrefix(r.pendingJobsKey);
    for await (const o of store.list(prefix, { signal })) {
      const report = o.key.startsWith(prefix) ? snapshotReportName(o.key.slice(prefix.length)) : undefined;
      const t = report?.endsWith('.json') ? reportNameTime(report) : undefined;
      if (t === undefined) continue;
      if (t < cutoff && o.lastModified < cutoff) old.push({ key: o.key, t });
      else kept++;
    }
  }
  old.sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : 1));
  return { cutoff: new Date(cutoff).toISOString(), delete: old.map((o) => o.key), kept };
}

/** Deletes what the plan lists; returns the keys deleted and the problems (one failed delete does not stop the rest). */
export async function runCleanup(store: ObjectStore, plan: CleanupPlan): Promise<{ deleted: string[]; problems: string[] }> {
  const deleted: string[] = [];
  const problems: string[] = [];
  for (const key of [...plan.delete, ...plan.snapshots.delete]) {
    try {
      await store.delete(key);
      deleted.push(key);
    } catch (e) {
      problems.push(`${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { deleted, problems };
}
