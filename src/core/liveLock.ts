/**
 * The live-recording lock: while a browser records live, the realtime path writes `batch-lock.json`
 * (layout.lockKey) at the bucket root and owns the GPU. The scan defers the sessions it covers, and
 * the EC2 host reads it again before it stops a GPU: a fresh lock means someone is using the GPU now.
 * Its body is written by another program: every field is checked, an unreadable lock still counts.
 */
import type { Clock } from './clock';
import { claimedTime, isoTime } from './clock';
import { WbError } from './errors';
import type { BucketLayout } from './layout';
import type { Settings } from './settings';
import { isTooLarge, readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';

export interface LiveLock {
  key: string;
  /** No session or user named: the lock covers everything. */
  coversAll: boolean;
  sessions: Set<string>;
  users: Set<string>;
  holder?: string;
  /** Why the body was not read (above its cap). */
  problem?: string;
  since?: string;
  /** Older than scan.lockMaxAgeMinutes: a leftover, ignored. */
  stale: boolean;
}

export async function readLiveLock(store: ObjectStore, layout: BucketLayout, settings: Settings, clock: Clock, signal?: AbortSignal): Promise<LiveLock | undefined> {
  let head;
  try {
    head = await store.head(layout.lockKey);
  } catch (e) {
    throw e instanceof WbError ? e : new WbError('Store', `Cannot read ${layout.lockKey}`, undefined, { cause: e });
  }
  if (!head) return undefined;
  let body: any = {};
  let problem: string | undefined;
  try {
    body = JSON.parse((await readCapped(store, layout.lockKey, 'liveLock', signal)).toString('utf8'));
  } catch (e) {
    if (e instanceof WbError && e.code === 'NotFound') return undefined; // removed between head and get
    if (isTooLarge(e)) problem = e.message;
    body = {}; // unreadable lock: still a lock, covering everything
  }
  const sessions = new Set<string>([body?.sessionId, ...(Array.isArray(body?.sessions) ? body.sessions : [])].filter((x) => typeof x === 'string'));
  const users = new Set<string>([body?.userId, ...(Array.isArray(body?.users) ? body.users : [])].filter((x) => typeof x === 'string'));
  const sinceRaw = body?.createdAt ?? body?.startedAt ?? body?.timestamp;
  // A time in the future (beyond clock skew) is invalid: the lock is as old as the object itself
  // (S3 sets LastModified); if that too is in the future (a folder's mtime), the lock is stale.
  const now = clock.now();
  const sinceMs = (typeof sinceRaw === 'string' ? claimedTime(sinceRaw, now) : undefined) ?? claimedTime(head.lastModified, now);
  const stale = sinceMs === undefined || now - sinceMs > settings.scan.lockMaxAgeMinutes * 60_000;
  return {
    key: layout.lockKey,
    coversAll: sessions.size === 0 && users.size === 0,
    sessions,
    users,
    holder: typeof body?.holder === 'string' ? body.holder : typeof body?.owner === 'string' ? body.owner : undefined,
    since: sinceMs === undefined ? undefined : isoTime(sinceMs),
    stale,
    ...(problem ? { problem } : {}),
  };
}

/** "batch-lock.json held by X since T", for logs and reports. */
export function describeLiveLock(l: LiveLock): string {
  return `${l.key} is held${l.holder ? ` by ${l.holder}` : ''}${l.since ? ` since ${l.since}` : ''}${l.problem ? ` (${l.problem}; it still counts, covering everything)` : ''}`;
}
