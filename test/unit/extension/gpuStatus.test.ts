import * as assert from 'node:assert/strict';
import { presentGpu, type GpuFacts } from '../../../src/extension/gpuStatus';
import { probeEc2 } from '../../../src/extension/storeAccess';
import { OWNER_TAG } from '../../../src/core/host/ec2Host';
import type { LeaseView } from '../../../src/core/host/orphans';
import { defaultSettings } from '../../../src/core/settings';
import { fakeClock } from '../../support/fakeClock';
import { FakeEc2, GPU_ID } from '../../support/fakeEc2';

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

  it('says "Cancelling" at once once this window cancelled the run, and offers no second Cancel', function () {
    for (const hostKind of ['ec2', 'local'] as const) {
      const live = presentGpu({ ...base, hostKind, hostState: 'running', run: { done: 2, total: 9, phase: 'transcribe' } });
      assert.ok(live.actions.includes('cancelRun'));
      const p = presentGpu({ ...base, hostKind, hostState: 'running', run: { done: 2, total: 9, phase: 'transcribe', cancelling: true } });
      assert.equal(p.text, '$(loading~spin) Cancelling 2/9');
      assert.match(p.tooltip, /^Cancelling the run: finished transcripts stay/);
      assert.ok(!p.actions.includes('cancelRun'), JSON.stringify(p.actions));
      assert.ok(p.actions.includes('showLog'));
    }
    assert.equal(presentGpu({ ...base, hostState: 'pending', run: { done: 0, total: 0, cancelling: true } }).text, '$(loading~spin) Cancelling...');
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

describe('extension: an orphaned GPU in the status bar', function () {
  const settings = defaultSettings();
  settings.host.kind = 'ec2';
  settings.host.instanceId = GPU_ID;
  const lease = (expired: boolean): LeaseView => ({ runId: 'run-old', holder: 'cli pid 42 on box', expiresAt: '2026-11-25T09:00:00.000Z', expired });

  it('a running GPU with our tag and no live lease: warning background, "orphaned", and Stop it as the first action', async function () {
    const ec2 = new FakeEc2({ clock: fakeClock(), state: 'running', tags: { [OWNER_TAG]: 'run-old' } });
    for (const l of [undefined, lease(true)]) {
      const r = await probeEc2(ec2, settings, async () => l);
      assert.equal(r.orphan?.instanceId, GPU_ID, `lease ${JSON.stringify(l)}`);
      const p = presentGpu({ ...base, hostState: r.state, hostSince: T - 60_000, orphan: r.orphan });
      assert.equal(p.background, 'statusBarItem.warningBackground');
      assert.match(p.text, /^\$\(warning\) GPU orphaned/);
      assert.match(p.tooltip, new RegExp(`^The GPU ${GPU_ID} is running and no run owns it \\(run "run-old" started it`));
      assert.equal(p.actions[0], 'stopOrphan');
      assert.ok(!p.actions.includes('stopGpu'), 'one stop action, not two');
    }
  });

  it('not an orphan: a live lease (a run adopts it), no tag (the realtime side started it), a stopped GPU, our own live run', async function () {
    const clock = fakeClock();
    const tagged = new FakeEc2({ clock, state: 'running', tags: { [OWNER_TAG]: 'run-old' } });
    assert.equal((await probeEc2(tagged, settings, async () => lease(false))).orphan, undefined);
    let leaseRead = false;
    const untagged = new FakeEc2({ clock, state: 'running' });
    assert.equal((await probeEc2(untagged, settings, async () => ((leaseRead = true), undefined))).orphan, undefined);
    assert.equal(leaseRead, false, 'an untagged GPU needs no lease read');
    const stopped = new FakeEc2({ clock, state: 'stopped', tags: { [OWNER_TAG]: 'run-old' } });
    assert.equal((await probeEc2(stopped, settings, async () => undefined)).orphan, undefined);
    const orphan = { instanceId: GPU_ID, reason: 'x' };
    const ours = presentGpu({ ...base, hostState: 'running', run: { done: 1, total: 4, phase: 'transcribe' }, orphan });
    assert.ok(!ours.actions.includes('stopOrphan'));
    assert.doesNotMatch(ours.text, /orphaned/);
  });

  it('bucket text in the reason (the lease holder) forms no link and no codicon', function () {
    const p = presentGpu({ ...base, hostState: 'running', orphan: { instanceId: GPU_ID, reason: 'lease (held by [x](command:workbench.action.openSettings) $(zap)) expired' } });
    assert.doesNotMatch(p.tooltip, /\]\(|\$\(/);
  });
});
