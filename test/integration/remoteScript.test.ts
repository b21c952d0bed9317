/**
 * The REAL instance script (src/core/remote/scripts/transcribe_batch.py) run with this machine's
 * python3 against presigned URLs of a moto bucket, with real Chromium chunks and real ffmpeg. Only
 * faster_whisper is a stand-in (test/fixtures/fake_faster_whisper: no Whisper weights or GPU can
 * exist here); it derives its segments from the decoded audio's duration. @integration
 */
import * as assert from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeJob } from '../../src/core/engine/remoteFasterWhisper';
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

const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

function runScript(arg: string, env: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, arg], { env: { ...process.env, PYTHONPATH: FAKE_FW, PYTHONDONTWRITEBYTECODE: '1', ...env } });
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

const settings = defaultSettings();
const layout = new BucketLayout(settings.layout);
const base = { model: 'small.en', device: 'cuda', compute_type: 'float16', beam_size: 5, batch_size: 8, vad_filter: true, language: 'en' };

describe('transcribe_batch.py (real python3, ffmpeg, moto; stand-in faster_whisper) @integration', function () {
  this.timeout(180_000);
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

  it('repairs headerless Chromium chunks, decodes them with ffmpeg and writes FACTS §2 transcripts; model loaded once', async function () {
    const ref = { userId: 'u1', sessionId: NASTY };
    for (const n of [1, 2, 3]) await store.put(layout.audioKey(ref, n), chunkFile(n));
    const log = path.join(tmp, 'calls-1.jsonl');
    const jobs = [await job(0, ref, 1, { next: 2 }), await job(1, ref, 2, { header: 1, next: 3 }), await job(2, ref, 3, { header: 1 })];
    const run = await runScript(b64({ jobs, ...base, runId: 'run-1' }), { FAKE_FW_LOG: log });

    assert.strictEqual(run.code, 0, run.stderr);
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
    assert.strictEqual(t2.segments.length, 3); // stand-in: one segment per started 2 s
    for (const s of t2.segments) {
      assert.deepStrictEqual(Object.keys(s).sort(), ['end', 'is_final', 'start', 'text', 'words']);
      assert.strictEqual(s.is_final, true);
      for (const w of s.words) assert.deepStrictEqual(Object.keys(w).sort(), ['end', 'probability', 'start', 'word']);
    }
    assert.strictEqual(t2.segments.at(-1).end, 5.04);
    assert.strictEqual((await transcript(ref, 3)).batch.offsetSeconds, 10.08);

    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepStrictEqual(
      calls.filter((c) => c.call === 'load'),
      [{ call: 'load', model: 'small.en', device: 'cuda', compute_type: 'float16' }],
    );
    const tr = calls.filter((c) => c.call === 'transcribe');
    assert.strictEqual(tr.length, 3);
    for (const c of tr)
      assert.deepStrictEqual({ ...c, duration: 0 }, { call: 'transcribe', kind: 'batched', duration: 0, batch_size: 8, beam_size: 5, word_timestamps: true, vad_filter: true, language: 'en' });
  });

  it('decodes every chunk of a real recording alone, also those cut inside the Cluster id (43 B6 75...), with or without a next chunk', async function () {
    // test/fixtures/chromium-recording: chunks 3-6 end with 0x1F, so chunks 4-7 begin inside the Cluster id.
    const rec = (n: number) => readFileSync(path.join(ROOT, 'test', 'fixtures', 'chromium-recording', `chunk-00${n}.webm`));
    assert.deepStrictEqual([...rec(4).subarray(0, 3)], [0x43, 0xb6, 0x75], 'the fixture still has the cut this test is about');
    const ref = { userId: 'u-rec', sessionId: 'recording' };
    for (let n = 1; n <= 7; n++) await store.put(layout.audioKey(ref, n), rec(n));
    // Chunk 4 without a next chunk: the last chunk uploaded so far (a recording still going on).
    const jobs = [];
    for (let n = 1; n <= 7; n++) jobs.push(await job(n, ref, n, { header: n > 1 ? 1 : undefined, next: n < 7 && n !== 4 ? n + 1 : undefined }));
    const run = await runScript(b64({ jobs, ...base, runId: 'run-rec' }));
    assert.strictEqual(run.code, 0, run.stderr);
    const chunks = run.lines.filter((l) => l.event === 'chunk');
    assert.deepStrictEqual(
      chunks.map((l) => [l.id, l.ok, l.error]),
      [1, 2, 3, 4, 5, 6, 7].map((n) => [n, true, undefined]),
    );
    const offsets = [];
    for (let n = 1; n <= 7; n++) offsets.push((await transcript(ref, n)).batch.offsetSeconds);
    for (let n = 1; n < 7; n++) assert.ok(offsets[n] > offsets[n - 1], `chunk ${n + 1} starts after chunk ${n}: ${offsets}`);
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
    assert.strictEqual(await store.head(layout.transcriptKey(ref, 2)), undefined);
    assert.ok(await store.head(layout.transcriptKey(ref, 6)));
  });

  it('reports every chunk when the model cannot load (one fatal line, non-zero exit)', async function () {
    const ref = { userId: 'u4', sessionId: 'noload' };
    const run = await runScript(encodeJob({ jobs: [await job(0, ref, 1)], ...base }), { FAKE_FW_FAIL_LOAD: '1' });
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
  });
});
