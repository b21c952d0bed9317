/**
 * The remote-faster-whisper engine end to end, except the transport: LocalShellRunner runs the exact
 * command line SSM would run (quoted venv python, base64 script, base64 job) with this machine's sh
 * and python3, the real script reads and writes a moto bucket through presigned URLs and decodes
 * real Chromium chunks with ffmpeg. No SSM agent or GPU can run here, and faster_whisper is the
 * stand-in of test/fixtures/fake_faster_whisper. @integration (needs moto, python3, ffmpeg)
 */
import * as assert from 'node:assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { systemClock } from '../../../../src/core/clock';
import type { BatchContext, ChunkJob, ChunkOutcome } from '../../../../src/core/engine/engine';
import { LineParser, RemoteFasterWhisperEngine, type RemoteFasterWhisperOptions } from '../../../../src/core/engine/remoteFasterWhisper';
import { WbError } from '../../../../src/core/errors';
import type { BatchEventInput } from '../../../../src/core/events';
import { BucketLayout } from '../../../../src/core/layout';
import type { RemoteCommand, RemoteResult, RemoteRunner } from '../../../../src/core/remote/remoteRunner';
import { defaultSettings, type Settings } from '../../../../src/core/settings';
import { FolderStore } from '../../../../src/core/store/folderStore';
import type { ObjectStore } from '../../../../src/core/store/objectStore';
import { LocalShellRunner, makeLocalVenv } from '../../../support/localShellRunner';
import { createMotoBucket, type MotoBucket } from '../../../support/motoBucket';
import { releaseMoto, startMoto } from '../../../support/moto';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');
const FAKE_FW = path.join(ROOT, 'test', 'fixtures', 'fake_faster_whisper');
const CHUNKS = path.join(ROOT, 'test', 'fixtures', 'chunks', 'chromium156');
const HOSTILE = `sess $(touch /tmp/wb-engine-pwned) 'q' <i> ü`;

describe('RemoteFasterWhisperEngine (real script via sh + python3 on moto; transport and faster_whisper faked) @integration', function () {
  this.timeout(180_000);
  let b: MotoBucket;
  let store: ObjectStore;
  let venv: ReturnType<typeof makeLocalVenv>;
  let settings: Settings;
  const layout = new BucketLayout(defaultSettings().layout);

  before(async function () {
    b = await createMotoBucket(await startMoto(), 'wb-remote-engine');
    store = b.store();
    venv = makeLocalVenv();
    settings = defaultSettings();
    settings.host.venvPath = venv.venvPath;
    settings.engine.device = 'cpu';
    settings.engine.computeType = 'int8';
  });

  after(async function () {
    await b?.dispose();
    await releaseMoto();
    venv?.dispose();
  });

  /** Uploads chunks 1..n of a session (real Chromium chunks, cycled) and returns their jobs. */
  async function session(sessionId: string, n = 3): Promise<ChunkJob[]> {
    const ref = { userId: 'u', sessionId };
    for (let i = 1; i <= n; i++) await store.put(layout.audioKey(ref, i), readFileSync(path.join(CHUNKS, `chunk-00${((i - 1) % 3) + 1}.webm`)));
    return Array.from({ length: n }, (_, k) => {
      const chunk = k + 1;
      return {
        userId: ref.userId,
        sessionId,
        chunk,
        audioKey: layout.audioKey(ref, chunk),
        transcriptKey: layout.transcriptKey(ref, chunk),
        size: 1,
        firstChunkKey: layout.audioKey(ref, 1),
        nextChunkKey: chunk < n ? layout.audioKey(ref, chunk + 1) : undefined,
      };
    });
  }

  function context(over: Partial<BatchContext> = {}): BatchContext & { outcomes: ChunkOutcome[]; events: BatchEventInput[] } {
    const outcomes: ChunkOutcome[] = [];
    const events: BatchEventInput[] = [];
    return {
      store,
      layout,
      signal: new AbortController().signal,
      concurrency: 2,
      runId: 'run-test',
      clock: systemClock,
      maxChunkBytes: 512 * 1048576,
      maxChunkSeconds: 1800,
      emit: (e) => events.push(e),
      onOutcome: (o) => outcomes.push(o),
      outcomes,
      events,
      ...over,
    };
  }

  function engine(runner: RemoteRunner, over: Partial<RemoteFasterWhisperOptions> = {}) {
    return new RemoteFasterWhisperEngine({ runner, settings, ...over });
  }

  const shell = (mode: 'ssm' | 'ssh', env: NodeJS.ProcessEnv = {}) => new LocalShellRunner({ mode, env: { PYTHONPATH: FAKE_FW, PYTHONDONTWRITEBYTECODE: '1', ...env } });

  it('transcribes a session through presigned URLs in calls of maxJobsPerCall, with the venv python and one base64 argument', async function () {
    const jobs = await session(HOSTILE);
    const runner = shell('ssm');
    const ctx = context();
    await engine(runner, { maxJobsPerCall: 2 }).transcribeAll(jobs, ctx);

    assert.deepStrictEqual(
      ctx.outcomes.map((o) => [o.job.chunk, o.ok, o.written, o.audioSeconds]),
      [
        [1, true, true, 5.04],
        [2, true, true, 5.04],
        [3, true, true, 4.98],
      ],
    );
    assert.strictEqual(runner.commands.length, 2);
    for (const c of runner.commands) {
      assert.strictEqual(c.interpreter, 'python3');
      assert.strictEqual(c.interpreterPath, `${venv.venvPath}/bin/python3`);
      assert.strictEqual(c.args.length, 1);
      assert.match(c.args[0], /^z:[A-Za-z0-9+/=]+$/);
    }
    for (const line of runner.lines) assert.ok(!line.includes('touch') && !line.includes('sess '), 'no session id in the command text');
    const t = JSON.parse((await store.get(jobs[1].transcriptKey)).toString('utf8'));
    assert.strictEqual(t.duration, 5.04);
    assert.strictEqual(t.batch.runId, 'run-test');
    assert.strictEqual(t.batch.model, 'small.en');
    const loads = ctx.events.filter((e) => e.type === 'log' && /model small\.en loaded/.test(e.message));
    assert.strictEqual(loads.length, 2, 'model loaded once per call');
    // What a user sees without --verbose: "remote call N" once per call, not once more for the model load.
    const shown = ctx.events.flatMap((e) => (e.type === 'log' && e.level !== 'debug' && /^remote call \d+:/.test(e.message) ? [e.message] : []));
    assert.deepStrictEqual(shown, ['remote call 1: 2 chunks over ssm', 'remote call 2: 1 chunk over ssm']);
  });

  it('streams lines over SSH and reports each chunk exactly once', async function () {
    const jobs = await session('streamed', 2);
    const seen: string[] = [];
    const runner = shell('ssh');
    const run = runner.run.bind(runner);
    runner.run = (cmd, opts) => run(cmd, { ...opts, onOutput: (s) => (seen.push(s), opts?.onOutput?.(s)) });
    const ctx = context();
    await engine(runner).transcribeAll(jobs, ctx);
    assert.ok(seen.join('').includes('"event":"chunk"'), 'output arrived through onOutput');
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => [o.job.chunk, o.ok]),
      [
        [1, true],
        [2, true],
      ],
    );
    // Streamed lines are read once more from the final stdout: the call is shown once, its model load
    // (a --verbose detail) logged once.
    const logs = ctx.events.flatMap((e) => (e.type === 'log' ? [`${e.level} ${e.message}`] : []));
    assert.deepStrictEqual(
      logs.filter((m) => / remote call 1: /.test(m)).map((m) => m.replace(/loaded in .*/, 'loaded')),
      ['info remote call 1: 2 chunks over ssh', 'debug remote call 1: model small.en loaded'],
    );
  });

  it('marks the rest failed with the reason when the script is killed, and counts a transcript already there as done', async function () {
    const jobs = await session('killed', 3);
    await store.put(jobs[2].transcriptKey, '{"segments":[],"language":"en","language_probability":1,"duration":5}');
    const ctx = context();
    await engine(shell('ssm', { FAKE_FW_EXIT_AFTER: '1' })).transcribeAll(jobs, ctx);
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => [o.job.chunk, o.ok, o.error]),
      [
        [1, true, undefined],
        [2, false, 'the transcription script stopped (exit 137)'],
        [3, true, undefined],
      ],
    );
  });

  it('fails every chunk with the model error when faster-whisper cannot load', async function () {
    const jobs = await session('noload', 2);
    const ctx = context();
    await engine(shell('ssm', { FAKE_FW_FAIL_LOAD: '1' })).transcribeAll(jobs, ctx);
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => o.ok),
      [false, false],
    );
    for (const o of ctx.outcomes) assert.match(o.error!, /^cannot load model small\.en: CUDA failed/);
  });

  it('when SSM cut the output, a chunk without a line is done if its transcript is there (no progress object)', async function () {
    const jobs = await session('cut', 3);
    const runner = shell('ssm');
    const run = runner.run.bind(runner);
    // As if the output had hit SSM's limit after the first chunk line.
    runner.run = async (cmd, opts): Promise<RemoteResult> => {
      const r = await run(cmd, opts);
      const lines = r.stdout.split('\n');
      return { ...r, stdout: lines.slice(0, 2).join('\n') + '\n---Output truncated---', truncated: true };
    };
    const ctx = context();
    await engine(runner).transcribeAll(jobs, ctx);
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => [o.job.chunk, o.ok, o.audioSeconds]),
      [
        [1, true, 5.04],
        [2, true, undefined],
        [3, true, undefined],
      ],
    );
    assert.ok(!('progressUrl' in decodeJob(runner.commands[0].args[0])), 'the script is given no progress object to write');
  });

  it('splits a call whose command would be too big, and stops between calls when aborted', async function () {
    const jobs = await session('split', 3);
    const runner = shell('ssm');
    const ac = new AbortController();
    const ctx = context({ signal: ac.signal });
    ctx.onOutcome = (o) => {
      ctx.outcomes.push(o);
      if (ctx.outcomes.length === 2) ac.abort();
    };
    // No call fits: 3 jobs are halved down to calls of one job each (one job always goes).
    await engine(runner, { maxCommandChars: 1 }).transcribeAll(jobs, ctx);
    assert.strictEqual(runner.commands.length, 2, 'third call not started after the abort');
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => [o.job.chunk, o.ok]),
      [
        [1, true],
        [2, true],
      ],
    );
  });

  it('stops calling after two transport failures in a row and fails the rest with the reason', async function () {
    const jobs = await session('unreachable', 3);
    const calls: RemoteCommand[] = [];
    const dead: RemoteRunner = {
      transport: 'ssm',
      isReachable: async () => false,
      run: async (cmd) => {
        calls.push(cmd);
        throw new WbError('Host', 'SSM command cmd-1 on i-0abc ended Failed (Undeliverable) without an exit code');
      },
    };
    const ctx = context();
    await engine(dead, { maxJobsPerCall: 1 }).transcribeAll(jobs, ctx);
    assert.strictEqual(calls.length, 2);
    assert.deepStrictEqual(
      ctx.outcomes.map((o) => o.ok),
      [false, false, false],
    );
    assert.match(ctx.outcomes[0].error!, /^remote command failed: SSM command cmd-1 .*\(Undeliverable\)/);
    assert.match(ctx.outcomes[2].error!, /stopped answering/);
  });

  it('refuses a folder store: the instance needs presigned S3 URLs', async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-folder-'));
    try {
      const ctx = context({ store: new FolderStore(dir) });
      await assert.rejects(engine(shell('ssm')).transcribeAll([], ctx), (e: unknown) => e instanceof WbError && e.code === 'Config' && /needs an S3 store/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LineParser', function () {
  it('reads full and compact chunk lines across chunk boundaries and ignores other text', function () {
    const p = new LineParser();
    const got: unknown[] = [];
    const each = (l: string) => {
      const e = p.parse(l);
      if (e) got.push(e);
    };
    p.feed('{"event":"start","jobs":2,"loadSeconds":1.5}\nTraceback (most recent', each);
    p.feed(' call last)\n{"event":"chunk","id":0,"ok":true,"seconds":0.5,"audioSeconds":5.04,"written":false}\n{"c":1,"ok":0,"s":0.1,"e":"decode fa', each);
    p.feed('iled: x"}\n{"c":2,"ok":1,"s":0.2,"a":4.98}\n{"event":"done","omitted":3}', each);
    p.end(each);
    assert.deepStrictEqual(got, [
      { kind: 'start', loadSeconds: 1.5 },
      { kind: 'chunk', chunk: { id: 0, ok: true, seconds: 0.5, audioSeconds: 5.04, written: false } },
      { kind: 'chunk', chunk: { id: 1, ok: false, seconds: 0.1, error: 'decode failed: x', fault: 'engine' } },
      { kind: 'chunk', chunk: { id: 2, ok: true, seconds: 0.2, audioSeconds: 4.98, written: true } },
      { kind: 'done', omitted: 3 },
    ]);
  });
});

describe('RemoteFasterWhisperEngine: whose fault a failed chunk is', function () {
  it('only the script\'s explicit "fault": "chunk" counts toward quarantine, never the error text; an unknown or missing value is the engine\'s', async function () {
    const { LazyAwsClientFactory } = await import('../../../../src/core/aws/clients');
    const { S3Store } = await import('../../../../src/core/store/s3Store');
    const factory = new LazyAwsClientFactory();
    const aws = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } };
    const store = new S3Store({ bucket: 'recordings', prefix: '', client: () => factory.s3(aws) });
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    const ref = { userId: 'u', sessionId: 's' };
    const jobs: ChunkJob[] = [1, 2, 3, 4, 5, 6].map((c) => ({ ...ref, chunk: c, audioKey: layout.audioKey(ref, c, 'wav'), transcriptKey: layout.transcriptKey(ref, c), size: 100 }));
    const lines = [
      { event: 'chunk', id: 0, ok: false, seconds: 0, error: 'decode failed: Invalid data', fault: 'chunk' },
      // the old text-matching would have called this one the chunk's
      { event: 'chunk', id: 1, ok: false, seconds: 0, error: 'decode failed: larger than the chunk-size cap', fault: 'engine' },
      { event: 'chunk', id: 2, ok: false, seconds: 0, error: 'unsupported audio format "x"' },
      { event: 'chunk', id: 3, ok: false, seconds: 0, error: 'decode failed', fault: 'CHUNK' },
      { c: 4, ok: 0, s: 0, e: 'chunk 5 is larger than the chunk-size cap', f: 'chunk' },
      { c: 5, ok: 0, s: 0, e: 'GET chunk-006.wav: HTTP 403 AccessDenied', f: 'engine' },
    ];
    const runner: RemoteRunner = {
      transport: 'ssm',
      isReachable: async () => true,
      run: async () => ({ exitCode: 0, stdout: lines.map((l) => JSON.stringify(l)).join('\n'), stderr: '' }),
    };
    const outcomes: ChunkOutcome[] = [];
    const ctx: BatchContext = {
      store,
      layout,
      signal: new AbortController().signal,
      concurrency: 1,
      runId: 'r1',
      clock: systemClock,
      maxChunkBytes: 512 * 1048576,
      maxChunkSeconds: 1800,
      emit: () => {},
      onOutcome: (o) => outcomes.push(o),
    };
    await new RemoteFasterWhisperEngine({ runner, settings }).transcribeAll(jobs, ctx);
    await factory.dispose();
    assert.deepStrictEqual(
      outcomes.map((o) => [o.job.chunk, o.ok, o.fault]),
      [
        [1, false, 'chunk'],
        [2, false, undefined],
        [3, false, undefined],
        [4, false, undefined],
        [5, false, 'chunk'],
        [6, false, undefined],
      ],
    );
  });
});

describe('RemoteFasterWhisperEngine call planning (no network: presigning is local)', function () {
  it('keeps every SSM command within its size limit, sends each chunk once, in the documented job shape', async function () {
    const { LazyAwsClientFactory } = await import('../../../../src/core/aws/clients');
    const { S3Store } = await import('../../../../src/core/store/s3Store');
    const { commandLine } = await import('../../../../src/core/remote/commandLine');
    const { inflateSync } = await import('node:zlib');
    const factory = new LazyAwsClientFactory();
    const aws = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'T'.repeat(800) } };
    const store = new S3Store({ bucket: 'recordings', prefix: 'prod/', client: () => factory.s3(aws) });
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    const jobs: ChunkJob[] = [];
    for (let s = 0; s < 100; s++) {
      const ref = { userId: `user-${s % 7}`, sessionId: `session_2025-11-09T14_32_10_${String(s).padStart(3, '0')}Z` };
      for (let c = 1; c <= 4; c++) {
        jobs.push({
          ...ref,
          chunk: c,
          audioKey: layout.audioKey(ref, c),
          transcriptKey: layout.transcriptKey(ref, c),
          size: 60_000,
          firstChunkKey: layout.audioKey(ref, 1),
          nextChunkKey: c < 4 ? layout.audioKey(ref, c + 1) : undefined,
        });
      }
    }
    const sent: Array<{ size: number; payload: any }> = [];
    const runner: RemoteRunner = {
      transport: 'ssm',
      isReachable: async () => true,
      async run(cmd) {
        const payload = JSON.parse(inflateSync(Buffer.from(cmd.args[0].slice(2), 'base64')).toString('utf8'));
        sent.push({ size: commandLine(cmd, 'inline').length, payload });
        const stdout = payload.jobs.map((j: any) => JSON.stringify({ event: 'chunk', id: j.id, ok: true, seconds: 0.3, audioSeconds: 5, written: true })).join('\n');
        return { exitCode: 0, stdout, stderr: '' };
      },
    };
    const outcomes: ChunkOutcome[] = [];
    const ctx: BatchContext = {
      store,
      layout,
      signal: new AbortController().signal,
      concurrency: 3,
      runId: 'r1',
      clock: systemClock,
      maxChunkBytes: 512 * 1048576,
      maxChunkSeconds: 1800,
      emit: () => {},
      onOutcome: (o) => outcomes.push(o),
    };
    await new RemoteFasterWhisperEngine({ runner, settings }).transcribeAll(jobs, ctx);
    await factory.dispose();

    console.log(`      (400 chunks -> ${sent.length} calls of ${sent.map((c) => c.payload.jobs.length).join('/')} chunks, largest command ${Math.max(...sent.map((c) => c.size))} characters)`);
    assert.ok(sent.length >= 3, `${sent.length} calls`);
    for (const c of sent) assert.ok(c.size <= 48_000, `command of ${c.size} characters`);
    assert.deepStrictEqual(
      outcomes.map((o) => o.job),
      jobs,
      'each chunk reported once, in order',
    );
    const first = sent[0].payload;
    assert.deepStrictEqual(Object.keys(first).sort(), [
      'batch_size',
      'beam_size',
      'compute_type',
      'device',
      'jobs',
      'language',
      'maxBytes',
      'maxSeconds',
      'model',
      'origins',
      'prefetch',
      'runId',
      'vad_filter',
    ]);
    // The script reads at most run.maxChunkMegabytes per chunk, decodes at most run.maxChunkMinutes, and only from the origin we signed for.
    assert.deepStrictEqual([first.maxBytes, first.maxSeconds, first.origins], [512 * 1048576, 1800, ['http://127.0.0.1:9']]);
    // Presigned URLs (kept in SSM's command history) live as long as their call may run, plus the 5 min clock skew.
    for (const c of sent) {
      const expires = new Set(c.payload.jobs.flatMap((j: any) => [j.audioUrl, j.transcriptUrl].map((u: string) => new URL(u).searchParams.get('X-Amz-Expires'))));
      assert.deepStrictEqual([...expires], [String(600 + c.payload.jobs.length * 60 + 300)]);
    }
    assert.deepStrictEqual(
      [first.model, first.device, first.compute_type, first.beam_size, first.batch_size, first.vad_filter, first.language, first.prefetch],
      ['small.en', 'auto', 'auto', 5, 8, true, 'en', 3],
    ); // the script resolves auto: cuda/float16 with a GPU, else cpu/int8
    const j1 = first.jobs[1];
    assert.deepStrictEqual(Object.keys(j1).sort(), ['audioUrl', 'chunk', 'ext', 'headerUrl', 'id', 'nextUrl', 'sessionId', 'transcriptUrl']);
    assert.strictEqual(first.jobs[0].headerUrl, undefined, 'chunk 1 carries its own header');
    assert.strictEqual(j1.headerUrl, first.jobs[0].audioUrl, 'chunk 1 signed once per call');
    assert.strictEqual(j1.nextUrl, first.jobs[2].audioUrl);
    assert.match(j1.audioUrl, /^http:\/\/127\.0\.0\.1:9\/recordings\/prod\/users\/user-0\/audio\/sessions\/session_2025-11-09T14_32_10_000Z\/chunk-002\.webm\?/);
    assert.match(decodeURIComponent(j1.transcriptUrl), /X-Amz-SignedHeaders=[^&]*if-none-match/);
  });
});

/** The job argument back as JSON ("z:" + base64 of zlib JSON, src/core/engine/remoteFasterWhisper.ts encodeJob). */
function decodeJob(arg: string): Record<string, unknown> {
  return JSON.parse(inflateSync(Buffer.from(arg.slice(2), 'base64')).toString('utf8'));
}
