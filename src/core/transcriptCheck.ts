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
  const out: InvalidTranscript[] = empty.map((r) => invalid(r, 'empty (0 bytes)'));
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      throwIfAborted(signal);
      const ref = refs[next++];
      let body: Buffer;
      try {
        body = await store.get(ref.key, signal, { maxBytes: MAX_TRANSCRIPT_CHECK_BYTES });
      } catch (e) {
        throwIfAborted(signal);
        if (e instanceof WbError && e.code === 'TooLarge') out.push(invalid(ref, `larger than ${MAX_TRANSCRIPT_CHECK_BYTES / 1048576} MB: not a transcript of one chunk`));
        continue; // deleted since the listing, or unreadable now: the next scan looks again
      }
      const problem = transcriptProblem(body);
      if (problem) out.push(invalid(ref, problem));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, refs.length) }, worker));
  throwIfAborted(signal);
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

function invalid(r: TranscriptRef, problem: string): InvalidTranscript {
  return { userId: r.userId, sessionId: r.sessionId, chunk: String(r.chunk).padStart(3, '0'), key: r.key, problem, hint: INVALID_TRANSCRIPT_HINT };
}
