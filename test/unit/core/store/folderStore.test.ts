/** The folder store's conditional writes on a real disk: create-only (transcripts) and compare-and-swap (the run lease). */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FolderStore } from '../../../../src/core/store/folderStore';

describe('FolderStore conditional writes (real disk)', function () {
  let dir: string;
  let store: FolderStore;
  const key = 'users/u1/audio/sessions/s 1 $(x)/layers/layer-0-raw-transcription/chunk-001.json';

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-folder-'));
    store = new FolderStore(dir);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('create-only put writes once; a second one returns written:false and leaves the body as it was', async function () {
    assert.equal((await store.put(key, 'first', { ifAbsent: true })).written, true);
    assert.equal((await store.put(key, 'second', { ifAbsent: true })).written, false);
    assert.equal((await store.get(key)).toString(), 'first');
  });

  it('ten create-only puts of the same key at once: exactly one lands, whole', async function () {
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(key, `writer ${i} `.repeat(1000), { ifAbsent: true })));
    assert.equal(res.filter((r) => r.written).length, 1);
    const body = (await store.get(key)).toString();
    assert.match(body, /^(writer \d ){1000}$/);
    assert.equal(body, `writer ${res.findIndex((r) => r.written)} `.repeat(1000));
  });

  it('ifMatch replaces only the version it names, and exactly one of many concurrent swaps wins', async function () {
    const v1 = await store.put('batch-lock.json', 'v1');
    assert.equal((await store.put('batch-lock.json', 'x', { ifMatch: 'not-the-etag' })).written, false);
    const res = await Promise.all(Array.from({ length: 8 }, (_, i) => store.put('batch-lock.json', `v2 by ${i}`, { ifMatch: v1.etag })));
    assert.equal(res.filter((r) => r.written).length, 1, res.map((r) => r.written).join(','));
    assert.equal((await store.get('batch-lock.json')).toString(), `v2 by ${res.findIndex((r) => r.written)}`);
    assert.equal((await store.put('gone.json', 'x', { ifMatch: 'any' })).written, false, 'ifMatch on a missing key writes nothing');
    assert.equal(await store.head('gone.json'), undefined);
  });

  it('a lock left by a writer that died is broken once it is stale; a fresh one makes the swap fail, not wait', async function () {
    const v1 = await store.put('lease.json', 'v1');
    const lock = path.join(dir, '.wb-tmp-lock-lease.json');
    writeFileSync(lock, '');
    assert.equal((await store.put('lease.json', 'v2', { ifMatch: v1.etag })).written, false, 'a live lock: someone is swapping right now');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    assert.equal((await store.put('lease.json', 'v2', { ifMatch: v1.etag })).written, true, 'a stale lock is broken');
    assert.deepEqual(readdirSync(dir), ['lease.json'], 'no temp or lock file is left');
    const listed: string[] = [];
    for await (const o of store.list('')) listed.push(o.key);
    assert.deepEqual(listed, ['lease.json']);
  });
});
