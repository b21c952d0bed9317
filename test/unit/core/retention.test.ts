/** Retention on a real folder store: which report files are old (name and mtime), and nothing else is touched. */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketLayout } from '../../../src/core/layout';
import { planCleanup, reportNameTime, runCleanup } from '../../../src/core/retention';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');

describe('retention (reports older than retention.reportDays)', function () {
  let dir: string;
  let store: FolderStore;
  const layout = new BucketLayout(defaultSettings().layout);
  const put = async (key: string, mtime: number) => {
    await store.put(key, '{}');
    utimesSync(path.join(dir, ...key.split('/')), mtime / 1000, mtime / 1000);
  };
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'wb-retention-'));
    store = new FolderStore(dir);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes the JSON and HTML of reports older than 30 days, keeps newer ones and everything that is not a report', async function () {
    const old = NOW - 40 * DAY;
    await put('batch-reports/batch-2026-10-01-0800.json', old);
    await put('batch-reports/batch-2026-10-01-0800.html', old);
    await put('batch-reports/batch-2026-10-01-0800-2.json', old);
    await put('batch-reports/batch-2026-12-01-0800.json', NOW - 2 * DAY);
    // a fresh object under an old name (written yesterday): kept
    await put('batch-reports/batch-2026-09-01-0000.json', NOW - DAY);
    // not reports: the lease, the alert state, pending-jobs, a nested key, audio: never deleted however old
    for (const k of [
      'batch-reports/.alert-state.json',
      'batch-reports/pending-jobs.json',
      'batch-reports/x/batch-2026-01-01-0000.json',
      'batch-reports/batch-2026-01-01-0000.json.bak',
      'users/u/audio/sessions/s/chunk-001.webm',
    ])
      await put(k, old);
    const plan = await planCleanup(store, layout, NOW, 30);
    assert.deepEqual(plan.delete, ['batch-reports/batch-2026-10-01-0800-2.json', 'batch-reports/batch-2026-10-01-0800.html', 'batch-reports/batch-2026-10-01-0800.json']);
    assert.equal(plan.kept, 2);
    assert.equal(plan.cutoff, '2026-11-03T12:00:00.000Z');
    const done = await runCleanup(store, plan);
    assert.deepEqual(done, { deleted: plan.delete, problems: [] });
    const left: string[] = [];
    for await (const o of store.list('')) left.push(o.key);
    assert.deepEqual(left.sort(), [
      'batch-reports/.alert-state.json',
      'batch-reports/batch-2026-01-01-0000.json.bak',
      'batch-reports/batch-2026-09-01-0000.json',
      'batch-reports/batch-2026-12-01-0800.json',
      'batch-reports/pending-jobs.json',
      'batch-reports/x/batch-2026-01-01-0000.json',
      'users/u/audio/sessions/s/chunk-001.webm',
    ]);
  });

  it('0 days keeps everything; a report just inside the window is kept', async function () {
    await put('batch-reports/batch-2026-10-01-0800.json', NOW - 60 * DAY);
    assert.deepEqual((await planCleanup(store, layout, NOW, 0)).delete, []);
    await put('batch-reports/batch-2026-11-03-1201.json', NOW - 29 * DAY);
    assert.deepEqual((await planCleanup(store, layout, NOW, 30)).delete, ['batch-reports/batch-2026-10-01-0800.json']);
  });

  it('reads the run time from the name only for report names', function () {
    assert.equal(reportNameTime('batch-2026-10-01-0800.json'), Date.parse('2026-10-01T08:00:00Z'));
    assert.equal(reportNameTime('batch-2026-10-01-0800-12.html'), Date.parse('2026-10-01T08:00:00Z'));
    for (const n of ['batch-2026-10-01-0800.txt', 'x/batch-2026-10-01-0800.json', '../batch-2026-10-01-0800.json', 'batch-26-10-01-0800.json']) assert.equal(reportNameTime(n), undefined, n);
  });
});
