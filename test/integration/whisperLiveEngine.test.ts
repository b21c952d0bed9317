/**
 * The WhisperLive engine against the protocol stand-in (test/support/whisperLiveServer.ts), for what
 * the real server (whisperLiveReal.test.ts) does not do on demand: WAIT, DISCONNECT, a dropped
 * connection, WARNING, never ready, never closing; and what only a stand-in can report: every
 * sample it received. Audio is real: a browser-style WebM chunk decoded by the real ffmpeg.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { WhisperLiveEngine, type WhisperLiveOptions } from '../../src/core/engine/whisperLiveEngine';
import type { ChunkInput } from '../../src/core/engine/engine';
import { CancelledError, WbError } from '../../src/core/errors';
import { defaultSettings } from '../../src/core/settings';
import { freePort } from '../support/moto';
import { startWhisperLiveStandIn, type StandInOptions, type StandInServer } from '../support/whisperLiveServer';

const fixture = resolve(__dirname, '../../../test/fixtures/chunks/chunk-001.webm');

function chunkInput(audio: Buffer, signal = new AbortController().signal): ChunkInput {
  const key = 'users/u1/audio/sessions/s1/chunk-001.webm';
  return {
    job: { userId: 'u1', sessionId: 's1', chunk: 1, audioKey: key, transcriptKey: 'users/u1/audio/sessions/s1/layers/layer-0-raw-transcription/chunk-001.json', size: audio.length },
    audio,
    ext: 'webm',
    signal,
  };
}

/** The reference decode, made here independently of the engine's helper (stdin pipe instead of a file). */
async function referencePcm(file: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '1', '-ar', '16000', 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<WbError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WbError, `expected WbError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected a ${code} error`);
}

describe('WhisperLiveEngine @integration', function () {
  this.timeout(30_000);
  let audio: Buffer;
  let server: StandInServer | undefined;

  before(function () {
    audio = readFileSync(fixture);
  });

  afterEach(async function () {
    await server?.close();
    server = undefined;
  });

  async function serve(o: StandInOptions = {}): Promise<StandInServer> {
    server = await startWhisperLiveStandIn(o);
    return server;
  }

  function engine(url: string, o: Partial<WhisperLiveOptions> = {}): WhisperLiveEngine {
    return new WhisperLiveEngine({ url, model: 'small.en', language: 'en', useVad: true, maxSpeed: 100, quietMs: 500, ...o });
  }

  it('streams the whole decoded chunk and maps the segments to the transcript format', async function () {
    const srv = await serve();
    const t = await engine(srv.url).transcribeChunk(chunkInput(audio));

    const rec = srv.clients[0];
    assert.deepEqual(rec.violations, []);
    assert.equal(rec.options?.task, 'transcribe');
    assert.equal(rec.options?.model, 'small.en');
    assert.equal(rec.options?.language, 'en');
    assert.equal(rec.options?.use_vad, true);
    assert.ok(rec.endOfAudio, 'END_OF_AUDIO sent');
    // Every sample arrived, in order, exactly as an independent ffmpeg decode gives them.
    const pcm = await referencePcm(fixture);
    assert.ok(pcm.length > 16000 * 4 * 3, 'fixture decodes to more than 3 s');
    // Then 1 s of silence: the server transcribes only once 1 s waits past its last segment.
    const expected = Buffer.concat([pcm, Buffer.alloc(16000 * 4)]);
    assert.ok(Buffer.concat(rec.audio).equals(expected), 'server received the decoded PCM, then 1 s of silence');
    assert.ok(
      rec.audio.every((f) => f.length <= 4096 * 4),
      'frames of at most 4096 samples',
    );

    assert.equal(t.duration, Math.round((pcm.length / 4 / 16000) * 1000) / 1000);
    assert.equal(t.language, 'en');
    assert.ok(t.segments.length >= 2, `segments: ${JSON.stringify(t.segments)}`);
    assert.equal(t.segments[0].text, ' segment 1');
    let prevEnd = 0;
    for (const s of t.segments) {
      assert.equal(typeof s.start, 'number');
      assert.equal(typeof s.end, 'number');
      assert.ok(s.start >= prevEnd - 1e-9 && s.end > s.start && s.end <= t.duration, JSON.stringify(s));
      assert.equal(s.is_final, true);
      assert.deepEqual(s.words, []);
      prevEnd = s.end;
    }
    // The stand-in re-sends segments on every update: none may be duplicated.
    assert.equal(new Set(t.segments.map((s) => s.start)).size, t.segments.length);
    assert.equal(t.batch?.engine, 'whisperlive');
    assert.equal(t.batch?.model, 'small.en');
  });

  it('finishes after a quiet period when the server keeps the socket open', async function () {
    const srv = await serve({ closeAfterEnd: false });
    const t = await engine(srv.url, { quietMs: 300 }).transcribeChunk(chunkInput(audio));
    assert.ok(t.segments.length >= 2);
    assert.ok(srv.clients[0].endOfAudio);
  });

  it('bounds the sending speed', async function () {
    const srv = await serve();
    const started = Date.now();
    await engine(srv.url, { maxSpeed: 8, burstSeconds: 0 }).transcribeChunk(chunkInput(audio));
    const seconds = Buffer.concat(srv.clients[0].audio).length / 4 / 16000;
    // At 8x real time the audio cannot have gone out faster than seconds/8 (minus one frame).
    assert.ok(Date.now() - started >= ((seconds - 0.256) / 8) * 1000, `took ${Date.now() - started} ms for ${seconds} s`);
  });

  it('waits while the server is full and goes on when a slot frees', async function () {
    const srv = await serve({ maxClients: 1 });
    const blocker = new WebSocket(srv.url);
    await new Promise((r) => blocker.once('open', r));
    blocker.send(JSON.stringify({ uid: 'blocker', language: 'en', task: 'transcribe', model: 'small.en', use_vad: true }));
    await new Promise((r) => blocker.once('message', r));
    const p = engine(srv.url, { waitPollMs: 100 }).transcribeChunk(chunkInput(audio));
    // Free the slot only after the engine was turned away at least once.
    while (srv.clients.length < 2 || !srv.clients[1].closed) await new Promise((r) => setTimeout(r, 20));
    blocker.close();
    const t = await p;
    assert.ok(t.segments.length >= 2);
    const mine = srv.clients.slice(1);
    assert.ok(mine.length >= 2, `retried after WAIT (${mine.length} connections)`);
    assert.equal(mine[mine.length - 1].endOfAudio, true);
  });

  it('gives a clear error when the server stays full', async function () {
    const srv = await serve({ maxClients: 0 });
    const e = await rejectsWith(engine(srv.url, { waitPollMs: 50, maxWaitMs: 300 }).transcribeChunk(chunkInput(audio)), 'Engine', /stayed full/);
    assert.match(e.hint ?? '', /run\.concurrency/);
    assert.ok(srv.clients.length >= 2);
  });

  it('logs a WARNING and goes on', async function () {
    const srv = await serve({ warning: 'TensorRT-LLM not supported on Server yet' });
    const logs: string[] = [];
    const e = new WhisperLiveEngine({ url: srv.url, model: 'small.en', language: 'en', useVad: true, maxSpeed: 100, quietMs: 500 }, { log: (_l, m) => logs.push(m) });
    const t = await e.transcribeChunk(chunkInput(audio));
    assert.ok(t.segments.length >= 1);
    assert.ok(
      logs.some((m) => m.includes('TensorRT-LLM not supported')),
      logs.join('\n'),
    );
  });

  it('says where it looked and how to start the server when nothing listens', async function () {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const e1 = await rejectsWith(engine(url).check(), 'EngineMissing', new RegExp(`not reachable at ${url.replace(/\./g, '\\.')}`));
    assert.match(e1.hint ?? '', /run_server\.py --port \d+/);
    await rejectsWith(engine(url).transcribeChunk(chunkInput(audio)), 'EngineMissing', /not reachable/);
  });

  it('check() fails on a server that never gets ready', async function () {
    const silent = await serve({ mode: 'silent' });
    await rejectsWith(engine(silent.url, { readyTimeoutMs: 300 }).check(), 'Engine', /did not answer SERVER_READY/);
  });

  it('fails clearly when the connection drops mid-stream', async function () {
    const srv = await serve({ dropAfterSeconds: 1 });
    // Depending on timing the drop hits while sending or after END_OF_AUDIO: both must fail, never pass as done.
    await rejectsWith(engine(srv.url).transcribeChunk(chunkInput(audio)), 'Engine', /closed the connection while the audio was being sent|lost the connection before sending the whole transcript/);
  });

  it('fails clearly on DISCONNECT (server time limit)', async function () {
    const srv = await serve({ maxConnectionSeconds: 0.3 });
    await rejectsWith(engine(srv.url, { maxSpeed: 1, burstSeconds: 0 }).transcribeChunk(chunkInput(audio)), 'Engine', /maximum connection time/);
  });

  it('stops at once when aborted, and the server sees the connection go', async function () {
    const srv = await serve();
    const ac = new AbortController();
    const p = engine(srv.url, { maxSpeed: 1, burstSeconds: 0 }).transcribeChunk(chunkInput(audio, ac.signal));
    // Abort once audio is flowing (decoding and connecting take a while on a loaded machine).
    while (!srv.clients[0]?.audio.length) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    ac.abort(new CancelledError('stop requested'));
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - started < 1500, 'aborted promptly');
    await new Promise((r) => setTimeout(r, 100));
    const rec = srv.clients[0];
    assert.equal(rec.closed, true);
    assert.equal(rec.closedBy, 'client');
    assert.equal(rec.endOfAudio, false);
  });

  it('gives up after the maximum time per chunk', async function () {
    const srv = await serve();
    await rejectsWith(engine(srv.url, { maxSpeed: 1, burstSeconds: 0, maxChunkMs: 500 }).transcribeChunk(chunkInput(audio)), 'Engine', /took longer than/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.clients[0].closed, true);
  });

  it('reports audio ffmpeg cannot decode', async function () {
    const srv = await serve();
    await rejectsWith(engine(srv.url).transcribeChunk(chunkInput(Buffer.from('not audio at all'))), 'Decode', /ffmpeg could not decode/);
    assert.equal(srv.clients.length, 0, 'no connection for undecodable audio');
  });

  it('is built from settings', function () {
    const s = defaultSettings();
    s.engine.whisperliveUrl = 'ws://gpu.example:9090';
    s.engine.model = 'medium.en';
    const e = WhisperLiveEngine.fromSettings(s);
    assert.equal(e.name, 'whisperlive');
    assert.equal(e.model, 'medium.en');
  });
});
