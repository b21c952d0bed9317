/**
 * The scan's pending-jobs document where the design's consumers read it (`batch-data/pending-jobs.json`,
 * setting layout.pendingJobsKey; the admin panel's GET /api/batch/pending): scheduled runs save the
 * current one, and each run that transcribed keeps the document it worked from as an archived
 * snapshot beside it (`batch-data/archive/pending-jobs-<reportId>.json`, named after the run's report,
 * create-only). `whisper-batch cleanup` deletes snapshots older than retention.pendingJobsDays; only
 * names of that exact form directly under the archive folder are ever deleted, never the current
 * document.
 */
import type { PendingJobs } from './scan';
import type { Settings } from './settings';
import type { ObjectStore } from './store/objectStore';

const SNAPSHOT_PREFIX = 'pending-jobs-';
const REPORT_ID = /^batch-\d{4}-\d{2}-\d{2}-\d{4}(?:-\d{1,6})?$/;

/** The seed's pending-jobs document, without the per-chunk detail kept for jobs. */
export function publicPendingJobs(doc: PendingJobs) {
  const strip = <T extends { chunks: unknown }>({ chunks: _c, ...rest }: T) => rest;
  return { ...doc, sessions: doc.sessions.map(strip), deferredSessions: doc.deferredSessions.map(strip) };
}

/** The archive folder beside the document: `batch-data/pending-jobs.json` -> `batch-data/archive/`. */
export function archivePrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  return `${slash >= 0 ? key.slice(0, slash + 1) : ''}archive/`;
}

/** The snapshot key of a run's document, from its report id (ours: a fixed form, never bucket text). */
export function snapshotKey(key: string, reportId: string): string {
  if (!REPORT_ID.test(reportId)) throw new Error(`not a report id: ${JSON.stringify(reportId)}`);
  return `${archivePrefix(key)}${SNAPSHOT_PREFIX}${reportId}.json`;
}

/**
 * The document replaces whatever is at its key, so the key must not be one the product or the
 * recording app owns: nothing under the users prefix (audio, transcripts) or the reports prefix,
 * and not the lock or the lease.
 */
export function pendingJobsKeyProblem(l: Pick<Settings['layout'], 'pendingJobsKey' | 'usersPrefix' | 'sessionsDir' | 'reportsPrefix' | 'lockKey' | 'leaseKey'>): string | undefined {
  const k = l.pendingJobsKey;
  if (!k) return undefined;
  const under = (p: string) => p !== '' && k.startsWith(p);
  if (k === l.lockKey || k === l.leaseKey || under(l.usersPrefix) || under(l.reportsPrefix) || `/${k}`.includes(`/${l.sessionsDir}/`))
    return `layout.pendingJobsKey = ${JSON.stringify(k)} would replace the product's or the recording app's objects: use a key outside layout.usersPrefix (${JSON.stringify(l.usersPrefix)}), the session folders and layout.reportsPrefix (${JSON.stringify(l.reportsPrefix)}), such as batch-data/pending-jobs.json`;
  return undefined;
}

/** Saves the current document (replacing the previous one). A key of '' saves nothing. */
export async function savePendingJobs(store: ObjectStore, key: string, doc: PendingJobs): Promise<boolean> {
  if (!key) return false;
  await store.put(key, JSON.stringify(publicPendingJobs(doc), null, 2), { contentType: 'application/json' });
  return true;
}

/** Keeps the document a run worked from, named after its report; never replaces a snapshot. */
export async function archivePendingJobs(store: ObjectStore, key: string, doc: PendingJobs, reportId: string): Promise<string | undefined> {
  if (!key) return undefined;
  const k = snapshotKey(key, reportId);
  const put = await store.put(k, JSON.stringify(publicPendingJobs(doc), null, 2), { contentType: 'application/json', ifAbsent: true });
  return put.written ? k : undefined;
}

/** The report name inside a snapshot's name (`pending-jobs-batch-...json` -> `batch-...json`), or undefined. */
export function snapshotReportName(name: string): string | undefined {
  return name.startsWith(SNAPSHOT_PREFIX) ? name.slice(SNAPSHOT_PREFIX.length) : undefined;
}
