/**
 * The order a run takes sessions in: a manual "next" session first, then the sessions of the
 * priority users (priority.users), then the rest; oldest first within each (the scan's order).
 * The manual "next" is an object in the store (`<reportsPrefix>.next.json`) so that every runner
 * (the CLI timer, any VS Code window) sees it. It is read as hostile: anything but a small object
 * with two string ids reads as "none". It needs no clearing: once its session has nothing
 * pending it orders nothing.
 */
import { describeError, WbError } from './errors';
import type { BucketLayout } from './layout';
import { readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';
import type { ChunkJob } from './engine/engine';
import { jobsOf, type PendingJobs, type PendingSession } from './scan';

export interface NextSession {
  userId: string;
  sessionId: string;
  setAt: string;
}

export const nextKey = (layout: BucketLayout) => `${layout.reportsPrefix}.next.json`;

export function parseNext(text: string): NextSession | undefined {
  try {
    const v = JSON.parse(text) as Partial<NextSession>;
    const ok = (s: unknown) => typeof s === 'string' && s.length > 0 && s.length <= 1024;
    if (!v || !ok(v.userId) || !ok(v.sessionId)) return undefined;
    return { userId: v.userId!, sessionId: v.sessionId!, setAt: typeof v.setAt === 'string' && !isNaN(Date.parse(v.setAt)) ? v.setAt : '' };
  } catch {
    return undefined;
  }
}

export async function readNext(store: ObjectStore, layout: BucketLayout, signal?: AbortSignal): Promise<NextSession | undefined> {
  let raw: Buffer;
  try {
    raw = await readCapped(store, nextKey(layout), 'next', signal);
  } catch (e) {
    // Above its cap it throws, naming the key (`whisper-batch next` shows it; runs go on without it).
    if (e instanceof WbError && e.code === 'NotFound') return undefined;
    throw e;
  }
  return parseNext(raw.toString('utf8'));
}

export async function writeNext(store: ObjectStore, layout: BucketLayout, next: NextSession | undefined): Promise<void> {
  if (!next) await store.delete(nextKey(layout));
  else await store.put(nextKey(layout), JSON.stringify(next, null, 2), { contentType: 'application/json' });
}

/** Stable: the scan's oldest-first order is kept within each rank. */
export function prioritize<S extends { userId: string; sessionId: string }>(sessions: readonly S[], o: { users: readonly string[]; next?: Pick<NextSession, 'userId' | 'sessionId'> }): S[] {
  const users = new Set(o.users);
  const rank = (s: S) => (o.next && s.userId === o.next.userId && s.sessionId === o.next.sessionId ? 0 : users.has(s.userId) ? 1 : 2);
  return sessions
    .map((s, i) => ({ s, i, r: rank(s) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.s);
}

/** The jobs of a scan in run order (the run and its dry run alike). A "next" that cannot be read orders nothing. */
export async function orderedJobs(o: {
  store: ObjectStore;
  layout: BucketLayout;
  doc: PendingJobs;
  users: readonly string[];
  filter?: (s: PendingSession) => boolean;
  signal?: AbortSignal;
  /** Told why a "next" object was not read (it is then ignored, the run goes on). */
  warn?: (message: string) => void;
}): Promise<ChunkJob[]> {
  const next = await readNext(o.store, o.layout, o.signal).catch((e) => {
    o.warn?.(`${describeError(e)} (runs go on without it)`);
    return undefined;
  });
  return jobsOf({ ...o.doc, sessions: prioritize(o.doc.sessions, { users: o.users, next }) }, o.layout, o.filter);
}
