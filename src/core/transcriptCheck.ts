/**
 * Transcript objects that exist but are not a transcript. The scan counts a chunk as done when its
 * transcript key exists (a listing, no read), so an empty object, a half-written file or someone
 * else's JSON would pass for done, silently. The scan reads the transcripts scan.verifyTranscripts
 * names and checks each against the transcript shape (sessionTranscript.parseTranscript, the same
 * check the transcript view uses); an empty object is named from the listing alone.
 *
 * Decision (docs/RELIABILITY.md): a bad transcript is never overwritten and its chunk is not redone
 * on its own: the realtime path or a person may own it, and every write of ours is create-only. It is
 * named (key, what is wrong, what to do) in the scan and the report; deleting it makes the chunk
 * pending, and the next run transcribes it.
 */
import { WbError, throwIfAborted } from './errors';
import { parseTranscript } from './sessionTranscript';
import { OBJECT_CAPS } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';

export interface TranscriptRef {
  key: string;
  userId: string;
  sessionId: string;
  chunk: number;
}

export interface InvalidTranscript {
  userId: string;
  sessionId: string;
  chunk: string;
  key: string;
  /** What is wrong ("not JSON: ...", "empty (0 bytes)", "no \"segments\" list"). */
  problem: string;
  /** What to do about it. */
  hint: string;
}

/** A transcript is read whole to be checked: bigger than this is not one of ours (the one cap of transcripts, store/cappedRead.ts). */
export const MAX_TRANSCRIPT_CHECK_BYTES = OBJECT_CAPS.transcript.bytes;
/** Reads at once. */
const CONCURRENCY = 8;
/** How much of a parser's message is kept (it may quote the object's bytes; shown escaped). */
const MAX_PROBLEM_CHARS = 200;

export const INVALID_TRANSCRIPT_HINT = 'It counts as transcribed and is never overwritten. Delete it to have the chunk transcribed again by the next run, or replace it with a valid transcript.';

/** The problem with a transcript's bytes, or undefined when it is a transcript. */
export function transcriptProblem(body: Buffer): string | undefined {
  if (body.length === 0) return 'empty (0 bytes)';
  try {
    JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    return `not JSON (${String((e as Error).message).slice(0, MAX_PROBLEM_CHARS)})`;
  }
  try {
    parseTranscript(body);
    return undefined;
  } catch (e) {
    return `not a transcript: ${String((e as Error).message).slice(0, MAX_PROBLEM_CHARS)}`;
  }
}

/** Reads `refs` (bounded, capped) and returns the invalid ones, plus the `empty` ones, in key order. A read that fails is skipped, never fatal. */
export async function findInvalidTranscripts(store: ObjectStore, refs: TranscriptRef[], empty: TranscriptRef[], signal?: AbortSignal): Promise<InvalidTranscript[]> {
  const c = new TranscriptChecker(store, signal);
  for (const r of empty) c.empty(r);
  for (const r of refs) c.add(r);
  return c.done();
}

/**
 * The same check fed while the scan still lists: reads start as soon as a session is finished, at
 * most CONCURRENCY at once, so that they overlap the listing's own waits instead of following it
 * (thousands of reads after a listing of a backlog doubled a scan's time at 30 ms per request).
 */
export class TranscriptChecker {
  private readonly queue: TranscriptRef[] = [];
  private head = 0;
  private readonly workers = new Set<Promise<void>>();
  private readonly out: InvalidTranscript[] = [];
  private failure: unknown;
  /** Reads made (tests, stats). */
  reads = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly signal?: AbortSignal,
  ) {}

  /** An empty transcript object: named from the listing alone, no read. */
  empty(r: TranscriptRef): void {
    this.out.push(invalid(r, 'empty (0 bytes)'));
  }

  add(r: TranscriptRef): void {
    this.queue.push(r);
    if (this.workers.size < CONCURRENCY && this.failure === undefined) {
      const w: Promise<void> = this.work().then(
        () => void this.workers.delete(w),
        (e) => {
          this.failure ??= e;
          this.workers.delete(w);
        },
      );
      this.workers.add(w);
    }
  }

  /** Waits for every read; the invalid transcripts in key order. */
  async done(): Promise<InvalidTranscript[]> {
    while (this.workers.size) await Promise.all(this.workers);
    if (this.failure !== undefined) throw this.failure;
    throwIfAborted(this.signal);
    return this.out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  }

  private async work(): Promise<void> {
    while (this.head < this.queue.length) {
      throwIfAborted(this.signal);
      const ref = this.queue[this.head++];
      // Drop what was read: the queue of a 1M-key scan must not keep every ref to the end.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      let body: Buffer;
      this.reads++;
      try {
        body = await this.store.get(ref.key, this.signal, { maxBytes: MAX_TRANSCRIPT_CHECK_BYTES });
      } catch (e) {
        throwIfAborted(this.signal);
        if (e instanceof WbError && e.code === 'TooLarge') this.out.push(invalid(ref, `larger than ${MAX_TRANSCRIPT_CHECK_BYTES / 1048576} MB: not a transcript of one chunk`));
        continue; // deleted since the listing, or unreadable now: the next scan looks again
      }
      const problem = transcriptProblem(body);
      if (problem) this.out.push(invalid(ref, problem));
    }
  }
}

function invalid(r: TranscriptRef, problem: string): InvalidTranscript {
  return { userId: r.userId, sessionId: r.sessionId, chunk: String(r.chunk).padStart(3, '0'), key: r.key, problem, hint: INVALID_TRANSCRIPT_HINT };
}
