/**
 * The local pipeline of the engines that take one chunk at a time (pocketsphinx, a user's command,
 * WhisperLive): read the chunk from the store (capped), make it decodable on its own (chunk 1's WebM
 * header, the next chunk's leading fragment), hand it to the engine, and write the transcript
 * create-only, with bounded concurrency. Batch engines (faster-whisper's script) do all of this on
 * their side and implement `Engine.transcribeAll` themselves.
 */
import { isoTime } from '../clock';
import { standaloneChunk } from '../decode';
import { CancelledError, WbError, describeError, tooLarge } from '../errors';
import type { Transcript } from '../transcript';
import type { BatchContext, ChunkInput, ChunkJob, Engine } from './engine';
import { mismatch } from '../audioFormats';
import { EBML_ID, findClusterStart } from '../webm';
import { HeaderCache, NEXT_READ_BYTES, type ChunkHeader } from './headerCache';

/** What a per-chunk engine does: one chunk's decodable bytes in, one transcript out. */
export interface ChunkTranscriber {
  readonly name: string;
  readonly model?: string;
  transcribeChunk(input: ChunkInput): Promise<Transcript>;
}

/** Runs `jobs` through `engine` one chunk at a time, `ctx.concurrency` at once; each outcome goes to ctx.onOutcome. */
export async function transcribeChunkByChunk(engine: ChunkTranscriber, jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
  const { store, clock, signal: sig } = ctx;
  const total = jobs.length;
  // Every read is capped: a chunk from the bucket may be of any size (a sparse 2 GiB file is cheap to plant).
  const maxBytes = ctx.maxChunkBytes;
  const headers = new HeaderCache(store, maxBytes);
  let index = 0;

  const worker = async () => {
    for (;;) {
      if (sig.aborted) return;
      const i = index++;
      if (i >= total) return;
      const job = jobs[i];
      ctx.emit({ type: 'chunk.started', key: job.audioKey, sessionId: job.sessionId, index: i + 1, total });
      ctx.onStarted?.(job);
      const t0 = clock.now();
      try {
        if (job.size > maxBytes) throw tooLarge(`chunk "${job.audioKey}"`, job.size, maxBytes);
        const ext = job.audioKey.slice(job.audioKey.lastIndexOf('.') + 1).toLowerCase();
        const [audio, hdr, next] = await Promise.all([
          store.get(job.audioKey, sig, { maxBytes }),
          ext === 'webm' && job.firstChunkKey && job.firstChunkKey !== job.audioKey ? headers.get(job.firstChunkKey, sig) : undefined,
          // Only its leading fragment is used: the next chunk is never read whole for it.
          job.nextChunkKey ? store.get(job.nextChunkKey, sig, { firstBytes: NEXT_READ_BYTES }).catch(() => undefined) : undefined,
        ]);
        if (audio.length === 0) throw new WbError('Decode', `empty audio file (0 bytes): "${job.audioKey}"`, 'The upload may have failed; re-upload the chunk or delete it.');
        if (ext === 'webm') headerProblem(job, audio, hdr);
        const input = ext === 'webm' ? standaloneChunk(audio, hdr?.bytes, next) : audio;
        const transcript = await engine.transcribeChunk({ job, audio: input, ext, signal: sig, maxSeconds: ctx.maxChunkSeconds });
        // Ours, whatever the engine put there; but the chunk's start in the recording is the engine's to know.
        const offset = transcript.batch?.offsetSeconds;
        transcript.batch = { engine: engine.name, model: engine.model, createdAt: isoTime(clock.now()), ...(offset !== undefined ? { offsetSeconds: offset } : {}), runId: ctx.runId };
        // Create-only: a transcript that appeared meanwhile (the realtime path, another writer) is kept.
        const put = await store.put(job.transcriptKey, JSON.stringify(transcript), { ifAbsent: true, contentType: 'application/json' });
        ctx.onOutcome({ job, ok: true, written: put.written, audioSeconds: transcript.duration, seconds: (clock.now() - t0) / 1000 });
      } catch (e) {
        if (sig.aborted) return; // cancelled mid-chunk: not a failure of the chunk; it stays pending
        const own = e instanceof WbError && (e.code === 'Decode' || e.code === 'TooLarge');
        ctx.onOutcome({ job, ok: false, error: describeError(e), seconds: (clock.now() - t0) / 1000, ...(own ? { fault: 'chunk' as const } : {}) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.concurrency, total)) }, worker));
  if (sig.aborted) throw sig.reason ?? new CancelledError();
}

/**
 * A WebM chunk without its own header decodes only with chunk 1's: when chunk 1 is missing or is
 * not WebM, say so (what chunk 1 is, what was expected), rather than ffmpeg's "Invalid data".
 */
function headerProblem(job: ChunkJob, audio: Buffer, hdr: ChunkHeader | undefined): void {
  if (audio.length >= 4 && audio.readUInt32BE(0) === EBML_ID) return; // it has its own header
  const own = mismatch(audio, 'webm');
  if (own && !findClusterStart(audio)) throw new WbError('Decode', `Cannot decode "${job.audioKey}": ${own}`, 'It is not read as anything else: re-upload it or delete it.');
  const what = `"${job.audioKey}" is a WebM chunk without its header (a later chunk of a recording)`;
  if (!job.firstChunkKey)
    throw new WbError('Decode', `${what}, and its session has no chunk 1 to take the header from`, 'Upload chunk 1 of the recording (it holds the header), or delete this chunk.');
  if (hdr && hdr.bytes.length === 0)
    throw new WbError(
      'Decode',
      `${what}, and chunk 1 "${job.firstChunkKey}" is not WebM: found ${hdr.found ?? 'no WebM header'} where a WebM file (beginning with the EBML header) was expected`,
      "A session's chunks are one recording in one format: chunk 1 must be its first WebM chunk.",
    );
}

/** An Engine from a per-chunk transcriber and its check (stand-ins, and engines with no state of their own). */
export function perChunkEngine(t: ChunkTranscriber & Pick<Engine, 'check'>): Engine {
  return { name: t.name, model: t.model, check: (signal) => t.check(signal), transcribeAll: (jobs, ctx) => transcribeChunkByChunk(t, jobs, ctx) };
}
