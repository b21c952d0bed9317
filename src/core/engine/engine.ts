/**
 * A speech engine turns pending chunks into transcripts. Local engines (command, whisperlive)
 * implement `transcribeChunk` and get bounded concurrency from the batch; the remote
 * faster-whisper engine implements `transcribeAll` and writes through presigned URLs itself.
 */
import type { ObjectStore } from '../store/objectStore';
import type { Transcript } from '../transcript';
import type { BatchEventInput } from '../events';
import type { BucketLayout } from '../layout';

export interface ChunkJob {
  userId: string;
  sessionId: string;
  chunk: number;
  audioKey: string;
  transcriptKey: string;
  size: number;
  /** Key of chunk 1 of the session (holds the WebM header), if it exists. */
  firstChunkKey?: string;
  /** Key of the next chunk (its leading fragment completes this chunk's last frame), if it exists. */
  nextChunkKey?: string;
}

export interface ChunkInput {
  job: ChunkJob;
  /** The chunk's bytes, made decodable on its own (WebM header added, boundary frame completed). */
  audio: Buffer;
  /** File extension of `audio` for the decoder (e.g. 'webm'). */
  ext: string;
  signal: AbortSignal;
}

export interface ChunkOutcome {
  job: ChunkJob;
  ok: boolean;
  /** false when a transcript appeared meanwhile (another writer): nothing overwritten. */
  written?: boolean;
  error?: string;
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
  runId: string;
}

export interface Engine {
  readonly name: string;
  /** Model or program, for reports. */
  readonly model?: string;
  /** Throws WbError('EngineMissing' | 'Engine') with what to install or start. */
  check(signal?: AbortSignal): Promise<void>;
  /** Local engines: one chunk in, one transcript out. */
  transcribeChunk?(input: ChunkInput): Promise<Transcript>;
  /** Batch engines: all chunks, reporting each through ctx.onOutcome. */
  transcribeAll?(jobs: ChunkJob[], ctx: BatchContext): Promise<void>;
  dispose?(): Promise<void>;
}
