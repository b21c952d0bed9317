/**
 * Audio bytes -> raw float32 PCM, mono, 16 kHz (what WhisperLive and most Whisper front-ends eat),
 * decoded by ffmpeg. The bytes go through a private temp file rather than stdin: containers such as
 * mp4/m4a keep their index at the end and cannot be demuxed from a pipe. The demuxer is pinned by
 * the extension (audioFormats.ts) and the input may open only that file: a chunk that is an HLS
 * playlist naming other files is not read as one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demuxerOf, knownExtensions, mismatch } from './audioFormats';
import { tooLong } from './decode';
import { CancelledError, WbError, throwIfAborted } from './errors';

export const PCM_RATE = 16_000;
export const PCM_BYTES_PER_SAMPLE = 4;

export interface Pcm {
  /** float32 little-endian samples, mono, PCM_RATE Hz. */
  data: Buffer;
  samples: number;
  seconds: number;
}

export interface DecodePcmOptions {
  /** ffmpeg program (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  signal?: AbortSignal;
  /** Decode at most this many seconds (ffmpeg stops just past it, so memory stays bounded); more fails. */
  maxSeconds?: number;
  /** Names the chunk in error messages (e.g. its key). */
  label?: string;
}

/** Decodes one standalone audio file (bytes + extension) to float32 mono 16 kHz PCM. */
export async function decodeToPcm(audio: Buffer, ext: string, opts: DecodePcmOptions = {}): Promise<Pcm> {
  throwIfAborted(opts.signal);
  const lowerExt = ext.toLowerCase().replace(/^\./, '');
  const demuxer = demuxerOf(lowerExt);
  if (!demuxer) throw new WbError('Decode', `".${lowerExt.slice(0, 16)}" is not an audio format whisper-batch reads`, `Known extensions: ${knownExtensions()}.`);
  const dir = await mkdtemp(join(tmpdir(), 'wb-pcm-'));
  try {
    const input = join(dir, `audio.${lowerExt}`);
    await writeFile(input, audio);
    const data = await runFfmpeg(opts.ffmpeg ?? 'ffmpeg', input, demuxer, opts.maxSeconds, opts.signal).catch((e) => {
      const found = e instanceof WbError && e.code === 'Decode' ? mismatch(audio, lowerExt) : undefined;
      throw found ? new WbError('Decode', `ffmpeg could not decode the audio: ${found}`, 'The bytes are not what the extension says; it is not read as anything else.', { cause: e }) : e;
    });
    const samples = Math.floor(data.length / PCM_BYTES_PER_SAMPLE);
    if (opts.maxSeconds !== undefined && samples > opts.maxSeconds * PCM_RATE) throw tooLong(opts.label ?? `${lowerExt} audio`, opts.maxSeconds);
    return { data: data.subarray(0, samples * PCM_BYTES_PER_SAMPLE), samples, seconds: samples / PCM_RATE };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runFfmpeg(program: string, input: string, demuxer: string, maxSeconds: number | undefined, signal?: AbortSignal): Promise<Buffer> {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-protocol_whitelist',
    'file',
    '-f',
    demuxer,
    '-i',
    input,
    '-vn',
    // Just past the bound: more than maxSeconds decoded means the chunk holds more.
    ...(maxSeconds !== undefined ? ['-t', String(maxSeconds + 1)] : []),
    '-f',
    'f32le',
    '-acodec',
    'pcm_f32le',
    '-ac',
    '1',
    '-ar',
    String(PCM_RATE),
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(signal?.reason instanceof CancelledError ? signal.reason : new CancelledError());
      else if (e.code === 'ENOENT')
        reject(new WbError('EngineMissing', `ffmpeg not found: "${program}"`, 'Install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg).', { cause: e }));
      else reject(new WbError('Decode', `ffmpeg could not start: ${e.message}`, undefined, { cause: e }));
    });
    child.on('close', (code) => {
      if (signal?.aborted) return; // already rejected by the 'error' handler
      if (code === 0) resolve(Buffer.concat(out));
      else
        reject(
          new WbError(
            'Decode',
            `ffmpeg could not decode the audio (exit ${code}): ${err.trim() || 'no message'}`,
            'The chunk may be damaged or not standalone (a WebM chunk needs the header of chunk 1).',
          ),
        );
    });
  });
}
