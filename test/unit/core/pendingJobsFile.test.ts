/** The pending-jobs document where the design's consumers read it, its archived snapshots and their retention, on a real folder store. */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketLayout } from '../../../src/core/layout';
import { archivePendingJobs, archivePrefix, pendingJobsKeyProblem, savePendingJobs, snapshotKey } from '../../../src/core/pendingJobsFile';
import { planCleanup, runCleanup } from '../../../src/core/retention';
import { defaultSettings } from '../../../src/core/settings';
import type { PendingJobs } from '../../../src/core/scan';
import { FolderStore } from '../../../src/core/store/folderStore';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');
const KEY = defaultSettings().layout.pendingJobsKey;

function doc(missing: number): PendingJobs {
  const chunks = Array.from({ length: missing }, (_, i) => ({ chunk: i + 1, key: `users/u/audio/sessions/s/chunk-00${i + 1}.webm`, size: 10, lastModified: NOW - DAY }));
  return {
    timestamp: new Date(NOW).toISOString(),
    totalSessions: 1,
    sessionsWithMissingChunks: missing ? 1 : 0,
    totalMissingChunks: missing,
    estimatedGpuTime: '1 minute',
    estimatedCost: '$0.001',
    sessions: missing
      ? [
          {
            sessionId: 's',
            userId: 'u',
            sessionPath: 'users/u/audio/sessions/s/',
            audioChunks: ['001'],
            transcriptionChunks: [],
            missingChunks: ['001'],
            totalAudioSize: 10,
            createdAt: '',
            ageHours: 24,
            chunks,
          },
        ]
      : [],
    deferredSessions: [],
  } as unknown as PendingJobs;
}

describe('pending-jobs document and snapshots (layout.pendingJobsKey, retention.pendingJobsDays)', function () {
  let dir: string;
  let store: FolderStore;
  const layout = new BucketLayout(defaultSettings().layout);
  const put = async (key: string, mtime: number) => {
    await store.put(key, '{}');
    utimesSync(path.join(dir, ...key.split('/')), mtime / 1000, mtime / 1000);
  };
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'wb-pendingjobs-'));
    store = new FolderStore(dir);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("saves the design's document at batch-data/pending-jobs.json (without the per-chunk detail), replacing the previous one; '' saves nothing", async function () {
    assert.equal(KEY, 'batch-data/pending-jobs.json');
    assert.equal(await savePendingJobs(store, KEY, doc(1)), true);
    await savePendingJobs(store, KEY, doc(3));
    const saved = JSON.parse(readFileSync(path.join(dir, 'batch-data', 'pending-jobs.json'), 'utf8'));
    assert.equal(saved.totalMissingChunks, 3);
    assert.equal(saved.sessions[0].sessionId, 's');
    assert.equal(saved.sessions[0].chunks, undefined, "the per-chunk detail is the scan's own");
    assert.equal(await savePendingJobs(store, '', doc(1)), false);
  });

  it("archives a run's document beside it, named after its report, create-only; names are never built from bucket text", async function () {
    assert.equal(archivePrefix(KEY), 'batch-data/archive/');
    assert.equal(archivePrefix('pending.json'), 'archive/');
    const k = await archivePendingJobs(store, KEY, doc(2), 'batch-2026-12-03-1200');
    assert.equal(k, 'batch-data/archive/pending-jobs-batch-2026-12-03-1200.json');
    assert.equal(await archivePendingJobs(store, KEY, doc(5), 'batch-2026-12-03-1200'), undefined, 'an existing snapshot is not replaced');
    assert.equal(JSON.parse(readFileSync(path.join(dir, ...k!.split('/')), 'utf8')).totalMissingChunks, 2);
    for (const bad of ['../batch-2026-12-03-1200', 'batch-2026-12-03-1200/../../x', 'x', 'batch-2026-12-03-1200.json']) assert.throws(() => snapshotKey(KEY, bad), /not a report id/, bad);
  });

  it('cleanup deletes snapshots older than retention.pendingJobsDays (name and mtime), keeps newer ones, the current document and anything else', async function () {
    const old = NOW - 40 * DAY;
    await put(snapshotKey(KEY, 'batch-2026-10-01-0800'), old);
    await put(snapshotKey(KEY, 'batch-2026-10-01-0800-2'), old);
    await put(snapshotKey(KEY, 'batch-2026-12-01-0800'), NOW - 2 * DAY);
    await put(snapshotKey(KEY, 'batch-2026-09-01-0000'), NOW - DAY); // fresh object under an old name: kept
    for (const k of [
      KEY,
      'batch-data/archive/notes.json',
      'batch-data/archive/x/pending-jobs-batch-2026-01-01-0000.json',
      'batch-data/archive/pending-jobs-batch-2026-01-01-0000.json.bak',
      'batch-data/other.json',
    ])
      await put(k, old);
    await put('batch-reports/batch-2026-10-01-0800.json', old);
    const plan = await planCleanup(store, layout, NOW, 30, undefined, { pendingJobsKey: KEY, days: 30 });
    assert.deepEqual(plan.delete, ['batch-reports/batch-2026-10-01-0800.json']);
    assert.deepEqual(plan.snapshots.delete, ['batch-data/archive/pending-jobs-batch-2026-10-01-0800-2.json', 'batch-data/archive/pending-jobs-batch-2026-10-01-0800.json']);
    assert.equal(plan.snapshots.kept, 2);
    const done = await runCleanup(store, plan);
    assert.deepEqual(done, { deleted: [...plan.delete, ...plan.snapshots.delete], problems: [] });
    const left: string[] = [];
    for await (const o of store.list('batch-data/')) left.push(o.key);
    assert.deepEqual(left.sort(), [
      'batch-data/archive/notes.json',
      'batch-data/archive/pending-jobs-batch-2026-01-01-0000.json.bak',
      'batch-data/archive/pending-jobs-batch-2026-09-01-0000.json',
      'batch-data/archive/pending-jobs-batch-2026-12-01-0800.json',
      'batch-data/archive/x/pending-jobs-batch-2026-01-01-0000.json',
      'batch-data/other.json',
      KEY,
    ]);
    // 0 days keeps every snapshot; no key, no snapshots
    await put(snapshotKey(KEY, 'batch-2026-10-01-0800'), old);
    assert.deepEqual((await planCleanup(store, layout, NOW, 30, undefined, { pendingJobsKey: KEY, days: 0 })).snapshots.delete, []);
    assert.deepEqual((await planCleanup(store, layout, NOW, 30, undefined, { pendingJobsKey: '', days: 30 })).snapshots.delete, []);
  });

  it('refuses a key that would replace audio, transcripts, reports, the lock or the lease', function () {
    const l = defaultSettings().layout;
    assert.equal(pendingJobsKeyProblem(l), undefined);
    assert.equal(pendingJobsKeyProblem({ ...l, pendingJobsKey: '' }), undefined);
    for (const k of [
      'users/alice/audio/sessions/s/layers/layer-0-raw-transcription/chunk-001.json',
      'batch-reports/batch-2026-12-03-1200.json',
      'batch-lock.json',
      'batch-reports/.lease.json',
      'x/audio/sessions/y.json',
    ])
      assert.match(pendingJobsKeyProblem({ ...l, pendingJobsKey: k }) ?? '', /would replace/, k);
    assert.equal(pendingJobsKeyProblem({ ...l, usersPrefix: '', pendingJobsKey: 'batch-data/pending-jobs.json' }), undefined, 'users at the top level: still fine');
  });
});
