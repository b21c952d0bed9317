/**
 * A stand-in for collabora/WhisperLive's websocket server, speaking its protocol (docs/WHISPERLIVE.md),
 * for the faults a real server does not produce on demand: WAIT (all slots taken), DISCONNECT (its
 * connection time limit), a dropped TCP connection, WARNING, a server that never gets ready
 * or never closes. The engine's normal path runs against the REAL server in whisperLiveReal.test.ts.
 * It is strict where the real server is silently lenient, to catch client bugs: the first message
 * must be the options JSON, audio must be binary float32 frames within [-1, 1], END_OF_AUDIO must be
 * bytes.
 *
 * "Transcription" is a toy: each `segmentSeconds` window of audio louder than a small RMS threshold
 * becomes a segment " segment <n>" (with use_vad, quiet windows give none, as VAD would). Like the
 * real server it re-sends the last segments on every update, times as strings, the newest window
 * `completed: false` until more audio arrives, and on END_OF_AUDIO closes the socket without a
 * word more (what it has not sent by then is lost, as on the real server).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

export interface StandInOptions {
  /** 'ready' (default), 'silent' (never answers). */
  mode?: 'ready' | 'silent';
  /** Client slots; a client beyond them gets WAIT and is closed, like the real server. */
  maxClients?: number;
  /** Connection time limit: DISCONNECT message, then close (real default 600 s). */
  maxConnectionSeconds?: number;
  /** Drop the TCP connection (no close frame) after receiving this much audio. */
  dropAfterSeconds?: number;
  /** Close after END_OF_AUDIO (default true); false leaves the socket open. */
  closeAfterEnd?: boolean;
  /** WARNING message sent before SERVER_READY. */
  warning?: string;
  segmentSeconds?: number;
  /** Send an update after each this much new audio (seconds). */
  updateSeconds?: number;
}

export interface ClientRecord {
  uid?: string;
  options?: Record<string, unknown>;
  /** Every audio byte received, in order. */
  audio: Buffer[];
  endOfAudio: boolean;
  /** Protocol violations found, if any. */
  violations: string[];
  closed: boolean;
  /** How the connection ended: 'client' (the client closed or vanished), 'server'. */
  closedBy?: 'client' | 'server';
  sentSegments: number;
}

export interface StandInServer {
  url: string;
  port: number;
  clients: ClientRecord[];
  activeClients(): number;
  options: StandInOptions;
  close(): Promise<void>;
}

const RATE = 16000;
const SEND_LAST_N = 10;

export async function startWhisperLiveStandIn(options: StandInOptions = {}): Promise<StandInServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as AddressInfo).port;
  const clients: ClientRecord[] = [];
  const active = new Map<WebSocket, number>(); // socket -> connection start (ms)

  wss.on('connection', (ws) => {
    const rec: ClientRecord = { audio: [], endOfAudio: false, violations: [], closed: false, sentSegments: 0 };
    clients.push(rec);
    let samples = 0;
    let lastUpdateAt = 0;
    let disconnectTimer: NodeJS.Timeout | undefined;
    const send = (o: object) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(o));
    const violation = (what: string) => {
      rec.violations.push(what);
      send({ uid: rec.uid, status: 'ERROR', message: what });
      serverClose();
    };
    const serverClose = () => {
      if (rec.closedBy) return;
      rec.closedBy = 'server';
      ws.close();
    };

    ws.on('close', () => {
      rec.closed = true;
      rec.closedBy ??= 'client';
      active.delete(ws);
      clearTimeout(disconnectTimer);
    });
    ws.on('error', () => undefined);

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!rec.options) {
        if (isBinary) return violation('first message must be the options JSON, got binary');
        let o: any;
        try {
          o = JSON.parse(data.toString());
        } catch {
          return violation('first message is not JSON');
        }
        rec.options = o;
        rec.uid = o.uid;
        for (const k of ['uid', 'language', 'task', 'model']) if (typeof o[k] !== 'string') return violation(`options.${k} missing`);
        if (typeof o.use_vad !== 'boolean') return violation('options.use_vad missing');
        if (options.mode === 'silent') return;
        const max = options.maxClients ?? 4;
        if (active.size >= max) {
          const limit = (options.maxConnectionSeconds ?? 600) * 1000;
          const soonest = active.size ? Math.min(...[...active.values()].map((t) => limit - (Date.now() - t))) : 0;
          send({ uid: o.uid, status: 'WAIT', message: Math.max(0, soonest) / 60_000 });
          return serverClose();
        }
        active.set(ws, Date.now());
        if (options.maxConnectionSeconds) {
          disconnectTimer = setTimeout(() => {
            send({ uid: o.uid, message: 'DISCONNECT' });
            serverClose();
          }, options.maxConnectionSeconds * 1000);
        }
        if (options.warning) send({ uid: o.uid, status: 'WARNING', message: options.warning });
        send({ uid: o.uid, message: 'SERVER_READY', backend: 'faster_whisper' });
        return;
      }
      if (!isBinary) {
        if (data.toString() === 'END_OF_AUDIO') return violation('END_OF_AUDIO must be sent as bytes, not text');
        return violation('unexpected text message after the options');
      }
      if (data.length === 12 && data.toString() === 'END_OF_AUDIO') {
        rec.endOfAudio = true;
        if (options.closeAfterEnd !== false) setTimeout(serverClose, 20);
        return;
      }
      if (rec.endOfAudio) return violation('audio after END_OF_AUDIO');
      if (data.length % 4 !== 0) return violation(`audio frame of ${data.length} bytes is not float32`);
      const f = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
      for (const x of f) if (!Number.isFinite(x) || Math.abs(x) > 1.0001) return violation('audio frame is not float32 PCM in [-1, 1]');
      rec.audio.push(Buffer.from(data));
      samples += f.length;
      if (options.dropAfterSeconds !== undefined && samples / RATE >= options.dropAfterSeconds) {
        rec.closedBy = 'server';
        ws.terminate();
        return;
      }
      if ((samples - lastUpdateAt) / RATE >= (options.updateSeconds ?? 1)) {
        lastUpdateAt = samples;
        sendSegments();
      }
    });

    /** Live-style update: windows of audio as segments, the last one open until more audio completes it. */
    function sendSegments() {
      const pcm = floatView(Buffer.concat(rec.audio));
      const win = Math.round((options.segmentSeconds ?? 1.5) * RATE);
      const segs: Array<{ start: string; end: string; text: string; completed: boolean }> = [];
      for (let i = 0; i * win < pcm.length; i++) {
        const from = i * win;
        const to = Math.min(pcm.length, from + win);
        const complete = to - from === win;
        if (rec.options?.use_vad && rms(pcm, from, to) < 0.005) continue;
        segs.push({ start: (from / RATE).toFixed(3), end: (to / RATE).toFixed(3), text: ` segment ${i + 1}`, completed: complete });
      }
      const last = segs.slice(-SEND_LAST_N);
      rec.sentSegments += last.length;
      if (last.length) send({ uid: rec.uid, segments: last });
    }
  });

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    clients,
    options,
    activeClients: () => active.size,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

function floatView(b: Buffer): Float32Array {
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function rms(x: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return to > from ? Math.sqrt(s / (to - from)) : 0;
}
