/**
 * Poison chunks: a chunk whose own bytes fail (it cannot be decoded, or is above the size cap) fails
 * again on every run, and on EC2 would start the GPU each time for nothing. Each such failure is
 * recorded in the store as its own create-only object, one per run:
 *
 *   <layout.reportsPrefix>.failures/<audio key>/fail-<runId>.json   {"runId","at","error"}
 *
 * so runners never overwrite each other and nothing needs a read-modify-write. A chunk with
 * `run.quarantineAfterFailures` records (default 3) is quarantined: the scan leaves it out of the
 * work (it starts no GPU) and names it; `whisper-batch release` deletes its records, and a chunk
 * that is transcribed has its records deleted, so the count is of failures in a row. The records
 * live under the reports prefix, where the runner may already write and delete (docs/iam-policy.json).
 *
 * Everything here is read as hostile: a record is counted only if its name is ours and its audio
 * key is a chunk of the layout; the error text of the newest record is shown escaped, capped.
 */
import { isoTime, type Clock } from './clock';
import type { ChunkOutcome } from './engine/engine';
import { describeError, throwIfAborted, WbError } from './errors';
import { pad, type BucketLayout } from './layout';
import { isTooLarge, readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';

/** One chunk's run of failures, as the scan found it. */
export interface ChunkFailures {
  audioKey: string;
  /** Failed runs in a row (records in the store). */
  count: number;
  /** The record keys (release deletes them). */
  keys: string[];
  /** Newest record's last-modified time (ms). */
  lastModified: number;
}

/** A quarantined chunk, as the scan document and the report show it. */
export interface QuarantinedChunk {
  userId: string;
  sessionId: string;
  sessionPath: string;
  chunk: string;
  audioKey: string;
  failures: number;
  /** The newest failure's error, as recorded (plain text, at most 500 characters). */
  lastError?: string;
  lastFailedAt?: string;
}

const RECORD_NAME = /^fail-[A-Za-z0-9._-]{1,100}\.json$/;
const MAX_ERROR_CHARS = 500;

export function failuresPrefix(layout: BucketLayout): string {
  return `${layout.reportsPrefix}.failures/`;
}

/** Record keys of one chunk: `<prefix><audioKey>/`. */
function chunkPrefix(layout: BucketLayout, audioKey: string): string {
  return `${failuresPrefix(layout)}${audioKey}/`;
}

/** Records one run's failure of a chunk's own bytes (create-only: a second write of the same run is a no-op). */
export async function recordChunkFailure(store: ObjectStore, layout: BucketLayout, audioKey: string, o: { runId: string; clock: Clock; error: string }): Promise<void> {
  const runId = o.runId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'run';
  const body = JSON.stringify({ runId: o.runId, at: isoTime(o.clock.now()), error: o.error.slice(0, 2000) });
  await store.put(`${chunkPrefix(layout, audioKey)}fail-${runId}.json`, body, { ifAbsent: true, contentType: 'application/json' });
}

/** Every chunk with failure records, by audio key (one listing of the failures prefix). */
export async function readChunkFailures(store: ObjectStore, layout: BucketLayout, signal?: AbortSignal): Promise<Map<string, ChunkFailures>> {
  const prefix = failuresPrefix(layout);
  const out = new Map<string, ChunkFailures>();
  for await (const o of store.list(prefix, { signal })) {
    const rest = o.key.slice(prefix.length);
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || !RECORD_NAME.test(rest.slice(slash + 1))) continue;
    const audioKey = rest.slice(0, slash);
    // Only a chunk of the layout counts: a planted key elsewhere quarantines nothing.
    if (layout.parse(audioKey).kind !== 'audio') continue;
    let f = out.get(audioKey);
    if (!f) out.set(audioKey, (f = { audioKey, count: 0, keys: [], lastModified: 0 }));
    f.count++;
    f.keys.push(o.key);
    f.lastModified = Math.max(f.lastModified, o.lastModified);
  }
  throwIfAborted(signal);
  return out;
}

/** The newest record's error and time, validated; undefined when it cannot be read or is not ours. */
export async function lastFailure(store: ObjectStore, f: ChunkFailures, signal?: AbortSignal): Promise<{ error?: string; at?: string }> {
  const newest = [...f.keys].sort().pop();
  if (!newest) return {};
  try {
    const v = JSON.parse((await readCapped(store, newest, 'failureRecord', signal)).toString('utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return {
      error: typeof v.error === 'string' ? v.error.slice(0, MAX_ERROR_CHARS) : undefined,
      at: typeof v.at === 'string' && !Number.isNaN(Date.parse(v.at)) ? isoTime(Date.parse(v.at)) : undefined,
    };
  } catch (e) {
    return isTooLarge(e) ? { error: e.message } : {};
  }
}

/** Deletes a chunk's failure records (release, or the chunk was transcribed). Returns how many. */
export async function clearChunkFailures(store: ObjectStore, layout: BucketLayout, audioKey: string, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for await (const o of store.list(chunkPrefix(layout, audioKey), { signal })) {
    await store.delete(o.key);
    n++;
  }
  return n;
}

/** Releases quarantined chunks: every one (`all`), one session's, or one chunk's. Returns the released audio keys. */
export async function releaseQuarantine(
  store: ObjectStore,
  layout: BucketLayout,
  which: { all: true } | { userId: string; sessionId: string; chunk?: number },
  signal?: AbortSignal,
): Promise<string[]> {
  const failures = await readChunkFailures(store, layout, signal);
  const released: string[] = [];
  for (const f of failures.values()) {
    const k = layout.parse(f.audioKey);
    if (k.kind !== 'audio') continue;
    if (!('all' in which) && (k.userId !== which.userId || k.sessionId !== which.sessionId || (which.chunk !== undefined && k.chunk !== which.chunk))) continue;
    for (const key of f.keys) await store.delete(key);
    released.push(f.audioKey);
  }
  if (!released.length && !('all' in which)) {
    throw new WbError(
      'Usage',
      `no failure records for ${JSON.stringify(which.userId)} / ${JSON.stringify(which.sessionId)}${which.chunk !== undefined ? ` chunk ${which.chunk}` : ''}`,
      '`whisper-batch scan` lists the quarantined chunks; `release --all` releases every one.',
    );
  }
  return released;
}

/**
 * A run's bookkeeping: each failure of a chunk's own bytes is recorded (create-only), each chunk that
 * succeeds after earlier failures has its records deleted. Writes go on in the background and are
 * awaited by `settle()` before the report; a write that fails is logged, never fails the run.
 */
export class FailureLedger {
  private readonly writes: Promise<void>[] = [];
  private readonly newly: QuarantinedChunk[] = [];

  constructor(private readonly d: { store: ObjectStore; layout: BucketLayout; runId: string; clock: Clock; limit: number; log: (message: string) => void }) {}

  /** Notes one outcome; for a chunk fault returns what to add to its error (the count, or that it is now quarantined). */
  note(o: ChunkOutcome): string | undefined {
    const { store, layout, limit } = this.d;
    if (limit <= 0) return undefined;
    const job = o.job;
    if (o.ok) {
      if (job.priorFailures)
        this.track(
          clearChunkFailures(store, layout, job.audioKey).then(() => undefined),
          `could not delete the failure records of "${job.audioKey}"`,
        );
      return undefined;
    }
    if (o.fault !== 'chunk') return undefined;
    const count = (job.priorFailures ?? 0) + 1;
    this.track(recordChunkFailure(store, layout, job.audioKey, { runId: this.d.runId, clock: this.d.clock, error: o.error ?? 'failed' }), `could not record the failure of "${job.audioKey}"`);
    if (count < limit) return ` (failed ${count} of ${limit} runs in a row before it is quarantined)`;
    this.newly.push({
      userId: job.userId,
      sessionId: job.sessionId,
      sessionPath: layout.sessionPrefix(job),
      chunk: pad(job.chunk),
      audioKey: job.audioKey,
      failures: count,
      lastError: (o.error ?? 'failed').slice(0, MAX_ERROR_CHARS),
      lastFailedAt: isoTime(this.d.clock.now()),
    });
    return ` (quarantined: it failed ${count} runs in a row; later runs leave it out until \`whisper-batch release\`)`;
  }

  /** Waits for the writes; the chunks this run quarantined. */
  async settle(): Promise<QuarantinedChunk[]> {
    await Promise.all(this.writes);
    return this.newly;
  }

  private track(p: Promise<void>, what: string): void {
    this.writes.push(p.catch((e) => this.d.log(`${what}: ${describeError(e)}`)));
  }
}
