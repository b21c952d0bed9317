/**
 * `whisper-batch run` on the EC2 host, end to end through the real CLI program (commander, settings
 * from flags, runtime wiring, runBatch, Ec2Host, the remote-faster-whisper engine, report):
 *   - S3 is the moto server (real SDK calls, real presigned URLs, create-only transcript PUTs);
 *   - FAKES, because they cannot run here: EC2 state transitions (test/support/fakeEc2.ts, a 1.5 s
 *     boot on the real clock: moto shows no pending/stopping), the instance's side of SSM (agent,
 *     `systemctl is-active`, `shutdown -h`: test/support/fakeRemoteRunner.ts), and faster_whisper
 *     itself (test/fixtures/fake_faster_whisper: no GPU or Whisper weights here). The transcription
 *     script is the shipped one, run by python3 on this machine through the exact command line SSM
 *     would run (test/support/localShellRunner.ts), on real Chromium chunks with real ffmpeg.
 * It prints what a user sees, including the GPU timeline and the cost. @integration
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';
import { systemClock } from '../../src/core/clock';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { OWNER_TAG, STARTED_TAG } from '../../src/core/host/ec2Host';
import { FakeEc2, GPU_ID } from '../support/fakeEc2';
import { FakeRemoteRunner } from '../support/fakeRemoteRunner';
import type { SignalProcess } from '../../src/core/host/watchdog';
import { LocalShellRunner, makeLocalVenv } from '../support/localShellRunner';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { motoCredentials, releaseMoto, startMoto, type MotoServer } from '../support/moto';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FAKE_FW = path.join(ROOT, 'test', 'fixtures', 'fake_faster_whisper');
const RECORDING = path.join(ROOT, 'test', 'fixtures', 'chromium-recording');
const chunk = (n: number) => readFileSync(path.join(RECORDING, `chunk-00${n}.webm`));

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('whisper-batch run on EC2 (S3 on moto; EC2 transitions, SSM and faster_whisper faked) @integration', function () {
  this.timeout(180_000);
  let moto: MotoServer;
  let b: MotoBucket;
  let venv: ReturnType<typeof makeLocalVenv>;
  const layout = new BucketLayout(defaultSettings().layout);
  const a = { userId: 'alice', sessionId: 'session_2025-11-09T14_32_10_000Z' };
  const odd = { userId: 'bob', sessionId: `standup "notes" <img src=x onerror=alert(1)> $(touch /tmp/wb-pwned)` };

  before(async function () {
    moto = await startMoto();
    b = await createMotoBucket(moto, 'cli-gpu');
    venv = makeLocalVenv();
    const store = b.store();
    for (let n = 1; n <= 4; n++) await store.put(layout.audioKey(a, n, 'webm'), chunk(n));
    for (let n = 1; n <= 3; n++) await store.put(layout.audioKey(odd, n, 'webm'), chunk(n));
    await store.put(layout.transcriptKey(odd, 1), '{"keep":"this existing transcript"}');
  });
  after(async function () {
    venv?.dispose();
    await b?.dispose();
    await releaseMoto();
  });

  /** One GPU world per run: a stopped, tagged instance that boots in 1.5 s. */
  function gpu() {
    const ec2 = new FakeEc2({ clock: systemClock, state: 'stopped', startDelayMs: 1500, stopDelayMs: 800 });
    const remote = new FakeRemoteRunner({ clock: systemClock, ec2, agentOnlineAfterPolls: 1 });
    const shell = new LocalShellRunner({ mode: 'ssm', env: { PYTHONPATH: FAKE_FW, PYTHONDONTWRITEBYTECODE: '1' } });
    remote.onRun = (cmd, signal) => shell.run(cmd, { signal });
    return { ec2, remote };
  }

  async function cli(args: string[], world: ReturnType<typeof gpu>, signals?: SignalProcess): Promise<CliRun> {
    const err = new PassThrough();
    const out = new PassThrough();
    let stderr = '';
    let stdout = '';
    err.on('data', (d) => (stderr += d));
    out.on('data', (d) => (stdout += d));
    const flags = [
      '--store',
      `s3://${b.bucket}`,
      '--endpoint',
      moto.endpoint,
      '--region',
      'us-east-1',
      '--host',
      'ec2',
      '--instance',
      GPU_ID,
      '--engine',
      'remote-faster-whisper',
      '--no-color',
      '--set',
      'aws.forcePathStyle=true',
      'scan.gracePeriodMinutes=0',
      'host.pollSeconds=0.5',
      `host.venvPath=${venv.venvPath}`,
    ];
    const code = await main(['node', 'whisper-batch', ...args, ...flags], {
      runtime: { ec2: world.ec2, remote: world.remote, credentials: motoCredentials },
      stderr: err as unknown as NodeJS.WriteStream,
      stdout: out,
      signals,
    });
    return { code, stdout, stderr };
  }

  it('starts the GPU, transcribes what is missing, stops it, and prints the timeline and the cost', async function () {
    const w = gpu();
    const r = await cli(['run', '--yes'], w);
    console.log(r.stdout.replace(/^/gm, '      | '));
    assert.equal(r.code, 0, r.stderr);
    // the summary is human output (stdout); logs and progress stay on stderr
    assert.doesNotMatch(r.stderr, /run \S+: SUCCESS/);
    assert.match(r.stdout, /run \S+: SUCCESS/);
    assert.match(r.stdout, /chunks: 6 found, 6 transcribed, 0 failed/);
    assert.match(r.stdout, /GPU i-0123456789abcdef0: started and stopped by this run/);
    assert.match(r.stdout, /timeline: start \d\d:\d\d:\d\d -> ready \d\d:\d\d:\d\d -> first chunk \d\d:\d\d:\d\d -> last chunk \d\d:\d\d:\d\d -> stop \d\d:\d\d:\d\d -> stopped \d\d:\d\d:\d\d/);
    assert.match(r.stdout, /GPU runtime .+, cost \$\d+\.\d+/);
    assert.equal(w.ec2.state, 'stopped', 'the GPU is stopped at the end');
    assert.deepEqual(
      w.ec2.calls.filter((c) => c === 'start' || c === 'stop'),
      ['start', 'stop'],
    );
    assert.deepEqual(w.remote.shutdownsArmed, [120], 'dead-man switch armed at ready');

    const store = b.store();
    for (let n = 1; n <= 4; n++) assert.ok((await store.get(layout.transcriptKey(a, n))).length > 0, `alice chunk ${n}`);
    assert.equal((await store.get(layout.transcriptKey(odd, 1))).toString(), '{"keep":"this existing transcript"}', 'an existing transcript is never overwritten');
    const t2 = JSON.parse((await store.get(layout.transcriptKey(odd, 2))).toString());
    assert.ok(t2.segments.length > 0 && t2.duration > 0, 'the odd session transcribed');
    assert.ok(!existsSync('/tmp/wb-pwned'), 'the odd session id stays data (no shell ran it)');

    const reports = await cli(['reports', '--json', '--limit', '1'], gpu());
    const [latest] = JSON.parse(reports.stdout);
    assert.equal(latest.status, 'success');
  });

  it('a second run right after finds nothing to do and never touches the GPU', async function () {
    const w = gpu();
    const r = await cli(['run', '--yes', '--json'], w);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'skipped');
    assert.deepEqual(
      w.ec2.calls.filter((c) => c === 'start' || c === 'stop'),
      [],
    );
  });

  it('status warns about a GPU that a dead run left running; --stop-orphan stops it', async function () {
    const w = gpu();
    // What a run that was killed mid-batch leaves: the GPU running with our ownership tag, no live lease.
    await w.ec2.start(GPU_ID);
    await new Promise((r) => setTimeout(r, 1700));
    await w.ec2.createTags(GPU_ID, { [OWNER_TAG]: 'dead-run-1', [STARTED_TAG]: new Date(Date.now() - 3_600_000).toISOString() });
    assert.equal(w.ec2.state, 'running');

    const looked = await cli(['status'], w);
    assert.equal(looked.code, 0, looked.stderr);
    assert.match(looked.stderr, /GPU i-0123456789abcdef0 is running with no run owning it: .*dead-run-1.*whisper-batch stop/);
    assert.equal(w.ec2.state, 'running', 'plain status changes nothing');

    const stopped = await cli(['status', '--stop-orphan', '--json'], w);
    assert.equal(stopped.code, 0, stopped.stderr);
    const st = JSON.parse(stopped.stdout);
    assert.equal(st.orphanStopped, true);
    assert.equal(w.ec2.state, 'stopped');
    assert.equal(w.ec2.tags[OWNER_TAG], undefined, 'ownership mark removed');
  });

  /** A stand-in for `process` (signals in, exit out), so SIGTERM reaches the real handlers without killing mocha. */
  class FakeProcess extends EventEmitter implements SignalProcess {
    readonly exits: Array<{ code: number; gpu: string }> = [];
    constructor(private readonly world: ReturnType<typeof gpu>) {
      super();
    }
    exit(code: number): void {
      this.exits.push({ code, gpu: this.world.ec2.state });
    }
  }

  /** A GPU world whose instance script streams its lines (SSH mode) and calls `onChunkLine` once, at its first finished chunk. */
  function gpuStreaming(onChunkLine: () => void) {
    const ec2 = new FakeEc2({ clock: systemClock, state: 'stopped', startDelayMs: 1500, stopDelayMs: 800 });
    const remote = new FakeRemoteRunner({ clock: systemClock, ec2, agentOnlineAfterPolls: 1, transport: 'ssh' });
    const shell = new LocalShellRunner({ mode: 'ssh', env: { PYTHONPATH: FAKE_FW, PYTHONDONTWRITEBYTECODE: '1' } });
    let fired = false;
    remote.onRun = (cmd, signal, onOutput) =>
      shell.run(cmd, {
        signal,
        onOutput: (d) => {
          onOutput?.(d);
          if (!fired && /"event":"chunk","id":[^\n]*"ok":true/.test(d)) {
            fired = true;
            onChunkLine();
          }
        },
      });
    return { ec2, remote };
  }

  const carol = { userId: 'carol', sessionId: 'session_2025-11-10T09_00_00_000Z' };

  it('SIGTERM mid-batch: cancels, keeps the finished transcripts, stops the GPU it started, still writes the report (exit 1)', async function () {
    const store = b.store();
    for (let n = 1; n <= 4; n++) await store.put(layout.audioKey(carol, n, 'webm'), chunk(n));
    let proc: FakeProcess | undefined;
    const w = gpuStreaming(() => proc!.emit('SIGTERM', 'SIGTERM'));
    proc = new FakeProcess(w);
    const r = await cli(['run', '--yes', '--json', '--session', carol.sessionId], w, proc);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(proc.exits, [], 'one signal never exits the process: the run ends by itself');
    assert.match(r.stderr, /SIGTERM: cancelling the run/);
    const report = JSON.parse(r.stdout);
    assert.equal(report.cancelled, true);
    assert.equal(report.status, 'partial');
    assert.equal(w.ec2.state, 'stopped', 'the GPU this run started is stopped');
    assert.deepEqual(
      w.ec2.calls.filter((c) => c === 'start' || c === 'stop'),
      ['start', 'stop'],
    );
    // what was finished is kept and counted; the rest stays pending for the next run
    let kept = 0;
    for (let n = 1; n <= 4; n++) if (await store.head(layout.transcriptKey(carol, n))) kept++;
    assert.ok(kept >= 1 && kept < 4, `${kept} of 4 carol transcripts written before the cancel took effect`);
    // A chunk whose PUT landed in the instant between the cancel and the kill is kept but may go uncounted (never the reverse).
    assert.ok(report.transcription.chunksTranscribed >= 1 && report.transcription.chunksTranscribed <= kept, `report counts ${report.transcription.chunksTranscribed}, store has ${kept}`);
    assert.ok(report.reportKeys?.json, 'the report was written to the store');
    assert.ok(await store.head(report.reportKeys.json));
  });

  it('a second SIGTERM exits, but only after the GPU was stopped; a third meanwhile is ignored', async function () {
    const store = b.store();
    const dave = { userId: 'dave', sessionId: 'session_2025-11-11T09_00_00_000Z' };
    for (let n = 1; n <= 4; n++) await store.put(layout.audioKey(dave, n, 'webm'), chunk(n));
    let proc: FakeProcess | undefined;
    const w = gpuStreaming(() => {
      proc!.emit('SIGTERM', 'SIGTERM');
      proc!.emit('SIGTERM', 'SIGTERM');
      proc!.emit('SIGINT', 'SIGINT');
    });
    proc = new FakeProcess(w);
    const r = await cli(['run', '--yes', '--session', dave.sessionId], w, proc);
    // the run also finishes by itself here (the fake exit does not end the process); what matters is when exit was asked for
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(proc.exits.length, 1, r.stderr);
    assert.deepEqual(proc.exits[0], { code: 143, gpu: 'stopped' }, 'exit is requested only once the GPU has stopped');
    assert.match(r.stderr, /SIGTERM: stopping the GPU before exit/);
    assert.match(r.stderr, /SIGINT: still stopping the GPU, please wait/);
    assert.equal(w.ec2.state, 'stopped');
  });

  it('stop: refused with a warning while a live recording holds batch-lock.json; --yes stops the GPU', async function () {
    const w = gpu();
    await w.ec2.start(GPU_ID);
    await new Promise((r) => setTimeout(r, 1700));
    assert.equal(w.ec2.state, 'running');
    const store = b.store();
    await store.put(layout.lockKey, JSON.stringify({ recording: true }));
    try {
      const refused = await cli(['stop'], w);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /batch-lock\.json is present: a live recording may be using the GPU.*--yes/);
      assert.equal(w.ec2.state, 'running', 'not stopped under a live recording');
      assert.ok(!w.ec2.calls.includes('stop'));
      const forced = await cli(['stop', '--yes'], w);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, /GPU i-0123456789abcdef0: stopped/);
      assert.equal(w.ec2.state, 'stopped');
    } finally {
      await store.delete(layout.lockKey);
    }
  });
});
