/**
 * The scanner on S3 (moto) and on a folder with the SAME fixture layout must give the same
 * pending-jobs document (times, store name and request counts aside). @integration
 *
 * moto sets LastModified to "now" and cannot be told otherwise, so the clock is a frozen fake
 * placed after (or just after) the moment the fixture was written.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { scan } from '../../src/core/scan';
import { FolderStore } from '../../src/core/store/folderStore';
import type { ObjectStore } from '../../src/core/store/objectStore';
import type { S3Store } from '../../src/core/store/s3Store';
import { resolveSettings, type RawSettings } from '../../src/core/settings';
import { startMoto, releaseMoto, type MotoServer } from '../support/moto';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { EXPECTED_PENDING, EXPECTED_TOTAL_SESSIONS, ODD_SESSIONS, comparable, frozenClock, pendingMap, snapshot, writeFixture } from '../support/scanFixture';

const DAY = 86_400_000;
const MIN = 60_000;

describe('scan on S3 (moto) matches scan on a folder @integration', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let b: MotoBucket;
  let s3: S3Store;
  let folder: FolderStore;
  let dir: string;
  let writtenAt: number;
  let sandbox: sinon.SinonSandbox;

  const scanBoth = async (now: number, raw: RawSettings = {}) => {
    const settings = resolveSettings(raw);
    const [onS3, onFolder] = await Promise.all([scan({ store: s3, settings, clock: frozenClock(now) }), scan({ store: folder, settings, clock: frozenClock(now) })]);
    return { onS3, onFolder };
  };
  const putLock = (body: unknown) => Promise.all([s3, folder].map((st: ObjectStore) => st.put('batch-lock.json', JSON.stringify(body))));
  const dropLock = () => Promise.all([s3, folder].map((st: ObjectStore) => st.delete('batch-lock.json')));

  before(async function () {
    moto = await startMoto();
    b = await createMotoBucket(moto, 'wb-scan');
    s3 = b.store('tenant-x'); // a store prefix: the scan must see the same relative keys
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-scans3-'));
    folder = new FolderStore(dir);
    await Promise.all([writeFixture(s3), writeFixture(folder)]);
    writtenAt = Date.now();
  });

  beforeEach(function () {
    sandbox = sinon.createSandbox();
  });

  afterEach(async function () {
    sandbox.restore();
    await dropLock();
  });

  after(async function () {
    await b?.dispose();
    await releaseMoto();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds the same pending chunks: current + legacy transcripts, chunk-1000, odd session ids', async function () {
    const { onS3, onFolder } = await scanBoth(writtenAt + DAY);
    assert.deepEqual(pendingMap(onS3), EXPECTED_PENDING);
    assert.equal(onS3.totalSessions, EXPECTED_TOTAL_SESSIONS);
    assert.equal(onS3.store, `s3://${b.bucket}/tenant-x`);
    assert.deepEqual(onS3.sessions.find((s) => s.sessionId === 'long')!.missingChunks, ['999', '1000']);
    assert.deepEqual(comparable(onS3), comparable(onFolder));
  });

  it('defers the same sessions for a lock on one user', async function () {
    await putLock({ userId: 'carol', createdAt: new Date(writtenAt + DAY - MIN).toISOString() });
    const { onS3, onFolder } = await scanBoth(writtenAt + DAY);
    assert.deepEqual(
      onS3.deferredSessions.map((s) => [s.sessionId, s.reason]),
      [['c1', 'locked']],
    );
    assert.deepEqual(comparable(onS3), comparable(onFolder));
  });

  it('defers the same session for a lock on one odd session id', async function () {
    await putLock({ sessionId: ODD_SESSIONS.unicode, createdAt: new Date(writtenAt + DAY - MIN).toISOString() });
    const { onS3, onFolder } = await scanBoth(writtenAt + DAY);
    assert.deepEqual(
      onS3.deferredSessions.map((s) => s.sessionId),
      [ODD_SESSIONS.unicode],
    );
    assert.deepEqual(comparable(onS3), comparable(onFolder));
  });

  it('defers everything for a lock naming nobody, and ignores it once stale', async function () {
    await putLock({ holder: 'realtime', createdAt: new Date(writtenAt + DAY - MIN).toISOString() });
    let { onS3, onFolder } = await scanBoth(writtenAt + DAY);
    assert.equal(onS3.sessions.length, 0);
    assert.equal(onS3.deferredSessions.length, 7);
    assert.deepEqual(comparable(onS3), comparable(onFolder));
    await putLock({ holder: 'realtime', createdAt: new Date(writtenAt + DAY - 300 * MIN).toISOString() });
    ({ onS3, onFolder } = await scanBoth(writtenAt + DAY, { scan: { lockMaxAgeMinutes: 240 } }));
    assert.equal(onS3.lock?.stale, true);
    assert.deepEqual(pendingMap(onS3), EXPECTED_PENDING);
    assert.deepEqual(comparable(onS3), comparable(onFolder));
  });

  it('defers sessions inside the grace period (LastModified is "now" on moto)', async function () {
    // 10 minutes after the upload: inside a 15-minute grace period, outside a 5-minute one.
    const tenMinLater = Date.now() + 10 * MIN;
    let { onS3, onFolder } = await scanBoth(tenMinLater, { scan: { gracePeriodMinutes: 15 } });
    assert.equal(onS3.sessions.length, 0);
    assert.deepEqual(new Set(onS3.deferredSessions.map((s) => s.reason)), new Set(['recording']));
    assert.equal(onS3.deferredSessions.length, 7);
    assert.deepEqual(comparable(onS3), comparable(onFolder));
    ({ onS3, onFolder } = await scanBoth(tenMinLater, { scan: { gracePeriodMinutes: 5 } }));
    assert.deepEqual(pendingMap(onS3), EXPECTED_PENDING);
    assert.deepEqual(comparable(onS3), comparable(onFolder));
  });

  it('gives the same result with listConcurrency 1 and 4', async function () {
    const one = await scanBoth(writtenAt + DAY, { scan: { listConcurrency: 1 } });
    const four = await scanBoth(writtenAt + DAY, { scan: { listConcurrency: 4 } });
    assert.equal(four.onS3.stats.streams, 1, 'one page: nothing to cut, no more requests than one stream');
    assert.equal(four.onS3.stats.requests, one.onS3.stats.requests);
    assert.equal(one.onS3.stats.streams, 1);
    assert.deepEqual(comparable(four.onS3), comparable(one.onS3));
    assert.deepEqual(comparable(one.onS3), comparable(one.onFolder));
    assert.deepEqual(comparable(four.onS3), comparable(four.onFolder));
  });

  it('gives the same result when pages of 3 keys make it cut the listing into ranges', async function () {
    const small = b.store('tenant-x', 3);
    const settings = (n: number) => resolveSettings({ scan: { listConcurrency: n } });
    const one = await scan({ store: small, settings: settings(1), clock: frozenClock(writtenAt + DAY) });
    const four = await scan({ store: small, settings: settings(4), clock: frozenClock(writtenAt + DAY) });
    assert.ok(four.stats.streams > 1, `streams ${four.stats.streams}`);
    assert.deepEqual(comparable(four), comparable(one));
    assert.deepEqual(
      four.sessions.map((x) => x.sessionPath),
      one.sessions.map((x) => x.sessionPath),
    );
  });

  it('writes nothing to the bucket', async function () {
    await b.store().put('tenant-x/batch-lock.json', JSON.stringify({ userId: 'carol' }));
    const whole = b.store(); // the whole bucket, not just the prefix
    const before = await snapshot(whole);
    const put = sandbox.spy(s3, 'put');
    const del = sandbox.spy(s3, 'delete');
    await scan({ store: s3, settings: resolveSettings({ scan: { listConcurrency: 1 } }), clock: frozenClock(writtenAt + DAY) });
    await scan({ store: s3, settings: resolveSettings({ scan: { listConcurrency: 4 } }), clock: frozenClock(writtenAt + DAY) });
    assert.equal(put.callCount + del.callCount, 0);
    const after = await snapshot(whole);
    assert.equal(after.length, before.length);
    assert.deepEqual(after, before);
  });
});
