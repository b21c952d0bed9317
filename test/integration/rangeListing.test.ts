/**
 * The parallel scan cuts the listing into contiguous key ranges (StartAfter) at folder boundaries,
 * on moto, with pages of 5 keys so that a small bucket is cut many times: one heavy user, many
 * users with one session, ids with odd characters (spaces, "+", "%", "<&>", astral characters
 * next to U+E000, users that sort just before a cut: "u2-x", "u2.x" before "u2/"). @integration
 */
import * as assert from 'node:assert/strict';
import { listInRanges } from '../../src/core/rangeListing';
import { scan } from '../../src/core/scan';
import { BucketLayout } from '../../src/core/layout';
import { resolveSettings } from '../../src/core/settings';
import type { ObjectInfo } from '../../src/core/store/objectStore';
import type { S3Store } from '../../src/core/store/s3Store';
import { startMoto, releaseMoto, type MotoServer } from '../support/moto';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { comparable, frozenClock } from '../support/scanFixture';

/** The scan's levels: the users, then the sessions of the user the position is in. */
const userLevels = (layout: BucketLayout) => (pos: string) => {
  const slash = pos.indexOf('/', 'users/'.length);
  return slash > 0 ? ['users/', layout.userSessionsPrefix(pos.slice('users/'.length, slash))] : ['users/'];
};

const T = 'layers/layer-0-raw-transcription/';

function bucketKeys(): string[] {
  const out: string[] = [];
  const session = (user: string, id: string, chunks: number, done: number) => {
    const base = `users/${user}/audio/sessions/${id}/`;
    for (let c = 1; c <= chunks; c++) {
      const n = String(c).padStart(3, '0');
      out.push(`${base}chunk-${n}.webm`);
      if (c <= done) out.push(`${base}${T}chunk-${n}.json`);
    }
  };
  const odd = ['a b', 'a+b', 'a%2Bb', 'quo"te <&>', '\u{E000}private', '🎙 astral', 'ü 会话', 'x'.repeat(110)];
  for (let s = 0; s < 24; s++) session('heavy', `${odd[s % odd.length]}-${String(s).padStart(2, '0')}`, 1 + (s % 4), s % 3);
  for (let u = 0; u < 30; u++) session(`user-${String(u).padStart(3, '0')}`, `session ${u}`, 1 + (u % 2), u % 2);
  for (const u of ['u2', 'u2-x', 'u2.x', '🎙', '\u{E000}']) session(u, 'only', 2, 1);
  out.push('users/heavy/profile.json', 'users/readme.txt');
  return out;
}

describe('scan in key ranges on S3 (moto) @integration', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let b: MotoBucket;
  let store: S3Store;
  const keys = bucketKeys();

  before(async function () {
    moto = await startMoto();
    b = await createMotoBucket(moto, 'wb-ranges');
    const whole = b.store('t/');
    for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((k) => whole.put(k, 'x'.repeat(1 + (k.length % 7)))));
    store = b.store('t/', 5);
  });
  after(async function () {
    await b?.dispose();
    await releaseMoto();
  });

  it('lists every key exactly once, each range in order, in about one request per page', async function () {
    const layout = new BucketLayout(resolveSettings({}).layout);
    const ranges: string[][] = [];
    let requests = 0;
    const stats = await listInRanges({
      store,
      prefix: 'users/',
      streams: 4,
      levels: userLevels(layout),
      consume: async (it: AsyncIterable<ObjectInfo[]>) => {
        const got: string[] = [];
        ranges.push(got);
        for await (const page of it) for (const o of page) got.push(o.key);
      },
      onRequest: () => requests++,
    });
    const all: string[] = [];
    for await (const o of store.list('users/')) all.push(o.key);
    assert.equal(all.length, keys.length);
    assert.ok(stats.ranges > 4 && stats.streams > 1, JSON.stringify(stats));
    // Ranges are contiguous pieces of the one listing: concatenated in start order they are that listing.
    const pieces = ranges.filter((r) => r.length).sort((x, y) => all.indexOf(x[0]) - all.indexOf(y[0]));
    assert.deepEqual(pieces.flat(), all);
    // A page per 5 keys, plus per range one partial page, plus the folder listings that found the cuts.
    const pages = Math.ceil(all.length / 5);
    assert.ok(requests <= pages + stats.ranges + stats.folderListings, `${requests} requests, ${pages} pages, ${JSON.stringify(stats)}`);
    assert.ok(stats.folderListings <= 2 * stats.splits + 4, JSON.stringify(stats));
  });

  it('does not cut while the event loop is never idle (a CPU-bound client), though it waits for every page', async function () {
    // The SDK's XML parse of a page happens while the listing awaits it: a scan of a fast server
    // "waits" most of its time with no idle time to give a second stream. A CPU hog in this process
    // stands for that parse: every event-loop turn burns 15 ms.
    const layout = new BucketLayout(resolveSettings({}).layout);
    const levels = (pos: string) => {
      const slash = pos.indexOf('/', 'users/'.length);
      return slash > 0 ? ['users/', layout.userSessionsPrefix(pos.slice('users/'.length, slash))] : ['users/'];
    };
    const run = async (idleShare?: () => number) => {
      let hog = true;
      const burn = () => {
        const t = performance.now();
        while (performance.now() - t < 15);
        if (hog) setImmediate(burn);
      };
      setImmediate(burn);
      let keys = 0;
      try {
        const stats = await listInRanges({
          store,
          prefix: 'users/',
          streams: 4,
          levels,
          idleShare,
          consume: async (it) =>
            void (await (async () => {
              for await (const p of it) keys += p.length;
            })()),
        });
        return { stats, keys };
      } finally {
        hog = false;
      }
    };
    const busy = await run();
    assert.equal(busy.keys, keys.length);
    assert.deepEqual([busy.stats.ranges, busy.stats.splits, busy.stats.folderListings], [1, 0, 0], JSON.stringify(busy.stats));
    // The same run with the idle test passed: the wait alone would have cut it.
    const waitOnly = await run(() => 1);
    assert.equal(waitOnly.keys, keys.length);
    assert.ok(waitOnly.stats.splits > 0, JSON.stringify(waitOnly.stats));
  });

  it("cuts a range that stays inside one heavy user between that user's sessions first", async function () {
    // "heavy" sorts first and fills the first pages: the first cut must split its sessions, not the
    // users after it (that would leave the heavy user whole in the first range, listed alone).
    const layout = new BucketLayout(resolveSettings({}).layout);
    const firstKeys: string[] = [];
    let listed = 0;
    const stats = await listInRanges({
      store,
      prefix: 'users/',
      streams: 4,
      levels: userLevels(layout),
      idleShare: () => 1,
      consume: async (it) => {
        let first = true;
        for await (const p of it) {
          if (first && p.length) firstKeys.push(p[0].key);
          first = false;
          listed += p.length;
        }
      },
    });
    assert.equal(listed, keys.length);
    assert.ok(stats.splits > 0, JSON.stringify(stats));
    // Ranges start in order of their cut: the second range is the first piece of the first cut.
    assert.ok(firstKeys[0].startsWith('users/heavy/'), firstKeys[0]);
    assert.ok(firstKeys[1].startsWith('users/heavy/audio/sessions/'), `second range starts at ${firstKeys[1]}`);
    // ...and what follows the heavy user's sessions is a piece of its own, starting right after them.
    assert.ok(firstKeys.includes('users/heavy/profile.json'), JSON.stringify(firstKeys));
  });

  it('finds the same work as one stream: no session split between two ranges', async function () {
    const clock = frozenClock(Date.now() + 86_400_000);
    const one = await scan({ store, settings: resolveSettings({ scan: { listConcurrency: 1 } }), clock });
    for (const n of [2, 4, 16]) {
      const par = await scan({ store, settings: resolveSettings({ scan: { listConcurrency: n } }), clock });
      assert.ok(par.stats.streams > 1, `x${n}: ${JSON.stringify(par.stats)}`);
      assert.equal(par.stats.keys, keys.length);
      assert.deepEqual(comparable(par), comparable(one));
      assert.deepEqual(
        par.sessions.map((s) => s.sessionPath),
        one.sessions.map((s) => s.sessionPath),
      );
    }
    assert.ok(one.sessions.some((s) => s.sessionId.startsWith('\u{E000}')) && one.sessions.some((s) => s.sessionId.startsWith('🎙')));
    assert.ok(one.sessions.some((s) => s.userId === 'u2.x') && one.sessions.some((s) => s.userId === 'u2'));
  });
});
