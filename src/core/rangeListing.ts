/**
 * A parallel listing of one prefix as contiguous key ranges, each listed like a sequential one
 * (StartAfter, then pages of 1000), so that requests stay near keys/1000 whatever the layout. One
 * prefix per user cost a request per user (1,345 against 99 at 100k keys on a skewed bucket) and
 * left one stream alone with a heavy user.
 *
 * It starts as one stream from the start: a listing of one page never costs more than a sequential
 * one. More streams only help while a stream waits for its pages (latency); when the client's own
 * CPU is what limits (a fast server next to it), cutting would add requests and no speed. So a
 * range is cut only once it has read a few pages, spent a good part of its time waiting for them,
 * and the event loop was idle for a good part of that time. The wait alone cannot tell: it also
 * counts the SDK parsing the page's XML (most of a scan's CPU), and a CPU-bound scan of a fast
 * server "waits" 60% of the time while its event loop is never idle. Then an idle stream cuts the
 * rest of it: one folder
 * listing (Delimiter "/", StartAfter the range's last key) gives the folders ahead, and the rest
 * is cut at some of them into one piece per idle stream. A range inside one heavy folder is cut
 * one level deeper (the caller names the levels: users, then the sessions of the user). Cuts are
 * only ever at folder boundaries, so a folder (a session) is never split between two ranges and
 * each range can be folded on its own.
 */
import { setMaxListeners } from 'node:events';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ObjectInfo, ObjectStore } from './store/objectStore';
import { compareKeys } from './store/keyOrder';
import { batches } from './store/batches';

export interface RangeListingOptions {
  store: ObjectStore;
  prefix: string;
  streams: number;
  /** Folder prefixes (ending in "/") whose children may cut a range now at key `pos`, outermost first. */
  levels: (pos: string) => string[];
  /** Folds one range's keys (in key order); called once per range, up to `streams` at once. */
  consume: (pages: AsyncIterable<ObjectInfo[]>) => Promise<void>;
  signal?: AbortSignal;
  /** Every request: pages and folder listings. */
  onRequest?: () => void;
  /** The event loop's idle share (tests); default: performance.eventLoopUtilization(). */
  idleShare?: IdleShare;
}

export interface RangeListingStats {
  ranges: number;
  splits: number;
  /** Folder listings made to find cuts (those that found none included). */
  folderListings: number;
  /** Most ranges listed at once. */
  streams: number;
}

interface Range {
  /** Inclusive start (a folder prefix); undefined: the prefix's start. */
  lo?: string;
  /** Exclusive end; undefined: the prefix's end. Lowered when the rest is handed to other streams. */
  hi?: string;
  /** Last key of the last page received. */
  pos?: string;
  more: boolean;
  pages: number;
  done: boolean;
  /** A cut is being looked for (one at a time per range). */
  cutting?: AbortController;
  /** Pages read when the last cut found nothing: try again only after it has moved on. */
  barrenAt?: number;
  /** When its first page arrived, and the time waited for pages since (performance.now() ms). */
  firstAt?: number;
  waited: number;
  /** The event loop's use when its first page arrived. */
  elu0?: EventLoopUtilization;
  /** The innermost cut level holding `pos`, and the page count when `pos` entered it. */
  inner?: string;
  innerSince?: number;
}

/** Cut a range only after this many pages of it... */
const MIN_PAGES = 3;
/** ...and when it spent at least this share of its time since its first page waiting for pages... */
const MIN_WAITING = 0.25;
/**
 * ...while the event loop was idle at least this share of that time: a stream more can only use
 * time in which the process had nothing to do (a descheduled process on a loaded machine counts
 * as busy, rightly: more streams would not get it more CPU).
 */
const MIN_IDLE = 0.25;
/**
 * The idle share is of the last 0.3-0.6 s, not of the range's whole life: while 8 streams fold at
 * once the loop is rarely idle, and once most have finished, a heavy range left alone must be cut
 * soon, not when its idle share since it started has caught up (it took 1.3 s at +30 ms).
 */
const IDLE_WINDOW_MS = 300;
/** A range that has read this many pages inside one innermost folder (a heavy user) is cut inside it first. */
const HEAVY_FOLDER_PAGES = 2;

/** The event loop's idle share since `since` (process-wide: every stream's parsing and folding count as busy). */
export type IdleShare = (since: EventLoopUtilization) => number;
const eventLoopIdle: IdleShare = (since) => 1 - performance.eventLoopUtilization(since).utilization;

export async function listInRanges(o: RangeListingOptions): Promise<RangeListingStats> {
  const stats: RangeListingStats = { ranges: 1, splits: 0, folderListings: 0, streams: 0 };
  const idleShare = o.idleShare ?? eventLoopIdle;
  const queue: Range[] = [{ more: true, pages: 0, done: false, waited: 0 }];
  const running = new Set<Range>();
  /** Ranges not yet done, queued or running: the listing is over at 0. */
  let left = 1;
  let idle = 0;
  let failed = false;
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const changed = () => new Promise<void>((r) => waiters.push(r));
  // One stream's failure stops the others' requests too.
  const inner = new AbortController();
  // Every running range and every cut listens on it: more than Node's default of 10 is expected.
  setMaxListeners(16 + 4 * o.streams, inner.signal);
  const onAbort = () => inner.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) inner.abort();
  const signal = inner.signal;
  // Two samples of the event loop's use at least IDLE_WINDOW_MS apart: the idle share is measured since `prev`.
  let win = { prev: performance.eventLoopUtilization(), prevAt: performance.now(), cur: performance.eventLoopUtilization(), curAt: performance.now() };

  const run = async (r: Range) => {
    running.add(r);
    stats.streams = Math.max(stats.streams, running.size);
    try {
      const keys = batches(o.store, o.prefix, {
        signal,
        startAt: r.lo,
        until: () => r.hi,
        onPage: (_n, more, lastKey, waitedMs) => {
          r.pages++;
          if (r.firstAt === undefined) {
            r.firstAt = performance.now();
            r.elu0 = performance.eventLoopUtilization();
          } else r.waited += waitedMs ?? 0;
          r.more = more;
          if (lastKey !== undefined) {
            r.pos = lastKey;
            const lv = o.levels(lastKey);
            const deepest = lv.length > 1 ? lv[lv.length - 1] : undefined;
            if (deepest !== r.inner) {
              r.inner = deepest;
              r.innerSince = r.pages;
            }
          }
          o.onRequest?.();
          wake();
        },
      });
      await o.consume(keys);
    } finally {
      r.done = true;
      left--;
      r.cutting?.abort();
      running.delete(r);
      wake();
    }
  };

  // The range worth cutting: still truncated, and the one that has read most (a heavy folder).
  const victim = (): Range | undefined => {
    let best: Range | undefined;
    const now = performance.now();
    if (now - win.curAt >= IDLE_WINDOW_MS) win = { prev: win.cur, prevAt: win.curAt, cur: performance.eventLoopUtilization(), curAt: now };
    for (const r of running) {
      if (r.done || !r.more || r.cutting || r.pos === undefined || r.pages < MIN_PAGES) continue;
      if (r.barrenAt !== undefined && r.pages < r.barrenAt + 2) continue;
      if (r.waited < MIN_WAITING * (now - r.firstAt!)) continue;
      if (idleShare(r.firstAt! > win.prevAt ? r.elu0! : win.prev) < MIN_IDLE) continue;
      if (!best || r.pages > best.pages) best = r;
    }
    return best;
  };

  const cut = async (v: Range, pieces: number): Promise<Range[]> => {
    const ac = (v.cutting = new AbortController());
    const stop = () => ac.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // Outermost first (users), unless the range has stayed inside its innermost folder for pages:
      // that folder (a heavy user) is where the work is, and cutting between the users after it
      // would leave it whole in this range.
      const lv = o.levels(v.pos!);
      const heavy = lv.length > 1 && v.inner === lv[lv.length - 1] && v.pages - v.innerSince! >= HEAVY_FOLDER_PAGES;
      for (const level of heavy ? [...lv].reverse() : lv) {
        if (!v.pos!.startsWith(level)) continue;
        let folders: string[];
        try {
          folders = await o.store.listPrefixes(level, ac.signal, { startAfter: v.pos, limit: 1000 });
        } catch (e) {
          if (v.done || signal.aborted) return []; // the range ended meanwhile: nothing to cut
          throw e;
        }
        o.onRequest?.();
        stats.folderListings++;
        if (v.done) return [];
        const pos = v.pos!;
        const ahead = folders.filter((f) => compareKeys(f, pos) > 0 && (v.hi === undefined || compareKeys(f, v.hi) < 0));
        if (!ahead.length) continue;
        // Inside a heavy folder, what follows the folder (the users after it) becomes a piece of its
        // own, cut at the first key past the folder: it would otherwise ride with the last share.
        const end = heavy && level === lv[lv.length - 1] ? level.slice(0, -1) + '0' : undefined; // '0' follows '/'
        const tail = end !== undefined && pieces >= 3 && (v.hi === undefined || compareKeys(end, v.hi) < 0) ? end : undefined;
        // Equal shares by folder count; a heavy folder shows as a range that keeps reading, and is cut again.
        const n = Math.min(pieces - 1 - (tail !== undefined ? 1 : 0), ahead.length);
        const at = [...new Set(Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * ahead.length) / (n + 1))))].map((i) => ahead[i]);
        if (tail !== undefined) at.push(tail);
        const parts = at.map((lo, i): Range => ({ lo, hi: i + 1 < at.length ? at[i + 1] : v.hi, more: true, pages: 0, done: false, waited: 0 }));
        v.hi = at[0];
        stats.splits++;
        stats.ranges += parts.length;
        left += parts.length;
        return parts;
      }
      v.barrenAt = v.pages;
      return [];
    } finally {
      signal.removeEventListener('abort', stop);
      v.cutting = undefined;
    }
  };

  const next = async (): Promise<Range | undefined> => {
    idle++;
    try {
      for (;;) {
        if (failed || signal.aborted) return undefined;
        const q = queue.shift();
        if (q) return q;
        if (left === 0) return undefined;
        const v = victim();
        if (!v) {
          await changed();
          continue;
        }
        const parts = await cut(v, idle + 1);
        if (parts.length) {
          queue.push(...parts.slice(1));
          wake();
          return parts[0];
        }
      }
    } finally {
      idle--;
    }
  };

  const worker = async () => {
    for (;;) {
      const r = await next();
      if (!r) return;
      await run(r);
    }
  };
  try {
    // The first worker takes the first range at once; the others wait for it to need help.
    await Promise.all(
      Array.from({ length: Math.max(1, o.streams) }, () =>
        worker().catch((e) => {
          failed = true;
          inner.abort();
          wake();
          throw e;
        }),
      ),
    );
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  return stats;
}
