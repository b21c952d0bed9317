/** The ListObjectsV2 page reader (saxes) on its own: what it keeps, and every garbled body it refuses. */
import * as assert from 'node:assert/strict';
import { ListPageReader, NotAListing, readListPage } from '../../../../src/core/store/s3ListPage';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const obj = (key: string, extra = '') =>
  `<Contents><Key>${key}</Key><LastModified>2026-11-01T10:00:00.000Z</LastModified><ETag>&quot;0123abcd&quot;</ETag><Size>42</Size>${extra}<StorageClass>STANDARD</StorageClass></Contents>`;
const page = (inner: string, head = '<IsTruncated>false</IsTruncated>') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult ${NS}><Name>b</Name><Prefix>users/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>${head}${inner}</ListBucketResult>`;

describe('ListPageReader (ListObjectsV2 bodies)', function () {
  it('keeps key, size, time and ETag per object, the prefixes, the token, and skips the rest', function () {
    const p = readListPage(
      page(
        obj('users/a%20b/chunk-001.webm', '<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>') +
          obj('users/%26%3C%3E%22%27/k') +
          '<CommonPrefixes><Prefix>users/p%2B/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>users/q/</Prefix></CommonPrefixes>',
        '<IsTruncated>true</IsTruncated><NextContinuationToken>1/ab+c==</NextContinuationToken><ContinuationToken>old</ContinuationToken>',
      ),
    );
    assert.deepEqual(p.contents, [
      { key: 'users/a%20b/chunk-001.webm', size: 42, lastModified: Date.UTC(2026, 10, 1, 10), etag: '"0123abcd"' },
      { key: 'users/%26%3C%3E%22%27/k', size: 42, lastModified: Date.UTC(2026, 10, 1, 10), etag: '"0123abcd"' },
    ]);
    assert.deepEqual(p.commonPrefixes, ['users/p%2B/', 'users/q/']);
    assert.equal(p.isTruncated, true);
    assert.equal(p.nextContinuationToken, '1/ab+c==');
    assert.equal(p.keyCount, 2);
    assert.equal(p.encodingType, 'url');
  });

  it('decodes entities, character references and CDATA in XML-escaped keys (no EncodingType)', function () {
    const p = readListPage(page(obj('a &amp; b &lt;&gt; &quot;&apos; &#x1F399; &#233;') + obj('<![CDATA[c <d> & e]]>')));
    assert.deepEqual(
      p.contents.map((c) => c.key),
      ['a & b <> "\' 🎙 é', 'c <d> & e'],
    );
  });

  it('reads the same page fed in arbitrary chunks (a body arrives in pieces)', function () {
    const xml = page(obj('users/ü/会话/k') + obj('x'), '<IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken>');
    const whole = readListPage(xml);
    for (const size of [1, 7, 100]) {
      const r = new ListPageReader();
      for (let i = 0; i < xml.length; i += size) r.write(xml.slice(i, i + size));
      assert.deepEqual(r.end(), whole);
    }
  });

  it('an empty page is an empty page; an object without a key is skipped', function () {
    assert.deepEqual(readListPage(page('')), { contents: [], commonPrefixes: [], isTruncated: false, keyCount: 2, encodingType: 'url' });
    assert.equal(readListPage(page('<Contents><Size>1</Size></Contents>' + obj('k'))).contents.length, 1);
  });

  it('names an <Error> body as NotAListing (the SDK gets that body); any other root is refused', function () {
    assert.throws(() => readListPage('<?xml version="1.0"?><Error><Code>InternalError</Code></Error>'), NotAListing);
    assert.throws(
      () => readListPage('<?xml version="1.0"?><ListAllMyBucketsResult></ListAllMyBucketsResult>'),
      (e: unknown) => e instanceof Error && !(e instanceof NotAListing) && /root element is <ListAllMyBucketsResult>/.test(e.message),
    );
  });

  const garbled: [string, string, RegExp][] = [
    ['truncated', page(obj('a') + obj('b')).slice(0, -40), /./],
    ['truncated before the root closes', page(obj('a')).replace('</ListBucketResult>', ''), /./],
    ['not XML', 'HTTP proxy error: upstream timed out', /./],
    ['empty', '', /./],
    ['a raw control character', page(obj('a\u0001b')), /./],
    ['an undeclared entity', page(obj('a&bogus;b')), /./],
    ['an entity from a DOCTYPE (no expansion)', `<!DOCTYPE x [<!ENTITY e "zzz">]>` + page(obj('a&e;')).replace(/^<\?xml[^>]*>\n/, ''), /./],
    ['two roots', page('') + page(''), /./],
    ['a size that is not a count', page(obj('a').replace('<Size>42</Size>', '<Size>4e2</Size>')), /Size/],
    ['a negative size', page(obj('a').replace('<Size>42</Size>', '<Size>-1</Size>')), /Size/],
    ['a time that is not a time', page(obj('a').replace('2026-11-01T10:00:00.000Z', 'yesterday')), /LastModified/],
    ['IsTruncated neither true nor false', page('', '<IsTruncated>yes</IsTruncated>'), /IsTruncated/],
    ['IsTruncated true without a token', page(obj('a'), '<IsTruncated>true</IsTruncated>'), /NextContinuationToken/],
    ['an element inside a key (its text would be cut)', page(obj('a<b/>c')), /inside <Key>/],
    ['two keys in one object', page(obj('a').replace('</Key>', '</Key><Key>b</Key>')), /twice/],
    ['two tokens', page('', '<IsTruncated>true</IsTruncated><NextContinuationToken>a</NextContinuationToken><NextContinuationToken>b</NextContinuationToken>'), /twice/],
    ['mismatched tags', page(obj('a').replace('</Key>', '</Kye>')), /./],
  ];
  for (const [what, xml, re] of garbled) {
    it(`refuses a body with ${what}`, function () {
      assert.throws(
        () => readListPage(xml),
        (e: unknown) => e instanceof Error && !(e instanceof NotAListing) && re.test(e.message),
      );
    });
  }
});
