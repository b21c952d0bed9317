/**
 * The EC2 host against FakeEc2 + FakeRemoteRunner (test/support): EC2 transitions, the SSM agent,
 * the systemd unit and the instance's own shutdown timer cannot run here (moto has no transitions
 * and runs no commands), so they are simulated behind the same interfaces, on a fake clock.
 */
import * as assert from 'node:assert/strict';
import { Ec2Host, OWNER_TAG, STARTED_TAG } from '../../../../src/core/host/ec2Host';
import { WbError } from '../../../../src/core/errors';
import type { LiveLock } from '../../../../src/core/liveLock';
import type { BatchEventInput } from '../../../../src/core/events';
import { defaultSettings, type Settings } from '../../../../src/core/settings';
import { fakeClock, T0, type TestClock } from '../../../support/fakeClock';
import { FakeEc2, GPU_ID } from '../../../support/fakeEc2';
import { FakeRemoteRunner, type FakeRemoteOptions } from '../../../support/fakeRemoteRunner';

describe('Ec2Host (fake EC2 + fake SSM on a fake clock)', function () {
  let clock: TestClock;
  let ec2: FakeEc2;
  let remote: FakeRemoteRunner;
  let settings: Settings;
  let events: BatchEventInput[];
  let ctl: AbortController;

  /** What batch-lock.json says right now (the production host reads it from the store: src/core/liveLock.ts). */
  let lock: LiveLock | undefined;
  function setup(o: { state?: FakeEc2['state']; tags?: Record<string, string>; remote?: Partial<FakeRemoteOptions>; engine?: Settings['engine']['kind'] } = {}) {
    lock = undefined;
    clock = fakeClock();
    ec2 = new FakeEc2({ clock, state: o.state, tags: o.tags, startDelayMs: 90_000, stopDelayMs: 30_000 });
    remote = new FakeRemoteRunner({ clock, ec2, agentOnlineAfterPolls: 5, unitActivatingPolls: 3, ...o.remote });
    settings = defaultSettings();
    settings.host.kind = 'ec2';
    settings.host.instanceId = GPU_ID;
    settings.host.readyTimeoutSeconds = 600;
    // Most cases here are about the WhisperLive unit; the faster-whisper engine's check has its own cases below.
    settings.engine.kind = o.engine ?? 'whisperlive';
    events = [];
    ctl = new AbortController();
    return new Ec2Host({ ec2, remote, clock, settings, emit: (e) => events.push(e), liveLock: async () => lock });
  }
  const logs = (level?: string) => events.filter((e) => e.type === 'log' && (!level || e.level === level)).map((e) => (e as { message: string }).message);

  it('starts a stopped GPU, waits for running + agent + unit, arms the shutdown timer, and stops it on release', async function () {
    const host = setup();
    const prep = await clock.drive(host.prepare('run-1', ctl.signal));
    assert.deepEqual(prep, { startedByUs: true });
    assert.equal(ec2.state, 'running');
    assert.equal(ec2.tags[OWNER_TAG], 'run-1');
    assert.equal(ec2.tags[STARTED_TAG], new Date(T0).toISOString());
    // ready = running (90 s) + 5 agent polls + 3 "activating" answers, polled every 2 s: a few seconds after boot, not more
    const t = host.timeline;
    assert.equal(t.startRequested, T0);
    assert.ok(t.running! >= T0 + 90_000 && t.running! <= T0 + 92_000, `running at +${(t.running! - T0) / 1000}s`);
    assert.ok(t.ready! - t.running! <= 30_000, `ready ${(t.ready! - t.running!) / 1000}s after running`);
    assert.ok(remote.lines.includes('systemctl is-active whisperlive'));
    assert.deepEqual(remote.shutdownsArmed, [120]);
    assert.ok(host.deadMansSwitchArmed);

    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
    assert.deepEqual(
      ec2.history.map((h) => h.state),
      ['stopped', 'pending', 'running', 'stopping', 'stopped'],
    );
    assert.equal(ec2.tags[OWNER_TAG], undefined, 'ownership tags removed after the stop');
    assert.equal(ec2.tags[STARTED_TAG], undefined);
    assert.ok(t.stopRequested! >= t.ready! && t.stopped! >= t.stopRequested! + 30_000);
    const states = events.filter((e) => e.type === 'host.state').map((e) => (e as { state: string }).state);
    assert.deepEqual([...new Set(states)], ['stopped', 'pending', 'running', 'stopping']);
  });

  it('notices a ready GPU within one poll interval (host.pollSeconds), not minutes later', async function () {
    // The unit comes up at an odd moment 47.3 s after boot; the host must see it by the next poll.
    for (const pollSeconds of [2, 5]) {
      const host = setup({ remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0, unitActiveAt: T0 + 90_000 + 47_300 } });
      settings.host.pollSeconds = pollSeconds;
      await clock.drive(host.prepare('run-1', ctl.signal));
      const late = host.timeline.ready! - (T0 + 90_000 + 47_300);
      assert.ok(late >= 0 && late <= pollSeconds * 1000, `ready ${late / 1000} s after the unit became active (poll ${pollSeconds} s)`);
      await clock.drive(host.release({ reason: 'done' }));
    }
  });

  it('tags the instance before StartInstances, so a crash right after the start still leaves the mark', async function () {
    const host = setup();
    await clock.drive(host.prepare('run-1', ctl.signal));
    assert.ok(ec2.calls.indexOf('createTags') < ec2.calls.indexOf('start'));
  });

  it('waits out "stopping" before starting', async function () {
    const host = setup({ state: 'running' });
    await ec2.stop(GPU_ID); // someone else just stopped it: stopping for 30 s
    const prep = await clock.drive(host.prepare('run-1', ctl.signal));
    assert.equal(prep.startedByUs, true);
    assert.deepEqual(
      ec2.history.map((h) => h.state),
      ['running', 'stopping', 'stopped', 'pending', 'running'],
    );
    assert.equal(ec2.calls.filter((c) => c === 'start').length, 1, 'one StartInstances, after it stopped');
    await clock.drive(host.release({ reason: 'done' }));
  });

  it('refuses an instance without the configured tag and says how to tag it or change the setting', async function () {
    const host = setup({ tags: { ManagedBy: 'someone-else' } });
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.ok(err instanceof WbError && err.code === 'HostGuard', String(err));
    assert.match(err.message, /ManagedBy is "someone-else", not "BatchTranscription"/);
    assert.match(err.hint!, /aws ec2 create-tags --resources i-0123456789abcdef0 --tags 'Key=ManagedBy,Value=BatchTranscription'/);
    assert.match(err.hint!, /host\.tagKey/);
    assert.ok(!ec2.calls.includes('start') && !ec2.calls.includes('createTags'));
    await clock.drive(host.release({ reason: 'failed' }));
    assert.ok(!ec2.calls.includes('stop'), 'nothing started, nothing stopped');
    // a forced stop (whisper-batch stop) is refused the same way
    const forced = await clock.drive(setup({ state: 'running', tags: { ManagedBy: 'x' } }).release({ force: true, reason: 'stop' })).catch((e) => e);
    assert.equal(forced.code, 'HostGuard');
    assert.equal(ec2.state, 'running');
  });

  it('a terminated or missing instance is a clear error, and nothing is started', async function () {
    let host = setup({ state: 'terminated' });
    let err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.match(err.message, /is terminated: it cannot be started again/);
    host = setup();
    ec2.exists = false;
    err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.equal(err.code, 'NotFound');
    assert.match(err.message, /i-0123456789abcdef0 does not exist in region us-east-1/);
    assert.ok(!ec2.calls.includes('start'));
  });

  it("uses an already running GPU and leaves it running: arms no timer, cancels none, the realtime side's shutdown stays", async function () {
    const host = setup({ state: 'running', remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0 } });
    remote.realtimeShutdown(45); // the realtime side's own `shutdown -h +45`
    const theirs = remote.logindShutdownAt;
    const prep = await clock.drive(host.prepare('run-1', ctl.signal));
    assert.deepEqual(prep, { startedByUs: false });
    assert.equal(ec2.tags[OWNER_TAG], undefined, 'not marked as ours');
    assert.deepEqual(remote.shutdownsArmed, [], 'no timer of ours on a GPU that is not ours');
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'running');
    assert.ok(!ec2.calls.includes('stop'));
    assert.deepEqual(remote.lines, ['systemctl is-active whisperlive'], 'nothing but the ready check was run on it');
    assert.equal(remote.logindCancelled, 0);
    assert.equal(remote.logindShutdownAt, theirs, "the realtime side's shutdown is still scheduled");
    assert.deepEqual(host.lastRelease, { action: 'left-running', reason: 'it was already running when this run began' });
    assert.ok(logs('info').some((m) => /Leaving GPU i-0123456789abcdef0 running/.test(m)));
  });

  it("on a GPU it started, arms its own named systemd timer; logind's `shutdown -h` is never used or cancelled", async function () {
    const host = setup();
    await clock.drive(host.prepare('run-1', ctl.signal));
    remote.realtimeShutdown(200); // a realtime session on our GPU schedules its own shutdown
    assert.deepEqual(remote.commands.find((c) => c.program === 'systemd-run')?.args, [
      '--unit=whisper-batch-stop',
      '--on-active=120min',
      '--timer-property=AccuracySec=1s',
      '--description=whisper-batch: stop this GPU after the max runtime',
      '/usr/bin/systemctl',
      'poweroff',
    ]);
    assert.ok(!remote.commands.some((c) => c.program === 'shutdown'), 'no shutdown -h / -c from us');
    assert.equal(remote.logindCancelled, 0);
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
  });

  it("taking over a dead run's GPU replaces that run's timer by its name (systemd refuses a second one)", async function () {
    const host = setup({ state: 'running', tags: { [OWNER_TAG]: 'crashed-run' }, remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0 } });
    await remote.isReachable();
    await remote.run({ program: 'systemd-run', args: ['--unit=whisper-batch-stop', '--on-active=120min', '/usr/bin/systemctl', 'poweroff'], timeoutSeconds: 30 });
    const old = remote.shutdownAt!;
    await clock.tick(60 * 60_000);
    await clock.drive(host.prepare('run-2', ctl.signal));
    assert.deepEqual(remote.shutdownsArmed, [120, 120]);
    assert.equal(remote.shutdownsCancelled, 1);
    assert.ok(remote.shutdownAt! > old, 'the new timer counts from this run');
    assert.ok(host.deadMansSwitchArmed);
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('takes over a GPU left running by a dead run (tag of another run) and stops it', async function () {
    const host = setup({ state: 'running', tags: { [OWNER_TAG]: 'crashed-run' } });
    const prep = await clock.drive(host.prepare('run-2', ctl.signal));
    assert.equal(prep.startedByUs, true);
    assert.equal(ec2.tags[OWNER_TAG], 'run-2');
    assert.ok(logs('warn').some((m) => /started by run "crashed-run", which is no longer alive/.test(m)));
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('retries InsufficientInstanceCapacity with backoff and says so plainly', async function () {
    const host = setup();
    ec2.faults.capacityFailures = 2;
    await clock.drive(host.prepare('run-1', ctl.signal));
    assert.equal(ec2.calls.filter((c) => c === 'start').length, 3);
    const warns = logs('warn');
    assert.equal(warns.length, 2);
    assert.match(warns[0], /no free GPU capacity .*InsufficientInstanceCapacity.*trying again in 30 s \(attempt 2 of 5\)/);
    assert.match(warns[1], /trying again in 60 s/);
    assert.equal(host.timeline.startRequested, T0, 'the timeline starts at the first request');
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('gives up on capacity after the last retry with a plain message, and leaves nothing running or tagged', async function () {
    const host = setup();
    ec2.faults.capacityFailures = 99;
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.match(err.message, /no free capacity .* after 5 tries \(InsufficientInstanceCapacity\)/);
    assert.match(err.hint, /not a fault of your setup/);
    await clock.drive(host.release({ reason: 'failed' }));
    assert.equal(ec2.state, 'stopped');
    assert.equal(ec2.tags[OWNER_TAG], undefined);
  });

  it('an IAM denial names the action', async function () {
    const host = setup();
    ec2.faults.startFails = 'UnauthorizedOperation';
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.equal(err.code, 'Credentials');
    assert.match(err.message, /may not call ec2:StartInstances/);
    assert.match(err.hint, /docs\/iam-policy\.json/);
  });

  it('times out with the reason when the SSM agent never comes online, and stops the GPU', async function () {
    const host = setup({ remote: { agentOnlineAfterPolls: Infinity } });
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.equal(err.code, 'HostNotReady');
    assert.match(err.message, /not ready after 600 s: the SSM agent on the instance is not online/);
    assert.match(err.hint, /AmazonSSMManagedInstanceCore/);
    assert.equal(clock.now() - T0 <= 602_000, true, 'gave up at the timeout');
    await clock.drive(host.release({ reason: 'failed' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('times out with the unit state when whisperlive stays inactive', async function () {
    const host = setup({ remote: { unit: 'inactive' } });
    settings.host.serviceName = 'whisperlive-gpu';
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.match(err.message, /`systemctl is-active whisperlive-gpu` printed "inactive"/);
    assert.match(err.hint, /journalctl -u 'whisperlive-gpu'/);
    // the unit name went as an argument, never as shell text
    const cmd = remote.commands.find((c) => c.program === 'systemctl')!;
    assert.deepEqual(cmd.args, ['is-active', 'whisperlive-gpu']);
    await clock.drive(host.release({ reason: 'failed' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('with the faster-whisper engine, ready = the venv python imports faster_whisper; the WhisperLive unit is not asked', async function () {
    const host = setup({ engine: 'faster-whisper', remote: { unit: 'inactive' } });
    settings.host.venvPath = '/opt/wl/venv/';
    await clock.drive(host.prepare('run-1', ctl.signal));
    assert.ok(host.timeline.ready);
    assert.ok(!remote.lines.some((l) => l.includes('is-active')), remote.lines.join('\n'));
    const probe = remote.commands.find((c) => c.interpreter === 'python3')!;
    assert.equal(probe.interpreterPath, '/opt/wl/venv/bin/python3');
    assert.match(probe.program, /^import faster_whisper/);
    await clock.drive(host.release({ reason: 'done' }));
  });

  it('with the faster-whisper engine, times out naming the venv python and the import error when faster-whisper is missing', async function () {
    const host = setup({ engine: 'auto', remote: { venv: 'missing' } });
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.ok(err instanceof WbError, String(err));
    assert.equal(err.code, 'HostNotReady');
    assert.match(err.message, new RegExp(`not ready after 600 s: ${settings.host.venvPath}/bin/python3 cannot import faster_whisper: ModuleNotFoundError: No module named 'faster_whisper'`));
    assert.match(err.hint ?? '', /host\.venvPath/);
    await clock.drive(host.release({ reason: 'failed' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('fails fast when the instance stops by itself while booting', async function () {
    const host = setup({ remote: { agentOnlineAfterPolls: Infinity } });
    ec2.faults.diesAfterMs = 10_000;
    const err = await clock.drive(host.prepare('run-1', ctl.signal)).catch((e) => e);
    assert.equal(err.code, 'HostNotReady');
    assert.match(err.message, /became stopping while we waited/);
    assert.ok(clock.now() - T0 < 120_000);
    await clock.drive(host.release({ reason: 'failed' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('retries a throttled stop with growing delays until it succeeds', async function () {
    const host = setup();
    await clock.drive(host.prepare('run-1', ctl.signal));
    ec2.faults.stopThrottled = 3;
    const t0 = clock.now();
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
    assert.equal(ec2.calls.filter((c) => c === 'stop').length, 4);
    assert.deepEqual(
      logs('warn').map((m) => /retrying in (\d+) s/.exec(m)?.[1]),
      ['2', '4', '8'],
    );
    assert.ok(clock.now() - t0 >= 14_000);
  });

  it('a stop that never succeeds ends in a loud StopFailed with the instance id and how to stop it by hand', async function () {
    const host = setup();
    await clock.drive(host.prepare('run-1', ctl.signal));
    ec2.faults.stopNeverSucceeds = true;
    const err = await clock.drive(host.release({ reason: 'done' })).catch((e) => e);
    assert.ok(err instanceof WbError && err.code === 'StopFailed', String(err));
    assert.match(err.message, /THE GPU IS STILL RUNNING: could not stop EC2 instance i-0123456789abcdef0/);
    assert.match(err.hint!, /aws ec2 stop-instances --instance-ids i-0123456789abcdef0 --region us-east-1/);
    assert.match(err.hint!, /own stop timer \(whisper-batch-stop\) will power it off within 120 min/);
    assert.equal(ec2.calls.filter((c) => c === 'stop').length, 8, 'bounded attempts');
    assert.ok(
      logs('error').some((m) => m.includes('THE GPU IS STILL RUNNING')),
      'also emitted as an error event',
    );
    // release is idempotent: asking again gives the same loud error, not silence
    await assert.rejects(host.release({ reason: 'again' }), /STILL RUNNING/);
    // and the dead-man's switch is the backstop
    await clock.tick(120 * 60_000 + 60_000);
    assert.equal(ec2.state, 'stopped');
  });

  it('never arms the shutdown timer on an instance that a shutdown would terminate, and says how to fix it', async function () {
    const host = setup();
    ec2.onShutdown = 'terminate';
    await clock.drive(host.prepare('run-1', ctl.signal));
    assert.deepEqual(remote.shutdownsArmed, []);
    assert.equal(host.deadMansSwitchArmed, false);
    assert.ok(logs('warn').some((m) => /would TERMINATE .* aws ec2 modify-instance-attribute --instance-id i-0123456789abcdef0 --instance-initiated-shutdown-behavior Value=stop/.test(m)));
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped', 'stopped by us, not terminated');
  });

  describe('a live recording holds the GPU when the run wants to stop it (batch-lock.json)', function () {
    const held = (): LiveLock => ({
      key: 'batch-lock.json',
      coversAll: true,
      sessions: new Set(),
      users: new Set(),
      holder: 'realtime-gpu-1',
      since: new Date(clock.now()).toISOString(),
      stale: false,
    });

    it('waits while the lock is fresh and stops once it is gone; lastRelease says so', async function () {
      const host = setup();
      await clock.drive(host.prepare('run-1', ctl.signal));
      lock = held();
      const t0 = clock.now();
      clock.setTimeout(() => (lock = undefined), 10 * 60_000); // the recording ends 10 min later
      const releasing = host.release({ reason: 'done' });
      await clock.tick(9 * 60_000);
      assert.equal(ec2.state, 'running', 'not stopped under a live recording');
      assert.ok(!ec2.calls.includes('stop'));
      await clock.drive(releasing);
      assert.equal(ec2.state, 'stopped');
      assert.ok(host.timeline.stopRequested! >= t0 + 10 * 60_000 && host.timeline.stopRequested! <= t0 + 10 * 60_000 + 15_000);
      const lr = host.lastRelease!;
      assert.equal(lr.action, 'stopped');
      assert.equal(lr.liveLock?.outcome, 'cleared');
      assert.equal(lr.liveLock?.holder, 'realtime-gpu-1');
      assert.ok(lr.liveLock!.waitedSeconds >= 600 && lr.liveLock!.waitedSeconds <= 615, String(lr.liveLock!.waitedSeconds));
      assert.ok(logs('warn').some((m) => /Not stopping GPU i-0123456789abcdef0 yet: batch-lock.json is held by realtime-gpu-1/.test(m)));
    });

    it('stops at host.liveLockWaitMinutes if the lock never goes, loudly: never leaves the GPU running', async function () {
      const host = setup();
      settings.host.liveLockWaitMinutes = 20;
      await clock.drive(host.prepare('run-1', ctl.signal));
      lock = held();
      const t0 = clock.now();
      await clock.drive(host.release({ reason: 'done' }));
      assert.equal(ec2.state, 'stopped');
      assert.ok(host.timeline.stopRequested! - t0 >= 20 * 60_000 && host.timeline.stopRequested! - t0 < 21 * 60_000);
      assert.equal(host.lastRelease?.liveLock?.outcome, 'limit-reached');
      assert.ok(logs('error').some((m) => /Stopping GPU .* although batch-lock.json is held .* host.liveLockWaitMinutes \(20 min\)/.test(m)));
    });

    it('never waits past host.maxRuntimeMinutes from the start of the run', async function () {
      const host = setup();
      settings.host.maxRuntimeMinutes = 30;
      settings.host.liveLockWaitMinutes = 600;
      const t0 = clock.now();
      await clock.drive(host.prepare('run-1', ctl.signal));
      await clock.tick(20 * 60_000);
      lock = held();
      await clock.drive(host.release({ reason: 'done' }));
      assert.ok(host.timeline.stopRequested! - t0 >= 30 * 60_000 && host.timeline.stopRequested! - t0 < 31 * 60_000, `${(host.timeline.stopRequested! - t0) / 60_000} min`);
      assert.equal(host.lastRelease?.liveLock?.outcome, 'limit-reached');
      assert.ok(logs('error').some((m) => /host.maxRuntimeMinutes \(30 min\)/.test(m)));
    });

    it('a stale lock (older than scan.lockMaxAgeMinutes) and a forced stop do not wait', async function () {
      let host = setup();
      await clock.drive(host.prepare('run-1', ctl.signal));
      lock = { ...held(), stale: true };
      let t0 = clock.now();
      await clock.drive(host.release({ reason: 'done' }));
      assert.ok(host.timeline.stopRequested! - t0 < 1000);
      assert.equal(host.lastRelease?.liveLock, undefined);
      host = setup();
      await clock.drive(host.prepare('run-1', ctl.signal));
      lock = held();
      t0 = clock.now();
      await clock.drive(host.release({ reason: 'whisper-batch stop', force: true }));
      assert.ok(host.timeline.stopRequested! - t0 < 1000, 'a person asked for the stop');
    });

    it('on a GPU it did not start, the lock changes nothing: it is left running', async function () {
      const host = setup({ state: 'running', remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0 } });
      await clock.drive(host.prepare('run-1', ctl.signal));
      lock = held();
      await clock.drive(host.release({ reason: 'done' }));
      assert.equal(ec2.state, 'running');
      assert.equal(host.lastRelease?.action, 'left-running');
    });
  });

  it('a release during prepare stops the prepare before it can leave anything running', async function () {
    const host = setup({ remote: { agentOnlineAfterPolls: 20 } });
    const prep = host.prepare('run-1', ctl.signal);
    prep.catch(() => undefined);
    await clock.tick(95_000); // running, agent not online yet
    assert.equal(ec2.state, 'running');
    await clock.drive(host.release({ reason: 'watchdog' }));
    await assert.rejects(prep, /released/);
    assert.equal(ec2.state, 'stopped');
  });

  it('a cancelled prepare still lets release stop the GPU it started', async function () {
    const host = setup();
    const prep = host.prepare('run-1', ctl.signal);
    prep.catch(() => undefined);
    await clock.tick(10_000);
    ctl.abort();
    await clock.drive(prep.catch(() => undefined));
    await clock.drive(host.release({ reason: 'cancelled' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('one host object serves run after run: each prepare starts afresh, each release stops what it started', async function () {
    const host = setup();
    await clock.drive(host.prepare('run-1', ctl.signal));
    await clock.drive(host.release({ reason: 'done' }));
    const firstReady = host.timeline.ready!;
    await clock.tick(3_600_000);
    await clock.drive(host.prepare('run-2', new AbortController().signal));
    assert.equal(ec2.tags[OWNER_TAG], 'run-2');
    assert.ok(host.timeline.startRequested! > firstReady, 'timeline of the new run only');
    assert.equal(host.timeline.stopped, undefined);
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'stopped');
    assert.equal(ec2.starts, 2);
  });

  it("a forced stop after a release that left the GPU running stops it (the user's Stop)", async function () {
    const host = setup({ state: 'running', remote: { agentOnlineAfterPolls: 0, unitActivatingPolls: 0 } });
    await clock.drive(host.prepare('run-1', ctl.signal));
    await clock.drive(host.release({ reason: 'done' }));
    assert.equal(ec2.state, 'running');
    await clock.drive(host.release({ reason: 'again' }));
    assert.ok(!ec2.calls.includes('stop'), 'a second plain release changes nothing');
    await clock.drive(host.release({ force: true, reason: 'whisper-batch stop' }));
    assert.equal(ec2.state, 'stopped');
  });

  it('status() reports state, since and the owning run', async function () {
    const host = setup();
    assert.deepEqual(await host.status(), { state: 'stopped', instanceId: GPU_ID, since: T0, ownedByRun: undefined, detail: undefined });
    await clock.drive(host.prepare('run-9', ctl.signal));
    const st = await host.status();
    assert.equal(st.state, 'running');
    assert.equal(st.ownedByRun, 'run-9');
    assert.equal(st.since, host.timeline.running);
    settings.host.instanceId = '';
    assert.equal((await new Ec2Host({ ec2, remote, clock, settings }).status()).state, 'not-configured');
  });
});
