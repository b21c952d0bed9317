/**
 * The GPU fault table: every way the EC2 path can go wrong, each ending with the GPU stopped if this
 * run started it, no transcript lost or overwritten, and a report naming the error. @integration
 *
 * Real parts: runBatch, the run lease, the report, Ec2Host and a FolderStore on disk. Stand-ins
 * (nothing of them can run here): FakeEc2 for EC2 transitions and faults, FakeRemoteRunner for the
 * instance (SSM agent, systemd unit, our stop timer and logind's shutdown), and a scripted engine that only works while the
 * fake instance runs and its unit is active. All on a fake clock: a 90 s boot takes milliseconds.
 */
import * as assert from 'node:assert/strict';
import { gpuCostUsd } from '../../src/core/cost';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBatch, type BatchResult } from '../../src/core/batch';
import { sleep } from '../../src/core/clock';
import type { BatchContext, ChunkInput, ChunkJob, Engine } from '../../src/core/engine/engine';
import { transcribeChunkByChunk } from '../../src/core/engine/chunkPipeline';
import { WbError, describeError } from '../../src/core/errors';
import type { BatchEvent } from '../../src/core/events';
import { Ec2Host, OWNER_TAG } from '../../src/core/host/ec2Host';
import { findOrphanedGpu, stopOrphanedGpu } from '../../src/core/host/orphans';
import { BucketLayout } from '../../src/core/layout';
import { readLiveLock } from '../../src/core/liveLock';
import { Lease, readLease } from '../../src/core/lease';
import { defaultSettings, type Settings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import type { Transcript } from '../../src/core/transcript';
import { fakeClock, type TestClock } from '../support/fakeClock';
import { FakeEc2, GPU_ID } from '../support/fakeEc2';
import { FakeRemoteRunner, type FakeRemoteOptions } from '../support/fakeRemoteRunner';

const ODD = '$(touch pwned); rm -rf ~ `id`';
const PREEXISTING = JSON.stringify({ segments: [{ text: ' Written by the realtime path.', start: 0, end: 1, is_final: true, words: [] }], language: 'en', language_probability: 1, duration: 5 });

function transcript(text: string): Transcript {
  return { segments: [{ text: ` ${text}`, start: 0, end: 1, is_final: true, words: [] }], language: 'en', language_probability: 1, duration: 5 };
}

interface World {
  clock: TestClock;
  ec2: FakeEc2;
  remote: FakeRemoteRunner;
  host: Ec2Host;
  events: BatchEvent[];
}

/** Stand-in for the engine on the GPU: answers only while the fake instance runs and its unit is active. */
class GpuEngine implements Engine {
  readonly name = 'fake-gpu';
  readonly model = 'small.en';
  calls = 0;
  constructor(
    private readonly w: () => World,
    private readonly o: { killUnitAfter?: number; hang?: boolean } = {},
  ) {}
  async check() {}
  async transcribeChunk(input: ChunkInput): Promise<Transcript> {
    const { clock, ec2, remote } = this.w();
    if (this.o.hang) await new Promise(() => undefined); // a process that never gets further
    await sleep(clock, 3000, input.signal);
    this.calls++;
    if (ec2.state !== 'running' || remote.unit !== 'active') throw new WbError('Engine', `WhisperLive on GPU ${ec2.instanceId} is not answering (unit ${remote.unit}, instance ${ec2.state})`);
    if (input.audio.toString() === 'CORRUPT') throw new WbError('Decode', 'Invalid data found when processing input');
    if (this.calls === this.o.killUnitAfter) remote.killUnit();
    return transcript(`chunk ${input.job.chunk}`);
  }
  transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    return transcribeChunkByChunk(this, jobs, ctx);
  }
}

/** Stand-in for the remote batch engine: one script run for all chunks; the script is killed after `killAfter` chunks. */
class ScriptEngine implements Engine {
  readonly name = 'fake-remote-script';
  constructor(
    private readonly w: () => World,
    private readonly killAfter: number,
  ) {}
  async check() {}
  async transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    const { remote, clock } = this.w();
    const t0 = clock.now();
    remote.onRun = async () => {
      // What the script does through presigned create-only PUTs, then the OOM killer strikes.
      let out = '';
      for (const [i, job] of jobs.slice(0, this.killAfter).entries()) {
        await sleep(clock, 2000);
        await ctx.store.put(job.transcriptKey, JSON.stringify({ ...transcript('remote'), batch: { engine: this.name, runId: ctx.runId } }), { ifAbsent: true });
        out += `done ${i}\n`;
      }
      return { exitCode: 137, stdout: out, stderr: 'Killed\n' };
    };
    const job64 = Buffer.from(JSON.stringify(jobs.map((j) => j.audioKey))).toString('base64');
    const res = await remote.run({ program: '# shipped script', interpreter: 'python3', args: [job64], timeoutSeconds: 3600 }, { signal: ctx.signal });
    const done = new Set(
      res.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(l.split(' ')[1])),
    );
    jobs.forEach((job, i) =>
      ctx.onOutcome(
        done.has(i)
          ? { job, ok: true, written: true, audioSeconds: 5, seconds: (clock.now() - t0) / 1000 }
          : { job, ok: false, error: `transcription script on the GPU ended with exit ${res.exitCode} (${res.stderr.trim()}) before this chunk`, seconds: 0 },
      ),
    );
  }
}

describe('GPU fault table @integration', function () {
  let dir: string;
  let store: FolderStore;
  let settings: Settings;
  let layout: BucketLayout;
  let w: World;
  let before: Map<string, string>;

  function world(o: { state?: FakeEc2['state']; tags?: Record<string, string>; startDelayMs?: number; remote?: Partial<FakeRemoteOptions> } = {}): World {
    const clock = fakeClock(Date.now() + 3_600_000);
    const ec2 = new FakeEc2({ clock, state: o.state, tags: o.tags, startDelayMs: o.startDelayMs ?? 90_000, stopDelayMs: 30_000 });
    const remote = new FakeRemoteRunner({ clock, ec2, agentOnlineAfterPolls: 3, unitActivatingPolls: 2, ...o.remote });
    const events: BatchEvent[] = [];
    // As in production (src/core/runtime.ts): the host reads batch-lock.json from the store before a stop.
    const host = new Ec2Host({ ec2, remote, clock, settings, emit: (e) => events.push({ ...e, time: clock.now() } as BatchEvent), liveLock: () => readLiveLock(store, layout, settings, clock) });
    w = { clock, ec2, remote, host, events };
    return w;
  }

  function run(engine: Engine, extra: { runId?: string; holder?: string; host?: Ec2Host } = {}): Promise<BatchResult> {
    return runBatch({ store, settings, clock: w.clock, host: extra.host ?? w.host, engine, emit: (e) => w.events.push(e), runId: extra.runId, holder: extra.holder });
  }

  /** Every transcript on disk, by key. */
  function transcripts(): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const f = path.join(d, name);
        if (statSync(f).isDirectory()) walk(f);
        else if (name.endsWith('.json') && !f.includes('batch-reports')) out.set(path.relative(dir, f).split(path.sep).join('/'), readFileSync(f, 'utf8'));
      }
    };
    walk(path.join(dir, 'users'));
    return out;
  }

  /** Nothing there before was changed; every new transcript belongs to a chunk the report counts as done. */
  function assertNoTranscriptLostOrOverwritten(r: BatchResult): void {
    const after = transcripts();
    for (const [k, v] of before) assert.equal(after.get(k), v, `transcript ${k} unchanged`);
    const added = [...after.keys()].filter((k) => !before.has(k));
    assert.equal(added.length, r.report.transcription.chunksTranscribed, 'one new transcript per chunk reported done');
  }

  function assertStoppedAndUnmarked(): void {
    assert.equal(w.ec2.state, 'stopped', 'the GPU this run started is stopped');
    assert.equal(w.ec2.tags[OWNER_TAG], undefined, 'and no longer carries the run mark');
  }

  const errorsOf = (r: BatchResult) => r.report.errors.map((e) => `${e.phase}: ${e.message}`).join('\n');

  beforeEach(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-gpu-faults-'));
    store = new FolderStore(dir);
    settings = defaultSettings();
    settings.store = dir;
    settings.scan.gracePeriodMinutes = 0;
    settings.run.concurrency = 1;
    settings.host.kind = 'ec2';
    settings.host.instanceId = GPU_ID;
    settings.host.readyTimeoutSeconds = 600;
    // GpuEngine below talks to the WhisperLive unit, so the host waits for it (the faster-whisper case is its own test).
    settings.engine.kind = 'whisperlive';
    // Fake time runs ahead of real file I/O: a long lease keeps renewal timing out of these tests (lease.test.ts covers it).
    settings.run.leaseSeconds = 900;
    layout = new BucketLayout(settings.layout);
    const s1 = { userId: 'alice', sessionId: 'session_2026-11-24T09_00_00_000Z' };
    for (const n of [1, 2, 3, 4]) await store.put(layout.audioKey(s1, n, 'wav'), n === 2 && this.currentTest?.title.includes('one chunk fails') ? 'CORRUPT' : `audio ${n}`);
    await store.put(layout.transcriptKey(s1, 3), PREEXISTING); // done already (realtime path)
    await store.put(layout.audioKey({ userId: 'bob', sessionId: ODD }, 1, 'wav'), 'audio odd');
    before = transcripts();
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('start fails (IAM denies StartInstances): failed report naming the action, nothing left running', async function () {
    world();
    w.ec2.faults.startFails = 'UnauthorizedOperation';
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'failed');
    assert.match(errorsOf(r), /host-start: Access denied: .* may not call ec2:StartInstances/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('never becomes ready (stuck booting past the timeout): failed, and stopped once EC2 lets us', async function () {
    world({ startDelayMs: 15 * 60_000 });
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'failed');
    assert.match(errorsOf(r), /host-start: GPU i-0123456789abcdef0 did not reach "running" within 600 s \(now pending\)/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('SSM agent never online: failed with that reason, GPU stopped', async function () {
    world({ remote: { agentOnlineAfterPolls: Infinity } });
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'failed');
    assert.match(errorsOf(r), /not ready after 600 s: the SSM agent on the instance is not online/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('whisperlive inactive: failed with the unit state, GPU stopped', async function () {
    world({ remote: { unit: 'inactive' } });
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'failed');
    assert.match(errorsOf(r), /`systemctl is-active whisperlive` printed "inactive"/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('whisperlive dies mid-batch: partial, finished transcripts kept, GPU stopped', async function () {
    world();
    const r = await w.clock.drive(run(new GpuEngine(() => w, { killUnitAfter: 2 })));
    assert.equal(r.report.status, 'partial');
    assert.equal(r.report.transcription.chunksTranscribed, 2);
    assert.equal(r.report.transcription.chunksFailed, 2);
    assert.match(errorsOf(r), /transcribe: WhisperLive on GPU i-0123456789abcdef0 is not answering \(unit failed, instance running\)/);
    assertStoppedAndUnmarked();
    // The engine failed, not the chunks: nothing counts toward a quarantine.
    assert.ok(!existsSync(path.join(dir, 'batch-reports', '.failures')), 'no failure records');
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('one chunk fails: partial naming the chunk, the rest transcribed, GPU stopped', async function () {
    world();
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'partial');
    assert.equal(r.report.transcription.chunksTranscribed, 3);
    const bad = r.report.errors.find((e) => e.phase === 'transcribe')!;
    assert.equal(bad.chunk, '002');
    assert.match(bad.message, /Invalid data found/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('one chunk fails on every run (poison): quarantined at the third failure, then no run starts the GPU for it', async function () {
    world();
    const first = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(first.report.transcription.chunksTranscribed, 3);
    for (const n of [2, 3]) {
      const r = await w.clock.drive(run(new GpuEngine(() => w)));
      assert.equal(r.report.transcription.chunksFound, 1, `run ${n}: only the bad chunk`);
      assertStoppedAndUnmarked();
    }
    assert.equal(w.ec2.starts, 3, 'each of the three runs started the GPU');
    const last = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(last.report.status, 'skipped');
    assert.equal(last.scan!.totalQuarantinedChunks, 1);
    assert.equal(last.report.quarantine?.[0].chunk, '002');
    assert.equal(w.ec2.starts, 3, 'the quarantined chunk started no GPU');
    assert.equal(w.ec2.state, 'stopped');
  });

  it('the script is killed on the instance: partial, what it wrote is kept, GPU stopped', async function () {
    world();
    const r = await w.clock.drive(run(new ScriptEngine(() => w, 2)));
    assert.equal(r.report.status, 'partial');
    assert.equal(r.report.transcription.chunksTranscribed, 2);
    assert.match(errorsOf(r), /transcription script on the GPU ended with exit 137 \(Killed\)/);
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  describe('our process is killed mid-run (it never releases)', function () {
    /** A run that started the GPU and then vanished: its lease is no longer renewed, nothing calls release. */
    async function killedRun(): Promise<void> {
      world();
      const lease = await Lease.acquire({ store, layout, clock: w.clock, runId: 'killed-run', holder: 'cli pid 4242 on laptop', seconds: settings.run.leaseSeconds });
      await w.clock.drive(w.host.prepare('killed-run', new AbortController().signal));
      assert.equal(w.ec2.state, 'running');
      assert.equal(w.ec2.tags[OWNER_TAG], 'killed-run');
      void lease; // never renewed, never released
    }

    it("the dead-man's switch armed at ready powers the GPU off after maxRuntimeMinutes", async function () {
      await killedRun();
      assert.deepEqual(w.remote.shutdownsArmed, [120]);
      assert.deepEqual(w.remote.commands.find((c) => c.program === 'systemd-run')?.args.slice(0, 2), ['--unit=whisper-batch-stop', '--on-active=120min']);
      assert.ok(!w.remote.commands.some((c) => c.program === 'shutdown'), "logind's shutdown (the realtime side's) is not used");
      await w.clock.tick(119 * 60_000);
      assert.equal(w.ec2.state, 'running');
      await w.clock.tick(2 * 60_000);
      assert.equal(w.ec2.state, 'stopped', 'stopped with nobody on our side alive');
    });

    it('`status` finds the orphan by its tag once the lease expired, and stops it', async function () {
      await killedRun();
      assert.equal(await findOrphanedGpu({ ec2: w.ec2, settings }, await readLease(store, layout, w.clock)), undefined, 'lease still live: not an orphan yet');
      await w.clock.tick((settings.run.leaseSeconds + 60) * 1000);
      const orphan = await findOrphanedGpu({ ec2: w.ec2, settings }, await readLease(store, layout, w.clock));
      assert.ok(orphan);
      assert.equal(orphan.runId, 'killed-run');
      assert.match(orphan.reason, /held by cli pid 4242 on laptop\) expired/);
      await w.clock.drive(stopOrphanedGpu({ ec2: w.ec2, remote: w.remote, clock: w.clock, settings }, orphan));
      assertStoppedAndUnmarked();
    });

    it('the next run takes the GPU over, transcribes, and stops it', async function () {
      await killedRun();
      await w.clock.tick((settings.run.leaseSeconds + 60) * 1000);
      const next = new Ec2Host({ ec2: w.ec2, remote: w.remote, clock: w.clock, settings, emit: (e) => w.events.push({ ...e, time: w.clock.now() } as BatchEvent) });
      const r = await w.clock.drive(run(new GpuEngine(() => w), { host: next, runId: 'next-run' }));
      assert.equal(r.report.status, 'success');
      assert.equal(w.ec2.starts, 1, 'no second boot');
      assert.match(w.events.map((e) => (e.type === 'log' ? e.message : '')).join('\n'), /started by run "killed-run", which is no longer alive/);
      assertStoppedAndUnmarked();
      assertNoTranscriptLostOrOverwritten(r);
    });
  });

  it('stop throttled, then succeeds: success, retries visible in the log', async function () {
    world();
    const engine = new GpuEngine(() => w);
    const p = run(engine);
    w.ec2.faults.stopThrottled = 3;
    const r = await w.clock.drive(p);
    assert.equal(r.report.status, 'success');
    assert.equal(w.ec2.calls.filter((c) => c === 'stop').length, 4);
    assert.equal(w.events.filter((e) => e.type === 'log' && /Stop of GPU .* failed \(throttled\), retrying/.test(e.message)).length, 3);
    assert.ok(r.report.gpu.stopTime, 'stop time in the report');
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('stop never succeeds: failed report and a loud error with the way to stop it by hand; the on-instance timer is the backstop', async function () {
    world();
    w.ec2.faults.stopNeverSucceeds = true;
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'failed');
    assert.match(errorsOf(r), /host-stop: THE GPU IS STILL RUNNING: could not stop EC2 instance i-0123456789abcdef0 .*aws ec2 stop-instances --instance-ids i-0123456789abcdef0/);
    assert.ok(w.events.some((e) => e.type === 'log' && e.level === 'error' && e.message.includes('THE GPU IS STILL RUNNING')));
    assert.equal(r.report.transcription.chunksTranscribed, 4, 'the work itself is kept');
    assertNoTranscriptLostOrOverwritten(r);
    assert.equal(w.ec2.state, 'running');
    await w.clock.tick(121 * 60_000);
    assert.equal(w.ec2.state, 'stopped', "the dead-man's switch stopped it");
  });

  it('two runners at once: the loser names the holder and never touches the GPU', async function () {
    world();
    const a = run(new GpuEngine(() => w), { runId: 'run-a', holder: 'vscode window on laptop' });
    await w.clock.drive(
      (async () => {
        while (w.ec2.starts === 0) await sleep(w.clock, 500);
      })(),
    );
    const hostB = new Ec2Host({ ec2: w.ec2, remote: w.remote, clock: w.clock, settings });
    const b = run(new GpuEngine(() => w), { runId: 'run-b', holder: 'cron on server', host: hostB });
    const [ra, rb] = await w.clock.drive(Promise.all([a, b]));
    assert.equal(rb.report.status, 'failed');
    assert.match(errorsOf(rb), /lease: .*vscode window on laptop/);
    assert.equal(hostB.timeline.startRequested, undefined, 'the loser never asked for the GPU');
    assert.equal(w.ec2.starts, 1);
    assert.equal(ra.report.status, 'success', errorsOf(ra));
    assertStoppedAndUnmarked();
    assertNoTranscriptLostOrOverwritten(ra);
  });

  it("GPU already running at start (realtime path): used, left running, no timer of ours armed, the realtime side's shutdown untouched", async function () {
    world({ state: 'running', remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0 } });
    w.remote.realtimeShutdown(90);
    const theirs = w.remote.logindShutdownAt;
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'success');
    assert.equal(r.report.gpu.started, false);
    assert.equal(r.report.gpu.alreadyRunning, true);
    assert.equal(w.ec2.state, 'running');
    assert.ok(!w.ec2.calls.includes('start') && !w.ec2.calls.includes('stop'));
    assert.deepEqual(w.remote.shutdownsArmed, [], 'no timer of ours on a GPU that is not ours');
    assert.deepEqual(w.remote.lines, ['systemctl is-active whisperlive']);
    assert.equal(w.remote.logindCancelled, 0);
    assert.equal(w.remote.logindShutdownAt, theirs, "the realtime side's shutdown -h +90 still stands");
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('a live recording begins on our GPU during the run: stopped only once batch-lock.json is gone; the report says so', async function () {
    world();
    const engine = new GpuEngine(() => w);
    const p = run(engine);
    // The realtime path takes the GPU while the batch transcribes: it writes the lock, and removes it 12 min later.
    let lockedAt = 0;
    w.events.push = ((orig) =>
      function (this: BatchEvent[], ...e: BatchEvent[]) {
        for (const x of e)
          if (x.type === 'chunk.done' && !lockedAt) {
            lockedAt = w.clock.now();
            void store.put(settings.layout.lockKey, JSON.stringify({ holder: 'realtime-browser-7', createdAt: new Date(lockedAt).toISOString() }));
            w.clock.setTimeout(() => void store.delete(settings.layout.lockKey), 12 * 60_000);
          }
        return orig.apply(this, e);
      })(w.events.push);
    const r = await w.clock.drive(p);
    assert.equal(r.report.status, 'success', errorsOf(r));
    const g = r.report.gpu;
    assert.ok(Date.parse(g.stopRequestedTime!) >= lockedAt + 12 * 60_000, 'not stopped while the lock was there');
    assert.equal(g.liveLock?.outcome, 'cleared');
    assert.equal(g.liveLock?.holder, 'realtime-browser-7');
    assert.ok(g.liveLock!.waitedSeconds > 0);
    assertStoppedAndUnmarked();
    const stored = JSON.parse(readFileSync(path.join(dir, r.reportKeys!.json), 'utf8'));
    assert.equal(stored.gpu.liveLock.outcome, 'cleared');
    assert.match(readFileSync(path.join(dir, r.reportKeys!.html), 'utf8'), /A live recording held the GPU when this run finished: batch-lock.json \(held by realtime-browser-7/);
    assertNoTranscriptLostOrOverwritten(r);
  });

  it('a run that started the GPU reports its timeline and cost', async function () {
    world();
    const r = await w.clock.drive(run(new GpuEngine(() => w)));
    assert.equal(r.report.status, 'success', describeError(errorsOf(r)));
    const g = r.report.gpu;
    assert.equal(g.started, true);
    for (const k of ['startTime', 'readyTime', 'firstChunkTime', 'lastChunkTime', 'stopRequestedTime', 'stopTime'] as const) assert.ok(g[k], `${k} set`);
    assert.ok(Date.parse(g.startTime!) < Date.parse(g.readyTime!) && Date.parse(g.readyTime!) <= Date.parse(g.firstChunkTime!));
    assert.ok(Date.parse(g.lastChunkTime!) <= Date.parse(g.stopRequestedTime!) && Date.parse(g.stopRequestedTime!) < Date.parse(g.stopTime!));
    assert.ok(g.runtimeSeconds >= 120 && g.costUSD > 0, `${g.runtimeSeconds}s ${g.costUSD}`);
    // from the real timestamps: start request to stopped, at the hourly setting, EC2's 60 s minimum
    assert.equal(g.runtimeSeconds, Math.round((Date.parse(g.stopTime!) - Date.parse(g.startTime!)) / 100) / 10);
    assert.equal(g.hourlyUsd, settings.cost.gpuHourlyUsd);
    assert.equal(g.costUSD, gpuCostUsd(g.runtimeSeconds, settings.cost.gpuHourlyUsd));
    assertStoppedAndUnmarked();
  });
});
