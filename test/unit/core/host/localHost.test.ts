/** The local host and openHost's choice. */
import * as assert from 'node:assert/strict';
import { LocalHost } from '../../../../src/core/host/localHost';
import { openHost } from '../../../../src/core/host/openHost';
import { Ec2Host } from '../../../../src/core/host/ec2Host';
import type { Engine } from '../../../../src/core/engine/engine';
import { WbError } from '../../../../src/core/errors';
import { defaultSettings } from '../../../../src/core/settings';
import { fakeClock, T0 } from '../../../support/fakeClock';
import { FakeEc2, GPU_ID } from '../../../support/fakeEc2';
import { FakeRemoteRunner } from '../../../support/fakeRemoteRunner';

const engine = (check: () => Promise<void> = async () => {}): Engine => ({ name: 'stub', check, transcribeAll: async () => {} });

describe('LocalHost', function () {
  it('is ready when the engine check passes, costs nothing and records a timeline', async function () {
    const clock = fakeClock();
    const host = new LocalHost({ engine: engine(), clock });
    assert.deepEqual(await host.prepare('r', new AbortController().signal), { startedByUs: false });
    assert.equal(host.hourlyUsd, 0);
    assert.equal(host.timeline.ready, T0);
    await clock.tick(5000);
    await host.release({ reason: 'done' });
    assert.equal(host.timeline.stopped, T0 + 5000);
  });

  it('is not ready when the engine is missing', async function () {
    const host = new LocalHost({
      engine: engine(async () => {
        throw new WbError('EngineMissing', 'pocketsphinx_continuous not found', 'apt-get install pocketsphinx');
      }),
      clock: fakeClock(),
    });
    await assert.rejects(host.prepare('r', new AbortController().signal), /pocketsphinx_continuous not found/);
    assert.equal(host.timeline.ready, undefined);
  });
});

describe('openHost', function () {
  it('picks the local host or the EC2 host from settings', function () {
    const clock = fakeClock();
    const s = defaultSettings();
    assert.ok(openHost(s, { clock, engine: engine() }) instanceof LocalHost);
    s.host.kind = 'ec2';
    assert.throws(() => openHost(s, { clock, engine: engine() }), /host.instanceId is empty/);
    s.host.instanceId = GPU_ID;
    const ec2 = new FakeEc2({ clock });
    const host = openHost(s, { clock, engine: engine(), ec2, remote: new FakeRemoteRunner({ clock, ec2 }) });
    assert.ok(host instanceof Ec2Host);
    assert.equal(host.id, GPU_ID);
    assert.equal(host.hourlyUsd, 0.526);
  });
});
