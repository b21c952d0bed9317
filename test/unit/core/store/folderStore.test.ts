/** The folder store's conditional writes on a real disk: create-only (transcripts) and compare-and-swap (the run lease). */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WbError } from '../../../../src/core/errors';
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

describe('FolderStore never leaves its root (real disk, planted links)', function () {
  let dir: string;
  let outside: string;
  let store: FolderStore;
  const session = 'users/u1/audio/sessions/s1';
  const transcript = `${session}/layers/layer-0-raw-transcription/chunk-001.json`;
  const everything = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort();

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-folder-root-'));
    outside = mkdtempSync(path.join(os.tmpdir(), 'wb-folder-outside-'));
    store = new FolderStore(dir);
    mkdirSync(path.join(dir, ...session.split('/')), { recursive: true });
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('keys with "..", "." or "\\" segments never leave the root, on any OS', async function () {
    for (const key of ['../x', 'a/../../x', '/etc/x', 'a//b', 'a/./b', 'a\\..\\..\\x', '..\\x', 'a/b\\..\\..\\..\\x', 'a\\.\\b', 'x\0y']) {
      await assert.rejects(store.put(key, 'x'), (e: unknown) => e instanceof WbError && /Key not allowed/.test(e.message), key);
      await assert.rejects(store.get(key), WbError, key);
      await assert.rejects(store.delete(key), WbError, key);
    }
    assert.deepEqual(everything(outside), []);
    // A backslash that is no ".." segment is just a character of the name.
    assert.equal((await store.put('users/u\\1/a\\b.json', 'ok')).written, true);
  });

  it('a planted <session>/layers link: the transcript write is refused, nothing (not even a folder) appears outside', async function () {
    symlinkSync(outside, path.join(dir, ...session.split('/'), 'layers'));
    for (const opts of [{ ifAbsent: true }, {}, { ifMatch: 'x' }]) {
      await assert.rejects(store.put(transcript, '{}', opts), (e: unknown) => e instanceof WbError && e.code === 'StoreAccess' && /link out of the store folder/.test(e.message));
    }
    await assert.rejects(store.get(transcript), WbError);
    await assert.rejects(store.delete(transcript), WbError);
    assert.deepEqual(everything(outside), []);
  });

  it('a planted batch-reports link: reports and the lease are refused; a link to a file outside is never read', async function () {
    symlinkSync(outside, path.join(dir, 'batch-reports'));
    writeFileSync(path.join(outside, '.lease.json'), 'outside');
    await assert.rejects(store.put('batch-reports/batch-2026-12-03-0800.json', '{}', { ifAbsent: true }), /link out of the store folder/);
    await assert.rejects(store.put('batch-reports/.lease.json', '{}', { ifAbsent: true }), /link out of the store folder/);
    await assert.rejects(store.delete('batch-reports/.lease.json'), /link out of the store folder/);
    assert.deepEqual(everything(outside), ['.lease.json']);
    assert.equal(readFileSync(path.join(outside, '.lease.json'), 'utf8'), 'outside');
    // A read through the linked parent folder to a file that exists outside is refused too.
    await assert.rejects(store.get('batch-reports/.lease.json'), /link out of the store folder/);
    await assert.rejects(store.head('batch-reports/.lease.json'), /link out of the store folder/);
    // Through a link to a folder inside the root that itself links out.
    mkdirSync(path.join(dir, 'hop'));
    symlinkSync(path.join(dir, 'batch-reports'), path.join(dir, 'hop', 'reports'));
    await assert.rejects(store.get('hop/reports/.lease.json'), /link out of the store folder/);
    symlinkSync(path.join(outside, '.lease.json'), path.join(dir, 'batch-lock.json'));
    await assert.rejects(store.get('batch-lock.json'), /link out of the store folder/);
    await assert.rejects(store.head('batch-lock.json'), /link out of the store folder/);
  });

  it('create-only stays create-only over a planted link at the target itself (dangling or not)', async function () {
    const t = path.join(dir, 'victim.json');
    symlinkSync(path.join(outside, 'new.json'), t);
    assert.equal((await store.put('victim.json', 'x', { ifAbsent: true })).written, false);
    assert.deepEqual(everything(outside), []);
  });

  it('links inside the root to inside the root still work', async function () {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, ...session.split('/'), 'layers'));
    assert.equal((await store.put(transcript, '{}', { ifAbsent: true })).written, true);
    assert.equal((await store.get(transcript)).toString(), '{}');
    assert.deepEqual(everything(path.join(dir, 'real')), ['layer-0-raw-transcription', 'layer-0-raw-transcription/chunk-001.json']);
  });
});
