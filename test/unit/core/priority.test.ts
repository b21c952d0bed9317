/** Run order: manual "next" (an object in a real folder store), priority users, then the rest; oldest first within each. */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BucketLayout } from '../../../src/core/layout';
import { nextKey, orderedJobs, parseNext, prioritize, readNext, writeNext } from '../../../src/core/priority';
import { scan } from '../../../src/core/scan';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import { systemClock } from '../../../src/core/clock';
import { utimesSync } from 'node:fs';

const s = (userId: string, sessionId: string) => ({ userId, sessionId });

describe('priority (run order)', function () {
  it('next first, then priority users, then the rest; the given (oldest-first) order within each', function () {
    const oldestFirst = [s('a', '1'), s('b', '2'), s('c', '3'), s('b', '4'), s('a', '5')];
    assert.deepEqual(prioritize(oldestFirst, { users: [] }), oldestFirst);
    assert.deepEqual(
      prioritize(oldestFirst, { users: ['b'] }).map((x) => x.sessionId),
      ['2', '4', '1', '3', '5'],
    );
    assert.deepEqual(
      prioritize(oldestFirst, { users: ['b'], next: s('a', '5') }).map((x) => x.sessionId),
      ['5', '2', '4', '1', '3'],
    );
    assert.deepEqual(prioritize(oldestFirst, { users: [], next: s('z', '9') }), oldestFirst, 'a next that is not pending orders nothing');
  });

  it('the "next" object is read as hostile', function () {
    assert.deepEqual(parseNext('{"userId":"u","sessionId":"s","setAt":"2026-12-03T12:00:00Z"}'), { userId: 'u', sessionId: 's', setAt: '2026-12-03T12:00:00Z' });
    for (const bad of ['', 'null', '[]', '{"userId":"u"}', '{"userId":1,"sessionId":"s"}', '{"userId":"","sessionId":"s"}', `{"userId":"${'x'.repeat(2000)}","sessionId":"s"}`])
      assert.equal(parseNext(bad), undefined, bad);
    assert.equal(parseNext('{"userId":"u","sessionId":"s","setAt":"yesterday"}')?.setAt, '');
  });

  describe('on a folder store', function () {
    let dir: string;
    let store: FolderStore;
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    beforeEach(function () {
      dir = mkdtempSync(path.join(tmpdir(), 'wb-priority-'));
      store = new FolderStore(dir);
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes, reads and clears the next session; a run takes its jobs first', async function () {
      const put = async (u: string, sess: string, hoursAgo: number) => {
        const key = layout.audioKey({ userId: u, sessionId: sess }, 1, 'webm');
        await store.put(key, 'audio');
        const t = (Date.now() - hoursAgo * 3_600_000) / 1000;
        utimesSync(path.join(dir, ...key.split('/')), t, t);
      };
      await put('alice', 'old', 5);
      await put('bob', 'mid', 4);
      await put('carol', 'new', 3);
      const doc = await scan({ store, settings, clock: systemClock });
      const order = async (users: string[] = []) => (await orderedJobs({ store, layout, doc, users })).map((j) => j.sessionId);
      assert.deepEqual(await order(), ['old', 'mid', 'new'], 'oldest first by default');
      assert.deepEqual(await order(['carol']), ['new', 'old', 'mid']);
      await writeNext(store, layout, { userId: 'bob', sessionId: 'mid', setAt: '2026-12-03T12:00:00.000Z' });
      assert.deepEqual(await readNext(store, layout), { userId: 'bob', sessionId: 'mid', setAt: '2026-12-03T12:00:00.000Z' });
      assert.deepEqual(await order(['carol']), ['mid', 'new', 'old']);
      await store.put(nextKey(layout), 'x'.repeat(70_000));
      // an oversized object is named (store/cappedRead.ts) and orders nothing
      await assert.rejects(readNext(store, layout), /^WbError: The "next" session object "batch-reports\/\.next\.json" is larger than 64 KB/);
      assert.deepEqual(await order(), ['old', 'mid', 'new']);
      await writeNext(store, layout, undefined);
      assert.equal(await readNext(store, layout), undefined);
    });
  });
});
