/**
 * The REAL instance script (src/core/remote/scripts/transcribe_batch.py) fed as in production:
 * presigned GET URLs to a moto bucket, create-only presigned PUTs for the transcripts, real
 * Chromium chunks, real ffmpeg, and real faster-whisper (tiny.en on CPU, int8) from the engine venv
 * that scripts/setup-test-env.sh makes as `whisper-batch setup-engine` does. The stand-in
 * test/fixtures/fake_faster_whisper is used only where nothing real produces the fault: a model
 * that fails to load (a CUDA error on a GPU host). @integration
 */
import * as assert from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { standaloneChunk } from '../../src/core/decode';
import { CommandEngine } from '../../src/core/engine/commandEngine';
import { localEngineState, managedVenvDir, venvPython } from '../../src/core/engine/engineEnv';
import { encodeJob } from '../../src/core/engine/remoteFasterWhisper';
import { transcriptText } from '../../src/core/transcript';
import { wordErrors } from '../support/wer';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import type { S3Store } from '../../src/core/store/s3Store';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { releaseMoto, startMoto } from '../support/moto';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = path.join(ROOT, 'src', 'core', 'remote', 'scripts', 'transcribe_batch.py');
const FAKE_FW = path.join(ROOT, 'test', 'fixtures', 'fake_faster_whisper');
const CHUNKS = path.join(ROOT, 'test', 'fixtures', 'chunks', 'chromium156');
const chunkFile = (n: number) => readFileSync(path.join(CHUNKS, `chunk-00${n}.webm`));

/** A session id full of shell metacharacters: it must stay data everywhere. */
const NASTY = `s 'q' "d" $(touch /tmp/wb-pwned) \`id\` <b> ü`;

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: any[];
}

/** The stand-in's Python (this machine's python3 + test/fixtures/fake_faster_whisper): load-failure faults only. */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
/** The engine venv's Python, with real faster-whisper and tiny.en (scripts/setup-test-env.sh makes it). */
const ENGINE_PYTHON = venvPython(managedVenvDir());

/** Runs the script with real faster-whisper; `fake: true` runs it on the stand-in instead. */
function runScript(arg: string, env: NodeJS.ProcessEnv = {}, o: { fake?: boolean } = {}): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const python = o.fake ? PYTHON : ENGINE_PYTHON;
    const extra = o.fake ? { PYTHONPATH: FAKE_FW } : { HF_HUB_OFFLINE: '1' };
    const child = spawn(python, [SCRIPT, arg], { env: { ...process.env, ...extra, PYTHONDONTWRITEBYTECODE: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      resolve({ code, stdout, stderr, lines });
    });
  });
}

function b64(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

/** 16 kHz mono 16-bit WAV of silence. */
function wav(seconds: number): Buffer {
  const data = Math.round(seconds * 16000) * 2;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data, 40);
  return Buffer.concat([h, Buffer.alloc(data)]);
}

/** A presigned URL's secrets: none of these may ever appear in the script's output. */
const SIGNED = /X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|[0-9a-f]{64}/i;

/**
 * A hostile HTTP endpoint on loopback: /redirect answers 302 to `location`, /endless streams bytes
 * forever (chunked, no length; it ignores Range), /wav serves `wav` with no Content-Length.
 * `bytesSent` counts what /endless wrote, so a test sees whether the reader stopped.
 */
async function hostileServer(o: { location?: string; wav?: Buffer } = {}) {
  let bytesSent = 0;
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/redirect')) return void res.writeHead(302, { Location: o.location ?? 'http://127.0.0.1:1/' }).end();
    if (req.url?.startsWith('/wav')) {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      return void res.end(o.wav);
    }
    if (req.url?.startsWith('/endless')) {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      const block = Buffer.alloc(65536, 0x41);
      const pump = () => {
        while (!res.destroyed && bytesSent < 1 << 30 && res.write(block)) bytesSent += block.length;
        if (!res.destroyed && bytesSent < 1 << 30) res.once('drain', pump);
        else res.end();
      };
      res.on('close', () => undefined);
      return pump();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    hits,
    sent: () => bytesSent,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const settings = defaultSettings();
const layout = new BucketLayout(settings.layout);
/** The product's defaults on this machine (settings `auto`: tiny.en, cpu, int8). */
const base = { model: 'tiny.en', device: 'auto', compute_type: 'auto', beam_size: 5, batch_size: 8, vad_filter: true, language: 'en' };
const REC = path.join(ROOT, 'test', 'fixtures', 'chromium-recording');
const rec = (n: number) => readFileSync(path.join(REC, `chunk-00${n}.webm`));
const SENTENCES = readFileSync(path.join(REC, 'sentences.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim());

describe('transcribe_batch.py (real python3, ffmpeg, moto, faster-whisper tiny.en on CPU) @integration', function () {
  this.timeout(300_000);
  let b: MotoBucket;
  let store: S3Store;
  let tmp: string;

  before(async function () {
    b = await createMotoBucket(await startMoto(), 'wb-remote-script');
    store = b.store();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-script-'));
  });

  after(async function () {
    await b?.dispose();
    await releaseMoto();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function job(id: number, ref: { userId: string; sessionId: string }, chunk: number, o: { ext?: string; header?: number; next?: number } = {}) {
    const ext = o.ext ?? 'webm';
    const j: Record<string, unknown> = {
      id,
      audioUrl: await store.presignGet(layout.audioKey(ref, chunk, ext), 3600),
      transcriptUrl: await store.presignPutIfAbsent(layout.transcriptKey(ref, chunk), 3600, 'application/json'),
      chunk,
      sessionId: ref.sessionId,
      ext,
    };
    if (o.header) j.headerUrl = await store.presignGet(layout.audioKey(ref, o.header, ext), 3600);
    if (o.next) j.nextUrl = await store.presignGet(layout.audioKey(ref, o.next, ext), 3600);
    return j;
  }

  async function transcript(ref: { userId: string; sessionId: string }, chunk: number): Promise<any> {
    return JSON.parse((await store.get(layout.transcriptKey(ref, chunk))).toString('utf8'));
  }

  it('repairs headerless Chromium chunks, decodes them with ffmpeg and writes docs/TRANSCRIPT.md transcripts; model loaded once', async function () {
    const ref = { userId: 'u1', sessionId: NASTY };
    for (const n of [1, 2, 3]) await store.put(layout.audioKey(ref, n), chunkFile(n));
    const jobs = [await job(0, ref, 1, { next: 2 }), await job(1, ref, 2, { header: 1, next: 3 }), await job(2, ref, 3, { header: 1 })];
    const run = await runScript(b64({ jobs, ...base, runId: 'run-1' }));

    assert.strictEqual(run.code, 0, run.stderr);
    // One model load for the whole call, on the CPU with int8 (device/compute type `auto` here).
    const starts = run.lines.filter((l) => l.event === 'start');
    assert.deepStrictEqual(
      starts.map((l) => [l.model, l.batched, l.device, l.computeType]),
      [['tiny.en', true, 'cpu', 'int8']],
    );
    const chunks = run.lines.filter((l) => l.event === 'chunk');
    assert.deepStrictEqual(
      chunks.map((l) => [l.id, l.ok, l.written]),
      [
        [0, true, true],
        [1, true, true],
        [2, true, true],
      ],
    );
    // Chunk 2 alone fails in ffmpeg ("EBML header parsing failed"): it decoded, so the header was added.
    // 5.04 s (not 4.98) for chunks 1 and 2: the boundary frame from the next chunk was appended.
    assert.deepStrictEqual(
      chunks.map((l) => l.audioSeconds),
      [5.04, 5.04, 4.98],
    );
    assert.deepStrictEqual(run.lines.at(-1), { ...run.lines.at(-1), event: 'done', ok: 3, failed: 0, skipped: 0, omitted: 0 });

    const t2 = await transcript(ref, 2);
    assert.deepStrictEqual(Object.keys(t2).sort(), ['batch', 'duration', 'language', 'language_probability', 'segments']);
    assert.strictEqual(t2.language, 'en');
    assert.strictEqual(t2.duration, 5.04);
    assert.strictEqual(t2.batch.offsetSeconds, 5.04); // Cluster Timecode: absolute time of the chunk in the recording
    assert.strictEqual(t2.batch.runId, 'run-1');
    assert.strictEqual(t2.batch.engine, 'faster-whisper');
    assert.strictEqual(t2.batch.model, 'tiny.en');
    assert.ok(t2.segments.length >= 1);
    for (const s of t2.segments) {
      assert.deepStrictEqual(Object.keys(s).sort(), ['end', 'is_final', 'start', 'text', 'words']);
      assert.strictEqual(s.is_final, true);
      for (const w of s.words) assert.deepStrictEqual(Object.keys(w).sort(), ['end', 'probability', 'start', 'word']);
    }
    assert.ok(wordErrors(SENTENCES[1], transcriptText(t2)).wer < 0.3, transcriptText(t2));
    assert.strictEqual((await transcript(ref, 3)).batch.offsetSeconds, 10.08);
  });

  it('real Whisper on every chunk of a real recording, each decoded alone: WER under 15 % on the batched and the plain path, next to pocketsphinx', async function () {
    // test/fixtures/chromium-recording: chunks 3-6 end with 0x1F, so chunks 4-7 begin inside the Cluster id.
    assert.deepStrictEqual([...rec(4).subarray(0, 3)], [0x43, 0xb6, 0x75], 'the fixture still has the cut this test is about');
    const wer: Record<string, number> = {};
    const lines: string[] = [];
    for (const pipeline of ['batched', 'plain'] as const) {
      const ref = { userId: 'u-rec', sessionId: `recording-${pipeline}` };
      for (let n = 1; n <= 7; n++) await store.put(layout.audioKey(ref, n), rec(n));
      // Chunk 4 without a next chunk: the last chunk uploaded so far (a recording still going on).
      const jobs = [];
      for (let n = 1; n <= 7; n++) jobs.push(await job(n, ref, n, { header: n > 1 ? 1 : undefined, next: n < 7 && n !== 4 ? n + 1 : undefined }));
      const run = await runScript(b64({ jobs, ...base, runId: 'run-rec', ...(pipeline === 'plain' ? { pipeline: 'plain' } : {}) }));
      assert.strictEqual(run.code, 0, run.stderr);
      assert.strictEqual(run.lines.find((l) => l.event === 'start').batched, pipeline === 'batched', 'the path this pass is about');
      const chunks = run.lines.filter((l) => l.event === 'chunk');
      assert.deepStrictEqual(
        chunks.map((l) => [l.id, l.ok, l.error]),
        [1, 2, 3, 4, 5, 6, 7].map((n) => [n, true, undefined]),
      );
      let errors = 0;
      let words = 0;
      const offsets: number[] = [];
      for (let n = 1; n <= 7; n++) {
        const t = await transcript(ref, n);
        offsets.push(t.batch.offsetSeconds);
        const r = wordErrors(SENTENCES[n - 1] ?? '', transcriptText(t));
        errors += r.errors;
        words += r.refWords;
        lines.push(`${pipeline} chunk ${n}: ${r.errors}/${r.refWords} "${transcriptText(t)}"`);
        for (const s of t.segments) {
          assert.ok(s.start >= 0 && s.start <= s.end && s.end <= t.duration + 0.05, `${pipeline} chunk ${n}: segment ${s.start}-${s.end} in ${t.duration} s`);
          assert.ok(s.words.length > 0, `${pipeline} chunk ${n}: word timestamps on`);
          for (const w of s.words) {
            assert.ok(w.start >= 0 && w.start <= w.end && w.end <= t.duration + 0.05, `${pipeline} chunk ${n}: word ${JSON.stringify(w)} in ${t.duration} s`);
            assert.ok(w.probability >= 0 && w.probability <= 1, `${pipeline} chunk ${n}: probability ${w.probability}`);
          }
        }
        // VAD on: the speech sits 0.8 s into each 5 s slot, the last 0.8 s chunk is silence and gives no words.
        if (n <= 6) assert.ok(Math.abs(t.segments[0].words[0].start - 0.8) < 0.5, `${pipeline} chunk ${n}: first word at ${t.segments[0].words[0].start}`);
        else assert.strictEqual(transcriptText(t), '', `${pipeline}: the last 0.8 s is silence`);
      }
      for (let n = 1; n < 7; n++) assert.ok(offsets[n] > offsets[n - 1], `chunk ${n + 1} starts after chunk ${n}: ${offsets}`);
      assert.strictEqual(words, 67);
      wer[pipeline] = errors / words;
    }

    // pocketsphinx (the fallback engine) on the same chunks, each decoded alone the same way.
    const ps = new CommandEngine({ command: 'pocketsphinx' });
    await ps.check();
    let psErrors = 0;
    for (let n = 1; n <= 7; n++) {
      const key = `users/t/audio/sessions/r/chunk-00${n}.webm`;
      const audio = standaloneChunk(rec(n), rec(1), n < 7 ? rec(n + 1) : undefined);
      const t = await ps.transcribeChunk({
        job: { userId: 't', sessionId: 'r', chunk: n, audioKey: key, transcriptKey: `t/${n}.json`, size: audio.length },
        audio,
        ext: 'webm',
        signal: new AbortController().signal,
      });
      psErrors += wordErrors(SENTENCES[n - 1] ?? '', transcriptText(t)).errors;
    }
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    console.log(`      WER over 67 words: faster-whisper tiny.en batched ${pct(wer.batched)}, plain ${pct(wer.plain)}; pocketsphinx ${pct(psErrors / 67)}`);
    assert.ok(wer.batched < 0.15, `batched WER ${pct(wer.batched)}\n${lines.join('\n')}`);
    assert.ok(wer.plain < 0.15, `plain WER ${pct(wer.plain)}\n${lines.join('\n')}`);
  });

  it('never overwrites an existing transcript (412 -> skipped, not an error)', async function () {
    const ref = { userId: 'u2', sessionId: 'keep' };
    await store.put(layout.audioKey(ref, 1), chunkFile(1));
    const existing = '{"segments":[],"language":"en","language_probability":1,"duration":5,"mine":true}';
    await store.put(layout.transcriptKey(ref, 1), existing);
    const run = await runScript(b64({ jobs: [await job(0, ref, 1)], ...base }));
    assert.strictEqual(run.code, 0, run.stderr);
    const line = run.lines.find((l) => l.event === 'chunk');
    assert.strictEqual(line.ok, true);
    assert.strictEqual(line.written, false);
    assert.strictEqual(run.lines.at(-1).skipped, 1);
    assert.strictEqual((await store.get(layout.transcriptKey(ref, 1))).toString('utf8'), existing);
  });

  it('reports a corrupt or missing chunk as failed and goes on with the rest', async function () {
    const ref = { userId: 'u3', sessionId: 'mixed' };
    await store.put(layout.audioKey(ref, 1), chunkFile(1));
    await store.put(layout.audioKey(ref, 2), Buffer.from('this is not audio at all, no Cluster anywhere'));
    await store.put(layout.audioKey(ref, 3, 'mp3'), Buffer.alloc(3000, 0x55));
    await store.put(layout.audioKey(ref, 5), chunkFile(3)); // headerless, and chunk 1 not given
    await store.put(layout.audioKey(ref, 6), chunkFile(2));
    const jobs = [
      await job(0, ref, 2, { header: 1 }),
      await job(1, ref, 3, { ext: 'mp3' }),
      await job(2, ref, 4), // no such object
      await job(3, ref, 5),
      await job(4, ref, 6, { header: 1 }),
    ];
    const run = await runScript(b64({ jobs, ...base }));
    assert.strictEqual(run.code, 0, run.stderr);
    const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
    assert.match(byId.get(0).error, /headerless WebM chunk without a Cluster/);
    assert.match(byId.get(1).error, /^decode failed: /);
    assert.match(byId.get(2).error, /HTTP 404 NoSuchKey/);
    assert.doesNotMatch(byId.get(2).error, /X-Amz-Signature|X-Amz-Credential/); // never a signed URL in output
    assert.match(byId.get(3).error, /no header and chunk 1 is missing/);
    assert.strictEqual(byId.get(4).ok, true);
    assert.strictEqual(byId.get(4).audioSeconds, 4.98);
    assert.deepStrictEqual(
      [0, 1, 2, 3].map((i) => byId.get(i).ok),
      [false, false, false, false],
    );
    assert.strictEqual(run.lines.at(-1).failed, 4);
    // Whose fault, as an explicit field: the chunk's own bytes, or not (a missing object is the store's, not the bytes')
    assert.deepStrictEqual(
      [0, 1, 2, 3].map((i) => byId.get(i).fault),
      ['chunk', 'chunk', 'engine', 'chunk'],
    );
    assert.strictEqual(byId.get(4).fault, undefined);
    assert.strictEqual(await store.head(layout.transcriptKey(ref, 2)), undefined);
    assert.ok(await store.head(layout.transcriptKey(ref, 6)));
  });

  it('reports every chunk when the model cannot load (one fatal line, non-zero exit)', async function () {
    const ref = { userId: 'u4', sessionId: 'noload' };
    // Stand-in: a model that cannot load (CUDA error) is a fault nothing real produces on this machine.
    const run = await runScript(encodeJob({ jobs: [await job(0, ref, 1)], ...base, model: 'small.en', device: 'cuda', compute_type: 'float16' }), { FAKE_FW_FAIL_LOAD: '1' }, { fake: true });
    assert.strictEqual(run.code, 3);
    assert.strictEqual(run.lines.length, 1);
    assert.strictEqual(run.lines[0].event, 'fatal');
    assert.match(run.lines[0].error, /cannot load model small\.en: CUDA failed/);
  });

  it('keeps stdout under 24,000 characters for 500 chunks (compact lines), omitted lines counted in the done line', async function () {
    const ref = { userId: 'u5', sessionId: 'big' };
    await store.put(layout.audioKey(ref, 1, 'wav'), wav(0.2));
    const audioUrl = await store.presignGet(layout.audioKey(ref, 1, 'wav'), 3600);
    const missingUrl = await store.presignGet(layout.audioKey(ref, 9999, 'wav'), 3600);
    const jobs = [];
    for (let i = 0; i < 500; i++) {
      // Every 5th chunk fails (missing audio): error lines are the long ones.
      jobs.push({
        id: i,
        audioUrl: i % 5 === 4 ? missingUrl : audioUrl,
        transcriptUrl: await store.presignPutIfAbsent(layout.transcriptKey(ref, i + 1), 3600, 'application/json'),
        chunk: i + 1,
        sessionId: ref.sessionId,
        ext: 'wav',
      });
    }
    const t0 = Date.now();
    // No ffmpeg on PATH: the script falls back to faster_whisper.decode_audio (the stand-in reads
    // WAV), which keeps 500 decodes fast on a loaded test machine; ffmpeg is covered above.
    const run = await runScript(encodeJob({ jobs, ...base, prefetch: 4 }), { PATH: '' });
    console.log(`      (500 chunks: ${Date.now() - t0} ms, ${run.stdout.length} characters of stdout)`);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.ok(run.stdout.length < 24_000, `stdout is ${run.stdout.length} characters`);
    const done = run.lines.at(-1);
    assert.strictEqual(done.event, 'done');
    assert.deepStrictEqual([done.ok, done.failed, done.progress], [400, 100, undefined]);
    const compact = run.lines.filter((l) => 'c' in l);
    assert.strictEqual(compact.length + done.omitted, 500);
    assert.ok(compact.length > 0);
    assert.deepStrictEqual(compact[0], { c: 0, ok: 1, s: compact[0].s, a: 0.2 });
    const failedLine = compact.find((l) => l.ok === 0);
    assert.ok(failedLine, 'a compact failed line is there');
    assert.strictEqual(failedLine.f, 'engine', "a missing object (HTTP 404) is not the chunk's fault");
  });
  it('fetches only http(s) of the listed origins: file:, data:, ftp:, another host and a redirect fail alone, the rest is transcribed', async function () {
    const ref = { userId: 'u6', sessionId: 'schemes' };
    await store.put(layout.audioKey(ref, 1), chunkFile(1));
    const good = await job(0, ref, 1);
    const local = path.join(tmp, 'local-secret.wav');
    writeFileSync(local, wav(1));
    const target = await store.presignGet(layout.audioKey(ref, 1), 3600);
    const srv = await hostileServer({ location: target });
    try {
      const put = async (n: number) => store.presignPutIfAbsent(layout.transcriptKey(ref, n), 3600, 'application/json');
      const bad = (id: number, audioUrl: string, ext = 'wav') => put(id + 1).then((transcriptUrl) => ({ id, audioUrl, transcriptUrl, chunk: id + 1, sessionId: ref.sessionId, ext }));
      const jobs = [
        good,
        await bad(1, `file://${local}`),
        await bad(2, `data:audio/wav;base64,${wav(1).toString('base64')}`),
        await bad(3, 'ftp://127.0.0.1/x.wav'),
        await bad(4, 'https://attacker.example/x.wav'),
        await bad(5, `${srv.origin}/redirect`, 'webm'),
      ];
      const origins = [new URL(target).origin, srv.origin];
      const run = await runScript(b64({ jobs, ...base, origins }));
      assert.strictEqual(run.code, 0, run.stderr);
      const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
      assert.strictEqual(byId.get(0).ok, true);
      assert.match(byId.get(1).error, /audioUrl: URL scheme "file" is not allowed/);
      assert.match(byId.get(2).error, /audioUrl: URL scheme "data" is not allowed/);
      assert.match(byId.get(3).error, /audioUrl: URL scheme "ftp" is not allowed/);
      assert.match(byId.get(4).error, /audioUrl: host attacker\.example is not the store's endpoint/);
      assert.match(byId.get(5).error, /HTTP 302/); // not followed
      assert.deepStrictEqual(srv.hits, ['/redirect']);
      // refused URLs are the caller's problem, never the chunk's (they must not quarantine it)
      assert.deepStrictEqual(
        [1, 2, 3, 4, 5].map((i) => byId.get(i).fault),
        ['engine', 'engine', 'engine', 'engine', 'engine'],
      );
      for (let n = 2; n <= 6; n++) assert.strictEqual(await store.head(layout.transcriptKey(ref, n)), undefined, `no transcript for job ${n - 1}`);
      assert.doesNotMatch(run.stdout, SIGNED);
    } finally {
      await srv.close();
    }
  });

  it('never echoes a presigned query: a URL with a space or a control character fails with its name only', async function () {
    const ref = { userId: 'u7', sessionId: 'invalid-url' };
    await store.put(layout.audioKey(ref, 1), chunkFile(1));
    const j0 = await job(0, ref, 1);
    const j1 = { ...(await job(1, ref, 2)), audioUrl: (j0.audioUrl as string) + '&x=a b' };
    const j2 = { ...(await job(2, ref, 3)), audioUrl: j0.audioUrl, headerUrl: (j0.audioUrl as string) + '&x=%0d\r\nX-Injected: 1' };
    const run = await runScript(b64({ jobs: [j0, j1, j2], ...base }));
    assert.strictEqual(run.code, 0, run.stderr);
    const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
    assert.strictEqual(byId.get(0).ok, true);
    assert.match(byId.get(1).error, /^audioUrl: the URL holds spaces or control characters$/);
    assert.match(byId.get(2).error, /^headerUrl: the URL holds spaces or control characters$/);
    assert.doesNotMatch(run.stdout + run.stderr, SIGNED);
  });

  it('a malformed job entry fails alone (not an object, no URL, wrong types, unknown format); bad knobs are defaults', async function () {
    const ref = { userId: 'u8', sessionId: 'malformed' };
    await store.put(layout.audioKey(ref, 1), chunkFile(1));
    const good = await job(4, ref, 1);
    const jobs = [123, { id: 1 }, { id: 2, audioUrl: 42, transcriptUrl: good.transcriptUrl }, null, good, { ...good, id: 5, ext: 'm3u8' }];
    const run = await runScript(b64({ jobs, ...base, prefetch: 'x', maxBytes: 'y' }));
    assert.strictEqual(run.code, 0, run.stderr);
    const lines = run.lines.filter((l) => l.event === 'chunk');
    assert.deepStrictEqual(
      lines.map((l) => [l.id, l.ok, l.error]),
      [
        [0, false, 'malformed job entry (not an object)'],
        [1, false, 'malformed job entry (no audioUrl)'],
        [2, false, 'audioUrl: no URL'],
        [3, false, 'malformed job entry (not an object)'],
        [4, true, undefined],
        [5, false, lines[5].error],
      ],
    );
    assert.match(lines[5].error, /^unsupported audio format "m3u8"/);
    assert.deepStrictEqual(
      lines.map((l) => l.fault),
      ['engine', 'engine', 'engine', 'engine', undefined, 'chunk'],
    );
    assert.deepStrictEqual([run.lines.at(-1).ok, run.lines.at(-1).failed], [1, 5]);
  });

  it('caps the bytes read per chunk: a chunk above maxBytes fails alone naming it and the setting; an endless body is cut off, also for the next chunk range', async function () {
    const ref = { userId: 'u9', sessionId: 'cap' };
    await store.put(layout.audioKey(ref, 1, 'wav'), wav(0.2)); // 6.4 KB
    await store.put(layout.audioKey(ref, 2, 'wav'), wav(4)); // 128 KB
    await store.put(layout.audioKey(ref, 3), chunkFile(1));
    await store.put(layout.audioKey(ref, 4), chunkFile(2));
    const srv = await hostileServer({ wav: wav(4) });
    try {
      const endlessJob = { ...(await job(2, ref, 5, { ext: 'wav' })), audioUrl: `${srv.origin}/endless` };
      const noLength = { ...(await job(3, ref, 6, { ext: 'wav' })), audioUrl: `${srv.origin}/wav` };
      // Chunk 3 (webm) with its "next chunk" endless: only the leading range is read.
      const nextEndless = { ...(await job(4, ref, 3)), nextUrl: `${srv.origin}/endless` };
      const jobs = [await job(0, ref, 1, { ext: 'wav' }), await job(1, ref, 2, { ext: 'wav' }), endlessJob, noLength, nextEndless];
      const t0 = Date.now();
      const run = await runScript(b64({ jobs, ...base, maxBytes: 100_000 }));
      assert.strictEqual(run.code, 0, run.stderr);
      const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
      assert.strictEqual(byId.get(0).ok, true);
      assert.match(byId.get(1).error, /^chunk 2 is 128044 bytes, above the chunk-size cap of 100000 bytes \(run\.maxChunkMegabytes\)$/);
      assert.match(byId.get(2).error, /^chunk 5 is larger than the chunk-size cap of 100000 bytes \(run\.maxChunkMegabytes\)$/);
      assert.match(byId.get(3).error, /^chunk 6 is larger than the chunk-size cap/);
      assert.strictEqual(byId.get(4).ok, true, byId.get(4).error);
      assert.deepStrictEqual(
        [1, 2, 3].map((i) => byId.get(i).fault),
        ['chunk', 'chunk', 'chunk'],
      );
      // The endless bodies were cut off near the cap, not read to their end (1 GiB each).
      assert.ok(srv.sent() < 64 << 20, `the server wrote ${srv.sent()} bytes`);
      assert.ok(Date.now() - t0 < 60_000);
      assert.strictEqual(await store.head(layout.transcriptKey(ref, 2)), undefined);
    } finally {
      await srv.close();
    }
  });

  it('bounds the decoded audio (maxSeconds, run.maxChunkMinutes): a small chunk that decodes to more fails alone as its own fault, on ffmpeg and PyAV', async function () {
    const ref = { userId: 'u12', sessionId: 'long' };
    // 3 min of silence as FLAC in Matroska: a few KB that decode to 3 min
    const long = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '180', '-c:a', 'flac', '-f', 'matroska', 'pipe:1']);
    await store.put(layout.audioKey(ref, 1), long);
    await store.put(layout.audioKey(ref, 2, 'wav'), wav(1));
    const jobs = [await job(0, ref, 1), await job(1, ref, 2, { ext: 'wav' })];
    for (const env of [{}, { PATH: '' }]) {
      const run = await runScript(b64({ jobs, ...base, maxSeconds: 60 }), env);
      assert.strictEqual(run.code, 0, run.stderr);
      const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
      assert.deepStrictEqual([byId.get(0).ok, byId.get(0).error, byId.get(0).fault], [false, 'chunk 1 decodes to more than 1 min of audio (run.maxChunkMinutes)', 'chunk'], JSON.stringify(env));
      assert.strictEqual(byId.get(1).ok, true, byId.get(1).error);
      await store.delete(layout.transcriptKey(ref, 2));
    }
    assert.strictEqual(await store.head(layout.transcriptKey(ref, 1)), undefined);
  });

  it('a headerless WebM chunk whose chunk 1 is Ogg or garbage: the error says what chunk 1 is and what was expected', async function () {
    const ref = { userId: 'u13', sessionId: 'mixed-formats' };
    const ogg = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus', '-f', 'ogg', 'pipe:1']);
    await store.put(layout.audioKey(ref, 1, 'ogg'), ogg);
    await store.put(layout.audioKey(ref, 2), chunkFile(2));
    const other = { userId: 'u13', sessionId: 'garbage-first' };
    await store.put(layout.audioKey(other, 1), Buffer.from('not a recording\n'.repeat(10)));
    await store.put(layout.audioKey(other, 2), chunkFile(2));
    const jobs = [{ ...(await job(0, ref, 2)), headerUrl: await store.presignGet(layout.audioKey(ref, 1, 'ogg'), 3600) }, await job(1, other, 2, { header: 1 }), await job(2, ref, 1, { ext: 'ogg' })];
    const run = await runScript(b64({ jobs, ...base }));
    assert.strictEqual(run.code, 0, run.stderr);
    const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
    assert.deepStrictEqual(
      [byId.get(0).error, byId.get(0).fault],
      ['a WebM chunk without its header, and chunk 1 is not WebM: found Ogg audio where a WebM file (beginning with the EBML header) was expected', 'chunk'],
    );
    assert.match(byId.get(1).error, /chunk 1 is not WebM: found bytes of no known format where a WebM file/);
    assert.strictEqual(byId.get(2).ok, true, byId.get(2).error);
  });

  it('pins the demuxer by extension (ffmpeg): a ".wav" that is an HLS playlist naming a local file is not read', async function () {
    const ref = { userId: 'u10', sessionId: 'playlist' };
    // A local MPEG-TS file of 2 s: what a playlist could make the decoder read (and transcribe).
    const secret = path.join(tmp, 'secret.ts');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', 'pipe:0', '-c:a', 'mp2', '-f', 'mpegts', secret], { input: wav(2).subarray(44) });
    await store.put(layout.audioKey(ref, 1, 'wav'), Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${secret}\n#EXT-X-ENDLIST\n`));
    await store.put(layout.audioKey(ref, 2, 'wav'), wav(1));
    const run = await runScript(b64({ jobs: [await job(0, ref, 1, { ext: 'wav' }), await job(1, ref, 2, { ext: 'wav' })], ...base }));
    assert.strictEqual(run.code, 0, run.stderr);
    const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
    assert.strictEqual(byId.get(0).ok, false, 'the playlist was followed');
    assert.match(byId.get(0).error, /^decode failed: /);
    assert.deepStrictEqual([byId.get(1).ok, byId.get(1).audioSeconds], [true, 1]);
  });

  it('decodes through PyAV when there is no ffmpeg (the engine venv), the demuxer pinned there too', async function () {
    const state = localEngineState(defaultSettings());
    if (!state.ready) {
      console.log(`      (skipped: ${state.why})`);
      return this.skip();
    }
    const ref = { userId: 'u11', sessionId: 'pyav' };
    for (const n of [1, 2]) await store.put(layout.audioKey(ref, n), chunkFile(n));
    await store.put(layout.audioKey(ref, 3, 'wav'), chunkFile(1)); // WebM bytes named .wav
    const jobs = [await job(0, ref, 1, { next: 2 }), await job(1, ref, 2, { header: 1 }), await job(2, ref, 3, { ext: 'wav' })];
    const run = await runScript(b64({ jobs, ...base }), { PATH: '' });
    assert.strictEqual(run.code, 0, run.stderr);
    const byId = new Map(run.lines.filter((l) => l.event === 'chunk').map((l) => [l.id, l]));
    assert.deepStrictEqual([byId.get(0).ok, byId.get(1).ok], [true, true], JSON.stringify([...byId.values()]));
    assert.ok(Math.abs(byId.get(1).audioSeconds - 4.98) < 0.1, String(byId.get(1).audioSeconds));
    assert.strictEqual(byId.get(2).ok, false); // not probed as WebM: read as WAV, which it is not
    assert.match(byId.get(2).error, /^decode failed: /);
  });
});
