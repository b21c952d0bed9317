/**
 * Retention on S3 (moto): the listing of the reports prefix and DeleteObject through S3Store.
 * moto stamps every object "now", so the clock is set 40 days ahead: reports named today are then
 * old, one named 10 days after today is not. @integration
 */
import * as assert from 'node:assert/strict';
import { BucketLayout } from '../../src/core/layout';
import { planCleanup, runCleanup } from '../../src/core/retention';
import { defaultSettings } from '../../src/core/settings';
import { releaseMoto, startMoto } from '../support/moto';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';

const DAY = 86_400_000;

describe('retention on moto S3 @integration', function () {
  this.timeout(60_000);
  let b: MotoBucket;
  before(async function () {
    b = await createMotoBucket(await startMoto(), 'retention');
  });
  after(async function () {
    await b?.dispose();
    await releaseMoto();
  });

  it('deletes the old reports under a prefix, keeps the new one, the lease and the alert state', async function () {
    const store = b.store('team-a');
    const layout = new BucketLayout(defaultSettings().layout);
    const now = Date.now() + 40 * DAY;
    const oldKey = layout.reportKey(Date.now() - DAY, 'json');
    const oldHtml = layout.reportKey(Date.now() - DAY, 'html');
    const newKey = layout.reportKey(now - 10 * DAY, 'json');
    for (const k of [oldKey, oldHtml, newKey, layout.leaseKey, 'batch-reports/.alert-state.json']) await store.put(k, '{}');
    const plan = await planCleanup(store, layout, now, 30);
    assert.deepEqual([...plan.delete].sort(), [oldKey, oldHtml].sort());
    assert.equal(plan.kept, 1);
    assert.deepEqual((await runCleanup(store, plan)).problems, []);
    const left: string[] = [];
    for await (const o of store.list('')) left.push(o.key);
    assert.deepEqual(left.sort(), [layout.leaseKey, 'batch-reports/.alert-state.json', newKey].sort());
  });
});
