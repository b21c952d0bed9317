/**
 * Audio chunk -> 16 kHz mono s16 WAV, the input of local speech engines.
 *
 * MediaRecorder chunks (docs/BUCKET-LAYOUT.md) do not decode alone: only chunk 1 has the WebM header, and a
 * blob ends with the first byte(s) of an element whose rest starts the next blob (a SimpleBlock's
 * id 0xA3, or the Cluster id's 0x1F). `standaloneChunk` mends a chunk from chunk 1 and the next
 * chunk; `decodeToWav` runs ffmpeg on the result.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demuxerOf, knownExtensions, mismatch } from './audioFormats';
import { CancelledError, WbError, throwIfAborted } from './errors';
import { boundaryBlocks, clusterTimecode, completeEnd, findClusterStart, headerEnd, timecodeScaleNs } from './webm';

/**
 * Makes WebM chunk N decodable on its own: chunk 1's header (EBML..Tracks) + chunk N from its first
 * Cluster, without the element its last bytes only began, plus, when `next` is given, that element
 * completed from the next chunk (the 60 ms frame that straddles the boundary). Chunk 1 keeps its
 * header and gets the same treatment at its end. Anything that is not such a chunk (other formats,
 * garbage, a missing or foreign header) comes back unchanged, so that ffmpeg reports the problem.
 */
export function standaloneChunk(chunk: Buffer, header?: Buffer, next?: Buffer): Buffer {
  let base: Buffer;
  let tail: Buffer;
  if (headerEnd(chunk) >= 0) {
    const end = completeEnd(chunk, 0);
    base = chunk.subarray(0, end);
    tail = chunk.subarray(end);
  } else {
    const hEnd = header ? headerEnd(header) : -1;
    const cs = hEnd > 0 ? findClusterStart(chunk) : undefined;
    if (!header || !cs) return chunk;
    const clusters = cs.missingHead.length ? Buffer.concat([cs.missingHead, chunk.subarray(cs.pos)]) : chunk.subarray(cs.pos);
    const end = completeEnd(clusters, 0);
    base = Buffer.concat([header.subarray(0, hEnd), clusters.subarray(0, end)]);
    tail = clusters.subarray(end);
  }
  const extra = next && next.length ? boundaryBlocks(tail, next) : Buffer.alloc(0);
  if (extra.length === 0 && tail.length === 0 && base.length === chunk.length) return chunk;
  return extra.length ? Buffer.concat([base, extra]) : base;
}

/** Start of a standalone WebM chunk in the recording, in seconds (its first Cluster's timecode). */
export function webmStartSeconds(standalone: Buffer): number | undefined {
  const end = headerEnd(standalone);
  if (end < 0 || end >= standalone.length) return undefined;
  const tc = clusterTimecode(standalone, end);
  return tc === undefined ? undefined : (tc * timecodeScaleNs(standalone)) / 1e9;
}

export const WAV_RATE = 16_000;
export const WAV_HEADER_BYTES = 44;

export interface DecodeOptions {
  /** Names the chunk in error messages (e.g. its key). */
  label?: string;
  /** Write the WAV here instead of returning it. */
  outFile?: string;
  /** ffmpeg program (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  /** Decode at most this many seconds: ffmpeg stops just past it and the chunk fails (a small file can decode to hours). */
  maxSeconds?: number;
}

export interface DecodedWav {
  /** The WAV bytes, or the path given as `outFile`. Always a plain 44-byte header (see below). */
  wav: Buffer | string;
  durationSeconds: number;
  /** Where the chunk starts in its recording (ffmpeg's start time, or the WebM Cluster timecode); 0 if unknown. */
  startTimeSeconds: number;
}

/** Containers ffmpeg can read from a pipe; the mp4 family keeps its index at the end and needs a file. */
const PIPEABLE = new Set(['webm', 'mkv', 'ogg', 'oga', 'opus', 'wav', 'mp3', 'aac', 'flac']);

/**
 * Decodes a chunk of one of the formats of audioFormats.ts to 16 kHz mono s16 WAV. The demuxer is
 * pinned by the extension and the input may open only its own pipe or file (`-protocol_whitelist`):
 * a chunk that is really an HLS playlist or a concat script is not read as one, so it cannot make
 * ffmpeg read other files or the network. The header is exactly 44 bytes (no
 * LIST/INFO chunk: `-map_metadata -1` and bitexact flags), because pocketsphinx 0.8 skips 44 bytes
 * blindly and would decode any extra header bytes as audio. Throws WbError('Decode') naming the
 * chunk, with ffmpeg's own last words; kills ffmpeg and throws CancelledError on abort.
 */
export async function decodeToWav(audio: Buffer, ext: string, signal: AbortSignal, opts: DecodeOptions = {}): Promise<DecodedWav> {
  const label = opts.label ?? `${ext} audio`;
  throwIfAborted(signal);
  if (audio.length === 0) throw new WbError('Decode', `Cannot decode "${label}": the file is empty (0 bytes)`, 'The upload may have failed: re-upload the chunk or delete it.');
  const lowerExt = ext.toLowerCase().replace(/^\./, '');
  const demuxer = demuxerOf(lowerExt);
  if (!demuxer) throw new WbError('Decode', `Cannot decode "${label}": ".${lowerExt.slice(0, 16)}" is not an audio format whisper-batch reads`, `Known extensions: ${knownExtensions()}.`);
  const viaPipe = PIPEABLE.has(lowerExt);
  let tmp: string | undefined;
  try {
    let input = 'pipe:0';
    if (!viaPipe) {
      tmp = await mkdtemp(join(tmpdir(), 'wb-decode-'));
      input = join(tmp, `input.${lowerExt}`);
      await writeFile(input, audio);
    }
    const output = opts.outFile ?? 'pipe:1';
    const args = [
      '-hide_banner',
      '-nostats',
      '-nostdin',
      '-v',
      'info',
      '-protocol_whitelist',
      viaPipe ? 'pipe' : 'file',
      '-f',
      demuxer,
      '-i',
      input,
      '-vn',
      '-map_metadata',
      '-1',
      '-fflags',
      '+bitexact',
      '-flags:a',
      '+bitexact',
      '-ar',
      String(WAV_RATE),
      '-ac',
      '1',
      '-c:a',
      'pcm_s16le',
      // Just past the bound: more than maxSeconds decoded means the chunk holds more.
      ...(opts.maxSeconds !== undefined ? ['-t', String(opts.maxSeconds + 1)] : []),
      '-f',
      'wav',
      '-y',
      output,
    ];
    // -nostdin keeps ffmpeg from reading keys on stdin; with pipe:0 the data still comes from stdin.
    if (viaPipe) args.splice(args.indexOf('-nostdin'), 1);
    const r = await runFfmpeg(opts.ffmpeg ?? 'ffmpeg', args, viaPipe ? audio : undefined, signal, label).catch((e) => {
      // ffmpeg's "Invalid data found" says little when the bytes are plainly something else: say what.
      const found = e instanceof WbError && e.code === 'Decode' ? mismatch(audio, lowerExt) : undefined;
      throw found
        ? new WbError('Decode', `Cannot decode "${label}": ${found}`, 'The bytes are not what the extension says; it is not read as anything else: re-upload it or delete it.', { cause: e })
        : e;
    });
    const startFromFfmpeg = /\bstart: (-?\d+(?:\.\d+)?)/.exec(r.stderr);
    const startTimeSeconds = startFromFfmpeg ? Math.max(0, parseFloat(startFromFfmpeg[1])) : lowerExt === 'webm' ? (webmStartSeconds(audio) ?? 0) : 0;
    let wav: Buffer | string;
    let dataBytes: number;
    if (opts.outFile) {
      wav = opts.outFile;
      dataBytes = (await stat(opts.outFile)).size - WAV_HEADER_BYTES;
    } else {
      wav = fixWavHeader(r.stdout, label);
      dataBytes = wav.length - WAV_HEADER_BYTES;
    }
    if (dataBytes <= 0)
      throw new WbError('Decode', `Cannot decode "${label}": ffmpeg found no audio in it${r.lastLine ? ` (${r.lastLine})` : ''}`, 'The file holds no sound samples: it may be damaged or cut short.');
    const durationSeconds = dataBytes / (2 * WAV_RATE);
    if (opts.maxSeconds !== undefined && durationSeconds > opts.maxSeconds) throw tooLong(label, opts.maxSeconds);
    return { wav, durationSeconds, startTimeSeconds: round3(startTimeSeconds) };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** A chunk that decodes to more than the bound (run.maxChunkMinutes): its own fault, it recurs. */
export function tooLong(label: string, maxSeconds: number): WbError {
  const limit = maxSeconds % 60 === 0 ? `${maxSeconds / 60} min` : `${maxSeconds} s`;
  return new WbError('TooLarge', `"${label}" decodes to more than ${limit} of audio (run.maxChunkMinutes)`, 'Decoding stopped there and it is left alone; raise run.maxChunkMinutes to transcribe it.');
}

/** ffmpeg cannot seek back on a pipe to fill in the RIFF and data sizes: do it here. */
function fixWavHeader(wav: Buffer, label: string): Buffer {
  if (wav.length < WAV_HEADER_BYTES || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 36, 40) !== 'data') {
    throw new WbError('Internal', `ffmpeg wrote an unexpected WAV header for "${label}"`, 'Expected a plain 44-byte header; check the ffmpeg version.');
  }
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.writeUInt32LE(wav.length - WAV_HEADER_BYTES, 40);
  return wav;
}

interface FfmpegResult {
  stdout: Buffer;
  stderr: string;
  lastLine: string;
}

function runFfmpeg(program: string, args: string[], stdin: Buffer | undefined, signal: AbortSignal, label: string): Promise<FfmpegResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      settle(() => reject(signal.reason instanceof CancelledError ? signal.reason : new CancelledError(`decoding "${label}" cancelled`)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    // Keep only the end of stderr: what matters for errors is the last lines.
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString('utf8')).slice(-16_000)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      settle(() =>
        reject(
          e.code === 'ENOENT'
            ? new WbError('EngineMissing', `ffmpeg not found: "${program}"`, 'Install it: apt-get install ffmpeg (macOS: brew install ffmpeg).', { cause: e })
            : new WbError('Decode', `ffmpeg could not start for "${label}": ${e.message}`, undefined, { cause: e }),
        ),
      ),
    );
    child.on('close', (code) => {
      const lastLine = lastMeaningfulLine(err, label);
      settle(() => {
        if (code === 0) resolve({ stdout: Buffer.concat(out), stderr: err, lastLine });
        else
          reject(new WbError('Decode', `Cannot decode "${label}": ${lastLine || `ffmpeg exited with ${code}`}`, 'The chunk may be damaged, empty or not audio, or (WebM) lack the header of chunk 1.'));
      });
    });
    if (stdin) {
      // ffmpeg may stop reading early (bad data): the resulting EPIPE is not the error to report.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(stdin);
    }
  });
}

/** ffmpeg's last useful stderr lines, without object addresses, the input's name or the stream details. */
function lastMeaningfulLine(stderr: string, label: string): string {
  const lines = stderr
    .split(/\r?\n/)
    // Indented lines are stream and metadata details; the headers are not messages either.
    .filter((l) => l.trim() && !/^\s/.test(l) && !/^(Input #|Output #|Stream mapping|Press \[q\])/.test(l))
    .map((l) =>
      l
        .replace(/ @ 0x[0-9a-f]+\]/g, ']')
        .replace(/^(pipe:[01]|\S*wb-decode-\S*): /, '')
        .replace(/\bpipe:[01]\b|\S*wb-decode-[^\s:]*/g, label)
        .trim(),
    );
  return [...new Set(lines.slice(-2))].join('; ');
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
