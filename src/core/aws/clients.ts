/**
 * AWS SDK v3 clients, built lazily: the SDK modules are loaded by dynamic import on first use, so
 * the VS Code extension activates without loading them. Clients are cached per service, profile,
 * region, endpoint and credentials, so a scan and a run share one connection pool.
 *
 * Also the one place that turns SDK errors into WbErrors a user can act on (awsErrorToWbError).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CancelledError, WbError, type ErrorCode } from '../errors';
import type { Settings } from '../settings';

export type AwsCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface AwsClientOptions {
  region: string;
  /** Named profile (~/.aws/config); '' or undefined: the default chain (env, default profile, SSO, IMDS). */
  profile?: string;
  /** Custom endpoint for S3-compatible stores and moto; '' or undefined: AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Explicit credentials (tests, VS Code SecretStorage): used instead of the credential chain. */
  credentials?: AwsCredentials;
  /** Total attempts per request, retries included (SDK standard retry mode). Default 3. */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 3;

export function awsOptionsFromSettings(settings: Settings, extra: Partial<AwsClientOptions> = {}): AwsClientOptions {
  return {
    region: settings.aws.region,
    profile: settings.aws.profile || undefined,
    endpoint: settings.aws.endpoint || undefined,
    forcePathStyle: settings.aws.forcePathStyle,
    ...extra,
  };
}

type Service = 's3' | 'ec2' | 'ssm' | 'sns';

/** What the rest of the core needs; tests and the extension may pass their own. */
export interface AwsClientFactory {
  s3(opts: AwsClientOptions): Promise<S3Client>;
  ec2(opts: AwsClientOptions): Promise<EC2Client>;
  ssm(opts: AwsClientOptions): Promise<SSMClient>;
  /** Only for notifications (notify.snsTopicArn). */
  sns(opts: AwsClientOptions): Promise<SNSClient>;
}

export class LazyAwsClientFactory implements AwsClientFactory {
  private readonly cache = new Map<string, Promise<unknown>>();
  /** Explicit credential objects get a number for the cache key: the key never holds a secret. */
  private readonly credentialIds = new WeakMap<object, number>();
  private nextCredentialId = 1;

  s3(opts: AwsClientOptions): Promise<S3Client> {
    return this.get('s3', opts, async (config) => {
      const { S3Client } = await import('@aws-sdk/client-s3');
      return new S3Client({ ...config, forcePathStyle: opts.forcePathStyle ?? false });
    });
  }

  ec2(opts: AwsClientOptions): Promise<EC2Client> {
    return this.get('ec2', opts, async (config) => {
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      return new EC2Client(config);
    });
  }

  ssm(opts: AwsClientOptions): Promise<SSMClient> {
    return this.get('ssm', opts, async (config) => {
      const { SSMClient } = await import('@aws-sdk/client-ssm');
      return new SSMClient(config);
    });
  }

  sns(opts: AwsClientOptions): Promise<SNSClient> {
    return this.get('sns', opts, async (config) => {
      const { SNSClient } = await import('@aws-sdk/client-sns');
      return new SNSClient(config);
    });
  }

  /** Number of clients built so far (for tests of the cache). */
  get size(): number {
    return this.cache.size;
  }

  /** Closes every cached client's sockets (end of a CLI run, extension deactivate). */
  async dispose(): Promise<void> {
    const all = [...this.cache.values()];
    this.cache.clear();
    for (const p of all) {
      try {
        ((await p) as { destroy(): void }).destroy();
      } catch {
        // a client that failed to build has nothing to close
      }
    }
  }

  private get<T>(service: Service, opts: AwsClientOptions, build: (config: BaseConfig) => Promise<T>): Promise<T> {
    const key = this.cacheKey(service, opts);
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = baseConfig(opts).then(build);
      // A failed build (e.g. SDK missing) must not stay cached.
      p.catch(() => this.cache.get(key) === p && this.cache.delete(key));
      this.cache.set(key, p);
    }
    return p;
  }

  private cacheKey(service: Service, o: AwsClientOptions): string {
    let cred = 'chain';
    if (o.credentials) {
      let id = this.credentialIds.get(o.credentials);
      if (id === undefined) this.credentialIds.set(o.credentials, (id = this.nextCredentialId++));
      cred = `explicit#${id}`;
    }
    return JSON.stringify([service, o.profile || '', o.region, o.endpoint || '', !!o.forcePathStyle, o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, cred]);
  }
}

interface BaseConfig {
  region: string;
  endpoint?: string;
  credentials: AwsCredentials;
  maxAttempts: number;
  retryMode: 'standard';
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

async function baseConfig(o: AwsClientOptions): Promise<BaseConfig> {
  // The SDK warns on every client when Node is older than its next floor; that is noise for users.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let credentials = o.credentials;
  if (!credentials) {
    const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
    credentials = fromNodeProviderChain({ profile: o.profile || undefined, clientConfig: { region: o.region } });
  }
  return {
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    credentials,
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    // S3-compatible stores and moto reject or ignore the newer default CRC checksums; presigned
    // PUTs must not carry a checksum the remote worker cannot compute.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A dead endpoint fails in seconds instead of hanging a scan.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
}

let shared: LazyAwsClientFactory | undefined;

/** The process-wide factory (one connection pool per service+profile+region+endpoint). */
export function defaultClientFactory(): LazyAwsClientFactory {
  return (shared ??= new LazyAwsClientFactory());
}

// ---------------------------------------------------------------------------------------------
// Errors

/** What was being done, to name it in the message and the hint. */
export interface AwsErrorContext {
  service?: Service;
  /** What we tried, in words: "list s3://bucket/users/". */
  action?: string;
  /** IAM action the call needs, for the access-denied hint: "s3:ListBucket". */
  iamAction?: string;
  bucket?: string;
  key?: string;
  profile?: string;
  region?: string;
  endpoint?: string;
  instanceId?: string;
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID_KEYS = new Set(['InvalidAccessKeyId', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'AuthFailure', 'IncompleteSignature']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Forbidden', 'AllAccessDisabled']);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'SlowDown',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout']);
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** The SDK's error code: `name` for service errors, `code` for Node network errors. */
export function awsErrorCode(e: unknown): string {
  const x = e as any;
  if (!x || typeof x !== 'object') return '';
  if (typeof x.code === 'string' && /^E[A-Z]+$/.test(x.code)) return x.code;
  if (typeof x.Code === 'string') return x.Code;
  if (x.name === 'AggregateError' && Array.isArray(x.errors) && x.errors.length) return awsErrorCode(x.errors[0]);
  if (typeof x.name === 'string' && x.name !== 'Error') return x.name;
  if (typeof x.code === 'string') return x.code;
  return '';
}

export function awsHttpStatus(e: unknown): number | undefined {
  const x = e as any;
  return x?.$metadata?.httpStatusCode ?? x?.$response?.statusCode;
}

/**
 * Maps an SDK error to a WbError whose message names the thing (bucket, key, profile, endpoint)
 * and whose hint says what to do. Never puts credentials in the text. WbErrors pass through.
 */
export function awsErrorToWbError(e: unknown, what: string | AwsErrorContext): WbError {
  if (e instanceof WbError) return e;
  if ((e as any)?.name === 'AbortError') return new CancelledError();
  const ctx: AwsErrorContext = typeof what === 'string' ? { action: what } : what;
  const code = awsErrorCode(e);
  const status = awsHttpStatus(e);
  const raw = redact(e instanceof Error ? e.message : String(e));
  const thing = describeThing(ctx);
  const doing = ctx.action ?? (thing ? `access ${thing}` : 'call AWS');
  const profileText = ctx.profile ? `profile "${ctx.profile}"` : 'the default credential chain';
  const serviceCode: ErrorCode = ctx.service === 's3' || (!ctx.service && ctx.bucket) ? 'Store' : 'Host';
  const opts = { cause: e };
  const name = (e as any)?.name;

  if (EXPIRED.has(code) || /expired/i.test(code) || (name === 'TokenProviderError' && /expired/i.test(raw))) {
    return new WbError(
      'Credentials',
      `AWS credentials of ${profileText} have expired (while trying to ${doing})`,
      ctx.profile
        ? `Run \`aws sso login --profile ${ctx.profile}\` (or refresh the profile's keys) and try again.`
        : 'Refresh your credentials (`aws sso login`, or new temporary keys) and try again.',
      opts,
    );
  }
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError' || code === 'CredentialsProviderError') {
    const missingProfile = ctx.profile && /profile|could not be found|not found/i.test(raw);
    return new WbError(
      'Credentials',
      missingProfile ? `No usable AWS credentials for profile "${ctx.profile}" (while trying to ${doing}): ${raw}` : `No AWS credentials found for ${profileText} (while trying to ${doing})`,
      ctx.profile
        ? `Check that profile "${ctx.profile}" exists in ~/.aws/config or ~/.aws/credentials; for SSO run \`aws sso login --profile ${ctx.profile}\`.`
        : 'Set aws.profile to a profile from ~/.aws/config, run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
      opts,
    );
  }
  if (INVALID_KEYS.has(code)) {
    return new WbError(
      'Credentials',
      `AWS rejected the credentials of ${profileText} (${code}) while trying to ${doing}`,
      'The access key is unknown, deleted or mistyped for this account/endpoint: check the profile or the keys, and aws.endpoint.',
      opts,
    );
  }
  if (code === 'NoSuchBucket') {
    return new WbError(
      'Store',
      `Bucket "${ctx.bucket ?? '?'}" does not exist${ctx.endpoint ? ` at ${ctx.endpoint}` : ctx.region ? ` (region ${ctx.region})` : ''}`,
      'Check the bucket name in the `store` setting (s3://bucket[/prefix]) and aws.region / aws.endpoint.',
      opts,
    );
  }
  if (WRONG_REGION.has(code) || status === 301) {
    return new WbError(
      serviceCode,
      `${thing || 'The resource'} is not in region ${ctx.region ?? '(unset)'} (${code || 'HTTP 301'})`,
      "Set aws.region to the bucket's region (see the S3 console, or `aws s3api get-bucket-location --bucket NAME`).",
      opts,
    );
  }
  if (DENIED.has(code) || status === 403) {
    return new WbError(
      serviceCode === 'Store' ? 'StoreAccess' : 'Host',
      `Access denied to ${thing || 'the resource'} for ${profileText} (while trying to ${doing})`,
      ctx.iamAction
        ? `The identity needs IAM permission ${ctx.iamAction}${iamResource(ctx) ? ` on ${iamResource(ctx)}` : ''}; ask the account admin, or pick another aws.profile.`
        : 'The identity lacks an IAM permission for this call; check its policy, or pick another aws.profile.',
      opts,
    );
  }
  if (THROTTLED.has(code) || status === 429 || status === 503) {
    return new WbError(
      serviceCode,
      `AWS is throttling requests (${code || `HTTP ${status}`}) while trying to ${doing}`,
      ctx.service === 's3' || ctx.bucket ? 'Try again in a minute, or lower scan.listConcurrency / run.concurrency.' : 'Try again in a minute.',
      opts,
    );
  }
  if (NETWORK.has(code)) {
    const where = ctx.endpoint ?? (ctx.region ? `AWS ${ctx.service ?? ''} in ${ctx.region}`.replace('  ', ' ') : 'AWS');
    return new WbError(
      serviceCode,
      `Cannot reach ${where} (${code}) while trying to ${doing}`,
      ctx.endpoint ? 'Check that the endpoint in aws.endpoint is running and reachable.' : 'Check the network connection, proxy and aws.region.',
      opts,
    );
  }
  if (code === 'NoSuchKey' || (code === 'NotFound' && ctx.key !== undefined)) {
    return new WbError('NotFound', `No such object: ${thing}`, undefined, opts);
  }
  return new WbError(serviceCode, `Could not ${doing}: ${code ? `${code}: ` : ''}${raw}`, undefined, opts);
}

function describeThing(c: AwsErrorContext): string {
  if (c.bucket !== undefined) return c.key === undefined ? `s3://${c.bucket}` : `s3://${c.bucket}/${c.key}`;
  if (c.instanceId) return `instance ${c.instanceId}`;
  return '';
}

function iamResource(c: AwsErrorContext): string {
  if (c.bucket === undefined) return c.instanceId ? `instance ${c.instanceId}` : '';
  return c.iamAction === 's3:ListBucket' ? `arn:aws:s3:::${c.bucket}` : `arn:aws:s3:::${c.bucket}/*`;
}

/** Strips anything credential-like an error message could carry (signed URLs, key ids). */
export function redact(text: string): string {
  return text
    .replace(/((?:X-Amz-(?:Credential|Signature|Security-Token))=)[^&\s"']+/gi, '$1[redacted]')
    .replace(/\b(A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g, '[access-key]')
    .replace(/(aws_secret_access_key|secretAccessKey|sessionToken|aws_session_token)(\W+)\S+/gi, '$1$2[redacted]');
}
