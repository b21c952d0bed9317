/**
 * S3Store against a real moto server (S3 API, conditional writes, presigned URLs). @integration
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, WbError } from '../../src/core/errors';
import { S3Store } from '../../src/core/store/s3Store';
import { openStore } from '../../src/core/store/openStore';
import { LazyAwsClientFactory } from '../../src/core/aws/clients';
import { resolveSettings } from '../../src/core/settings';
import { startMoto, releaseMoto, freePort, motoCredentials, type MotoServer } from '../support/moto';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { inParallel } from '../support/parallel';

const ODD_KEYS = [
  'odd/with space.webm',
  `odd/it's "quoted".webm`,
  'odd/ünïcødé/会话 🎙.webm',
  'odd/<img src=x onerror=alert(1)>.webm',
  'odd/$(touch pwned); rm -rf ~ `id`.webm',
  'odd/plus+and&amp=?#hash%20.webm',
  'odd/control\x01\x7f char.webm', // not XML 1.0 text: listed with EncodingType=url
  'odd/trailing space /and+plus+ .webm',
];

async function keysOf(store: S3Store, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

async function collectKeys(it: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

async function rejectsWb(p: Promise<unknown>): Promise<WbError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WbError, `expected a WbError, got ${e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('S3Store on moto @integration', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  let b: MotoBucket;
  let store: S3Store;

  before(async function () {
    moto = await startMoto();
    b = await createMotoBucket(moto, 'wb-s3store');
    store = b.store();
  });

  after(async function () {
    await b?.dispose();
    await releaseMoto();
  });

  describe('list', function () {
    const N = 2500;
    const many = Array.from({ length: N }, (_, i) => `many/k-${String(i).padStart(5, '0')}`);

    before(async function () {
      // ~10 ms per put on moto whatever the parallelism: this hook takes ~25 s.
      await inParallel(many, 16, (k) => store.put(k, 'x'));
      await store.put('manx', 'outside the prefix');
      await store.put('zz-after', 'outside the prefix');
    });

    it('streams more than 1000 keys page by page, in key order, with one onPage per request', async function () {
      const pages: number[] = [];
      const keys: string[] = [];
      let pagesAtFirstKey = -1;
      for await (const o of store.list('many/', { onPage: (n) => pages.push(n) })) {
        if (pagesAtFirstKey < 0) pagesAtFirstKey = pages.length;
        keys.push(o.key);
        assert.equal(o.size, 1);
        assert.ok(o.lastModified > 0 && o.etag);
      }
      assert.deepEqual(pages, [1000, 1000, 500]);
      // The first key arrives after the first page only: the list is never loaded whole.
      assert.equal(pagesAtFirstKey, 1);
      assert.deepEqual(keys, many);
    });

    it('asks for the next page while the current one is handed out (listing overlaps the fold)', async function () {
      let requests = 0;
      const name = 'wb-test-count-requests';
      b.client.middlewareStack.add((next) => async (args) => (requests++, next(args)), { step: 'initialize', name });
      try {
        let requestsAtFirstKey = -1;
        let n = 0;
        for await (const _o of store.list('many/')) {
          if (requestsAtFirstKey < 0) requestsAtFirstKey = requests;
          n++;
        }
        assert.equal(n, N);
        assert.equal(requestsAtFirstKey, 2, 'page 2 was asked for before page 1 was handed out');
        assert.equal(requests, 3, 'no request past the last page');
      } finally {
        b.client.middlewareStack.remove(name);
      }
    });

    it('stops after maxKeys without fetching further pages', async function () {
      const pages: number[] = [];
      const keys: string[] = [];
      for await (const o of store.list('many/', { maxKeys: 5, onPage: (n) => pages.push(n) })) keys.push(o.key);
      assert.deepEqual(keys, many.slice(0, 5));
      assert.equal(pages.length, 1);
    });

    it('stops when the signal is aborted', async function () {
      const ac = new AbortController();
      let n = 0;
      for await (const _ of store.list('many/', { signal: ac.signal })) {
        if (++n === 10) ac.abort();
      }
      assert.equal(n, 10);
    });

    it('an aborted signal cancels a request in flight with CancelledError', async function () {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(collectKeys(store.list('many/', { signal: ac.signal })), CancelledError);
      await assert.rejects(store.listPrefixes('', ac.signal), CancelledError);
      await assert.rejects(store.get('many/k-00001', ac.signal), CancelledError);
    });

    it('lists only what is under the prefix', async function () {
      const keys = await keysOf(store, 'man');
      assert.equal(keys.length, N + 1);
      assert.equal(keys[0], 'manx'); // "x" sorts before "y/"
      assert.ok(!keys.includes('zz-after'));
    });
  });

  describe('store prefix', function () {
    it('is applied inside the store: callers use and get relative keys', async function () {
      const tenant = b.store('tenant/a'); // no trailing slash: normalised to "tenant/a/"
      assert.equal(tenant.description, `s3://${b.bucket}/tenant/a`);
      await tenant.put('x/y.txt', 'inside');
      await b.store().put('tenant/ab/z.txt', 'sibling prefix, not inside');
      await b.store().put('tenant/a.txt', 'not inside either');
      assert.deepEqual(await keysOf(tenant, ''), ['x/y.txt']);
      assert.deepEqual(await keysOf(b.store(), 'tenant/a/'), ['tenant/a/x/y.txt']);
      assert.equal((await tenant.get('x/y.txt')).toString(), 'inside');
      assert.equal((await tenant.head('x/y.txt'))?.key, 'x/y.txt');
      assert.deepEqual(await tenant.listPrefixes(''), ['x/']);
      await tenant.delete('x/y.txt');
      assert.equal(await b.store().head('tenant/a/x/y.txt'), undefined);
    });
  });

  describe('listPrefixes', function () {
    it('returns the folders directly under a prefix, across pages', async function () {
      const users = ['u1', 'u2', 'u 3', 'ü4', 'u5', 'u+6%', '<u7>'];
      for (const u of users) {
        await store.put(`users/${u}/audio/sessions/s/chunk-001.webm`, 'a');
        await store.put(`users/${u}/audio/sessions/s/chunk-002.webm`, 'a');
      }
      await store.put('users/loose-file.txt', 'not a folder');
      const expected = users.map((u) => `users/${u}/`).sort();
      assert.deepEqual(await store.listPrefixes('users/'), expected);
      // 2 per request: 4 requests, same answer.
      assert.deepEqual(await b.store('', 2).listPrefixes('users/'), expected);
      assert.deepEqual(await store.listPrefixes('users/u1/audio/sessions/'), ['users/u1/audio/sessions/s/']);
      assert.deepEqual(await store.listPrefixes('nothing-here/'), []);
    });
  });

  describe('keys with odd characters', function () {
    before(async function () {
      for (const k of ODD_KEYS) await store.put(k, `body of ${k}`);
    });

    it('list, get and head them unchanged', async function () {
      assert.deepEqual(await keysOf(store, 'odd/'), [...ODD_KEYS].sort(compareUtf8));
      for (const k of ODD_KEYS) {
        assert.equal((await store.get(k)).toString(), `body of ${k}`);
        assert.equal((await store.head(k))?.size, Buffer.byteLength(`body of ${k}`));
      }
    });

    it('presign create-only PUT URLs that write them once', async function () {
      for (const k of ODD_KEYS) {
        const key = k.replace('odd/', 'odd-put/');
        const url = await store.presignPutIfAbsent(key, 60, 'application/json');
        const headers = { 'If-None-Match': '*', 'Content-Type': 'application/json' };
        assert.equal((await fetch(url, { method: 'PUT', headers, body: '1' })).status, 200, key);
        assert.equal((await fetch(url, { method: 'PUT', headers, body: '2' })).status, 412, key);
        assert.equal((await store.get(key)).toString(), '1');
      }
    });

    it('presign GET URLs that fetch them', async function () {
      for (const k of ODD_KEYS) {
        const r = await fetch(await store.presignGet(k, 60));
        assert.equal(r.status, 200, k);
        assert.equal(await r.text(), `body of ${k}`);
      }
    });
  });

  describe('conditional writes', function () {
    it('create-only put returns written:false and leaves the body unchanged', async function () {
      const first = await store.put('cond/once.json', '{"v":1}', { ifAbsent: true, contentType: 'application/json' });
      assert.equal(first.written, true);
      assert.ok(first.etag);
      const second = await store.put('cond/once.json', '{"v":2}', { ifAbsent: true });
      assert.deepEqual(second, { written: false });
      assert.equal((await store.get('cond/once.json')).toString(), '{"v":1}');
    });

    it('ifMatch replaces only the version it names', async function () {
      const { etag } = await store.put('cond/lease.json', 'v1');
      const head = await store.head('cond/lease.json');
      assert.equal(head?.etag, etag);
      const ok = await store.put('cond/lease.json', 'v2', { ifMatch: etag });
      assert.equal(ok.written, true);
      assert.notEqual(ok.etag, etag);
      const stale = await store.put('cond/lease.json', 'v3', { ifMatch: etag });
      assert.deepEqual(stale, { written: false });
      assert.equal((await store.get('cond/lease.json')).toString(), 'v2');
      const missing = await store.put('cond/never-written.json', 'x', { ifMatch: etag });
      assert.deepEqual(missing, { written: false });
      assert.equal(await store.head('cond/never-written.json'), undefined);
    });

    it('unconditional put overwrites', async function () {
      await store.put('cond/plain', 'a');
      await store.put('cond/plain', 'b');
      assert.equal((await store.get('cond/plain')).toString(), 'b');
    });
  });

  describe('presigned URLs', function () {
    it('presigned GET works with fetch', async function () {
      await store.put('pre/audio.webm', Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
      const url = await store.presignGet('pre/audio.webm', 300);
      assert.match(url, /X-Amz-Expires=300/);
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    });

    it('presigned create-only PUT works once; the second PUT with the same URL gets 412', async function () {
      const url = await store.presignPutIfAbsent('pre/out/chunk-001.json', 300, 'application/json');
      const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')!.split(';');
      // Signed, so a worker cannot drop the condition (real S3 checks the signature; moto does not).
      assert.ok(signed.includes('if-none-match'), `signed headers: ${signed}`);
      assert.ok(signed.includes('content-type'), `signed headers: ${signed}`);
      assert.ok(!/checksum/i.test(url), 'no checksum the worker cannot compute');
      const headers = { 'If-None-Match': '*', 'Content-Type': 'application/json' };
      const r1 = await fetch(url, { method: 'PUT', headers, body: '{"first":true}' });
      assert.equal(r1.status, 200, await r1.text());
      const r2 = await fetch(url, { method: 'PUT', headers, body: '{"second":true}' });
      assert.equal(r2.status, 412);
      assert.equal((await store.get('pre/out/chunk-001.json')).toString(), '{"first":true}');
    });

    it('presigned URLs carry the store prefix', async function () {
      const tenant = b.store('tenant/p/');
      await tenant.put('k.txt', 'prefixed');
      const url = await tenant.presignGet('k.txt', 60);
      assert.ok(new URL(url).pathname.endsWith(`/${b.bucket}/tenant/p/k.txt`), url);
      assert.equal(await (await fetch(url)).text(), 'prefixed');
    });
  });

  describe('capped reads (every byte from the bucket is hostile)', function () {
    it('an object above maxBytes is a TooLarge error naming it and run.maxChunkMegabytes, cut off, not read whole; firstBytes reads only a prefix', async function () {
      const big = Buffer.alloc(3 * 1048576 + 5, 0x61);
      await store.put('cap/chunk-001.wav', big);
      await store.put('cap/empty.wav', Buffer.alloc(0));
      const e = await rejectsWb(store.get('cap/chunk-001.wav', undefined, { maxBytes: 1048576 }));
      assert.equal(e.code, 'TooLarge');
      assert.match(e.message, /"cap\/chunk-001\.wav" is 3\.0 MB, above the chunk-size cap of 1\.0 MB/);
      assert.match(e.hint ?? '', /run\.maxChunkMegabytes/);
      // A Range request: only the leading bytes cross the network and sit in memory.
      const head = await store.get('cap/chunk-001.wav', undefined, { firstBytes: 65536 });
      assert.equal(head.length, 65536);
      assert.equal((await store.get('cap/empty.wav', undefined, { firstBytes: 65536 })).length, 0, 'a range of an empty object is empty, not an error');
      assert.equal((await store.get('cap/chunk-001.wav', undefined, { firstBytes: 10 << 20 })).length, big.length);
    });
  });

  describe('missing things', function () {
    it('head of a missing key is undefined; get of a missing key is WbError NotFound', async function () {
      assert.equal(await store.head('missing/key'), undefined);
      const e = await rejectsWb(store.get('missing/key'));
      assert.equal(e.code, 'NotFound');
      assert.match(e.message, /missing\/key/);
    });

    it('delete of a missing key is fine', async function () {
      await store.delete('missing/key');
    });

    it('a wrong bucket gives a clear WbError naming the bucket, for every call', async function () {
      const wrong = new S3Store({ bucket: 'no-such-bucket-here', prefix: '', client: () => b.factory.s3(b.aws), endpoint: moto.endpoint });
      const calls = [() => keysOf(wrong, ''), () => wrong.listPrefixes(''), () => wrong.get('x'), () => wrong.put('x', 'y', { ifAbsent: true }), () => wrong.put('x', 'y', { ifMatch: '"e"' })];
      for (const call of calls) {
        const e = await rejectsWb(call());
        assert.equal(e.code, 'Store');
        assert.match(e.message, /Bucket "no-such-bucket-here" does not exist/);
        assert.match(e.hint ?? '', /store/);
      }
    });

    it('an endpoint that is not running gives a WbError naming the endpoint', async function () {
      const port = await freePort();
      const endpoint = `http://127.0.0.1:${port}`;
      const factory = new LazyAwsClientFactory();
      const aws = { region: 'us-east-1', endpoint, forcePathStyle: true, credentials: motoCredentials, maxAttempts: 1 };
      const dead = new S3Store({ bucket: 'b', prefix: '', client: () => factory.s3(aws), endpoint });
      const e = await rejectsWb(dead.get('x'));
      assert.equal(e.code, 'Store');
      assert.ok(e.message.includes(endpoint), e.message);
      assert.match(e.message, /ECONNREFUSED/);
      await factory.dispose();
    });
  });

  describe('openStore', function () {
    it('opens s3:// settings on the endpoint with explicit credentials', async function () {
      const settings = resolveSettings({ store: `s3://${b.bucket}/via-open`, aws: { endpoint: moto.endpoint, forcePathStyle: true } });
      const factory = new LazyAwsClientFactory();
      const s = openStore(settings, { credentials: motoCredentials, clientFactory: factory });
      assert.equal(s.kind, 's3');
      assert.equal(s.description, `s3://${b.bucket}/via-open`);
      assert.equal(factory.size, 0, 'no client before the first call');
      await s.put('a.txt', 'opened');
      assert.equal((await b.store().get('via-open/a.txt')).toString(), 'opened');
      assert.equal(factory.size, 1);
      await factory.dispose();
    });

    describe('with a named profile from the AWS config files', function () {
      const saved: Record<string, string | undefined> = {};
      const vars = ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_EC2_METADATA_DISABLED'];
      let dir: string;

      beforeEach(async function () {
        for (const v of vars) saved[v] = process.env[v];
        for (const v of vars) delete process.env[v];
        dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-aws-'));
        // Unique file names: the SDK caches parsed config files by path.
        process.env.AWS_CONFIG_FILE = path.join(dir, `config-${Math.random()}`);
        process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, `credentials-${Math.random()}`);
        process.env.AWS_EC2_METADATA_DISABLED = 'true'; // no 169.254.169.254 probe here
        await fs.writeFile(process.env.AWS_CONFIG_FILE, '[profile wb-test]\nregion = us-east-1\n');
        await fs.writeFile(process.env.AWS_SHARED_CREDENTIALS_FILE, '[wb-test]\naws_access_key_id = AKIAWBTESTWBTESTWBTE\naws_secret_access_key = s3cr3t-never-shown\n');
      });

      afterEach(async function () {
        for (const v of vars) {
          if (saved[v] === undefined) delete process.env[v];
          else process.env[v] = saved[v];
        }
        await fs.rm(dir, { recursive: true, force: true });
      });

      it('reads the profile through the credential chain', async function () {
        const settings = resolveSettings({ store: `s3://${b.bucket}`, aws: { profile: 'wb-test', endpoint: moto.endpoint, forcePathStyle: true } });
        const factory = new LazyAwsClientFactory();
        const s = openStore(settings, { clientFactory: factory });
        await s.put('profile/ok.txt', 'via profile');
        assert.equal((await s.get('profile/ok.txt')).toString(), 'via profile');
        const creds = await (await factory.s3({ region: 'us-east-1', profile: 'wb-test', endpoint: moto.endpoint, forcePathStyle: true })).config.credentials();
        assert.equal(creds.accessKeyId, 'AKIAWBTESTWBTESTWBTE');
        await factory.dispose();
      });

      it('a profile that does not exist gives a Credentials error naming it, without secrets', async function () {
        const settings = resolveSettings({ store: `s3://${b.bucket}`, aws: { profile: 'no-such-profile', endpoint: moto.endpoint, forcePathStyle: true } });
        const factory = new LazyAwsClientFactory();
        const e = await rejectsWb(openStore(settings, { clientFactory: factory }).get('x'));
        assert.equal(e.code, 'Credentials');
        assert.match(e.message, /no-such-profile/);
        assert.match(e.hint ?? '', /aws sso login --profile no-such-profile/);
        assert.ok(!`${e.message} ${e.hint}`.includes('s3cr3t'));
        await factory.dispose();
      });
    });
  });
});

/** S3 orders keys by their UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
