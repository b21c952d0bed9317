import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { CancelledError, WbError } from '../../../../src/core/errors';
import { LazyAwsClientFactory, awsErrorToWbError, awsOptionsFromSettings, redact } from '../../../../src/core/aws/clients';
import { defaultSettings } from '../../../../src/core/settings';

/** Errors shaped like the SDK's (ServiceException: name = code, $metadata, $fault) and Node's network errors. */
function sdkError(name: string, status?: number, message = `${name} message`): Error {
  return Object.assign(new Error(message), { name, $fault: status && status < 500 ? 'client' : 'server', $metadata: { httpStatusCode: status, attempts: 1 } });
}
function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect', $metadata: { attempts: 3 } });
}

const s3Ctx = {
  service: 's3' as const,
  bucket: 'rec-bucket',
  key: 'users/u/audio/sessions/s/chunk-001.webm',
  action: 'read s3://rec-bucket/users/u/audio/sessions/s/chunk-001.webm',
  iamAction: 's3:GetObject',
  profile: 'dev',
  region: 'eu-west-1',
};

describe('awsErrorToWbError', function () {
  it('ExpiredToken: Credentials, hint with aws sso login for the profile', function () {
    const e = awsErrorToWbError(sdkError('ExpiredToken', 400, 'The provided token has expired.'), s3Ctx);
    assert.equal(e.code, 'Credentials');
    assert.match(e.message, /profile "dev" have expired/);
    assert.match(e.message, /read s3:\/\/rec-bucket\//);
    assert.equal(e.hint, "Run `aws sso login --profile dev` (or refresh the profile's keys) and try again.");
  });

  it('ExpiredTokenException (EC2/SSM) without a profile: generic refresh hint', function () {
    const e = awsErrorToWbError(sdkError('ExpiredTokenException', 400), { service: 'ssm', action: 'send a command' });
    assert.equal(e.code, 'Credentials');
    assert.match(e.message, /default credential chain have expired \(while trying to send a command\)/);
    assert.match(e.hint!, /aws sso login/);
    assert.doesNotMatch(e.hint!, /--profile/);
  });

  it('CredentialsProviderError: no credentials, hint names the ways to provide them', function () {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
    const noProfile = awsErrorToWbError(err, { service: 's3', bucket: 'b', action: 'list s3://b' });
    assert.equal(noProfile.code, 'Credentials');
    assert.match(noProfile.message, /No AWS credentials found for the default credential chain/);
    assert.match(noProfile.hint!, /aws configure/);
    assert.match(noProfile.hint!, /AWS_ACCESS_KEY_ID/);
    const withProfile = awsErrorToWbError(err, { service: 's3', bucket: 'b', profile: 'prod' });
    assert.match(withProfile.message, /profile "prod"/);
    assert.match(withProfile.hint!, /profile "prod" exists in ~\/\.aws\/config/);
  });

  it('SSO session expired (TokenProviderError) reads as expired credentials', function () {
    const err = Object.assign(new Error('The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login'), { name: 'TokenProviderError' });
    const e = awsErrorToWbError(err, { service: 's3', bucket: 'b', profile: 'sso-dev' });
    assert.equal(e.code, 'Credentials');
    assert.match(e.hint!, /aws sso login --profile sso-dev/);
  });

  it('InvalidAccessKeyId / SignatureDoesNotMatch: Credentials rejected', function () {
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AuthFailure', 'UnrecognizedClientException']) {
      const e = awsErrorToWbError(sdkError(name, 403), s3Ctx);
      assert.equal(e.code, 'Credentials', name);
      assert.match(e.message, new RegExp(`rejected the credentials of profile "dev" \\(${name}\\)`));
    }
  });

  it('AccessDenied on S3: StoreAccess naming bucket and key, hint naming the IAM action and resource', function () {
    const e = awsErrorToWbError(sdkError('AccessDenied', 403, 'Access Denied'), s3Ctx);
    assert.equal(e.code, 'StoreAccess');
    assert.match(e.message, /Access denied to s3:\/\/rec-bucket\/users\/u\/audio\/sessions\/s\/chunk-001\.webm for profile "dev"/);
    assert.match(e.hint!, /s3:GetObject on arn:aws:s3:::rec-bucket\/\*/);
  });

  it('ListBucket denied names the bucket ARN, not objects', function () {
    const e = awsErrorToWbError(sdkError('AccessDenied', 403), { service: 's3', bucket: 'rec-bucket', iamAction: 's3:ListBucket' });
    assert.match(e.hint!, /s3:ListBucket on arn:aws:s3:::rec-bucket;/);
  });

  it('a bare 403 (HEAD has no error body) is access denied too', function () {
    const e = awsErrorToWbError(sdkError('403', 403, 'UnknownError'), { service: 's3', bucket: 'b', key: 'k', iamAction: 's3:GetObject' });
    assert.equal(e.code, 'StoreAccess');
  });

  it('UnauthorizedOperation on EC2: Host error naming the instance and the action', function () {
    const e = awsErrorToWbError(sdkError('UnauthorizedOperation', 403, 'You are not authorized to perform this operation. Encoded authorization failure message: abc'), {
      service: 'ec2',
      instanceId: 'i-0123456789abcdef0',
      iamAction: 'ec2:StartInstances',
      action: 'start the GPU',
    });
    assert.equal(e.code, 'Host');
    assert.match(e.message, /instance i-0123456789abcdef0/);
    assert.match(e.hint!, /ec2:StartInstances/);
  });

  it('NoSuchBucket: Store error naming the bucket and where it was looked for', function () {
    const e = awsErrorToWbError(sdkError('NoSuchBucket', 404, 'The specified bucket does not exist'), { service: 's3', bucket: 'typo-bucket', region: 'us-east-1' });
    assert.equal(e.code, 'Store');
    assert.equal(e.message, 'Bucket "typo-bucket" does not exist (region us-east-1)');
    assert.match(e.hint!, /store/);
  });

  it('wrong region (PermanentRedirect / 301) says to set aws.region', function () {
    const e = awsErrorToWbError(sdkError('PermanentRedirect', 301), { service: 's3', bucket: 'b', region: 'us-east-1' });
    assert.match(e.message, /not in region us-east-1/);
    assert.match(e.hint!, /aws\.region/);
  });

  it('ECONNREFUSED / ENOTFOUND: cannot reach, naming the endpoint', function () {
    const refused = awsErrorToWbError(netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4566'), { service: 's3', bucket: 'b', endpoint: 'http://127.0.0.1:4566', action: 'list s3://b' });
    assert.equal(refused.code, 'Store');
    assert.equal(refused.message, 'Cannot reach http://127.0.0.1:4566 (ECONNREFUSED) while trying to list s3://b');
    assert.match(refused.hint!, /aws\.endpoint/);
    const notFound = awsErrorToWbError(netError('ENOTFOUND', 'getaddrinfo ENOTFOUND ec2.us-east-1.amazonaws.com'), { service: 'ec2', region: 'us-east-1' });
    assert.equal(notFound.code, 'Host');
    assert.match(notFound.message, /Cannot reach AWS ec2 in us-east-1 \(ENOTFOUND\)/);
    assert.match(notFound.hint!, /network/);
  });

  it('AggregateError of connection failures (Node happy eyeballs) is a network error', function () {
    const agg = Object.assign(new AggregateError([netError('ECONNREFUSED', 'connect ECONNREFUSED ::1:9'), netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')]), { $metadata: {} });
    const e = awsErrorToWbError(agg, { service: 's3', bucket: 'b', endpoint: 'http://localhost:9' });
    assert.match(e.message, /Cannot reach http:\/\/localhost:9 \(ECONNREFUSED\)/);
  });

  it('throttling: retry later, lower the concurrency', function () {
    for (const [name, status] of [
      ['SlowDown', 503],
      ['ThrottlingException', 400],
      ['RequestLimitExceeded', 503],
    ] as const) {
      const e = awsErrorToWbError(sdkError(name, status), { service: 's3', bucket: 'b', action: 'list s3://b' });
      assert.match(e.message, new RegExp(`throttling requests \\(${name}\\)`), name);
      assert.match(e.hint!, /listConcurrency/);
    }
  });

  it('NoSuchKey: NotFound naming the object', function () {
    const e = awsErrorToWbError(sdkError('NoSuchKey', 404), { service: 's3', bucket: 'b', key: 'p/k.json' });
    assert.equal(e.code, 'NotFound');
    assert.equal(e.message, 'No such object: s3://b/p/k.json');
  });

  it('anything else keeps code and message, with the action', function () {
    const e = awsErrorToWbError(sdkError('InternalError', 500, 'We encountered an internal error.'), { service: 's3', bucket: 'b', action: 'write s3://b/k' });
    assert.equal(e.code, 'Store');
    assert.equal(e.message, 'Could not write s3://b/k: InternalError: We encountered an internal error.');
    assert.ok(e.cause);
  });

  it('a string context is the action', function () {
    const e = awsErrorToWbError(sdkError('InternalError', 500, 'boom'), 'describe the instance');
    assert.equal(e.message, 'Could not describe the instance: InternalError: boom');
  });

  it('an aborted request is a cancellation, not a store error', function () {
    const e = awsErrorToWbError(Object.assign(new Error('Request aborted'), { name: 'AbortError' }), { service: 's3', bucket: 'b' });
    assert.ok(e instanceof CancelledError);
  });

  it('passes WbErrors through unchanged', function () {
    const orig = new WbError('Lease', 'held');
    assert.equal(awsErrorToWbError(orig, 'x'), orig);
  });

  it('never carries credentials from the raw message into the text', function () {
    const raw = 'Failed GET http://h/b/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FQoGZXIvYXdzE sessionToken=abc123 key AKIAIOSFODNN7EXAMPLE';
    const e = awsErrorToWbError(sdkError('WeirdError', 500, raw), { service: 's3', bucket: 'b' });
    for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'deadbeef', 'FQoGZXIvYXdzE', 'abc123']) assert.ok(!e.message.includes(secret), `${secret} leaked: ${e.message}`);
    assert.match(redact('aws_secret_access_key = wJalrXUtnFEMI'), /\[redacted\]/);
  });
});

describe('LazyAwsClientFactory', function () {
  const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
  let factory: LazyAwsClientFactory;
  beforeEach(function () {
    factory = new LazyAwsClientFactory();
  });
  afterEach(async function () {
    await factory.dispose();
  });

  it('caches one client per service, profile, region, endpoint and credentials', async function () {
    const base = { region: 'us-east-1', credentials: creds };
    const a = await factory.s3(base);
    assert.equal(await factory.s3({ ...base }), a);
    assert.notEqual(await factory.s3({ ...base, region: 'eu-west-1' }), a);
    assert.notEqual(await factory.s3({ ...base, endpoint: 'http://127.0.0.1:1' }), a);
    assert.notEqual(await factory.s3({ ...base, credentials: { ...creds } }), a, 'other credentials, other client');
    assert.notEqual(await factory.s3({ region: 'us-east-1', profile: 'p1' }), await factory.s3({ region: 'us-east-1', profile: 'p2' }));
    assert.notEqual(await factory.ec2(base), (await factory.ssm(base)) as unknown);
    assert.equal(factory.size, 8);
  });

  it('configures endpoint, path style, bounded retries and checksums only when required', async function () {
    const c = await factory.s3({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000', forcePathStyle: true, credentials: creds, maxAttempts: 5 });
    assert.equal(await c.config.region(), 'eu-west-1');
    assert.equal(c.config.forcePathStyle, true);
    assert.equal(await c.config.maxAttempts(), 5);
    assert.equal(await c.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await c.config.responseChecksumValidation(), 'WHEN_REQUIRED');
    const ep = await c.config.endpoint!();
    assert.equal(`${ep.protocol}//${ep.hostname}:${ep.port}`, 'http://127.0.0.1:5000');
    assert.equal((await c.config.credentials()).accessKeyId, 'test');
    const d = await factory.ec2({ region: 'us-east-1', credentials: creds });
    assert.equal(await d.config.maxAttempts(), 3, 'default: 3 attempts');
  });

  it('silences the SDK Node version warning', async function () {
    const saved = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    try {
      await factory.ssm({ region: 'us-east-1', credentials: creds });
      assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, 'true');
    } finally {
      if (saved === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = saved;
    }
  });

  it('takes region, profile, endpoint and path style from settings', function () {
    const s = defaultSettings();
    s.aws = { profile: 'dev', region: 'eu-central-1', endpoint: 'http://minio:9000', forcePathStyle: true };
    assert.deepEqual(awsOptionsFromSettings(s, { maxAttempts: 2 }), { region: 'eu-central-1', profile: 'dev', endpoint: 'http://minio:9000', forcePathStyle: true, maxAttempts: 2 });
    const d = awsOptionsFromSettings(defaultSettings());
    assert.equal(d.profile, undefined);
    assert.equal(d.endpoint, undefined);
  });

  it('loads no AWS SDK module until a client is asked for', function () {
    // A fresh process: this one has loaded the SDK already.
    const root = path.resolve(__dirname, '../../../..');
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        `const { LazyAwsClientFactory } = require(${JSON.stringify(path.join(root, 'src/core/aws/clients.js'))});
         const { openStore } = require(${JSON.stringify(path.join(root, 'src/core/store/openStore.js'))});
         const f = new LazyAwsClientFactory();
         openStore({ store: 's3://some-bucket/p', aws: { profile: '', region: 'us-east-1', endpoint: '', forcePathStyle: false } }, { clientFactory: f });
         const before = Object.keys(require.cache).filter((k) => k.includes('@aws-sdk')).length;
         f.s3({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }).then(() => {
           const after = Object.keys(require.cache).filter((k) => k.includes('@aws-sdk')).length;
           console.log(JSON.stringify({ before, after }));
         });`,
      ],
      { encoding: 'utf8' },
    );
    const { before, after } = JSON.parse(out.trim());
    assert.equal(before, 0);
    assert.ok(after > 0);
  });
});
