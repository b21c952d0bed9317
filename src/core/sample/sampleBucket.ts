/**
 * The sample bucket behind `whisper-batch demo`: a folder laid out like the real bucket, with real
 * speech (flite's `rms` voice, which pocketsphinx recognises well) encoded to WebM/Opus the way
 * MediaRecorder does (60 ms frames, a Cluster per 5 s) and cut the way Chromium cuts it. It holds
 * every case the scanner must tell apart: sessions with nothing transcribed, half transcribed, done
 * (legacy transcript names + completion marker), one still being recorded (fresh files: deferred),
 * an m4a upload, and a session id full of characters that break naive code (quotes, <, $(...)).
 * Each sentence is synthesised once and reused; every key comes from BucketLayout.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isoTime, type Clock } from '../clock';
import { CancelledError, WbError, throwIfAborted } from '../errors';
import { BucketLayout, type SessionRef } from '../layout';
import { defaultSettings, type Settings } from '../settings';
import { FolderStore } from '../store/folderStore';
import { ensureDebianPackages } from '../toolcheck';
import type { Transcript } from '../transcript';
import { splitLikeMediaRecorder } from './webmSplit';

/** Short sentences (< 4 s in flite's rms voice), so that each fits one 5 s chunk. */
export const SAMPLE_SENTENCES = [
  'the quick brown fox jumps over the lazy dog',
  "the meeting will start at nine o'clock on monday morning",
  'we need to review the budget before the end of the week',
  'please send the report to the manager by friday',
  'turn left at the next light and park behind the building',
  'i think we should order more paper for the office',
  'the weather will be cold and windy tomorrow',
  'can you call me back after lunch today',
  'our new project starts in the first week of march',
  'thank you all for coming to the meeting today',
] as const;

export type SampleState = 'pending' | 'partial' | 'done-legacy' | 'recording';

export interface SampleSession extends SessionRef {
  /** What the scanner should make of it. */
  state: SampleState;
  ext: 'webm' | 'm4a';
  chunks: number;
  /** Chunk numbers that already have a transcript. */
  transcribed: number[];
  /** The spoken text of each chunk (index 0 = chunk 1; '' for silence). */
  text: string[];
}

export interface SampleBucketOptions {
  clock: Clock;
  log?: (message: string) => void;
  /** Layout of the keys (default: the settings' defaults). */
  layout?: Settings['layout'];
  /** Keep a sample bucket already made in `folder` (no new audio). */
  reuse?: boolean;
  /** Install flite/ffmpeg with apt-get when missing and running as root. */
  installMissing?: boolean;
  signal?: AbortSignal;
}

export interface SampleBucket {
  folder: string;
  sessions: SampleSession[];
  reused: boolean;
}

interface SessionSpec {
  user: string;
  /** null: id made from the recording time like the app does. */
  id: string | null;
  sentences: number[];
  ext: 'webm' | 'm4a';
  state: SampleState;
  /** How long ago the recording ended. */
  ageMinutes: number;
  /** Chunks with a current-layout transcript (state 'partial'). */
  transcribed?: number[];
}

const RATE = 16_000;
/** One sentence per slot; 83 Opus frames of 60 ms = one ffmpeg Cluster, so slot N is chunk N. */
const SLOT_SECONDS = 4.98;
const LEAD_SECONDS = 0.6;
export const SAMPLE_MARKER = '.whisper-batch-sample.json';
const MARKER = SAMPLE_MARKER;

/** Session ids are opaque user text (docs/BUCKET-LAYOUT.md); this one holds what breaks naive code. Windows forbids "<>:"|?* in names. */
function oddSessionId(): string {
  return process.platform === 'win32' ? "meeting notes & 'plans' $(echo hi) `id` 100%" : 'meeting "notes" <img src=x onerror=alert(1)> $(touch pwned) `id` & 100%';
}

function specs(): SessionSpec[] {
  const day = 24 * 60;
  return [
    { user: 'alice', id: null, sentences: [0, 1, 2, 3], ext: 'webm', state: 'pending', ageMinutes: 2 * day + 130 },
    { user: 'alice', id: null, sentences: [4, 5, 6], ext: 'webm', state: 'partial', ageMinutes: day + 50, transcribed: [1, 2] },
    { user: 'bob', id: null, sentences: [7, 8, 9], ext: 'webm', state: 'done-legacy', ageMinutes: 6 * day },
    { user: 'bob', id: oddSessionId(), sentences: [9, 0], ext: 'webm', state: 'pending', ageMinutes: 3 * 60 },
    { user: 'carol', id: null, sentences: [3], ext: 'm4a', state: 'pending', ageMinutes: 5 * 60 },
    { user: 'carol', id: null, sentences: [6, 7], ext: 'webm', state: 'recording', ageMinutes: 0 },
  ];
}

export async function createSampleBucket(folder: string, opts: SampleBucketOptions): Promise<SampleBucket> {
  const { clock, signal } = opts;
  const log = opts.log ?? (() => undefined);
  const layout = new BucketLayout(opts.layout ?? defaultSettings().layout);
  const root = path.resolve(folder);
  const markerPath = path.join(root, MARKER);
  if (opts.reuse && existsSync(markerPath)) {
    const saved = JSON.parse(await fs.readFile(markerPath, 'utf8')) as { sessions: SampleSession[] };
    log(`keeping the sample bucket already in ${root}`);
    return { folder: root, sessions: saved.sessions, reused: true };
  }
  await ensureDebianPackages({ flite: 'flite', ffmpeg: 'ffmpeg' }, { install: !!opts.installMissing, log, signal });
  await fs.mkdir(root, { recursive: true });
  const store = new FolderStore(root);
  const now = clock.now();

  const list = specs();
  const needed = [...new Set(list.flatMap((s) => s.sentences))];
  log(`speaking ${needed.length} sentences with flite`);
  const speech = new Map<number, Int16Array>();
  const tmp = await fs.mkdtemp(path.join(tmpdir(), 'wb-sample-'));
  try {
    // Two at a time: flite is single-threaded and this machine may have two cores.
    await inParallel(needed, 2, async (i) => speech.set(i, await speak(SAMPLE_SENTENCES[i], path.join(tmp, `s${i}.wav`), signal)));

    const sessions: SampleSession[] = [];
    for (const spec of list) {
      throwIfAborted(signal);
      const endMs = now - spec.ageMinutes * 60_000;
      const pcm = compose(spec.sentences.map((i) => speech.get(i)!));
      const startMs = endMs - (pcm.length / RATE) * 1000;
      const ref: SessionRef = { userId: spec.user, sessionId: spec.id ?? sessionIdAt(startMs) };
      let chunks: Buffer[];
      if (spec.ext === 'webm') {
        const webm = await ffmpeg(
          [
            '-f',
            's16le',
            '-ar',
            String(RATE),
            '-ac',
            '1',
            '-i',
            'pipe:0',
            '-ac',
            '1',
            '-ar',
            '48000',
            '-c:a',
            'libopus',
            '-b:a',
            '48k',
            '-frame_duration',
            '60',
            '-application',
            'audio',
            '-f',
            'webm',
            '-live',
            '1',
            '-write_crc32',
            '0',
            '-cluster_time_limit',
            '5000',
            '-cluster_size_limit',
            '10000000',
            'pipe:1',
          ],
          pcm,
          signal,
        );
        // Chromium cuts both ways within one recording (see test/fixtures/chromium-recording).
        chunks = splitLikeMediaRecorder(webm, { cut: (i) => (i % 2 === 0 ? 'block-id' : 'cluster-id') });
      } else {
        // A phone upload: one AAC file. mp4 needs a seekable output, hence the temp file.
        const out = path.join(tmp, 'upload.m4a');
        await ffmpeg(['-f', 's16le', '-ar', String(RATE), '-ac', '1', '-i', 'pipe:0', '-c:a', 'aac', '-b:a', '64k', '-y', out], pcm, signal);
        chunks = [await fs.readFile(out)];
      }
      const text = chunks.map((_, n) => (n < spec.sentences.length ? SAMPLE_SENTENCES[spec.sentences[n]] : ''));
      const transcribed = spec.state === 'done-legacy' ? chunks.map((_, n) => n + 1) : (spec.transcribed ?? []);
      for (let n = 1; n <= chunks.length; n++) {
        const key = layout.audioKey(ref, n, spec.ext);
        await store.put(key, chunks[n - 1]);
        // Chunks were uploaded every ~5 s while recording; the last one at endMs.
        await setMtime(root, key, endMs - (chunks.length - n) * SLOT_SECONDS * 1000);
      }
      for (const n of transcribed) {
        const key = spec.state === 'done-legacy' ? layout.legacyTranscriptKey(ref, n) : layout.transcriptKey(ref, n);
        await store.put(key, JSON.stringify(knownTranscript(text[n - 1], isoTime(endMs))));
        await setMtime(root, key, endMs + 60_000);
      }
      if (spec.state === 'done-legacy') {
        const key = layout.completeMarkerKey(ref);
        await store.put(key, JSON.stringify({ completed: isoTime(endMs + 60_000) }));
        await setMtime(root, key, endMs + 60_000);
      }
      sessions.push({ ...ref, state: spec.state, ext: spec.ext, chunks: chunks.length, transcribed, text });
      log(`${ref.userId} / "${ref.sessionId}": ${chunks.length} ${spec.ext} ${chunks.length === 1 ? 'chunk' : 'chunks'}, ${describe(spec.state, transcribed.length)}`);
    }
    await fs.writeFile(markerPath, JSON.stringify({ createdAt: isoTime(now), sessions }, null, 2) + '\n');
    return { folder: root, sessions, reused: false };
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function describe(state: SampleState, done: number): string {
  switch (state) {
    case 'pending':
      return 'nothing transcribed yet';
    case 'partial':
      return `${done} already transcribed`;
    case 'done-legacy':
      return 'all transcribed (legacy transcript names)';
    case 'recording':
      return 'still recording (fresh files: the scan defers it)';
  }
}

/** `session_2025-11-09T14_32_10_123Z`, as the recording app names sessions. */
function sessionIdAt(ms: number): string {
  return 'session_' + isoTime(ms).replace(/[:.]/g, '_');
}

async function setMtime(root: string, key: string, ms: number): Promise<void> {
  const t = new Date(ms);
  await fs.utimes(path.join(root, ...key.split('/')), t, t);
}

/** A transcript in the app's format (docs/TRANSCRIPT.md) for known text: words spread over the spoken time. */
function knownTranscript(text: string, createdAt: string): Transcript {
  const words = text.split(' ').filter(Boolean);
  const start = LEAD_SECONDS;
  const span = 2.6 + words.length * 0.05;
  const total = words.reduce((n, w) => n + w.length + 1, 0);
  let t = start;
  const timed = words.map((w) => {
    const d = (span * (w.length + 1)) / total;
    const word = { word: ' ' + w, start: round2(t), end: round2(t + d - 0.02), probability: 0.95 };
    t += d;
    return word;
  });
  const sentence = words.length ? ' ' + words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.' : '';
  return {
    segments: words.length ? [{ text: sentence, start: round2(start), end: round2(t), is_final: true, words: timed }] : [],
    language: 'en',
    language_probability: 0.99,
    duration: SLOT_SECONDS,
    batch: { engine: 'sample', createdAt },
  };
}

/** Sentences one per slot, each after a short silence, as one 16 kHz PCM track. */
function compose(sentences: Int16Array[]): Int16Array {
  const slot = Math.round(SLOT_SECONDS * RATE);
  // A few ms short of the last slot's end, so that ffmpeg does not open one more tiny Cluster.
  const out = new Int16Array(slot * sentences.length - Math.round(0.03 * RATE));
  sentences.forEach((s, i) => {
    const at = i * slot + Math.round(LEAD_SECONDS * RATE);
    out.set(s.subarray(0, Math.max(0, Math.min(s.length, out.length - at, slot - Math.round(LEAD_SECONDS * RATE) - 160))), at);
  });
  return out;
}

/** flite -> 16 kHz s16 PCM without the leading and trailing silence. */
async function speak(text: string, file: string, signal?: AbortSignal): Promise<Int16Array> {
  await new Promise<void>((resolve, reject) =>
    // Argument array: the sentence never passes through a shell.
    execFile('flite', ['-voice', 'rms', '-t', text, '-o', file], { signal }, (err) => (err ? reject(toolError('flite', err, signal)) : resolve())),
  );
  const wav = await fs.readFile(file);
  const pcm = wavSamples(wav);
  if (!pcm) throw new WbError('Internal', `flite wrote an unexpected WAV for "${text}"`);
  const rate = wav.readUInt32LE(24);
  const samples = rate === RATE ? pcm : await resample(wav, signal);
  return trimSilence(samples);
}

async function resample(wav: Buffer, signal?: AbortSignal): Promise<Int16Array> {
  const out = await ffmpeg(['-i', 'pipe:0', '-ar', String(RATE), '-ac', '1', '-f', 's16le', 'pipe:1'], wav, signal);
  return new Int16Array(out.buffer, out.byteOffset, out.length >> 1);
}

/** The samples of a mono s16 WAV (walks the RIFF chunks to `data`). */
function wavSamples(wav: Buffer): Int16Array | undefined {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let p = 12;
  while (p + 8 <= wav.length) {
    const id = wav.toString('ascii', p, p + 4);
    const size = wav.readUInt32LE(p + 4);
    if (id === 'data') {
      const data = Buffer.from(wav.subarray(p + 8, Math.min(wav.length, p + 8 + size)));
      return new Int16Array(data.buffer, data.byteOffset, data.length >> 1);
    }
    p += 8 + size + (size & 1);
  }
  return undefined;
}

function trimSilence(s: Int16Array): Int16Array {
  const threshold = 164; // 0.5 % of full scale
  let a = 0;
  let b = s.length;
  while (a < b && Math.abs(s[a]) < threshold) a++;
  while (b > a && Math.abs(s[b - 1]) < threshold) b--;
  return s.subarray(a, b);
}

/** Runs ffmpeg with `input` on stdin and returns its stdout. */
function ffmpeg(args: string[], input: Int16Array | Buffer, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-v', 'error', ...args], { stdio: ['pipe', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e) => reject(toolError('ffmpeg', e, signal)));
    child.on('close', (code) => {
      if (signal?.aborted) return;
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new WbError('Internal', `ffmpeg failed making the sample bucket: ${err.trim().split('\n').pop() ?? code}`));
    });
    child.stdin.on('error', () => undefined); // an early ffmpeg exit is reported by 'close'
    child.stdin.end(Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  });
}

function toolError(program: string, e: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return signal.reason instanceof CancelledError ? signal.reason : new CancelledError();
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new WbError('EngineMissing', `${program} not found`, `Install with: apt-get install ${program}`);
  return new WbError('Internal', `${program} failed: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
