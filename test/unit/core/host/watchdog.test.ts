/** The max-runtime watchdog on a fake clock, and the SIGINT/SIGTERM handlers with a fake process. */
import * as assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { installSignalHandlers, startWatchdog, type SignalProcess } from '../../../../src/core/host/watchdog';
import type { GpuHost } from '../../../../src/core/host/host';
import { isCancelled } from '../../../../src/core/errors';
import { fakeClock } from '../../../support/fakeClock';

function recordingHost(): GpuHost & { releases: string[] } {
  const releases: string[] = [];
  return {
    kind: 'ec2',
    id: 'i-1',
    hourlyUsd: 1,
    timeline: {},
    chunkStarted: () => {},
    chunkFinished: () => {},
    releases,
    status: async () => ({ state: 'running' }),
    prepare: async () => ({ startedByUs: true }),
    release: async (o) => void releases.push(o.reason),
  };
}

class FakeProcess extends EventEmitter implements SignalProcess {
  exits: number[] = [];
  exit(code: number) {
    this.exits.push(code);
  }
}

describe('watchdog', function () {
  it('aborts the run and releases the host after maxRuntimeMinutes, not before', async function () {
    const clock = fakeClock();
    const controller = new AbortController();
    const host = recordingHost();
    const logs: string[] = [];
    const w = startWatchdog({ clock, minutes: 120, controller, host, emit: (e) => e.type === 'log' && logs.push(e.message) });
    await clock.tick(119 * 60_000);
    assert.equal(controller.signal.aborted, false);
    assert.equal(w.fired, false);
    await clock.tick(60_000);
    assert.equal(w.fired, true);
    assert.ok(isCancelled(controller.signal.reason));
    assert.match(String(controller.signal.reason.message), /maximum runtime of 120 min/);
    await w.released;
    assert.deepEqual(host.releases, ['the run reached its maximum runtime of 120 min (host.maxRuntimeMinutes)']);
    assert.match(logs[0], /Watchdog/);
  });

  it('does nothing once disposed (the run ended in time)', async function () {
    const clock = fakeClock();
    const controller = new AbortController();
    const host = recordingHost();
    startWatchdog({ clock, minutes: 5, controller, host }).dispose();
    await clock.tick(60 * 60_000);
    assert.equal(controller.signal.aborted, false);
    assert.deepEqual(host.releases, []);
  });
});

describe('installSignalHandlers', function () {
  it('first signal cancels; second releases the host and only then exits', async function () {
    const proc = new FakeProcess();
    const controller = new AbortController();
    let finishRelease!: () => void;
    let releases = 0;
    const release = () => {
      releases++;
      return new Promise<void>((r) => (finishRelease = r));
    };
    const lines: string[] = [];
    const d = installSignalHandlers(controller, { release, proc, log: (m) => lines.push(m) });
    proc.emit('SIGINT', 'SIGINT');
    assert.ok(controller.signal.aborted);
    assert.match(String(controller.signal.reason.message), /SIGINT/);
    assert.equal(releases, 0, 'the first signal leaves the release to the run');
    proc.emit('SIGINT', 'SIGINT');
    assert.equal(releases, 1);
    proc.emit('SIGTERM', 'SIGTERM'); // impatient user: still no exit while the GPU is being stopped
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(proc.exits, []);
    assert.equal(releases, 1);
    finishRelease();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(proc.exits, [130]);
    assert.match(lines.join('\n'), /still stopping the GPU/);
    d.dispose();
    assert.equal(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM'), 0);
  });

  it('exits non-zero and says so loudly when the release fails', async function () {
    const proc = new FakeProcess();
    const lines: string[] = [];
    installSignalHandlers(new AbortController(), { release: async () => Promise.reject(new Error('THE GPU IS STILL RUNNING')), proc, log: (m) => lines.push(m) });
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(proc.exits, [1]);
    assert.match(lines.join('\n'), /COULD NOT STOP THE GPU: THE GPU IS STILL RUNNING/);
  });
});
