import * as assert from 'node:assert/strict';
import { presentGpu, type GpuFacts } from '../../../src/extension/gpuStatus';

const T = Date.parse('2026-11-25T10:00:00Z');
const base: GpuFacts = { configured: true, hostKind: 'ec2', scheduleEnabled: false, idleWarningMinutes: 20, now: T };

describe('extension/gpuStatus', function () {
  it('tells each state apart with its codicon', function () {
    const cases: Array<[Partial<GpuFacts>, string, RegExp]> = [
      [{ configured: false }, 'not-configured', /^\$\(gear\)/],
      [{ hostState: 'stopped' }, 'stopped', /^\$\(circle-outline\) GPU stopped$/],
      [{ hostState: 'pending' }, 'starting', /^\$\(loading~spin\) GPU starting$/],
      [{ hostState: 'running', hostSince: T - 60_000 }, 'idle', /^\$\(vm-running\) GPU idle/],
      [{ hostState: 'running', run: { done: 3, total: 12, phase: 'transcribe' } }, 'transcribing', /^\$\(sync~spin\) GPU 3\/12$/],
      [{ hostState: 'stopping' }, 'stopping', /stopping/],
      [{ hostState: 'unknown', hostError: 'AccessDenied' }, 'error', /^\$\(error\)/],
      [{ hostKind: 'local' }, 'local', /Local idle/],
      [{ hostKind: 'local', run: { done: 1, total: 2 } }, 'transcribing', /Local 1\/2/],
    ];
    for (const [f, state, text] of cases) {
      const p = presentGpu({ ...base, ...f });
      assert.equal(p.state, state, JSON.stringify(f));
      assert.match(p.text, text);
    }
  });

  it('warns (warning background) when the GPU runs with no batch longer than the setting', function () {
    const fresh = presentGpu({ ...base, hostState: 'running', hostSince: T - 19 * 60_000 });
    assert.equal(fresh.idleWarning, false);
    assert.equal(fresh.background, undefined);
    const forgotten = presentGpu({ ...base, hostState: 'running', hostSince: T - 45 * 60_000 });
    assert.equal(forgotten.idleWarning, true);
    assert.equal(forgotten.background, 'statusBarItem.warningBackground');
    assert.match(forgotten.tooltip, /45 min with no batch/);
    assert.ok(forgotten.actions.includes('stopGpu'));
    // The idle time counts from the end of the last run, not from the start.
    assert.equal(presentGpu({ ...base, hostState: 'running', hostSince: T - 45 * 60_000, lastRunEnd: T - 5 * 60_000 }).idleWarning, false);
  });

  it('puts the pending count and the next run in the tooltip, and offers the actions that fit', function () {
    const next = T + 3_600_000;
    const p = presentGpu({ ...base, hostState: 'stopped', pendingChunks: 7, pendingSessions: 2, scheduleEnabled: true, nextRunAt: next });
    assert.match(p.text, /^\$\(circle-outline\) GPU stopped · 7 pending \$\(watch\)$/, 'the pending count in the item itself, and a clock: scheduled runs are on');
    assert.match(p.tooltip, /Pending: 7 chunks in 2 sessions/);
    const off = presentGpu({ ...base, hostKind: 'local', pendingChunks: 1, pendingSessions: 1 });
    assert.equal(off.text, '$(device-desktop) Local idle · 1 pending', 'no clock while scheduled runs are off');
    assert.match(off.tooltip, /Pending: 1 chunk in 1 session\n/);
    assert.doesNotMatch(presentGpu({ ...base, hostState: 'running', pendingChunks: 7, run: { done: 1, total: 4 } }).text, /pending/, 'progress instead while transcribing');
    assert.ok(p.tooltip.includes(`Next scheduled run: ${new Date(next).toLocaleString()}`));
    assert.deepEqual(p.actions.slice(0, 2), ['runBatch', 'scan']);
    assert.ok(!p.actions.includes('stopGpu'));
    const running = presentGpu({ ...base, hostState: 'running', run: { done: 1, total: 4 } });
    assert.equal(running.actions[0], 'cancelRun');
    assert.deepEqual(presentGpu({ ...base, configured: false }).actions, ['trySample', 'configureAws', 'openSettings']);
  });

  it('a monitoring alert is a warning on the item, named in the tooltip; an error keeps its own colour', function () {
    const p = presentGpu({ ...base, hostState: 'stopped', alerts: ['GPU cost, last 24 h'] });
    assert.match(p.text, /GPU stopped \$\(warning\) 1/);
    assert.equal(p.background, 'statusBarItem.warningBackground');
    assert.match(p.tooltip, /Monitoring alerts: GPU cost, last 24 h/);
    assert.equal(presentGpu({ ...base, hostState: 'unknown', hostError: 'x', alerts: ['a'] }).background, 'statusBarItem.errorBackground');
    assert.equal(presentGpu({ ...base, hostState: 'stopped' }).background, undefined);
  });
});
