import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../../src/core/clock';
import { BucketLayout } from '../../../src/core/layout';
import { Lease, readLease } from '../../../src/core/lease';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import { WbError } from '../../../src/core/errors';

describe('run lease (folder store, fake clock)', function () {
  let dir: string;
  let store: FolderStore;
  const layout = new BucketLayout(defaultSettings().layout);
  let fake: any;
  let clock: Clock;

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-lease-'));
    store = new FolderStore(dir);
    fake = FakeTimers.createClock(Date.parse('2026-11-25T10:00:00Z'));
    clock = { now: () => fake.now, setTimeout: (fn, ms) => fake.setTimeout(fn, ms), clearTimeout: (h) => fake.clearTimeout(h as any) };
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a lease dated in the future (expiresAt 2999) is invalid: expired and taken over; within the clock skew it holds', async function () {
    await store.put(layout.leaseKey, JSON.stringify({ runId: 'evil', holder: 'x', acquiredAt: '2999-01-01T00:00:00Z', renewedAt: '2999-01-01T00:00:00Z', expiresAt: '2999-01-01T00:00:00Z' }));
    assert.equal((await readLease(store, layout, clock))?.expired, true);
    const lease = await Lease.acquire({ store, layout, clock, runId: 'r1', holder: 'me', seconds: 120 });
    assert.equal((await readLease(store, layout, clock))?.runId, 'r1');
    await lease.release();
    // A holder whose clock runs 4 minutes ahead, with the longest lease (3600 s): still valid.
    const ahead = new Date(fake.now + 3600_000 + 4 * 60_000).toISOString();
    await store.put(layout.leaseKey, JSON.stringify({ runId: 'ahead', holder: 'y', acquiredAt: ahead, renewedAt: ahead, expiresAt: ahead }));
    assert.equal((await readLease(store, layout, clock))?.expired, false);
    await assert.rejects(Lease.acquire({ store, layout, clock, runId: 'r2', holder: 'me', seconds: 120 }), (e: unknown) => e instanceof WbError && e.code === 'Lease');
  });

  it('the second taker is refused with the holder and the time', async function () {
    const a = await Lease.acquire({ store, layout, clock, runId: 'run-a', holder: 'cron on server', seconds: 120 });
    await assert.rejects(
      Lease.acquire({ store, layout, clock, runId: 'run-b', holder: 'vscode', seconds: 120 }),
      (e: WbError) => e.code === 'Lease' && /cron on server/.test(e.message) && /2026-11-25T10:00:00/.test(e.message),
    );
    await a.release();
    const b = await Lease.acquire({ store, layout, clock, runId: 'run-b', holder: 'vscode', seconds: 120 });
    assert.equal((await readLease(store, layout, clock))?.runId, 'run-b');
    await b.release();
    assert.equal(await readLease(store, layout, clock), undefined);
  });

  it('an expired lease (crashed runner) is taken over; a live one is renewed and kept', async function () {
    const crashed = await Lease.acquire({ store, layout, clock, runId: 'crashed', holder: 'dead pid', seconds: 60 });
    void crashed; // never released, never renewed
    fake.tick(61_000);
    assert.equal((await readLease(store, layout, clock))?.expired, true);
    const next = await Lease.acquire({ store, layout, clock, runId: 'next', holder: 'me', seconds: 60 });
    assert.equal((await readLease(store, layout, clock))?.runId, 'next');
    // the crashed runner coming back cannot renew what it lost
    assert.equal(await crashed.renew(), false);
    assert.equal(await next.renew(), true);
    await next.release();
  });

  it('five runners taking over the same expired lease at once: exactly one wins, the others are refused', async function () {
    await Lease.acquire({ store, layout, clock, runId: 'crashed', holder: 'dead pid', seconds: 60 });
    fake.tick(61_000);
    const res = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => Lease.acquire({ store, layout, clock, runId: `r${i}`, holder: `runner ${i}`, seconds: 60 })));
    const won = res.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, `winners: ${res.map((r) => r.status).join(', ')}`);
    for (const r of res) if (r.status === 'rejected') assert.equal((r.reason as WbError).code, 'Lease', String(r.reason));
    const holder = await readLease(store, layout, clock);
    assert.equal(holder?.expired, false);
    // no lock file is left behind, and the store lists none of its own files
    const left: string[] = [];
    for await (const o of store.list('')) left.push(o.key);
    assert.deepEqual(left, [layout.leaseKey]);
  });

  it('renewal keeps the lease alive past its first expiry', async function () {
    const l = await Lease.acquire({ store, layout, clock, runId: 'long', holder: 'me', seconds: 30 });
    let lost = false;
    l.startRenewal(() => (lost = true));
    for (let i = 0; i < 10; i++) {
      await fake.tickAsync(10_000);
      // The renewal's file I/O runs on real time: wait (bounded) until it wrote the new expiry.
      const want = new Date(fake.now + 30_000).toISOString();
      for (let k = 0; k < 200 && (await readLease(store, layout, clock))?.expiresAt !== want; k++) await new Promise((r) => setTimeout(r, 10));
    }
    const info = await readLease(store, layout, clock);
    assert.equal(lost, false);
    assert.equal(info?.expired, false, `expires ${info?.expiresAt}, now ${new Date(fake.now).toISOString()}`);
    await l.release();
  });
});
