/**
 * Turns the `store` setting into an ObjectStore: `s3://bucket[/prefix]` -> S3Store, a `file://`
 * URL or a path -> FolderStore. Opening is synchronous and loads no SDK: the S3 client is built
 * on the store's first call. An empty `store` is the caller's business (the embedded sample folder).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WbError } from '../errors';
import type { Settings } from '../settings';
import { awsOptionsFromSettings, defaultClientFactory, type AwsClientFactory, type AwsCredentials } from '../aws/clients';
import type { ObjectStore } from './objectStore';
import { FolderStore } from './folderStore';
import { S3Store, parseS3Url } from './s3Store';

export interface OpenStoreOptions {
  /** Explicit credentials (tests, VS Code SecretStorage) instead of the AWS credential chain. */
  credentials?: AwsCredentials;
  clientFactory?: AwsClientFactory;
  /** Total attempts per S3 request, retries included. */
  maxAttempts?: number;
  /** Base for relative folder paths (default: the process's working directory). */
  cwd?: string;
}

export function openStore(settings: Pick<Settings, 'store' | 'aws'>, opts: OpenStoreOptions = {}): ObjectStore {
  const where = settings.store.trim();
  if (!where) {
    throw new WbError('Config', 'No store configured (the `store` setting is empty)', 'Set `store` to s3://bucket[/prefix] or to a folder laid out like the bucket.');
  }
  if (where.startsWith('s3://')) {
    const loc = parseS3Url(where);
    const factory = opts.clientFactory ?? defaultClientFactory();
    const aws = awsOptionsFromSettings(settings as Settings, {
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    });
    return new S3Store({ ...loc, client: () => factory.s3(aws), profile: aws.profile, region: aws.region, endpoint: aws.endpoint });
  }
  if (where.startsWith('file://')) return new FolderStore(fileURLToPath(where));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) {
    throw new WbError('Config', `Unsupported store location: ${JSON.stringify(where)}`, 'Use s3://bucket[/prefix], a file:// URL or a folder path.');
  }
  const expanded = where === '~' || where.startsWith('~/') ? path.join(os.homedir(), where.slice(1)) : where;
  return new FolderStore(path.resolve(opts.cwd ?? process.cwd(), expanded));
}
