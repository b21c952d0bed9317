/**
 * Retention on S3 (moto): the listing of the reports prefix and DeleteObject through S3Store.
 * moto stamps every object "now", so the clock is set 40 days ahead: reports named today are then
 * old, one named 10 days after today is not. @integration
 */
import * as assert from 'node:assert/strict';
import { BucketLayout } from '../../src/core/layout';
import { planCleanup, runCleanup } from '../../src/core/retention';
import { archivePendingJobs, savePendingJobs, snapshotKey } from '../../src/core/pendingJobsFile';
import { reportId } from '../../src/core/layout';
import type { PendingJobs } from '../../src/core/scan';
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

  it("saves the pending-jobs document at batch-data/pending-jobs.json, archives a run's create-only, and deletes only old snapshots", async function () {
    const store = b.store('team-b');
    const layout = new BucketLayout(defaultSettings().layout);
    const key = defaultSettings().layout.pendingJobsKey;
    const now = Date.now() + 40 * DAY;
    const doc = (n: number) => ({ timestamp: new Date().toISOString(), totalMissingChunks: n, sessions: [], deferredSessions: [] }) as unknown as PendingJobs;
    await savePendingJobs(store, key, doc(1));
    await savePendingJobs(store, key, doc(2));
    assert.equal(JSON.parse((await store.get(key)).toString('utf8')).totalMissingChunks, 2, 'the current document is replaced');
    const oldId = reportId(Date.now() - DAY);
    const newId = reportId(now - 10 * DAY);
    assert.equal(await archivePendingJobs(store, key, doc(3), oldId), snapshotKey(key, oldId));
    assert.equal(await archivePendingJobs(store, key, doc(9), oldId), undefined, 'create-only (If-None-Match) on S3');
    assert.equal(JSON.parse((await store.get(snapshotKey(key, oldId))).toString('utf8')).totalMissingChunks, 3);
    await archivePendingJobs(store, key, doc(4), newId);
    const plan = await planCleanup(store, layout, now, 30, undefined, { pendingJobsKey: key, days: 30 });
    assert.deepEqual(plan.snapshots.delete, [snapshotKey(key, oldId)]);
    assert.equal(plan.snapshots.kept, 1);
    assert.deepEqual((await runCleanup(store, plan)).problems, []);
    const left: string[] = [];
    for await (const o of store.list('batch-data/')) left.push(o.key);
    assert.deepEqual(left.sort(), [snapshotKey(key, newId), key].sort());
  });
});
