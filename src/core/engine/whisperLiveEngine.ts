/**
 * Engine `whisperlive`: a client of collabora/WhisperLive's websocket server (docs/WHISPERLIVE.md).
 * One connection per chunk: options JSON first, wait for SERVER_READY, stream float32 PCM frames,
 * wait until the transcript stops changing, send END_OF_AUDIO, map the segments to the app's
 * transcript format (docs/TRANSCRIPT.md).
 *
 * The websocket path is built for live streaming: the server re-sends its last segments on every
 * update, marks a segment `completed` only once later audio confirms it, drops buffered audio beyond
 * ~45 s, transcribes only once >= 1 s is waiting, and on END_OF_AUDIO closes at once, dropping what
 * it has not transcribed yet (seen on the real server: whisperLiveReal.test.ts). So we stream faster
 * than real time but bounded (a speed cap and a lead over the server's progress), add 1 s of
 * silence, keep segments by start time, and end only when the transcript has settled.
 */
import { effectiveEngine } from './engineEnv';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { systemClock, sleep, isoTime, type Clock } from '../clock';
import { CancelledError, WbError, isCancelled, throwIfAborted } from '../errors';
import type { Settings } from '../settings';
import type { Transcript, TranscriptSegment } from '../transcript';
import { decodeToPcm, PCM_BYTES_PER_SAMPLE, PCM_RATE, type Pcm } from '../pcm';
import type { BatchContext, ChunkInput, ChunkJob, Engine } from './engine';
import { transcribeChunkByChunk } from './chunkPipeline';

export interface WhisperLiveOptions {
  url: string;
  model: string;
  language: string;
  useVad: boolean;
  /** Samples per binary frame (WhisperLive's own client sends 4096). */
  frameSamples?: number;
  /** Upper bound of the sending speed, in multiples of real time. */
  maxSpeed?: number;
  /** Audio sent at once before the speed cap applies, in seconds. */
  burstSeconds?: number;
  /** Never send more than this many seconds beyond the server's last segment end (it drops audio past ~45 s). */
  maxLeadSeconds?: number;
  /**
   * After the last audio, the transcript is complete once it has not changed for this long: then
   * END_OF_AUDIO (the server drops what it has not transcribed by then). After END_OF_AUDIO, the
   * server's close ends the chunk, or this long without a message if it keeps the socket open.
   */
  quietMs?: number;
  /** How long to wait for the connection and SERVER_READY. */
  readyTimeoutMs?: number;
  /** Hard limit for one chunk, below the server's own maximum connection time (300-600 s). */
  maxChunkMs?: number;
  /** The server answers WAIT when all its client slots are taken: retry this often, for at most maxWaitMs. */
  waitPollMs?: number;
  maxWaitMs?: number;
}

export interface WhisperLiveDeps {
  clock?: Clock;
  /** ffmpeg program for decoding. */
  ffmpeg?: string;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

const DEFAULTS = {
  frameSamples: 4096,
  maxSpeed: 10,
  burstSeconds: 2,
  maxLeadSeconds: 20,
  quietMs: 3000,
  readyTimeoutMs: 15_000,
  maxChunkMs: 240_000,
  waitPollMs: 5_000,
  maxWaitMs: 600_000,
};

const END_OF_AUDIO = Buffer.from('END_OF_AUDIO');
/**
 * Silence sent after the audio: the server transcribes only once >= 1 s of audio waits past its last
 * completed segment, so without it a chunk under 1 s, or a last word in the final second, is never heard.
 */
const TAIL_SILENCE = Buffer.alloc(PCM_RATE * PCM_BYTES_PER_SAMPLE);

/** Hint shown whenever the server cannot be reached. */
function startHint(url: string): string {
  const port = safePort(url);
  return `Start WhisperLive there (e.g. \`python3 run_server.py --port ${port} --backend faster_whisper\` in its venv, or \`systemctl start whisperlive\` on the GPU host), or fix engine.whisperliveUrl.`;
}

function safePort(url: string): string {
  try {
    return new URL(url).port || '9090';
  } catch {
    return '9090';
  }
}

/** Server asked us to wait (all client slots taken); carries its estimate in minutes. */
class ServerFull extends Error {
  constructor(readonly minutes: number) {
    super('server full');
  }
}

interface RawSegment {
  start: string | number;
  end: string | number;
  text: string;
  completed?: boolean;
}

/**
 * Keeps the server's segments by start time: completed ones are kept (later copies replace earlier),
 * the newest incomplete one only until the next message replaces it.
 */
export class SegmentCollector {
  private completed = new Map<number, { start: number; end: number; text: string }>();
  private open: { start: number; end: number; text: string } | undefined;
  /** End time of the newest segment seen, in seconds of audio: the server's progress. */
  progress = 0;
  /** Grows whenever segments() would give something else: the server's repeats of the same text do not count. */
  version = 0;

  add(segments: RawSegment[]): void {
    const before = JSON.stringify(this.segments());
    let open: typeof this.open;
    for (const s of segments) {
      const start = Number(s.start);
      const end = Number(s.end);
      if (!Number.isFinite(start) || !Number.isFinite(end) || typeof s.text !== 'string') continue;
      const seg = { start, end: Math.max(start, end), text: s.text };
      if (s.completed === false) open = seg;
      else {
        // A completed segment supersedes any earlier version of itself, keyed by ms start time.
        this.completed.set(Math.round(start * 1000), seg);
      }
      this.progress = Math.max(this.progress, seg.end);
    }
    this.open = open;
    if (JSON.stringify(this.segments()) !== before) this.version++;
  }

  /** All segments in time order; the last open one counts when it starts after the last completed one. */
  segments(): Array<{ start: number; end: number; text: string }> {
    const done = [...this.completed.values()].sort((a, b) => a.start - b.start);
    const lastEnd = done.length ? done[done.length - 1].end : 0;
    if (this.open && this.open.start >= lastEnd - 0.001 && this.open.text.trim()) done.push(this.open);
    return done;
  }
}

export class WhisperLiveEngine implements Engine {
  readonly name = 'whisperlive';
  readonly model: string;
  private readonly o: Required<WhisperLiveOptions>;
  private readonly clock: Clock;

  constructor(
    options: WhisperLiveOptions,
    private readonly deps: WhisperLiveDeps = {},
  ) {
    this.o = { ...DEFAULTS, ...stripUndefined(options) } as Required<WhisperLiveOptions>;
    this.model = options.model;
    this.clock = deps.clock ?? systemClock;
  }

  static fromSettings(s: Settings, deps: WhisperLiveDeps = {}, tuning: Partial<WhisperLiveOptions> = {}): WhisperLiveEngine {
    return new WhisperLiveEngine({ url: s.engine.whisperliveUrl, model: effectiveEngine(s).model, language: s.engine.language, useVad: s.engine.useVad, ...tuning }, deps);
  }

  /** Opens a connection and waits for SERVER_READY (a WAIT answer also proves the server is up). */
  async check(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const ac = linkedController(signal);
    try {
      await this.session(undefined, ac.signal);
    } catch (e) {
      if (e instanceof ServerFull) return; // reachable and working, merely busy
      throw e;
    } finally {
      ac.dispose();
    }
  }

  /** Chunk by chunk through the local pipeline (read, WebM repair, create-only write). */
  transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    return transcribeChunkByChunk(this, jobs, ctx);
  }

  async transcribeChunk(input: ChunkInput): Promise<Transcript> {
    throwIfAborted(input.signal);
    // One deadline for decode + waiting + streaming, so a stuck server can never hold a batch.
    const ac = linkedController(input.signal);
    const timer = this.clock.setTimeout(
      () =>
        ac.abort(
          new WbError(
            'Engine',
            `WhisperLive took longer than ${Math.round(this.o.maxChunkMs / 1000)} s for chunk "${input.job.audioKey}"`,
            'The server may be overloaded; lower run.concurrency or check the GPU host.',
          ),
        ),
      this.o.maxChunkMs,
    );
    try {
      const pcm = await decodeToPcm(input.audio, input.ext, { ffmpeg: this.deps.ffmpeg, signal: ac.signal, maxSeconds: input.maxSeconds, label: input.job.audioKey });
      const waitUntil = this.clock.now() + this.o.maxWaitMs;
      for (;;) {
        try {
          const collector = await this.session(pcm, ac.signal);
          return this.toTranscript(collector, pcm);
        } catch (e) {
          if (!(e instanceof ServerFull)) throw e;
          const left = waitUntil - this.clock.now();
          if (left <= 0) {
            throw new WbError(
              'Engine',
              `WhisperLive at ${this.o.url} stayed full (all client slots taken; its estimate: ${e.minutes.toFixed(1)} min)`,
              "Lower run.concurrency to at most the server's --max_clients (default 4), or wait for other clients to finish.",
            );
          }
          // Its estimate is the longest possible wait (time until the oldest client is cut off); clients
          // usually leave much sooner, so poll instead of sleeping the whole estimate.
          const ms = Math.min(Math.max(e.minutes * 60_000, 0), this.o.waitPollMs, left);
          this.deps.log?.('info', `WhisperLive is full, retrying in ${Math.ceil(ms / 1000)} s: ${this.o.url}`);
          await sleep(this.clock, ms, ac.signal);
        }
      }
    } catch (e) {
      if (ac.signal.aborted && !input.signal.aborted && ac.signal.reason instanceof WbError) throw ac.signal.reason;
      if (input.signal.aborted || isCancelled(e)) throw input.signal.reason instanceof CancelledError ? input.signal.reason : new CancelledError();
      throw e;
    } finally {
      this.clock.clearTimeout(timer);
      ac.dispose();
    }
  }

  private toTranscript(collector: SegmentCollector & { language?: string; languageProbability?: number }, pcm: Pcm): Transcript {
    const segments: TranscriptSegment[] = collector.segments().map((s) => ({
      text: s.text,
      start: round3(Math.min(s.start, pcm.seconds)),
      end: round3(Math.min(s.end, pcm.seconds)),
      // The whole chunk has been heard: nothing in a batch transcript will be revised any more.
      is_final: true,
      // WhisperLive's websocket sends no word timings; we leave `words` empty rather than invent times.
      words: [],
    }));
    return {
      segments,
      language: collector.language ?? this.o.language,
      // 1 when the language was given rather than detected.
      language_probability: collector.languageProbability ?? 1,
      duration: round3(pcm.seconds),
      batch: { engine: this.name, model: this.model, createdAt: isoTime(this.clock.now()) },
    };
  }

  /**
   * One websocket conversation. Without `pcm` it stops at SERVER_READY (the check). Rejects with
   * ServerFull on WAIT, WbError on everything the user must know, the signal's reason on abort.
   */
  private session(pcm: Pcm | undefined, signal: AbortSignal): Promise<SegmentCollector & { language?: string; languageProbability?: number }> {
    const { url } = this.o;
    const uid = randomUUID();
    const collector: SegmentCollector & { language?: string; languageProbability?: number } = new SegmentCollector();
    return new Promise((resolve, reject) => {
      let phase: 'connecting' | 'ready-wait' | 'streaming' | 'draining' | 'done' = 'connecting';
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, { handshakeTimeout: this.o.readyTimeoutMs, perMessageDeflate: false });
      } catch (e) {
        return reject(new WbError('Config', `engine.whisperliveUrl is not a websocket URL: "${url}"`, 'Use ws://host:9090 or wss://host:9090.', { cause: e }));
      }
      let readyTimer: unknown;
      let quietTimer: unknown;
      /** The server's segment messages: when each came, and whether it changed the transcript. */
      const heard: Heard = { changedAt: this.clock.now(), messages: [] };
      const clearTimers = () => {
        this.clock.clearTimeout(readyTimer);
        this.clock.clearTimeout(quietTimer);
      };
      const finish = (err: unknown, ok?: boolean) => {
        if (phase === 'done') return;
        phase = 'done';
        clearTimers();
        signal.removeEventListener('abort', onAbort);
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        if (ok) resolve(collector);
        else reject(err);
      };
      const onAbort = () => {
        ws.terminate(); // no close handshake: the server sees the socket go, frees our slot
        finish(signal.reason ?? new CancelledError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const armQuiet = () => {
        this.clock.clearTimeout(quietTimer);
        quietTimer = this.clock.setTimeout(() => finish(undefined, true), this.o.quietMs);
      };

      ws.on('open', () => {
        phase = 'ready-wait';
        ws.send(JSON.stringify({ uid, language: this.o.language, task: 'transcribe', model: this.o.model, use_vad: this.o.useVad }));
        readyTimer = this.clock.setTimeout(
          () =>
            finish(
              new WbError(
                'Engine',
                `WhisperLive at ${url} accepted the connection but did not answer SERVER_READY within ${Math.round(this.o.readyTimeoutMs / 1000)} s`,
                'It may still be loading the model; try again, or check its log (journalctl -u whisperlive).',
              ),
            ),
          this.o.readyTimeoutMs,
        );
      });

      ws.on('message', (data, isBinary) => {
        if (isBinary || phase === 'done') return;
        let msg: any;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          this.deps.log?.('warn', `WhisperLive sent a message that is not JSON, ignored: ${data.toString().slice(0, 80)}`);
          return;
        }
        if (!msg || typeof msg !== 'object' || (msg.uid !== undefined && msg.uid !== uid)) return;
        if (msg.status === 'WAIT') return finish(new ServerFull(Number(msg.message) || 0));
        if (msg.status === 'ERROR')
          return finish(
            new WbError(
              'Engine',
              `WhisperLive at ${url} reported an error: ${String(msg.message)}`,
              `Check that model "${this.o.model}" exists on the server and its log (journalctl -u whisperlive).`,
            ),
          );
        if (msg.status === 'WARNING') {
          this.deps.log?.('warn', `WhisperLive warning: ${String(msg.message)}`);
          return;
        }
        if (msg.message === 'DISCONNECT') {
          return finish(
            new WbError(
              'Engine',
              `WhisperLive at ${url} dropped the connection (its maximum connection time was reached)`,
              'Chunks this long need the server started with a larger --max_connection_time, or the remote-faster-whisper engine.',
            ),
          );
        }
        if (msg.message === 'SERVER_READY') {
          this.clock.clearTimeout(readyTimer);
          if (!pcm) return finish(undefined, true);
          phase = 'streaming';
          this.stream(ws, pcm, collector, signal, heard).then(
            () => {
              if (phase !== 'streaming') return;
              phase = 'draining';
              armQuiet();
            },
            (e) =>
              finish(
                isCancelled(e) || e instanceof WbError
                  ? e
                  : new WbError('Engine', `WhisperLive at ${url} closed the connection while the audio was being sent: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e }),
              ),
          );
          return;
        }
        if (typeof msg.language === 'string') {
          collector.language = msg.language;
          if (typeof msg.language_prob === 'number') collector.languageProbability = msg.language_prob;
        }
        if (Array.isArray(msg.segments)) {
          const v = collector.version;
          collector.add(msg.segments);
          const at = this.clock.now();
          if (collector.version !== v) heard.changedAt = at;
          heard.messages.push({ at, changed: collector.version !== v });
          if (heard.messages.length > 4) heard.messages.shift();
          if (phase === 'draining') armQuiet();
        }
      });

      ws.on('unexpected-response', (_req, res) => {
        finish(new WbError('Engine', `${url} is not a WhisperLive websocket server (HTTP ${res.statusCode})`, startHint(url)));
      });

      ws.on('error', (e: NodeJS.ErrnoException) => {
        if (phase === 'connecting') {
          const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host not found' : e.message;
          finish(new WbError('EngineMissing', `WhisperLive is not reachable at ${url}: ${why}`, startHint(url), { cause: e }));
        } else {
          finish(new WbError('Engine', `WhisperLive connection to ${url} failed: ${e.message}`, undefined, { cause: e }));
        }
      });

      ws.on('close', (code) => {
        // The server closes (1000, or no code) when it is done; 1006 means the connection was lost.
        if (phase === 'draining' && code !== 1006) return finish(undefined, true);
        if (phase === 'draining')
          return finish(
            new WbError(
              'Engine',
              `WhisperLive at ${url} lost the connection before sending the whole transcript (code ${code})`,
              'The server may have restarted or run out of memory; see its log (journalctl -u whisperlive).',
            ),
          );
        const when = phase === 'streaming' ? 'while the audio was being sent' : 'before it was ready';
        finish(
          new WbError('Engine', `WhisperLive at ${url} closed the connection ${when} (code ${code})`, 'The server may have restarted or run out of memory; see its log (journalctl -u whisperlive).'),
        );
      });
    });
  }

  /**
   * Sends the PCM and the tail silence as binary frames, bounded by a speed cap and a lead over the
   * server's progress; then waits until the transcript has settled and sends END_OF_AUDIO.
   */
  private async stream(ws: WebSocket, pcm: Pcm, collector: SegmentCollector, signal: AbortSignal, heard: Heard): Promise<void> {
    const frameBytes = this.o.frameSamples * PCM_BYTES_PER_SAMPLE;
    const started = this.clock.now();
    const data = Buffer.concat([pcm.data, TAIL_SILENCE]);
    let offset = 0;
    while (offset < data.length) {
      if (signal.aborted || ws.readyState !== WebSocket.OPEN) return;
      const elapsed = (this.clock.now() - started) / 1000;
      const sent = offset / PCM_BYTES_PER_SAMPLE / PCM_RATE;
      const bySpeed = this.o.burstSeconds + elapsed * this.o.maxSpeed;
      // At least real time even when no segments come back (silence with VAD), so we never stall.
      const byLead = Math.max(collector.progress + this.o.maxLeadSeconds, elapsed);
      if (sent >= Math.min(bySpeed, byLead) || ws.bufferedAmount > 1 << 20) {
        await sleep(this.clock, 10, signal);
        continue;
      }
      const frame = data.subarray(offset, Math.min(offset + frameBytes, data.length));
      await new Promise<void>((res, rej) => ws.send(frame, { binary: true }, (e) => (e ? rej(e) : res())));
      offset += frame.length;
    }
    // The server transcribes while the audio arrives and re-sends its segments after every pass; it
    // drops what it has not transcribed when END_OF_AUDIO comes. So END_OF_AUDIO waits until a pass
    // begun after all the audio was sent has answered: two messages since then, the second changing
    // nothing. A pass that finds no speech sends nothing, so without messages it waits quietMs.
    const sentAt = this.clock.now();
    const settled = () => {
      const [a, b] = heard.messages.slice(-2);
      return !!a && !!b && a.at >= sentAt && !b.changed;
    };
    while (!settled() && this.clock.now() - Math.max(sentAt, heard.changedAt) < this.o.quietMs) {
      if (signal.aborted || ws.readyState !== WebSocket.OPEN) return;
      await sleep(this.clock, 20, signal);
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    // Binary: the server compares the frame with b"END_OF_AUDIO"; a text frame would not match.
    await new Promise<void>((res, rej) => ws.send(END_OF_AUDIO, { binary: true }, (e) => (e ? rej(e) : res())));
  }
}

/** What the stream needs to know of the server's answers to decide that the transcript has settled. */
interface Heard {
  changedAt: number;
  messages: Array<{ at: number; changed: boolean }>;
}

/** An AbortController that also aborts (with the same reason) when `parent` does. */
function linkedController(parent?: AbortSignal): AbortController & { dispose(): void } {
  const ac = new AbortController() as AbortController & { dispose(): void };
  const onAbort = () => ac.abort(parent!.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  ac.dispose = () => parent?.removeEventListener('abort', onAbort);
  return ac;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
