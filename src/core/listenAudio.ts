/**
 * What the Listen view plays: a session's (or one chunk's) audio as one 16 kHz mono WAV, decoded
 * chunk by chunk the way the engine heard it (standaloneChunk + ffmpeg, src/core/decode.ts), and
 * the transcript's words placed on that audio's clock (transcript times are within each chunk,
 * docs/TRANSCRIPT.md). Bounded: at most `maxSeconds` of audio; the rest is named as cut. No vscode import.
 */
import { decodeToWav, standaloneChunk, WAV_HEADER_BYTES, WAV_RATE } from './decode';
import { HeaderCache, NEXT_READ_BYTES } from './engine/headerCache';
import { describeError } from './errors';
import type { ListenChunk, ListenWord } from './listenProtocol';
import type { BucketLayout, SessionRef } from './layout';
import { loadSessionTranscript } from './sessionTranscript';
import type { ObjectStore } from './store/objectStore';

export interface ListenAudio {
  wav: Buffer;
  words: ListenWord[];
  chunks: ListenChunk[];
  /** Chunks left out past maxSeconds. */
  cut: number;
}

export interface ListenOptions {
  /** Only this chunk number. */
  chunk?: number;
  maxSeconds?: number;
  ffmpeg?: string;
  maxChunkBytes?: number;
  signal?: AbortSignal;
}

export async function loadListenAudio(store: ObjectStore, layout: BucketLayout, ref: SessionRef, opts: ListenOptions = {}): Promise<ListenAudio> {
  const signal = opts.signal ?? new AbortController().signal;
  const maxSeconds = opts.maxSeconds ?? 30 * 60;
  const maxBytes = opts.maxChunkBytes ?? 64 << 20;
  const t = await loadSessionTranscript(store, layout, ref, signal);
  const all = t.chunks;
  const wanted = opts.chunk === undefined ? all : all.filter((c) => c.chunk === opts.chunk);
  // WebM chunk N decodes only with chunk 1's header and the start of chunk N+1.
  const first = all.find((c) => c.audioKey)?.audioKey;
  // Only chunk 1's header is kept, and only the next chunk's leading fragment is read (as the engines do).
  const header = first && first.endsWith('.webm') ? (await new HeaderCache(store, maxBytes).get(first, signal).catch(() => undefined))?.bytes : undefined;
  const pcm: Buffer[] = [];
  const words: ListenWord[] = [];
  const chunks: ListenChunk[] = [];
  let clock = 0;
  let cut = 0;
  for (const c of wanted) {
    const name = layout.chunkName(c.chunk);
    if (clock >= maxSeconds) {
      cut++;
      continue;
    }
    if (!c.audioKey) {
      chunks.push({ name, start: null, duration: 0, state: 'no-audio' });
      continue;
    }
    const ext = c.audioKey.slice(c.audioKey.lastIndexOf('.') + 1).toLowerCase();
    let duration = 0;
    try {
      const audio = await store.get(c.audioKey, signal, { maxBytes });
      const nextKey = all[all.indexOf(c) + 1]?.audioKey;
      const next = ext === 'webm' && nextKey ? await store.get(nextKey, signal, { firstBytes: NEXT_READ_BYTES }).catch(() => undefined) : undefined;
      const input = ext === 'webm' ? standaloneChunk(audio, header, next) : audio;
      // One chunk may not decode to more than the whole view plays (a small file can decode to hours).
      const d = await decodeToWav(input, ext, signal, { label: c.audioKey, ffmpeg: opts.ffmpeg, maxSeconds });
      const data = (d.wav as Buffer).subarray(WAV_HEADER_BYTES);
      pcm.push(data);
      duration = data.length / (2 * WAV_RATE);
    } catch (e) {
      chunks.push({ name, start: null, duration: 0, state: 'undecodable', note: describeError(e).slice(0, 300) });
      continue;
    }
    const index = chunks.length;
    chunks.push({ name, start: clock, duration, state: c.state, note: c.error });
    for (const s of c.segments) {
      // Segments without word times still show, as one "word" spanning the segment.
      const ws = s.words.length ? s.words : [{ word: s.text, start: s.start, end: s.end }];
      for (const w of ws) {
        const text = w.word.trim();
        if (!text) continue;
        const start = clock + Math.min(w.start, duration);
        words.push({ text, start, end: Math.max(start, clock + Math.min(w.end, duration)), chunk: index });
      }
    }
    clock += duration;
  }
  return { wav: wavOf(Buffer.concat(pcm)), words, chunks, cut };
}

/** A 16 kHz mono s16 WAV around raw samples. */
export function wavOf(data: Buffer): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(WAV_RATE, 24);
  h.writeUInt32LE(WAV_RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
