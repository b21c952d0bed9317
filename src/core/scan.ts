/**
 * The scanner: lists the store once (one stream, or contiguous key ranges in parallel, see
 * rangeListing.ts), folds keys
 * into per-session state as they arrive, and returns the pending-jobs document. Keys under one
 * session prefix are contiguous in S3's lexicographic order, so a session is finished (and its
 * chunk lists dropped unless it has work) as soon as the stream leaves its prefix: memory stays
 * bounded by the open sessions and the pending ones, never the key list.
 */
import type { Clock } from './clock';
import { isoTime } from './clock';
import type { EventSink } from './events';
import { BucketLayout, pad, type SessionRef } from './layout';
import type { ObjectStore, ObjectInfo } from './store/objectStore';
import { batches } from './store/batches';
import type { Settings } from './settings';
import { humanDuration, round, usd, gpuCostUsd } from './cost';
import { throwIfAborted } from './errors';
import { listInRanges } from './rangeListing';
import { describeLiveLock, readLiveLock } from './liveLock';
import type { ChunkJob } from './engine/engine';
import { lastFailure, readChunkFailures, type QuarantinedChunk } from './quarantine';

export interface AudioChunkInfo {
  chunk: number;
  key: string;
  size: number;
  ext: string;
  lastModified: number;
}

export interface PendingSession {
  sessionId: string;
  userId: string;
  sessionPath: string;
  /** Chunk numbers as the seed wrote them ("001", "1000"). */
  audioChunks: string[];
  transcriptionChunks: string[];
  missingChunks: string[];
  totalAudioSize: number;
  createdAt: string;
  ageHours: number;
  newestChunkAt: string;
  /** Audio of every chunk of the session (jobs need chunk 1's header and the next chunk). */
  chunks: AudioChunkInfo[];
  complete: boolean;
  /** Missing chunks left out of the work: quarantined after run.quarantineAfterFailures failed runs (see quarantine.ts). */
  quarantinedChunks?: string[];
  /** Missing chunks that failed before but are not quarantined yet: how many runs in a row. */
  priorFailures?: Record<string, number>;
}

export interface DeferredSession extends PendingSession {
  reason: 'recording' | 'locked';
  detail: string;
}

export interface PendingJobs {
  timestamp: string;
  store: string;
  totalSessions: number;
  sessionsWithMissingChunks: number;
  totalMissingChunks: number;
  estimatedGpuTime: string;
  estimatedGpuSeconds: number;
  estimatedCost: string;
  estimatedCostUSD: number;
  sessions: PendingSession[];
  deferredSessions: DeferredSession[];
  /**
   * Chunks whose own bytes failed run.quarantineAfterFailures runs in a row: not counted as work (they
   * start no GPU) until `whisper-batch release`. A session whose missing chunks are all quarantined is
   * in neither `sessions` nor `deferredSessions`.
   */
  quarantinedChunks?: QuarantinedChunk[];
  totalQuarantinedChunks?: number;
  lock?: { key: string; holder?: string; since?: string; stale: boolean; coversAll: boolean };
  /**
   * Keys under the users prefix that look like audio (an audio extension in any case, or the chunk
   * prefix) but match no layout rule (`CHUNK-001.WEBM`, `chunk-01a.webm`): counted, never silently dropped.
   */
  unmatchedKeys?: { count: number; examples: string[] };
  /** Only when no session was found: the keys elsewhere in the store (a wrong layout.usersPrefix?). */
  outsideUsersPrefix?: { usersPrefix: string; keys: number; examples: string[]; capped: boolean };
  /** `ranges`/`cuts`: of a parallel listing (rangeListing.ts). */
  stats: { keys: number; requests: number; durationMs: number; streams: number; ranges?: number; cuts?: number };
}

export interface ScanDeps {
  store: ObjectStore;
  settings: Settings;
  clock: Clock;
  emit?: EventSink;
  signal?: AbortSignal;
}

interface Agg {
  ref: SessionRef;
  prefix: string;
  audio: Map<number, AudioChunkInfo>;
  done: Set<number>;
  complete: boolean;
}

export async function scan(deps: ScanDeps): Promise<PendingJobs> {
  const { store, settings, clock, signal } = deps;
  const layout = new BucketLayout(settings.layout);
  const t0 = clock.now();
  const [lock, failures] = await Promise.all([readLiveLock(store, layout, settings, clock, signal), readChunkFailures(store, layout, signal)]);
  const quarantineAfter = settings.run.quarantineAfterFailures;
  const quarantined: QuarantinedChunk[] = [];
  let keys = 0;
  let requests = 0;
  let sessionsSeen = 0;
  const pending: PendingSession[] = [];
  const deferred: DeferredSession[] = [];
  const graceMs = settings.scan.gracePeriodMinutes * 60_000;
  const now = clock.now();
  let lastProgress = 0;
  const unmatched = { count: 0, examples: [] as string[] };
  const exts = new Set(settings.layout.audioExtensions.map((e) => e.toLowerCase().replace(/^\./, '')));
  const chunkPrefix = settings.layout.chunkPrefix.toLowerCase();
  /** A key the layout has no rule for: counted when it looks like audio (a misnamed chunk), not silently dropped. */
  const noteUnmatched = (key: string) => {
    const name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
    const dot = name.lastIndexOf('.');
    if (!name.startsWith(chunkPrefix) && !(dot > 0 && exts.has(name.slice(dot + 1)))) return;
    unmatched.count++;
    if (unmatched.examples.length < EXAMPLES) unmatched.examples.push(key);
  };

  const finish = (a: Agg) => {
    if (a.audio.size === 0) return;
    sessionsSeen++;
    const untranscribed = [...a.audio.keys()].filter((n) => !a.done.has(n)).sort((x, y) => x - y);
    if (untranscribed.length === 0) return;
    const chunks = [...a.audio.values()].sort((x, y) => x.chunk - y.chunk);
    const missing: number[] = [];
    const held: number[] = [];
    const prior: Record<string, number> = {};
    for (const n of untranscribed) {
      const f = failures.get(a.audio.get(n)!.key);
      if (f && quarantineAfter > 0 && f.count >= quarantineAfter) {
        held.push(n);
        quarantined.push({ userId: a.ref.userId, sessionId: a.ref.sessionId, sessionPath: a.prefix, chunk: pad(n), audioKey: f.audioKey, failures: f.count });
      } else {
        missing.push(n);
        if (f) prior[pad(n)] = f.count;
      }
    }
    if (missing.length === 0) return;
    const created = Math.min(...chunks.map((c) => c.lastModified));
    const newest = Math.max(...chunks.map((c) => c.lastModified));
    const s: PendingSession = {
      sessionId: a.ref.sessionId,
      userId: a.ref.userId,
      sessionPath: a.prefix,
      audioChunks: chunks.map((c) => pad(c.chunk)),
      transcriptionChunks: [...a.done]
        .filter((n) => a.audio.has(n))
        .sort((x, y) => x - y)
        .map(pad),
      missingChunks: missing.map(pad),
      totalAudioSize: chunks.reduce((n, c) => n + c.size, 0),
      createdAt: isoTime(created),
      ageHours: round((now - created) / 3_600_000, 2),
      newestChunkAt: isoTime(newest),
      chunks,
      complete: a.complete,
      ...(held.length ? { quarantinedChunks: held.map(pad) } : {}),
      ...(Object.keys(prior).length ? { priorFailures: prior } : {}),
    };
    if (lock && !lock.stale && (lock.coversAll || lock.sessions.has(s.sessionId) || lock.users.has(s.userId))) {
      deferred.push({ ...s, reason: 'locked', detail: describeLiveLock(lock) });
    } else if (now - newest < graceMs) {
      deferred.push({ ...s, reason: 'recording', detail: `newest chunk is ${Math.round((now - newest) / 60_000)} min old (grace period ${settings.scan.gracePeriodMinutes} min)` });
    } else pending.push(s);
  };

  const consume = async (stream: AsyncIterable<ObjectInfo[]>) => {
    const open = new Map<string, Agg>();
    const last: { a?: Agg } = {};
    for await (const batch of stream) {
      throwIfAborted(signal);
      for (const o of batch) fold(o, open, last);
      keys += batch.length;
      if (deps.emit && keys - lastProgress >= 1000) {
        lastProgress = keys;
        deps.emit({ type: 'scan.progress', keys, sessions: sessionsSeen, time: clock.now() });
      }
    }
    // Stores end a listing quietly when aborted: a cut-short listing must not pass for a full scan.
    throwIfAborted(signal);
    for (const a of open.values()) finish(a);
  };

  const fold = (o: ObjectInfo, open: Map<string, Agg>, last: { a?: Agg }) => {
    const key = o.key;
    // Close the sessions this key has moved past (sorted stream: their prefixes are done). Usually
    // one session is open and the key is in it: no walk over the map then.
    if (!(open.size === 1 && last.a && key.startsWith(last.a.prefix))) {
      for (const [p, a] of open) {
        if (!key.startsWith(p)) {
          open.delete(p);
          finish(a);
        }
      }
    }
    // Most keys belong to the session of the key before: decided from the file name alone.
    let a = last.a && open.has(last.a.prefix) && key.startsWith(last.a.prefix) ? last.a : undefined;
    let k = a ? layout.parseInSession(key, a.ref, a.prefix.length) : undefined;
    if (!k) {
      k = layout.parse(key);
      if (k.kind === 'other') return noteUnmatched(key);
      const prefix = layout.sessionPrefix(k);
      a = open.get(prefix);
      if (!a) {
        a = { ref: { userId: k.userId, sessionId: k.sessionId }, prefix, audio: new Map(), done: new Set(), complete: false };
        open.set(prefix, a);
      }
    }
    if (k.kind === 'other' || k.kind === 'session-other') noteUnmatched(key);
    if (k.kind === 'other') return;
    last.a = a;
    if (k.kind === 'audio') {
      // Two files with one number (chunk-001.webm and chunk-001.m4a): keep the larger; one transcript covers the number.
      const prev = a!.audio.get(k.chunk);
      if (!prev || o.size > prev.size) a!.audio.set(k.chunk, { chunk: k.chunk, key, size: o.size, ext: k.ext, lastModified: o.lastModified });
    } else if (k.kind === 'transcript') a!.done.add(k.chunk);
    else if (k.kind === 'complete') a!.complete = true;
  };

  let streams = 1;
  let rangeStats: { ranges: number; cuts: number } | undefined;
  const conc = settings.scan.listConcurrency;
  // A folder is read at local-disk speed by one synchronous walk: streams would only share a core.
  if (conc <= 1 || store.kind !== 's3') {
    const opts = { signal, onPage: () => requests++ };
    await consume(batches(store, layout.usersPrefix, opts));
  } else {
    const up = layout.usersPrefix;
    const r = await listInRanges({
      store,
      prefix: up,
      streams: conc,
      // Cut between users, and inside a heavy user between its session folders.
      levels: (pos) => {
        const slash = pos.indexOf('/', up.length);
        return slash > up.length ? [up, layout.userSessionsPrefix(pos.slice(up.length, slash))] : [up];
      },
      consume,
      signal,
      onRequest: () => requests++,
    });
    streams = r.streams;
    rangeStats = { ranges: r.ranges, cuts: r.splits };
  }

  const outside = sessionsSeen === 0 ? await keysOutside(store, layout, signal) : undefined;
  // What the newest failure of each quarantined chunk said (one small read each; they are few).
  await Promise.all(
    quarantined.map(async (q) => {
      const last = await lastFailure(store, failures.get(q.audioKey)!, signal);
      if (last.error !== undefined) q.lastError = last.error;
      if (last.at !== undefined) q.lastFailedAt = last.at;
    }),
  );
  quarantined.sort((x, y) => (x.audioKey < y.audioKey ? -1 : x.audioKey > y.audioKey ? 1 : 0));
  // Oldest first: the plan order.
  const byAge = (x: PendingSession, y: PendingSession) => (x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : x.sessionPath < y.sessionPath ? -1 : 1);
  pending.sort(byAge);
  deferred.sort(byAge);
  const totalMissing = pending.reduce((n, s) => n + s.missingChunks.length, 0);
  const est = estimateGpuSeconds(totalMissing, settings);
  const doc: PendingJobs = {
    timestamp: isoTime(now),
    store: store.description,
    totalSessions: sessionsSeen,
    sessionsWithMissingChunks: pending.length,
    totalMissingChunks: totalMissing,
    estimatedGpuTime: totalMissing ? minutesText(Math.max(1, Math.round(est / 60))) : '0 minutes',
    estimatedGpuSeconds: est,
    estimatedCost: usd(totalMissing ? gpuCostUsd(est, settings.cost.gpuHourlyUsd) : 0),
    estimatedCostUSD: totalMissing ? gpuCostUsd(est, settings.cost.gpuHourlyUsd) : 0,
    sessions: pending,
    deferredSessions: deferred,
    quarantinedChunks: quarantined,
    totalQuarantinedChunks: quarantined.length,
    lock: lock ? { key: layout.lockKey, holder: lock.holder, since: lock.since, stale: lock.stale, coversAll: lock.coversAll } : undefined,
    stats: { keys, requests, durationMs: clock.now() - t0, streams, ...rangeStats },
    unmatchedKeys: unmatched,
    ...(outside ? { outsideUsersPrefix: { usersPrefix: layout.usersPrefix, ...outside } } : {}),
  };
  deps.emit?.({ type: 'scan.done', totalSessions: sessionsSeen, pendingSessions: pending.length, missingChunks: totalMissing, time: clock.now() });
  return doc;
}

const minutesText = (m: number) => `${m} ${m === 1 ? 'minute' : 'minutes'}`;

/** How many example keys a scan document names. */
const EXAMPLES = 5;
/** Counting the keys of a store without sessions stops here: enough to say "the prefix is wrong". */
const OUTSIDE_LIMIT = 10_000;

/** The store's keys outside the users prefix, not counting our own (reports, lock, lease). */
async function keysOutside(store: ObjectStore, layout: BucketLayout, signal?: AbortSignal): Promise<{ keys: number; examples: string[]; capped: boolean }> {
  const r = { keys: 0, examples: [] as string[], capped: false };
  const ours = (k: string) => k.startsWith(layout.reportsPrefix) || k === layout.lockKey || k === layout.leaseKey;
  for await (const o of store.list('', { signal })) {
    if (o.key.startsWith(layout.usersPrefix) || ours(o.key)) continue;
    if (r.keys >= OUTSIDE_LIMIT) {
      r.capped = true;
      break;
    }
    r.keys++;
    if (r.examples.length < EXAMPLES) r.examples.push(o.key);
  }
  throwIfAborted(signal);
  return r;
}

export function estimateGpuSeconds(missingChunks: number, settings: Settings): number {
  if (!missingChunks) return 0;
  const c = settings.cost;
  const boot = settings.host.kind === 'ec2' ? c.bootSecondsEstimate : 0;
  return Math.round(boot + missingChunks * c.chunkSecondsEstimate * c.realtimeFactorEstimate);
}

/** The jobs of a scan, oldest session first, chunk order within a session. */
export function jobsOf(doc: PendingJobs, layout: BucketLayout, filter?: (s: PendingSession) => boolean): ChunkJob[] {
  const jobs: ChunkJob[] = [];
  for (const s of doc.sessions) {
    if (filter && !filter(s)) continue;
    const byNum = new Map(s.chunks.map((c) => [c.chunk, c]));
    const first = s.chunks[0];
    for (const m of s.missingChunks) {
      const n = parseInt(m, 10);
      const c = byNum.get(n)!;
      const next = byNum.get(n + 1);
      jobs.push({
        userId: s.userId,
        sessionId: s.sessionId,
        chunk: n,
        audioKey: c.key,
        transcriptKey: layout.transcriptKey(s, n),
        size: c.size,
        firstChunkKey: first && first.chunk === 1 && first.ext.toLowerCase() === 'webm' ? first.key : undefined,
        nextChunkKey: next && next.ext === c.ext ? next.key : undefined,
        ...(s.priorFailures?.[m] ? { priorFailures: s.priorFailures[m] } : {}),
      });
    }
  }
  return jobs;
}
