/**
 * Engine `command`: a speech program on this machine, one process per chunk.
 *
 * `pocketsphinx` (the default) is Debian's pocketsphinx_continuous 0.8 with the pocketsphinx-en-us
 * model: the only English recogniser any Debian or npm package ships with its model. It has no JSON
 * output: `-time yes` prints, per utterance, the hypothesis line and then `word start end posterior`
 * lines, which `parsePocketsphinx` turns into the app's transcript format (docs/TRANSCRIPT.md).
 *
 * Any other engine.command value is taken as a program run as `<program> <chunk.wav>` (16 kHz mono
 * s16) that prints a transcript in that same JSON format on stdout (e.g. a whisper.cpp wrapper).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, isoTime, type Clock } from '../clock';
import { decodeToWav } from '../decode';
import { CancelledError, WbError, throwIfAborted } from '../errors';
import { ensureDebianPackages, locateProgram, type PackageMap } from '../toolcheck';
import type { Transcript, TranscriptSegment, TranscriptWord } from '../transcript';
import type { BatchContext, ChunkInput, ChunkJob, Engine } from './engine';
import { transcribeChunkByChunk } from './chunkPipeline';

export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface CommandEngineOptions {
  /** engine.command: 'pocketsphinx', or a program path (see above). */
  command: string;
  /** Spoken language written into transcripts (pocketsphinx-en-us only knows English). */
  language?: string;
  /** pocketsphinx model folder (holds en-us/, en-us.lm.bin, cmudict-en-us.dict). */
  modelDir?: string;
  /** ffmpeg program for decoding. */
  ffmpeg?: string;
  /** check() installs missing Debian packages when running as root. */
  installMissing?: boolean;
  /** One chunk may take at most this long (a hung program must not hold the batch). */
  timeoutMs?: number;
}

export interface CommandEngineDeps {
  clock?: Clock;
  log?: (message: string) => void;
}

export class CommandEngine implements Engine {
  readonly name: string;
  readonly model?: string;
  private readonly pocketsphinx: boolean;
  private readonly modelDir: string;

  constructor(
    private readonly opts: CommandEngineOptions,
    private readonly deps: CommandEngineDeps = {},
  ) {
    this.pocketsphinx = opts.command === 'pocketsphinx' || opts.command === '';
    this.modelDir = opts.modelDir ?? POCKETSPHINX_MODEL_DIR;
    this.name = this.pocketsphinx ? 'pocketsphinx' : 'command';
    this.model = this.pocketsphinx ? 'en-us' : opts.command;
  }

  /** What must exist on this machine, and the Debian package that provides it. */
  requirements(): PackageMap {
    const req: PackageMap = { [this.opts.ffmpeg ?? 'ffmpeg']: 'ffmpeg' };
    if (this.pocketsphinx) {
      req['pocketsphinx_continuous'] = 'pocketsphinx';
      req[join(this.modelDir, 'en-us.lm.bin')] = 'pocketsphinx-en-us';
      req[join(this.modelDir, 'cmudict-en-us.dict')] = 'pocketsphinx-en-us';
      req[join(this.modelDir, 'en-us', 'mdef')] = 'pocketsphinx-en-us';
    }
    return req;
  }

  async check(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await ensureDebianPackages(this.requirements(), { install: !!this.opts.installMissing, log: this.deps.log, signal });
    // A user's own program is no Debian package: it only has to be there.
    if (!this.pocketsphinx && !(await locateProgram(this.opts.command))) {
      throw new WbError(
        'EngineMissing',
        `engine.command program not found: "${this.opts.command}"`,
        'Set engine.command to "pocketsphinx", or to a program that takes a WAV path and prints a transcript JSON.',
      );
    }
  }

  /** Chunk by chunk through the local pipeline (read, WebM repair, create-only write). */
  transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    return transcribeChunkByChunk(this, jobs, ctx);
  }

  async transcribeChunk(input: ChunkInput): Promise<Transcript> {
    const { job, signal } = input;
    throwIfAborted(signal);
    const label = job.audioKey;
    const dir = await mkdtemp(join(tmpdir(), 'wb-asr-'));
    try {
      const wavPath = join(dir, 'chunk.wav');
      const wav = await decodeToWav(input.audio, input.ext, signal, { label, outFile: wavPath, ffmpeg: this.opts.ffmpeg, maxSeconds: input.maxSeconds });
      let segments: TranscriptSegment[];
      let language = this.opts.language ?? 'en';
      let languageProbability = 1;
      if (this.pocketsphinx) {
        const logFile = join(dir, 'pocketsphinx.log');
        const m = this.modelDir;
        const args = ['-infile', wavPath, '-hmm', join(m, 'en-us'), '-lm', join(m, 'en-us.lm.bin'), '-dict', join(m, 'cmudict-en-us.dict'), '-time', 'yes', '-logfn', logFile];
        const r = await runProgram('pocketsphinx_continuous', args, signal, this.opts.timeoutMs ?? 600_000, this.deps.clock ?? systemClock);
        if (r.code !== 0) {
          const log = await readFile(logFile, 'utf8').catch(() => '');
          const why =
            log
              .split('\n')
              .filter((l) => /ERROR|FATAL/.test(l))
              .pop() ??
            r.stderr.trim().split('\n').pop() ??
            '';
          throw new WbError(
            'Engine',
            `pocketsphinx failed on "${label}" (exit ${r.code})${why ? `: ${why.trim()}` : ''}`,
            'Check the pocketsphinx-en-us model files (apt-get install --reinstall pocketsphinx-en-us).',
          );
        }
        segments = parsePocketsphinx(r.stdout);
      } else {
        const r = await runProgram(this.opts.command, [wavPath], signal, this.opts.timeoutMs ?? 600_000, this.deps.clock ?? systemClock);
        if (r.code !== 0) throw new WbError('Engine', `"${this.opts.command}" failed on "${label}" (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`);
        const t = parseTranscriptJson(r.stdout, this.opts.command);
        segments = t.segments;
        language = t.language ?? language;
        languageProbability = t.language_probability ?? languageProbability;
      }
      return {
        segments,
        language,
        language_probability: languageProbability,
        duration: wav.durationSeconds,
        batch: { engine: this.name, model: this.model, createdAt: isoTime((this.deps.clock ?? systemClock).now()), offsetSeconds: wav.startTimeSeconds },
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Filler and marker tokens pocketsphinx puts among the words: <s>, </s>, <sil>, [NOISE], ++BREATH++. */
const FILLER = /^(<[^>]*>|\[[^\]]*\]|\+\+.*\+\+)$/;
const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

/**
 * Parses `pocketsphinx_continuous -time yes` output into one segment per utterance, times in seconds
 * from the start of the WAV. Alternate pronunciations (`the(2)`) become the word; fillers are dropped;
 * posteriors slightly above 1 (seen: 1.000100) are clamped.
 */
export function parsePocketsphinx(stdout: string): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  let words: TranscriptWord[] | undefined;
  const flush = () => {
    if (words && words.length) {
      segments.push({
        text: words.map((w) => w.word).join(''),
        start: words[0].start,
        end: words[words.length - 1].end,
        is_final: true,
        words,
      });
    }
    words = undefined;
  };
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim();
    const m = WORD_LINE.exec(line);
    if (!m) {
      // A hypothesis line opens the next utterance (its text is rebuilt from the timed words).
      if (line) {
        flush();
        words = [];
      }
      continue;
    }
    if (FILLER.test(m[1])) continue;
    words ??= [];
    words.push({
      word: ' ' + m[1].replace(/\(\d+\)$/, ''),
      start: round2(parseFloat(m[2])),
      end: round2(parseFloat(m[3])),
      probability: Math.round(Math.min(1, Math.max(0, parseFloat(m[4]))) * 1000) / 1000,
    });
  }
  flush();
  return segments;
}

/** A user program's output: must be a transcript JSON (at least `segments` with text/start/end). */
export function parseTranscriptJson(stdout: string, program: string): { segments: TranscriptSegment[]; language?: string; language_probability?: number } {
  let t: any;
  try {
    t = JSON.parse(stdout);
  } catch {
    throw new WbError('Engine', `"${program}" did not print JSON`, 'The program must print a transcript like {"segments":[{"text","start","end","words":[...]}],"language":"en"}.');
  }
  if (!t || !Array.isArray(t.segments)) throw new WbError('Engine', `"${program}" printed JSON without a "segments" list`);
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' ? parseFloat(v) || 0 : 0);
  const segments: TranscriptSegment[] = t.segments.map((s: any) => ({
    text: String(s?.text ?? ''),
    start: num(s?.start),
    end: num(s?.end),
    is_final: true,
    words: Array.isArray(s?.words) ? s.words.map((w: any) => ({ word: String(w?.word ?? ''), start: num(w?.start), end: num(w?.end), probability: num(w?.probability ?? 1) })) : [],
  }));
  return { segments, language: typeof t.language === 'string' ? t.language : undefined, language_probability: typeof t.language_probability === 'number' ? t.language_probability : undefined };
}

interface ProgramResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (never a shell), killed on abort or after `timeoutMs`. */
function runProgram(program: string, args: string[], signal: AbortSignal, timeoutMs: number, clock: Clock): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(() => reject(signal.reason instanceof CancelledError ? signal.reason : new CancelledError(`${program} cancelled`)));
    };
    const timer = clock.setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new WbError('Engine', `${program} took longer than ${Math.round(timeoutMs / 1000)} s on one chunk and was stopped`)));
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8000)));
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          e.code === 'ENOENT'
            ? new WbError('EngineMissing', `${program} not found`, program === 'pocketsphinx_continuous' ? 'Install with: apt-get install pocketsphinx pocketsphinx-en-us' : 'Check engine.command.', {
                cause: e,
              })
            : new WbError('Engine', `${program} could not start: ${e.message}`, undefined, { cause: e }),
        ),
      ),
    );
    child.on('close', (code) => finish(() => resolve({ code, stdout, stderr })));
  });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
