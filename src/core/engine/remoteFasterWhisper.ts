/**
 * Engine `faster-whisper`: runs the ONE shipped transcribe_batch.py through a RemoteRunner: on the
 * GPU instance (SSM or SSH, in WhisperLive's venv) or on this machine (LocalRunner, in the engine
 * venv). The script gets no store rights: we sign GET URLs for the audio and create-only PUT URLs
 * for the transcripts (S3 presigned URLs, or for a local folder the loopback stand-in of
 * loopbackUrls.ts), and the job travels as ONE base64 argument (zlib JSON), never as shell text.
 *
 * A big batch goes as several calls: one call's argument and its stdout must stay within SSM's
 * limits, and SSM returns output only when a call ends, so progress arrives call by call (over SSH
 * lines stream as they come). Each call loads the model once. Chunks a call did not report (script
 * killed, output cut) are checked in the store: a transcript there counts as done, else the chunk
 * fails with the reason.
 */
import { deflateSync } from 'node:zlib';
import { CLOCK_SKEW_MS } from '../clock';
import { describeError, isCancelled, WbError } from '../errors';
import type { Settings } from '../settings';
import type { RemoteCommand, RemoteResult, RemoteRunner } from '../remote/remoteRunner';
import { commandLine } from '../remote/commandLine';
import { readShippedScript, TRANSCRIBE_SCRIPT } from '../remote/shippedScript';
import type { BatchContext, ChunkJob, ChunkOutcome, Engine } from './engine';
import { serveStoreOnLoopback, type UrlSigner } from './loopbackUrls';
import { GPU_DEFAULT_MODEL, LOCAL_DEFAULT_MODEL } from './engineEnv';
import { jsonObjectLine } from '../jsonLine';
import { plural } from '../plural';

export interface RemoteFasterWhisperOptions {
  runner: RemoteRunner;
  settings: Pick<Settings, 'engine' | 'host' | 'run'>;
  /** Python that runs the script (local host: the engine venv's); default host.venvPath/bin/python3. */
  python?: string;
  /** The model name after `auto` is resolved (default settings.engine.model). */
  model?: string;
  /** The script body (default: the shipped transcribe_batch.py). */
  script?: string;
  /**
   * Chunks per call at most. Default SSM 150 (full lines of ~100 characters stay under its 24,000),
   * SSH 400 (output streams; compact lines). Each call loads the model once.
   */
  maxJobsPerCall?: number;
  /**
   * Characters of the command at most; bigger calls are split. Default SSM 48,000 with the script
   * inline (kept well under SSM's parameter limits), SSH 120,000 for the argument alone (the script
   * goes on stdin; Linux allows 128 KiB per argument).
   */
  maxCommandChars?: number;
  /** Seconds a call may take to start and load the model (default 600: the first run may download it). */
  loadTimeoutSeconds?: number;
  /** Seconds per chunk added to a call's timeout (default 60: a 5 s chunk takes well under 1 s on a T4). */
  chunkTimeoutSeconds?: number;
}

interface ScriptJob {
  id: number;
  audioUrl: string;
  headerUrl?: string;
  nextUrl?: string;
  transcriptUrl: string;
  chunk: number;
  sessionId: string;
  ext: string;
}

/** One chunk's result as the script reports it (full or compact line). */
interface ChunkLine {
  id: number;
  ok: boolean;
  seconds: number;
  audioSeconds?: number;
  written?: boolean;
  error?: string;
  /** A failed chunk: whose fault the script says it is ("chunk": its own bytes; "engine": anything else, and any value we do not know). */
  fault?: 'chunk' | 'engine';
}

const CONTENT_TYPE = 'application/json';

export class FasterWhisperEngine implements Engine {
  readonly name = 'faster-whisper';
  readonly model: string;
  private readonly o: Required<Omit<RemoteFasterWhisperOptions, 'script' | 'python' | 'model'>> & Pick<RemoteFasterWhisperOptions, 'python'>;
  private scriptBody?: string;
  private inlineChars?: number;
  private checked?: Promise<void>;

  constructor(opts: RemoteFasterWhisperOptions) {
    // SSH and local stream their output and take an argument of up to 128 KiB (Linux).
    const streams = opts.runner.transport !== 'ssm';
    this.o = { maxJobsPerCall: streams ? 400 : 150, maxCommandChars: streams ? 120_000 : 48_000, loadTimeoutSeconds: 600, chunkTimeoutSeconds: 60, ...opts };
    this.scriptBody = opts.script;
    const m = opts.settings.engine.model;
    // `auto`: the bundled tiny.en on this machine, the deployment's small.en on the GPU instance.
    this.model = opts.model ?? (m !== 'auto' ? m : opts.runner.transport === 'local' ? LOCAL_DEFAULT_MODEL : GPU_DEFAULT_MODEL);
  }

  async check(signal?: AbortSignal): Promise<void> {
    if (this.o.runner.transport === 'local') {
      this.script();
      this.checked ??= this.checkLocal(signal);
      return this.checked;
    }
    if (!/^\/[A-Za-z0-9._/-]+$/.test(this.o.settings.host.venvPath)) {
      throw new WbError(
        'Config',
        `host.venvPath ${JSON.stringify(this.o.settings.host.venvPath)} is not an absolute path of letters, digits, ".", "_", "-", "/"`,
        "Set host.venvPath to WhisperLive's venv on the instance.",
      );
    }
    this.script();
  }

  /** The local Python imports faster_whisper (a real import: the stamp alone proves nothing). */
  private async checkLocal(signal?: AbortSignal): Promise<void> {
    const python = this.python();
    const r = await this.o.runner
      .run({ program: 'import faster_whisper, sys; sys.stdout.write(faster_whisper.__version__)', interpreter: 'python3', interpreterPath: python, args: [], timeoutSeconds: 120 }, { signal })
      .catch((e) => ({ exitCode: -1, stdout: '', stderr: describeError(e) }));
    if (r.exitCode !== 0) {
      this.checked = undefined;
      throw new WbError(
        'EngineMissing',
        `faster-whisper does not load in ${python}${tail(r.stderr)}`,
        'Run `whisper-batch setup-engine` (it makes the engine venv), or point engine.pythonPath at a Python with faster-whisper.',
      );
    }
  }

  private python(): string {
    return this.o.python ?? `${this.o.settings.host.venvPath.replace(/\/+$/, '')}/bin/python3`;
  }

  async transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    // The script takes the whole batch: its work begins now, as far as the host's timeline can tell.
    ctx.onStarted?.();
    const local = this.o.runner.transport === 'local';
    let signer: UrlSigner | undefined;
    let store: UrlStore = ctx.store as UrlStore;
    if (!ctx.store.presignGet || !ctx.store.presignPutIfAbsent) {
      if (!local) {
        throw new WbError(
          'Config',
          `faster-whisper on the GPU instance needs an S3 store, not ${ctx.store.description}`,
          'The GPU instance reads audio and writes transcripts through presigned S3 URLs: set `store` to s3://bucket[/prefix], or run on this machine (host.kind = "local") for a local folder.',
        );
      }
      signer = await serveStoreOnLoopback(ctx.store, { maxBytes: ctx.maxChunkBytes });
      const s = signer;
      store = {
        ...ctx.store,
        head: (k) => ctx.store.head(k),
        get: (k, sig, opts) => ctx.store.get(k, sig, opts),
        presignGet: async (k) => s.presignGet(k),
        presignPutIfAbsent: async (k, _e, ct) => s.presignPutIfAbsent(k, ct),
      } as UrlStore;
    }
    try {
      await this.check(ctx.signal);
      await this.runAll(jobs, { ...ctx, store });
    } finally {
      await signer?.close();
    }
  }

  private async runAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    const queue = chunk(jobs, Math.max(1, this.o.maxJobsPerCall));
    let call = 0;
    let transportFailures = 0;
    while (queue.length) {
      if (ctx.signal.aborted) return; // the batch turns the abort into its report
      const part = queue.shift()!;
      const built = await this.buildCommand(part, ctx);
      if (built.tooBig && part.length > 1) {
        // Split and retry: presigned URLs vary in length (session tokens, long keys).
        const half = Math.ceil(part.length / 2);
        queue.unshift(part.slice(0, half), part.slice(half));
        continue;
      }
      ctx.emit({
        type: 'log',
        level: 'info',
        message: `${this.callLabel(call)}: ${plural(part.length, 'chunk')} ${this.o.runner.transport === 'local' ? 'on this machine' : `over ${this.o.runner.transport}`}`,
      });
      const done = await this.runCall(part, built.command, ctx, call);
      call++;
      if (done === 'transport-failed') {
        if (++transportFailures >= 2) {
          // The instance is not answering: fail the rest now instead of waiting out every call.
          const rest = queue.flat();
          queue.length = 0;
          for (const job of rest) ctx.onOutcome({ job, ok: false, seconds: 0, error: 'not attempted: the GPU instance stopped answering remote commands' });
        }
      } else transportFailures = 0;
    }
  }

  /** "remote call N" on the GPU host, "faster-whisper call N" on this machine. */
  private callLabel(call: number): string {
    return `${this.o.runner.transport === 'local' ? 'faster-whisper' : 'remote'} call ${call + 1}`;
  }

  private script(): string {
    return (this.scriptBody ??= readShippedScript(TRANSCRIBE_SCRIPT));
  }

  private callTimeout(n: number): number {
    return this.o.loadTimeoutSeconds + n * this.o.chunkTimeoutSeconds;
  }

  /** Signs the URLs of one call and builds its fixed command with the job as the only argument. */
  private async buildCommand(part: ChunkJob[], ctx: BatchContext): Promise<{ command: RemoteCommand; tooBig: boolean }> {
    const store = ctx.store as UrlStore;
    const timeout = this.callTimeout(part.length);
    // The URLs are signed right before their call and stay in SSM's command history: valid for as
    // long as the call may run (it is stopped at its timeout), plus the clock-skew allowance.
    const expires = Math.min(604_800, timeout + CLOCK_SKEW_MS / 1000);
    const gets = new Map<string, Promise<string>>();
    const get = (key: string) => {
      let p = gets.get(key);
      if (!p) gets.set(key, (p = store.presignGet(key, expires)));
      return p;
    };
    const jobs: ScriptJob[] = await Promise.all(
      part.map(async (job, id) => {
        const parsed = ctx.layout.parse(job.audioKey);
        const sj: ScriptJob = {
          id,
          audioUrl: await get(job.audioKey),
          transcriptUrl: await store.presignPutIfAbsent(job.transcriptKey, expires, CONTENT_TYPE),
          chunk: job.chunk,
          sessionId: job.sessionId,
          ext: parsed.kind === 'audio' ? parsed.ext.toLowerCase() : 'webm',
        };
        if (sj.ext === 'webm' && job.firstChunkKey && job.firstChunkKey !== job.audioKey) sj.headerUrl = await get(job.firstChunkKey);
        if (job.nextChunkKey) sj.nextUrl = await get(job.nextChunkKey);
        return sj;
      }),
    );
    const e = this.o.settings.engine;
    const payload: Record<string, unknown> = {
      jobs,
      model: this.model,
      device: e.device,
      compute_type: e.computeType,
      beam_size: e.beamSize,
      batch_size: e.batchSize,
      vad_filter: e.useVad,
      language: e.language,
      prefetch: Math.max(1, ctx.concurrency),
      runId: ctx.runId,
      // The script reads at most this per chunk (one may have grown since it was listed), decodes at most maxSeconds of it ...
      maxBytes: ctx.maxChunkBytes,
      maxSeconds: ctx.maxChunkSeconds,
      // ... and fetches from no origin but those we signed for (the store's endpoint or the loopback stand-in).
      origins: [...new Set(jobs.flatMap((j) => [j.audioUrl, j.transcriptUrl, j.headerUrl, j.nextUrl]).flatMap((u) => (u ? [new URL(u).origin] : [])))],
    };
    const arg = encodeJob(payload);
    const command: RemoteCommand = {
      program: this.script(),
      interpreter: 'python3',
      interpreterPath: this.python(),
      args: [arg],
      timeoutSeconds: timeout,
    };
    // Over SSM the script goes inline (compressed) next to the argument; over SSH on stdin.
    const size = this.o.runner.transport === 'ssm' ? (this.inlineChars ??= commandLine({ ...command, args: [] }, 'inline').length) + arg.length + 200 : arg.length + 200;
    return { command, tooBig: size > this.o.maxCommandChars };
  }

  /** Runs one call and reports every chunk of it exactly once. */
  private async runCall(part: ChunkJob[], command: RemoteCommand, ctx: BatchContext, call: number): Promise<'ok' | 'transport-failed'> {
    const reported = new Set<number>();
    const parser = new LineParser();
    let fatal: string | undefined;
    let omitted = 0;
    let started = false;
    const accept = (line: string) => {
      const ev = parser.parse(line);
      if (!ev) return;
      if (ev.kind === 'fatal') fatal = ev.error;
      else if (ev.kind === 'done') omitted = ev.omitted;
      else if (ev.kind === 'start') {
        // One info line per call (its announcement above); the model's load time is a detail (--verbose).
        // Streamed lines are read again from the final stdout (SSM gives it only there): logged once.
        if (!started) ctx.emit({ type: 'log', level: 'debug', message: `${this.callLabel(call)}: model ${this.model} loaded in ${ev.loadSeconds ?? '?'} s` });
        started = true;
      } else this.report(part, ev.chunk, reported, ctx);
    };
    let result: RemoteResult | undefined;
    let failure: string | undefined;
    try {
      result = await this.o.runner.run(command, { signal: ctx.signal, onOutput: (text) => parser.feed(text, accept) });
      parser.end(accept);
      // SSM hands the output over only at the end (and may not call onOutput): read it once more; ids dedupe.
      for (const line of result.stdout.split('\n')) accept(line);
    } catch (e) {
      if (isCancelled(e) || ctx.signal.aborted) throw e;
      failure = `remote command failed: ${describeError(e)}`;
      ctx.emit({ type: 'log', level: 'error', message: `${this.callLabel(call)}: ${failure}` });
    }
    if (reported.size === part.length) return 'ok';

    // Some chunks were not reported (script killed, output cut): look for their transcripts.
    const why =
      fatal ??
      failure ??
      (result && result.exitCode !== 0
        ? `the transcription script stopped (exit ${result.exitCode})${tail(result.stderr)}`
        : result?.truncated || omitted > 0
          ? 'no result line (the output was cut at the SSM limit)'
          : 'no result line from the transcription script');
    for (let id = 0; id < part.length; id++) {
      if (reported.has(id)) continue;
      const job = part[id];
      let exists = false;
      try {
        exists = !!(await ctx.store.head(job.transcriptKey));
      } catch {
        exists = false; // unknown: report it failed; a later run sees the transcript if it is there
      }
      reported.add(id);
      ctx.onOutcome(exists ? { job, ok: true, seconds: 0 } : { job, ok: false, seconds: 0, error: why });
    }
    return failure ? 'transport-failed' : 'ok';
  }

  private report(part: ChunkJob[], line: ChunkLine, reported: Set<number>, ctx: BatchContext): void {
    const job = part[line.id];
    if (!job || reported.has(line.id)) return;
    reported.add(line.id);
    const o: ChunkOutcome = { job, ok: line.ok, seconds: line.seconds };
    if (line.audioSeconds !== undefined) o.audioSeconds = line.audioSeconds;
    if (line.written !== undefined) o.written = line.written;
    if (!line.ok) {
      o.error = line.error ?? 'failed on the instance';
      // The script says whose fault it is: only the chunk's own bytes count toward its quarantine.
      if (line.fault === 'chunk') o.fault = 'chunk';
    }
    ctx.onOutcome(o);
  }
}

/** The older name of the engine (it ran only on the GPU instance). */
export const RemoteFasterWhisperEngine = FasterWhisperEngine;
export type RemoteFasterWhisperEngine = FasterWhisperEngine;

type UrlStore = BatchContext['store'] & Required<Pick<BatchContext['store'], 'presignGet' | 'presignPutIfAbsent'>>;

/** The job argument: "z:" + base64 of zlib-compressed JSON (presigned URLs compress ~3x). */
export function encodeJob(payload: unknown): string {
  return 'z:' + deflateSync(Buffer.from(JSON.stringify(payload), 'utf8'), { level: 9 }).toString('base64');
}

type ScriptEvent = { kind: 'chunk'; chunk: ChunkLine } | { kind: 'start'; loadSeconds?: number } | { kind: 'done'; omitted: number } | { kind: 'fatal'; error: string };

/** Splits streamed output into lines and reads the script's JSON lines (anything else is ignored). */
export class LineParser {
  private pending = '';

  feed(text: string, each: (line: string) => void): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop() ?? '';
    for (const l of lines) each(l);
  }

  end(each: (line: string) => void): void {
    if (this.pending) each(this.pending);
    this.pending = '';
  }

  parse(line: string): ScriptEvent | undefined {
    const v = jsonObjectLine(line) as any;
    if (!v) return undefined;
    if (v.event === 'fatal') return { kind: 'fatal', error: String(v.error ?? 'the script failed') };
    if (v?.event === 'done') return { kind: 'done', omitted: Number(v.omitted) || 0 };
    if (v?.event === 'start') return { kind: 'start', loadSeconds: typeof v.loadSeconds === 'number' ? v.loadSeconds : undefined };
    const chunk = toChunkLine(v);
    return chunk ? { kind: 'chunk', chunk } : undefined;
  }
}

/** Reads a full line ({"event":"chunk","id",...}) or a compact one ({"c":id,"ok":1,"s","a","w","e"}). */
function toChunkLine(v: any): ChunkLine | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const full = v.event === 'chunk';
  const id = full ? v.id : v.c;
  if (!Number.isInteger(id) || id < 0) return undefined;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
  const ok = full ? v.ok === true : v.ok === 1 || v.ok === true;
  const line: ChunkLine = { id, ok, seconds: num(full ? v.seconds : v.s) ?? 0 };
  const audio = num(full ? v.audioSeconds : v.a);
  if (audio !== undefined) line.audioSeconds = audio;
  const written = full ? v.written : ok ? v.w !== 0 : undefined;
  if (typeof written === 'boolean') line.written = written;
  const error = full ? v.error : v.e;
  if (!ok) {
    line.error = typeof error === 'string' && error ? error : 'failed on the instance';
    // Anything but "chunk" (absent, an older script, a value we do not know) is not the chunk's fault: never quarantine on doubt.
    line.fault = (full ? v.fault : v.f) === 'chunk' ? 'chunk' : 'engine';
  }
  return line;
}

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function tail(stderr: string): string {
  const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
  return last ? `: ${last.slice(0, 300)}` : '';
}
