/**
 * S3 listings read by our page reader (s3FastList.ts, saxes) instead of the SDK's XML reader:
 * hostile keys and folders on moto, the same answers as the SDK's reader on the same bucket, the
 * fast path really taken, and, from a fake endpoint (moto never sends them), garbled, oversize and
 * error answers. @integration
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WbError } from '../../src/core/errors';
import { LazyAwsClientFactory } from '../../src/core/aws/clients';
import { compareKeys } from '../../src/core/store/keyOrder';
import type { ObjectInfo } from '../../src/core/store/objectStore';
import { listPageCounts, sendListObjectsV2 } from '../../src/core/store/s3FastList';
import { S3Store } from '../../src/core/store/s3Store';
import { startMoto, releaseMoto, motoCredentials, type MotoServer } from '../support/moto';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { inParallel } from '../support/parallel';

const LONG = 'l'.repeat(900);
/** Keys S3 allows and XML 1.0 cannot all carry: listed with EncodingType=url, decoded by the store. */
const HOSTILE = [
  'h/with space.webm',
  'h/plus+plus.webm',
  'h/percent%20%2B%25.webm',
  'h/&<>"\'.webm',
  'h/&amp;&lt;&#x41;.webm',
  'h/ünïcødé/会话 🎙.webm',
  'h/control\x01\x02\x1f\x7f.webm',
  'h/carriage\rreturn.webm', // a newline moto's HTTP server refuses in a path: see the fake endpoint below
  'h/nul\u0000char.webm',
  'h/tab\tand\u2028line-sep\u2029para.webm',
  'h/\u{10FFFF}\uE000\uFFFD.webm',
  'h/trailing space /and+plus+ .webm',
  `h/${LONG}-id/chunk-001.webm`,
  'h/<![CDATA[x]]>.webm',
];
/** Folders under f/ for listPrefixes: hostile names, with a loose file between them. */
const FOLDERS = ['a b', 'a+b', 'a%b', '&<>"\'', 'ü 会话', 'cr\rfolder', 'x\u2028y', 'c\x01d', LONG];

const sorted = (keys: string[]) => [...keys].sort(compareKeys);

async function listAll(store: S3Store, prefix: string, opts: { startAt?: string } = {}): Promise<{ objects: ObjectInfo[]; pages: number[] }> {
  const objects: ObjectInfo[] = [];
  const pages: number[] = [];
  for await (const batch of store.listBatches(prefix, { ...opts, onPage: (n) => pages.push(n) })) objects.push(...batch);
  return { objects, pages };
}

async function rejectsWb(p: Promise<unknown>): Promise<WbError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WbError, `expected a WbError, got ${(e as Error)?.stack ?? e}`);
    return e;
  }
  assert.fail('expected a rejection');
}

/** Runs `f` and says how many list pages our reader and the SDK's read meanwhile. */
async function counted<T>(f: () => Promise<T>): Promise<{ value: T; fast: number; sdk: number }> {
  const fast0 = listPageCounts.fast;
  const sdk0 = listPageCounts.sdk;
  const value = await f();
  return { value, fast: listPageCounts.fast - fast0, sdk: listPageCounts.sdk - sdk0 };
}

describe('S3 listings through our page reader @integration', function () {
  this.timeout(120_000);

  describe('on moto', function () {
    let moto: MotoServer;
    let b: MotoBucket;
    const store = (pageSize?: number, listReader?: 'fast' | 'sdk') =>
      new S3Store({ bucket: b.bucket, prefix: '', client: () => b.factory.s3(b.aws), endpoint: moto.endpoint, region: 'us-east-1', pageSize, listReader });
    const pagination = Array.from({ length: 23 }, (_, i) => `p/k-${String(i).padStart(3, '0')}${i % 5 === 0 ? ' +&%' : ''}`);

    before(async function () {
      moto = await startMoto();
      b = await createMotoBucket(moto, 'wb-fastlist');
      const s = store();
      await inParallel([...HOSTILE, ...pagination], 8, (k) => s.put(k, `body of ${k}`));
      for (const f of FOLDERS) {
        await s.put(`f/${f}/s/chunk-001.webm`, 'a');
        await s.put(`f/${f}/s/chunk-002.webm`, 'a');
      }
      await s.put('f/loose file.txt', 'not a folder');
    });

    after(async function () {
      await b?.dispose();
      await releaseMoto();
    });

    it('lists hostile keys exactly, every page read by our reader and none by the SDK', async function () {
      for (const pageSize of [1000, 4]) {
        const { value, fast, sdk } = await counted(() => listAll(store(pageSize), 'h/'));
        assert.deepEqual(
          value.objects.map((o) => o.key),
          sorted(HOSTILE),
        );
        for (const o of value.objects) {
          assert.equal(o.size, Buffer.byteLength(`body of ${o.key}`), o.key);
          assert.ok(o.lastModified > Date.UTC(2020, 0) && o.lastModified < Date.now() + 86_400_000, o.key);
          assert.match(o.etag ?? '', /^"[0-9a-f]{32}"$/, o.key);
        }
        // Would fail if the fast path were bypassed (the SDK's reader would count as sdk).
        assert.equal(fast, value.pages.length, `pageSize ${pageSize}: pages read by our reader`);
        assert.equal(sdk, 0, `pageSize ${pageSize}: pages read by the SDK`);
        assert.equal(value.pages.length, pageSize === 4 ? Math.ceil(HOSTILE.length / 4) : 1);
      }
    });

    it('gives what the SDK reader gives on the same bucket: every object, every page, with and without StartAfter', async function () {
      for (const pageSize of [1000, 5, 1]) {
        for (const [prefix, startAt] of [
          ['', undefined],
          ['h/', undefined],
          ['p/', 'p/k-011'],
          ['h/', 'h/new'],
          ['f/', 'f/a+b/'],
        ] as [string, string | undefined][]) {
          const fast = await counted(() => listAll(store(pageSize, 'fast'), prefix, { startAt }));
          const sdk = await counted(() => listAll(store(pageSize, 'sdk'), prefix, { startAt }));
          const what = `pageSize ${pageSize}, prefix ${JSON.stringify(prefix)}, startAt ${JSON.stringify(startAt)}`;
          assert.ok(fast.value.objects.length > 0, what);
          assert.deepEqual(fast.value, sdk.value, what);
          // Two different readers were compared, not one twice.
          assert.deepEqual([fast.fast, fast.sdk, sdk.fast, sdk.sdk], [fast.value.pages.length, 0, 0, sdk.value.pages.length], what);
        }
      }
      const p = await listAll(store(5), 'p/', { startAt: 'p/k-011' });
      assert.deepEqual(
        p.objects.map((o) => o.key),
        pagination.filter((k) => compareKeys(k, 'p/k-011') >= 0),
      );
    });

    it('lists hostile folder names (CommonPrefixes) across pages and after startAfter, as the SDK reader does', async function () {
      const expected = sorted(FOLDERS.map((f) => `f/${f}/`));
      for (const pageSize of [1000, 2]) {
        const { value, fast, sdk } = await counted(() => store(pageSize).listPrefixes('f/'));
        assert.deepEqual(value, expected, `pageSize ${pageSize}`);
        assert.equal(sdk, 0);
        assert.equal(fast, pageSize === 2 ? Math.ceil((FOLDERS.length + 1) / 2) : 1);
        assert.deepEqual(await store(pageSize, 'sdk').listPrefixes('f/'), expected);
      }
      const after = expected[3];
      const rest = await store(1000).listPrefixes('f/', undefined, { startAfter: after });
      assert.deepEqual(rest, expected.slice(4));
      assert.deepEqual(rest, await store(1000, 'sdk').listPrefixes('f/', undefined, { startAfter: after }));
      // limit: one request of at most `limit` folders.
      assert.deepEqual(await store(1000).listPrefixes('f/', undefined, { limit: 3 }), expected.slice(0, 3));
    });

    it('a missing bucket is the same WbError as with the SDK reader (the error answer is the SDK’s to read)', async function () {
      for (const call of [(s: S3Store) => listAll(s, ''), (s: S3Store) => s.listPrefixes('')]) {
        const mk = (listReader: 'fast' | 'sdk') =>
          new S3Store({ bucket: 'no-such-bucket-fastlist', prefix: '', client: () => b.factory.s3(b.aws), endpoint: moto.endpoint, region: 'us-east-1', listReader });
        const fast = await rejectsWb(call(mk('fast')));
        const sdk = await rejectsWb(call(mk('sdk')));
        assert.equal(fast.code, 'Store');
        assert.match(fast.message, /Bucket "no-such-bucket-fastlist" does not exist/);
        assert.deepEqual([fast.code, fast.message, fast.hint], [sdk.code, sdk.message, sdk.hint]);
      }
    });
  });

  describe('from a fake endpoint (answers moto never gives)', function () {
    let server: http.Server;
    let endpoint: string;
    let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, s) => s.end();
    let requests = 0;
    let factory: LazyAwsClientFactory;
    const aws = () => ({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: motoCredentials, maxAttempts: 1 });
    const store = (listReader?: 'fast' | 'sdk') => new S3Store({ bucket: 'fake-bucket', prefix: 'tenant/', client: () => factory.s3(aws()), endpoint, region: 'us-east-1', listReader });
    const xml = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
      answer = (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'req-1', ...headers });
        res.end(body);
      };
    };
    const obj = (key: string, size = '1') => `<Contents><Key>${key}</Key><LastModified>2026-11-01T10:00:00.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>${size}</Size></Contents>`;
    const page = (inner: string, head = '<IsTruncated>false</IsTruncated>') =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>fake-bucket</Name><EncodingType>url</EncodingType>${head}${inner}</ListBucketResult>`;
    const s3Error = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>req-1</RequestId></Error>`;

    before(async function () {
      server = http.createServer((req, res) => {
        requests++;
        answer(req, res);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      factory = new LazyAwsClientFactory();
    });

    after(async function () {
      await factory?.dispose();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    it('reads a well-formed page from it (the fake answers as S3 does, newlines too)', async function () {
      // S3 encodes a space as "+" and a "+" as "%2B"; a newline as %0A.
      xml(200, page(obj('tenant/users/a+b%2B/k') + obj('tenant/users/new%0Aline%0D%0A%E2%80%A8/k') + '<CommonPrefixes><Prefix>tenant/users/new%0Afolder/</Prefix></CommonPrefixes>'));
      const { value, fast } = await counted(() => listAll(store(), 'users/'));
      assert.deepEqual(
        value.objects.map((o) => o.key),
        ['users/a b+/k', 'users/new\nline\r\n\u2028/k'],
      );
      assert.equal(fast, 1);
      assert.deepEqual(await store().listPrefixes('users/'), ['users/new\nfolder/']);
    });

    const garbled: [string, string | Buffer, RegExp][] = [
      ['truncated', page(obj('tenant/a') + obj('tenant/b')).slice(0, -30), /not a well-formed ListObjectsV2 page/],
      ['not XML at all', 'upstream timed out', /not a well-formed ListObjectsV2 page/],
      ['an HTML page', '<html><body>502 Bad Gateway</body></html>', /root element is <html>/],
      ['another XML answer', '<?xml version="1.0"?><ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>', /root element is <ListAllMyBucketsResult>/],
      ['empty', '', /not a well-formed ListObjectsV2 page/],
      ['invalid UTF-8', Buffer.concat([Buffer.from(page(obj('tenant/a')).slice(0, 200)), Buffer.from([0xc3, 0x28]), Buffer.from(page(obj('tenant/a')).slice(200))]), /not a well-formed/],
      ['a raw control character', page(obj('tenant/a\u0001b')), /not a well-formed/],
      ['a size that is not a number', page(obj('tenant/a', 'NaN')), /Size/],
      ['more pages but no token', page(obj('tenant/a'), '<IsTruncated>true</IsTruncated>'), /NextContinuationToken/],
      ['a key that is not URL-encoded as asked', page(obj('tenant/users/a%zz') + '<CommonPrefixes><Prefix>tenant/users/%E0%A4%A/</Prefix></CommonPrefixes>'), /not URL-encoded as asked/],
    ];
    for (const [what, body, re] of garbled) {
      it(`a page ${what} is a WbError naming the listing, not a crash or a short listing`, async function () {
        xml(200, body);
        for (const call of [() => listAll(store(), 'users/'), () => store().listPrefixes('users/')]) {
          const e = await rejectsWb(call());
          assert.equal(e.code, 'Store');
          assert.match(e.message, /^Could not list (folders of )?s3:\/\/fake-bucket\/tenant\/users\//);
          assert.match(e.message, re);
          assert.match(e.hint ?? '', /aws\.endpoint/);
        }
      });
    }

    it('a page announced above the cap is refused unread; a streamed one at the cap is cut off', async function () {
      answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(40 * 2 ** 20) });
        res.write(page('').slice(0, 100)); // and never the rest: the client must not wait for it
      };
      const t0 = Date.now();
      const e = await rejectsWb(listAll(store(), 'users/'));
      assert.match(e.message, /41943040 bytes, above the cap of 33554432/);
      assert.ok(Date.now() - t0 < 10_000);
      // Chunked (no length): counted as it comes.
      answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.write(page(obj('tenant/a').repeat(50)));
        res.end(page(obj('tenant/b').repeat(50)));
      };
      const client = await factory.s3(aws());
      const small = await rejectsWb(sendListObjectsV2(client, { Bucket: 'fake-bucket', EncodingType: 'url' }, { action: 'list it', maxBytes: 2000 }));
      assert.match(small.message, /^Could not list it: its answer is larger than the cap of 2000 bytes/);
    });

    it('the same continuation token back is an error, not an endless listing', async function () {
      requests = 0;
      answer = (req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        const sent = new URL(req.url!, 'http://x').searchParams.get('continuation-token');
        res.end(page(obj(`tenant/users/k${requests}`), `<IsTruncated>true</IsTruncated><NextContinuationToken>${sent ?? 'first'}</NextContinuationToken>`));
      };
      const e = await rejectsWb(listAll(store(), 'users/'));
      assert.match(e.message, /same token/);
      assert.ok(requests <= 3, `${requests} requests`);
    });

    const statuses: [string, number, string, RegExp, string][] = [
      ['NoSuchBucket', 404, s3Error('NoSuchBucket', 'The specified bucket does not exist'), /Bucket "fake-bucket" does not exist/, 'Store'],
      ['AccessDenied', 403, s3Error('AccessDenied', 'Access Denied'), /./, 'StoreAccess'],
      ['ExpiredToken', 400, s3Error('ExpiredToken', 'The provided token has expired.'), /expired/, 'Credentials'],
      ['InternalError in a 200 (S3 does this)', 200, s3Error('InternalError', 'We encountered an internal error.'), /./, ''],
    ];
    for (const [what, status, body, re, code] of statuses) {
      it(`${what}: left to the SDK, the same WbError as with the SDK reader`, async function () {
        xml(status, body);
        for (const call of [(s: S3Store) => listAll(s, 'users/'), (s: S3Store) => s.listPrefixes('users/')]) {
          const fast = await counted(() => rejectsWb(call(store('fast'))));
          const sdk = await rejectsWb(call(store('sdk')));
          if (code) assert.equal(fast.value.code, code, fast.value.message);
          assert.match(fast.value.message, re);
          assert.deepEqual([fast.value.code, fast.value.message, fast.value.hint], [sdk.code, sdk.message, sdk.hint]);
          assert.equal(fast.fast, 0, 'no page read by our reader');
        }
      });
    }
  });
});
