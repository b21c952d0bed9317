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
import { BucketLayout, FILE_AUDIO, FILE_COMPLETE, FILE_LEGACY, FILE_SESSION_OTHER, FILE_TRANSCRIPT, pad, type SessionRef } from './layout';
import type { ObjectStore, ObjectInfo } from './store/objectStore';
import { batches } from './store/batches';
import type { Settings } from './settings';
import { humanDuration, round, usd, gpuCostUsd } from './cost';
import { throwIfAborted } from './errors';
import { listInRanges } from './rangeListing';
import { describeLiveLock, readLiveLock } from './liveLock';
import type { ChunkJob } from './engine/engine';
import { lastFailure, readChunkFailures, type QuarantinedChunk } from './quarantine';
import { TranscriptChecker, type InvalidTranscript } from './transcriptCheck';

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
  /**
   * Transcript objects that exist but are not a transcript (empty, not JSON, no segments list):
   * the chunk counts as done and the object is never overwritten; each is named with what to do
   * (transcriptCheck.ts). Which ones are read: scan.verifyTranscripts.
   */
  invalidTranscripts?: InvalidTranscript[];
  totalInvalidTranscripts?: number;
  /** Which transcripts this scan read to check them (`off`: none; empty ones are named anyway). */
  transcriptsRead?: 'work' | 'all' | 'off';
  lock?: { key: string; holder?: string; since?: string; stale: boolean; coversAll: boolean };
  /**
   * Keys under the users prefix that look like audio (an audio extension in any case, or the chunk
   * prefix) but match no layout rule (`CHUNK-001.WEBM`, `chunk-01a.webm`): counted, never silently dropped.
   */
  unmatchedKeys?: { count: number; examples: string[] };
  /** Only when no session was found: the keys elsewhere in the store (a wrong layout.usersPrefix?). */
  outsideUsersPrefix?: { usersPrefix: string; keys: number; examples: string[]; capped: boolean };
  /** `ranges`/`cuts`: of a parallel listing (rangeListing.ts). */
  stats: { keys: number; requests: number; durationMs: number; streams: number; ranges?: number; cuts?: number; transcriptReads?: number };
}

export interface ScanDeps {
  store: ObjectStore;
  settings: Settings;
  clock: Clock;
  emit?: EventSink;
  signal?: AbortSignal;
  /**
   * `run`: the scan a run starts with. With scan.verifyTranscripts = run (the default), only it reads
   * transcripts (those of sessions with work); a plain scan (sidebar, `scan`, status) stays one listing.
   */
  purpose?: 'scan' | 'run';
}

/** Which transcripts a scan reads: scan.verifyTranscripts for this purpose. */
export function transcriptsToRead(setting: Settings['scan']['verifyTranscripts'], purpose: ScanDeps['purpose'] = 'scan'): 'work' | 'all' | 'off' {
  if (setting === 'run') return purpose === 'run' ? 'work' : 'off';
  return setting;
}

/**
 * One open session while the listing is inside its prefix: chunk numbers and the store's own audio
 * objects (no new object per key); most sessions need nothing at the end, and only a pending one is
 * turned into a PendingSession.
 */
interface Agg {
  ref: SessionRef;
  prefix: string;
  /** The id has no "/": file names decide (BucketLayout.fileInSession). */
  flat: boolean;
  /** Finished: the listing has moved past its prefix. */
  closed: boolean;
  nums: number[];
  /** The audio objects: a folder store reads size and time (a stat) only when asked, here for pending sessions and duplicates only. */
  objs: ObjectInfo[];
  /** Chunk numbers with a transcript. */
  done: number[];
  /** Transcript keys to check (scan.verifyTranscripts) and their chunk numbers. */
  tkeys: string[];
  tnums: number[];
  complete: boolean;
}

export async function scan(deps: ScanDeps): Promise<PendingJobs> {
  const { store, settings, clock, signal } = deps;
  const layout = new BucketLayout(settings.layout);
  const t0 = clock.now();
  const [lock, failures] = await Promise.all([readLiveLock(store, layout, settings, clock, signal), readChunkFailures(store, layout, signal)]);
  const quarantineAfter = settings.run.quarantineAfterFailures;
  const quarantined: QuarantinedChunk[] = [];
  const verify = transcriptsToRead(settings.scan.verifyTranscripts, deps.purpose);
  /** Reads transcripts while the listing goes on; empty ones are named from the listing alone. */
  const checker = new TranscriptChecker(store, signal);
  const checkLater = (a: Agg) => {
    for (let i = 0; i < a.tkeys.length; i++) checker.add({ key: chunkKey(a.prefix, a.tkeys[i]), userId: a.ref.userId, sessionId: a.ref.sessionId, chunk: a.tnums[i] });
  };
  const addTranscript = (a: Agg, o: ObjectInfo, n: number) => {
    a.done.push(n);
    if (o.size === 0) checker.empty({ key: own(o.key), userId: a.ref.userId, sessionId: a.ref.sessionId, chunk: n });
    else if (verify !== 'off') {
      a.tkeys.push(o.key);
      a.tnums.push(n);
    }
  };
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
    if (unmatched.examples.length < EXAMPLES) unmatched.examples.push(own(key));
  };

  // Chunk file names of pending sessions, one shared string each ("chunk-001.webm"): a kept key is
  // then the session's path + that name (the same text in 32 bytes, not a ~200-byte copy per chunk).
  const names = new Map<string, string>();
  const chunkName = (prefix: string, key: string): string | undefined => {
    if (!key.startsWith(prefix)) return undefined;
    const name = key.slice(prefix.length);
    let n = names.get(name);
    if (n === undefined) {
      n = own(name);
      if (names.size < 10_000) names.set(n, n);
    }
    return n;
  };
  const chunkKey = (prefix: string, key: string): string => {
    const n = chunkName(prefix, key);
    return n === undefined ? key : prefix + n;
  };
  // Lists of padded chunk numbers, one frozen array per distinct list ("001,002,003" is the same in
  // most sessions): three arrays per pending session were ~6 MB of a 1M-key scan's heap.
  const lists = new Map<string, string[]>();
  const packed = new PackedChunks(layout);
  const numberList = (nums: number[]): string[] => {
    if (nums.length === 0) return NO_CHUNKS;
    const id = nums.join(',');
    let l = lists.get(id);
    if (l === undefined) {
      l = Object.freeze(nums.map(pad)) as string[];
      if (lists.size < 10_000) lists.set(id, l);
    }
    return l;
  };

  const finish = (a: Agg) => {
    a.closed = true;
    const count = a.nums.length;
    if (count === 0) return;
    sessionsSeen++;
    if (verify === 'all') checkLater(a);
    // Audio in chunk order; two files with one number (chunk-001.webm and chunk-001.m4a): keep the
    // larger (the first listed on a tie); one transcript covers the number.
    const order = count === 1 ? [0] : Array.from({ length: count }, (_, i) => i).sort((x, y) => a.nums[x] - a.nums[y] || x - y);
    const keep: number[] = [];
    for (const i of order) {
      const j = keep.length - 1;
      if (j >= 0 && a.nums[keep[j]] === a.nums[i]) {
        if (a.objs[i].size > a.objs[keep[j]].size) keep[j] = i;
      } else keep.push(i);
    }
    const done = a.done.length > 1 ? [...new Set(a.done)].sort((x, y) => x - y) : a.done;
    // Both sorted: one walk finds the untranscribed numbers and the transcribed ones.
    const untranscribed: number[] = [];
    const transcribed: number[] = [];
    for (let i = 0, d = 0; i < keep.length; i++) {
      const n = a.nums[keep[i]];
      while (d < done.length && done[d] < n) d++;
      if (d < done.length && done[d] === n) transcribed.push(n);
      else untranscribed.push(i);
    }
    if (untranscribed.length === 0) return;
    // A session with work (pending, deferred or quarantined chunks) has its transcripts read.
    if (verify === 'work') checkLater(a);
    const missing: number[] = [];
    const held: number[] = [];
    const prior: Record<string, number> = {};
    for (const i of untranscribed) {
      const n = a.nums[keep[i]];
      const f = failures.size ? failures.get(a.objs[keep[i]].key) : undefined;
      if (f && quarantineAfter > 0 && f.count >= quarantineAfter) {
        held.push(n);
        quarantined.push({ userId: a.ref.userId, sessionId: a.ref.sessionId, sessionPath: a.prefix, chunk: pad(n), audioKey: f.audioKey, failures: f.count });
      } else {
        missing.push(n);
        if (f) prior[pad(n)] = f.count;
      }
    }
    if (missing.length === 0) return;
    let created = Infinity;
    let newest = -Infinity;
    let total = 0;
    const at = packed.count;
    const numbers: number[] = new Array(keep.length);
    for (let j = 0; j < keep.length; j++) {
      const o = a.objs[keep[j]];
      const t = o.lastModified;
      const size = o.size;
      if (t < created) created = t;
      if (t > newest) newest = t;
      total += size;
      numbers[j] = a.nums[keep[j]];
      packed.add(numbers[j], size, t, chunkName(a.prefix, o.key), o.key);
    }
    const s = {
      sessionId: a.ref.sessionId,
      userId: a.ref.userId,
      sessionPath: a.prefix,
      audioChunks: numberList(numbers),
      transcriptionChunks: numberList(transcribed),
      missingChunks: numberList(missing),
      totalAudioSize: total,
      createdAt: isoTime(created),
      ageHours: round((now - created) / 3_600_000, 2),
      newestChunkAt: isoTime(newest),
    } as PendingSession;
    packed.attach(s, at, keep.length);
    s.complete = a.complete;
    if (held.length) s.quarantinedChunks = numberList(held);
    if (Object.keys(prior).length) s.priorFailures = prior;
    if (lock && !lock.stale && (lock.coversAll || lock.sessions.has(s.sessionId) || lock.users.has(s.userId))) {
      // Added in place, not spread: a spread copy would build the packed chunks as objects.
      deferred.push(Object.assign(s, { reason: 'locked' as const, detail: describeLiveLock(lock) }));
    } else if (now - newest < graceMs) {
      deferred.push(
        Object.assign(s, { reason: 'recording' as const, detail: `newest chunk is ${Math.round((now - newest) / 60_000)} min old (grace period ${settings.scan.gracePeriodMinutes} min)` }),
      );
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
    let a = last.a;
    // Most keys belong to the session of the key before, the only one open: decided from the file
    // name alone, allocating nothing.
    if (a && !a.closed && open.size === 1 && a.flat && key.startsWith(a.prefix)) {
      const f = layout.fileInSession(key, a.prefix.length);
      if (f === FILE_AUDIO) return addAudio(a, o, layout.fileChunk);
      if (f === FILE_TRANSCRIPT || f === FILE_LEGACY) return addTranscript(a, o, layout.fileChunk);
      if (f === FILE_COMPLETE) return void (a.complete = true);
      if (f === FILE_SESSION_OTHER) return noteUnmatched(key);
    }
    // Close the sessions this key has moved past (sorted stream: their prefixes are done).
    for (const [p, x] of open) {
      if (!key.startsWith(p)) {
        open.delete(p);
        finish(x);
      }
    }
    const k = layout.parse(key);
    if (k.kind === 'other') return noteUnmatched(key);
    let prefix = layout.sessionPrefix(k);
    a = open.get(prefix);
    if (!a) {
      // The session's path as its own string, the ids as pieces of it (one string per session):
      // k's ids are slices of the key, itself a slice of the page's text, and would keep 64 KB of
      // XML alive in every pending session.
      prefix = own(prefix);
      const u = layout.usersPrefix.length;
      const end = prefix.length - 1;
      const ref = { userId: prefix.slice(u, u + k.userId.length), sessionId: prefix.slice(end - k.sessionId.length, end) };
      a = { ref, prefix, flat: !ref.sessionId.includes('/'), closed: false, nums: [], objs: [], done: [], tkeys: [], tnums: [], complete: false };
      open.set(prefix, a);
    }
    last.a = a;
    if (k.kind === 'audio') addAudio(a, o, k.chunk);
    else if (k.kind === 'transcript') addTranscript(a, o, k.chunk);
    else if (k.kind === 'complete') a.complete = true;
    else noteUnmatched(key);
  };

  const addAudio = (a: Agg, o: ObjectInfo, chunk: number) => {
    a.nums.push(chunk);
    a.objs.push(o);
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
  const invalid = await checker.done();
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
    invalidTranscripts: invalid,
    totalInvalidTranscripts: invalid.length,
    transcriptsRead: verify,
    lock: lock ? { key: layout.lockKey, holder: lock.holder, since: lock.since, stale: lock.stale, coversAll: lock.coversAll } : undefined,
    stats: { keys, requests, durationMs: clock.now() - t0, streams, ...rangeStats, transcriptReads: checker.reads },
    unmatchedKeys: unmatched,
    ...(outside ? { outsideUsersPrefix: { usersPrefix: layout.usersPrefix, ...outside } } : {}),
  };
  deps.emit?.({ type: 'scan.done', totalSessions: sessionsSeen, pendingSessions: pending.length, missingChunks: totalMissing, time: clock.now() });
  return doc;
}

/**
 * A copy of `s` that shares no memory with the string it was cut from. A listed key is a slice of
 * the page's text (V8 keeps a substring of 13+ characters as a pointer into its parent), so a key
 * or a piece of one kept for the answer would keep a whole 64 KB page alive: measured at 1M keys,
 * ~30 pages. Prepending a character makes V8 copy the text into a new string; the slice past it
 * points into that copy only.
 */
export const own = (s: string): string => (' ' + s).slice(1);

/**
 * The chunks of one scan's pending sessions, packed: per chunk its number, size and time in one
 * array of unboxed doubles and its key as the shared file name (the session's path in front when
 * read). An object per chunk with its own key string and boxed time was ~115 bytes a chunk, ~16 MB
 * of a 1M-key scan's heap; this is ~32. A session's `chunks` is an enumerable getter that builds
 * the usual objects when read (JSON, spreads and deep-equal see a plain array); assigning replaces it.
 */
class PackedChunks {
  /** chunk, size, lastModified of each chunk. */
  private readonly values: number[] = [];
  /** The key after the session's path (a shared string), or the whole key (`whole`). */
  private readonly names: string[] = [];
  /** Chunks whose key is not under their session's path (not expected; kept whole, never rewritten). */
  private readonly whole = new Set<number>();
  count = 0;
  constructor(private readonly layout: BucketLayout) {}

  /** `name`: the key after the session's path (shared); undefined when the key is not under it. */
  add(chunk: number, size: number, lastModified: number, name: string | undefined, key: string): void {
    this.values.push(chunk, size, lastModified);
    if (name !== undefined) this.names.push(name);
    else {
      this.whole.add(this.count);
      this.names.push(own(key));
    }
    this.count++;
  }

  /** Makes `s.chunks` the `n` chunks from `at`. */
  attach(s: PendingSession, at: number, n: number): void {
    Object.defineProperty(s, 'chunks', CHUNKS);
    Object.defineProperty(s, PACKED, { value: { packed: this, at, n } });
  }

  chunks(prefix: string, at: number, n: number): AudioChunkInfo[] {
    const out: AudioChunkInfo[] = new Array(n);
    const v = this.values;
    for (let i = 0; i < n; i++) {
      const j = at + i;
      const name = this.names[j];
      const key = this.whole.has(j) ? name : prefix + name;
      const ext = key.slice(key.lastIndexOf('.') + 1);
      out[i] = { chunk: v[3 * j], key, size: v[3 * j + 1], ext: this.layout.audioExt(ext) ?? ext, lastModified: v[3 * j + 2] };
    }
    return out;
  }
}

const PACKED = Symbol('packedChunks');
type Packed = PendingSession & { [PACKED]: { packed: PackedChunks; at: number; n: number } };
/** One descriptor for every session (one getter function: the sessions share their hidden class). */
const CHUNKS: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: Packed): AudioChunkInfo[] {
    const p = this[PACKED];
    return p.packed.chunks(this.sessionPath, p.at, p.n);
  },
  set(this: PendingSession, value: AudioChunkInfo[]) {
    Object.defineProperty(this, 'chunks', { value, writable: true, enumerable: true, configurable: true });
  },
};

/** The chunk list of a session with none (frozen: shared by every such session). */
const NO_CHUNKS = Object.freeze([]) as unknown as string[];

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
        // Whatever its format: a later WebM chunk needs its header, and if it has none the error says what it is.
        firstChunkKey: first && first.chunk === 1 ? first.key : undefined,
        nextChunkKey: next && next.ext === c.ext ? next.key : undefined,
        ...(s.priorFailures?.[m] ? { priorFailures: s.priorFailures[m] } : {}),
      });
    }
  }
  return jobs;
}
