/**
 * A speech engine turns pending chunks into transcripts: one shape for every engine, wherever it
 * runs. `transcribeAll` gets the run's jobs and reports each chunk once through `ctx.onOutcome`.
 * The per-chunk engines (pocketsphinx, a user's command, WhisperLive) implement it with the local
 * pipeline of chunkPipeline.ts; faster-whisper runs the shipped script, which reads and writes
 * through presigned URLs itself. The batch only orchestrates: it never reads audio or writes a
 * transcript.
 */
import type { Clock } from '../clock';
import type { ObjectStore } from '../store/objectStore';
import type { BatchEventInput } from '../events';
import type { BucketLayout } from '../layout';

export interface ChunkJob {
  userId: string;
  sessionId: string;
  chunk: number;
  audioKey: string;
  transcriptKey: string;
  size: number;
  /** Key of chunk 1 of the session (holds the WebM header a later WebM chunk needs), if it exists, whatever its format. */
  firstChunkKey?: string;
  /** Key of the next chunk (its leading fragment completes this chunk's last frame), if it exists. */
  nextChunkKey?: string;
  /** Earlier runs in a row in which this chunk's own bytes failed (quarantine.ts). */
  priorFailures?: number;
}

export interface ChunkInput {
  job: ChunkJob;
  /** The chunk's bytes, made decodable on its own (WebM header added, boundary frame completed). */
  audio: Buffer;
  /** File extension of `audio` for the decoder (e.g. 'webm'). */
  ext: string;
  signal: AbortSignal;
  /** Decode at most this much audio; a chunk that holds more fails (BatchContext.maxChunkSeconds). */
  maxSeconds?: number;
}

export interface ChunkOutcome {
  job: ChunkJob;
  ok: boolean;
  /** false when a transcript appeared meanwhile (another writer): nothing overwritten. */
  written?: boolean;
  error?: string;
  /**
   * 'chunk': the chunk's own bytes failed (not decodable, above the size cap): it will fail again, and
   * counts toward its quarantine. Absent: the engine or the transport failed; the chunk may well be fine.
   */
  fault?: 'chunk';
  audioSeconds?: number;
  seconds: number;
}

export interface BatchContext {
  store: ObjectStore;
  layout: BucketLayout;
  signal: AbortSignal;
  concurrency: number;
  emit(e: BatchEventInput): void;
  /** Called once per chunk as it finishes. */
  onOutcome(o: ChunkOutcome): void;
  /** Called when work on a chunk begins (per chunk, or once for a batch engine's whole call): the host's timeline. */
  onStarted?(job?: ChunkJob): void;
  runId: string;
  clock: Clock;
  /** A chunk larger than this fails alone, named, without being read (run.maxChunkMegabytes). */
  maxChunkBytes: number;
  /** A chunk that decodes to more audio than this fails alone, named; decoding stops there (run.maxChunkMinutes). */
  maxChunkSeconds: number;
}

export interface Engine {
  readonly name: string;
  /** Model or program, for reports. */
  readonly model?: string;
  /** Throws WbError('EngineMissing' | 'Engine') with what to install or start. */
  check(signal?: AbortSignal): Promise<void>;
  /** All chunks, each reported once through ctx.onOutcome; throws the abort reason when cancelled. */
  transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void>;
  dispose?(): Promise<void>;
}
