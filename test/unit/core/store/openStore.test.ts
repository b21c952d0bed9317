import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WbError } from '../../../../src/core/errors';
import { openStore } from '../../../../src/core/store/openStore';
import { FolderStore } from '../../../../src/core/store/folderStore';
import { S3Store, decodeS3Key, parseS3Url } from '../../../../src/core/store/s3Store';
import { LazyAwsClientFactory } from '../../../../src/core/aws/clients';
import { defaultSettings } from '../../../../src/core/settings';

function settingsWith(store: string) {
  const s = defaultSettings();
  s.store = store;
  return s;
}

describe('openStore', function () {
  it('s3://bucket/prefix opens an S3Store on that bucket and prefix, building no client yet', function () {
    const factory = new LazyAwsClientFactory();
    const s = openStore(settingsWith('s3://rec-bucket/tenant/a'), { clientFactory: factory });
    assert.ok(s instanceof S3Store);
    assert.equal(s.kind, 's3');
    assert.equal(s.bucket, 'rec-bucket');
    assert.equal(s.prefix, 'tenant/a/');
    assert.equal(s.description, 's3://rec-bucket/tenant/a');
    assert.equal(factory.size, 0);
    assert.equal((openStore(settingsWith('s3://rec-bucket'), { clientFactory: factory }) as S3Store).prefix, '');
  });

  it('a path or a file:// URL opens a FolderStore', function () {
    const abs = path.join(os.tmpdir(), 'wb bucket');
    const byPath = openStore(settingsWith(abs));
    assert.ok(byPath instanceof FolderStore);
    assert.equal(byPath.root, abs);
    assert.equal((openStore(settingsWith(pathToFileURL(abs).href)) as FolderStore).root, abs);
    assert.equal((openStore(settingsWith('rel/dir'), { cwd: '/base' }) as FolderStore).root, path.resolve('/base/rel/dir'));
    assert.equal((openStore(settingsWith('~/recs')) as FolderStore).root, path.join(os.homedir(), 'recs'));
  });

  it("an empty store is the caller's business; other URL schemes are refused", function () {
    assert.throws(
      () => openStore(settingsWith('')),
      (e: unknown) => e instanceof WbError && e.code === 'Config',
    );
    assert.throws(
      () => openStore(settingsWith('gs://bucket')),
      (e: unknown) => e instanceof WbError && e.code === 'Config' && /gs:\/\/bucket/.test(e.message),
    );
  });
});

describe('parseS3Url', function () {
  it('normalises the prefix to end in "/"', function () {
    assert.deepEqual(parseS3Url('s3://b'), { bucket: 'b', prefix: '' });
    assert.deepEqual(parseS3Url('s3://b/'), { bucket: 'b', prefix: '' });
    assert.deepEqual(parseS3Url('s3://b/p'), { bucket: 'b', prefix: 'p/' });
    assert.deepEqual(parseS3Url('s3://b/p/q/'), { bucket: 'b', prefix: 'p/q/' });
  });

  it('refuses what is not s3://bucket', function () {
    for (const u of ['s3://', 'https://b/p', 'b/p'])
      assert.throws(
        () => parseS3Url(u),
        (e: unknown) => e instanceof WbError && e.code === 'Config',
        u,
      );
  });
});

describe('decodeS3Key', function () {
  it('reads keys listed with EncodingType=url, as S3 ("+" for space) and moto ("%20") write them', function () {
    assert.equal(decodeS3Key('users/a+b%2Bc/chunk-001.webm'), 'users/a b+c/chunk-001.webm');
    assert.equal(decodeS3Key('users/a%20b%2Bc%25/x'), 'users/a b+c%/x');
    assert.equal(decodeS3Key('ctl/a%01b%C3%BC%3C%26%3E'), 'ctl/a\x01bü<&>');
  });
});
