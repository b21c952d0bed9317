/** Finding and stopping a GPU a dead run left running (FakeEc2: moto has no transitions to watch). */
import * as assert from 'node:assert/strict';
import { findOrphanedGpu, stopOrphanedGpu, type LeaseView } from '../../../../src/core/host/orphans';
import { OWNER_TAG, STARTED_TAG } from '../../../../src/core/host/ec2Host';
import { defaultSettings } from '../../../../src/core/settings';
import { fakeClock } from '../../../support/fakeClock';
import { FakeEc2, GPU_ID } from '../../../support/fakeEc2';
import { FakeRemoteRunner } from '../../../support/fakeRemoteRunner';

describe('orphaned GPU', function () {
  const settings = defaultSettings();
  settings.host.kind = 'ec2';
  settings.host.instanceId = GPU_ID;
  const lease = (expired: boolean): LeaseView => ({ runId: 'run-old', holder: 'cli pid 42 on box', expiresAt: '2026-11-25T09:00:00.000Z', expired });

  it('is a running instance with our ownership tag and no live lease', async function () {
    const clock = fakeClock();
    const ec2 = new FakeEc2({ clock, state: 'running', tags: { [OWNER_TAG]: 'run-old', [STARTED_TAG]: '2026-11-25T08:00:00.000Z' } });
    assert.deepEqual(await findOrphanedGpu({ ec2, settings }, undefined), {
      instanceId: GPU_ID,
      state: 'running',
      runId: 'run-old',
      startedAt: '2026-11-25T08:00:00.000Z',
      reason: 'run "run-old" started it and no run holds the lease',
    });
    assert.match((await findOrphanedGpu({ ec2, settings }, lease(true)))!.reason, /lease \(held by cli pid 42 on box\) expired at 2026-11-25T09:00:00.000Z/);
  });

  it('is not: a live run, no tag (realtime path started it), a stopped instance, or a local host', async function () {
    const clock = fakeClock();
    const tagged = new FakeEc2({ clock, state: 'running', tags: { [OWNER_TAG]: 'run-old' } });
    assert.equal(await findOrphanedGpu({ ec2: tagged, settings }, lease(false)), undefined);
    const untagged = new FakeEc2({ clock, state: 'running' });
    assert.equal(await findOrphanedGpu({ ec2: untagged, settings }, undefined), undefined);
    const stopped = new FakeEc2({ clock, state: 'stopped', tags: { [OWNER_TAG]: 'run-old' } });
    assert.equal(await findOrphanedGpu({ ec2: stopped, settings }, undefined), undefined);
    const local = { ...settings, host: { ...settings.host, kind: 'local' as const } };
    assert.equal(await findOrphanedGpu({ ec2: tagged, settings: local }, undefined), undefined);
  });

  it('stopOrphanedGpu stops it and removes the mark', async function () {
    const clock = fakeClock();
    const ec2 = new FakeEc2({ clock, state: 'running', tags: { [OWNER_TAG]: 'run-old' } });
    const remote = new FakeRemoteRunner({ clock, ec2 });
    const orphan = (await findOrphanedGpu({ ec2, settings }, undefined))!;
    await clock.drive(stopOrphanedGpu({ ec2, remote, clock, settings }, orphan));
    assert.equal(ec2.state, 'stopped');
    assert.equal(ec2.tags[OWNER_TAG], undefined);
    assert.equal(await findOrphanedGpu({ ec2, settings }, undefined), undefined);
  });
});
