/**
 * The bucket on S3 (or an S3-compatible store, or moto) as an ObjectStore. `s3://bucket/prefix`:
 * the prefix is applied here, so callers use keys relative to it and listings return relative keys.
 * Listing streams page by page (1000 keys) and never holds the whole key list. Create-only writes
 * use `If-None-Match: *`, so a retry or a second runner can never replace a transcript.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { WbError, throwIfAborted, tooLarge } from '../errors';
import { awsErrorCode, awsErrorToWbError, awsHttpStatus, type AwsErrorContext } from '../aws/clients';
import type { GetOptions, ListFoldersOptions, ListOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from './objectStore';
import { flatten } from './batches';
import { compareKeys, startAfterFor } from './keyOrder';
import type { ListPage } from './s3ListPage';

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in "/". */
  prefix: string;
}

/** Parses `s3://bucket[/prefix]`; the prefix comes back normalised to end in "/". */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m || !m[1]) throw new WbError('Config', `Not an S3 location: ${JSON.stringify(url)}`, 'Write it as s3://bucket or s3://bucket/prefix.');
  let prefix = (m[2] ?? '').replace(/^\/+/, '');
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  return { bucket: m[1], prefix };
}

/**
 * Listings ask for `EncodingType: url`: keys are user text and may hold characters XML 1.0 cannot
 * carry (S3 allows control characters), which would make a whole page unparseable. S3 encodes a
 * space as "+" (moto as "%20") and a literal "+" always as "%2B", so "+" can be read as a space.
 */
export function decodeS3Key(encoded: string): string {
  // Most keys need no decoding at all: skip the regex and the decoder for them (per-key CPU).
  if (encoded.indexOf('%') < 0 && encoded.indexOf('+') < 0) return encoded;
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

export interface S3StoreOptions extends S3Location {
  /** Returns the (lazily built, cached) client; the SDK is only loaded when this is first called. */
  client: () => Promise<S3Client>;
  /** For error messages and hints only. */
  profile?: string;
  region?: string;
  endpoint?: string;
  /** Keys per list request (S3 maximum and default: 1000). */
  pageSize?: number;
  /** Who reads list pages: our streaming reader (default) or the SDK's (tests and the bench compare them). */
  listReader?: 'fast' | 'sdk';
}

type Sdk = typeof import('@aws-sdk/client-s3');
type FastList = typeof import('./s3FastList');

/** A listing answer we cannot use: `action` is what was being done ("list s3://b/users/"). */
export function badListing(action: string, what: string): WbError {
  return new WbError(
    'Store',
    `Could not ${action}: ${what}`,
    'Nothing was decided from this listing. If it happens again, the store (or a proxy in front of it) sends broken ListObjectsV2 answers: check aws.endpoint.',
  );
}

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  readonly description: string;
  readonly bucket: string;
  readonly prefix: string;
  private sdkPromise?: Promise<Sdk>;
  private fastListPromise?: Promise<FastList>;

  constructor(private readonly o: S3StoreOptions) {
    this.bucket = o.bucket;
    this.prefix = o.prefix && !o.prefix.endsWith('/') ? o.prefix + '/' : o.prefix;
    this.description = `s3://${o.bucket}${this.prefix ? '/' + this.prefix.replace(/\/$/, '') : ''}`;
  }

  list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    return flatten(this.listBatches(prefix, opts), opts.signal);
  }

  async *listBatches(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo[]> {
    // A listing asked for under a cancelled signal is cancelled, not an empty listing.
    throwIfAborted(opts.signal);
    const [{ sendListObjectsV2 }, client] = await Promise.all([this.fastList(), this.o.client()]);
    const full = this.prefix + prefix;
    const action = `list ${this.description}/${prefix}`;
    // Our own abort: a consumer that stops early (maxKeys, a range bound) cancels the page in flight.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) stop.abort();
    const from = opts.startAt !== undefined && compareKeys(opts.startAt, prefix) > 0 ? opts.startAt : undefined;
    const below = from !== undefined ? startAfterFor(from) : undefined;
    const startAfter = below !== undefined ? this.prefix + below : undefined;
    const input = { Bucket: this.bucket, Prefix: full, StartAfter: startAfter, EncodingType: 'url' as const, MaxKeys: this.o.pageSize ?? 1000 };
    const reader = { abortSignal: stop.signal, reader: this.o.listReader, action };
    let count = 0;
    let token: string | undefined;
    const ask = () => {
      const p = sendListObjectsV2(client, { ...input, ContinuationToken: token }, reader);
      p.catch(() => undefined); // awaited below; a consumer that stops early must not leave it unhandled
      return p;
    };
    const cut = this.prefix.length;
    let pending: Promise<ListPage> | undefined = ask();
    try {
      while (pending) {
        let page: ListPage;
        const w0 = performance.now();
        try {
          page = await pending;
        } catch (e) {
          throw this.listError(e, action);
        }
        const waited = performance.now() - w0;
        const contents = page.contents;
        const url = page.encodingType === 'url';
        const lastRaw = contents.length ? contents[contents.length - 1].key : undefined;
        const last = lastRaw === undefined ? undefined : this.listedKey(lastRaw, url, action).slice(cut);
        // The next page is requested now, so it is in flight while the caller folds this page's keys.
        const enough = opts.maxKeys !== undefined && count + contents.length >= opts.maxKeys;
        const bound = opts.until?.();
        const past = bound !== undefined && last !== undefined && compareKeys(last, bound) >= 0;
        const more = page.isTruncated;
        if (more && page.nextContinuationToken === token) throw badListing(action, 'the store answered a continuation token with the same token (the listing would never end)');
        pending = undefined;
        if (more && !enough && !past) {
          token = page.nextContinuationToken;
          pending = ask();
        }
        opts.onPage?.(contents.length, more, last, waited);
        if (opts.signal?.aborted) return;
        const batch: ObjectInfo[] = [];
        let ended = false;
        // Keys come sorted: once one is at or past `from`, all are; a page whose last key is below
        // the bound has every key below it. Per key, the compares are then skipped.
        let notYet = from;
        const cap = past ? bound : undefined;
        for (const c of contents) {
          const key = (url ? this.listedKey(c.key, true, action) : c.key).slice(cut);
          if (notYet !== undefined) {
            if (compareKeys(key, notYet) < 0) continue;
            notYet = undefined;
          }
          if (cap !== undefined && compareKeys(key, cap) >= 0) {
            ended = true;
            break;
          }
          // The page's own record becomes the ObjectInfo (same fields): no second object per key.
          c.key = key;
          batch.push(c);
          if (opts.maxKeys !== undefined && ++count >= opts.maxKeys) {
            ended = true;
            break;
          }
        }
        if (batch.length) yield batch;
        if (ended) return;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  async listPrefixes(prefix: string, signal?: AbortSignal, opts: ListFoldersOptions = {}): Promise<string[]> {
    const [{ sendListObjectsV2 }, client] = await Promise.all([this.fastList(), this.o.client()]);
    const out: string[] = [];
    const limit = opts.limit;
    const action = `list folders of ${this.description}/${prefix}`;
    const startAfter = opts.startAfter !== undefined && compareKeys(opts.startAfter, prefix) > 0 ? this.prefix + opts.startAfter : undefined;
    const input = {
      Bucket: this.bucket,
      Prefix: this.prefix + prefix,
      Delimiter: '/',
      StartAfter: startAfter,
      EncodingType: 'url' as const,
      MaxKeys: Math.min(this.o.pageSize ?? 1000, limit ?? 1000),
    };
    const reader = { abortSignal: signal ?? opts.signal, reader: this.o.listReader, action };
    let token: string | undefined;
    for (;;) {
      let page: ListPage;
      try {
        page = await sendListObjectsV2(client, { ...input, ContinuationToken: token }, reader);
      } catch (e) {
        throw this.listError(e, action);
      }
      const url = page.encodingType === 'url';
      for (const p of page.commonPrefixes) out.push(this.listedKey(p, url, action).slice(this.prefix.length));
      if (limit !== undefined || !page.isTruncated) break; // limit: one request; a split needs a few boundaries, not all
      if (page.nextContinuationToken === token) throw badListing(action, 'the store answered a continuation token with the same token (the listing would never end)');
      token = page.nextContinuationToken;
    }
    return out;
  }

  async get(key: string, signal?: AbortSignal, opts: GetOptions = {}): Promise<Buffer> {
    const full = this.fullKey(key);
    const [{ GetObjectCommand }, client] = await Promise.all([this.sdk(), this.o.client()]);
    // Our own controller: an object over the cap is cut off mid-download, not read to the end.
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) ctl.abort(signal.reason); // no abort event comes for a signal aborted before
    const first = opts.firstBytes;
    try {
      if (first !== undefined && first <= 0) return Buffer.alloc(0);
      const range = first !== undefined ? `bytes=0-${first - 1}` : undefined;
      const r = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: full, Range: range }), { abortSignal: ctl.signal });
      if (!r.Body) return Buffer.alloc(0);
      // A range is also cut here: an S3-compatible store may ignore Range and send the whole object.
      const max = first ?? opts.maxBytes;
      const cut = first !== undefined;
      if (max === undefined) return Buffer.from(await r.Body.transformToByteArray());
      if (!cut && r.ContentLength !== undefined && r.ContentLength > max) {
        ctl.abort();
        throw tooLarge(JSON.stringify(key), r.ContentLength, max);
      }
      // Streamed, counted: never more than the cap (plus one network chunk) in memory.
      const parts: Buffer[] = [];
      let n = 0;
      for await (const part of r.Body as AsyncIterable<Uint8Array>) {
        if (cut && n + part.length >= max) {
          parts.push(Buffer.from(part.buffer, part.byteOffset, max - n));
          n = max;
          ctl.abort();
          break;
        }
        n += part.length;
        if (n > max) {
          ctl.abort();
          throw tooLarge(JSON.stringify(key), undefined, max);
        }
        parts.push(Buffer.from(part.buffer, part.byteOffset, part.length));
      }
      return Buffer.concat(parts, n);
    } catch (e) {
      if (e instanceof WbError && e.code === 'TooLarge') throw e;
      // A range of an empty object: S3 answers 416 InvalidRange; its first bytes are none.
      if (first !== undefined && (awsHttpStatus(e) === 416 || awsErrorCode(e) === 'InvalidRange')) return Buffer.alloc(0);
      throw this.error(e, { action: `read ${this.description}/${key}`, iamAction: 's3:GetObject', key: full });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const full = this.fullKey(key);
    const [{ HeadObjectCommand }, client] = await Promise.all([this.sdk(), this.o.client()]);
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: full }));
      return { key, size: r.ContentLength ?? 0, lastModified: r.LastModified?.getTime() ?? 0, etag: r.ETag };
    } catch (e) {
      // HEAD has no body, so a missing key is a bare 404 "NotFound" (a missing bucket too: the
      // next list call names it properly).
      const code = awsErrorCode(e);
      if (code === 'NotFound' || code === 'NoSuchKey' || awsHttpStatus(e) === 404) return undefined;
      throw this.error(e, { action: `read ${this.description}/${key}`, iamAction: 's3:GetObject', key: full });
    }
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<PutResult> {
    const full = this.fullKey(key);
    const [{ PutObjectCommand }, client] = await Promise.all([this.sdk(), this.o.client()]);
    try {
      const r = await client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: full,
          Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
          ContentType: opts.contentType,
          ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}),
          ...(opts.ifMatch !== undefined ? { IfMatch: opts.ifMatch } : {}),
        }),
      );
      return { written: true, etag: r.ETag };
    } catch (e) {
      const code = awsErrorCode(e);
      const status = awsHttpStatus(e);
      // 412: the condition failed (exists / etag changed). 409: a concurrent conditional write to
      // the same key is in flight; S3 lets exactly one win, so for us it is "not written".
      if ((opts.ifAbsent || opts.ifMatch !== undefined) && (status === 412 || code === 'PreconditionFailed' || status === 409 || code === 'ConditionalRequestConflict')) {
        return { written: false };
      }
      // If-Match on a key that does not exist: S3 answers 404 NoSuchKey.
      if (opts.ifMatch !== undefined && (code === 'NoSuchKey' || (status === 404 && code !== 'NoSuchBucket'))) return { written: false };
      throw this.error(e, { action: `write ${this.description}/${key}`, iamAction: 's3:PutObject', key: full });
    }
  }

  async delete(key: string): Promise<void> {
    const full = this.fullKey(key);
    const [{ DeleteObjectCommand }, client] = await Promise.all([this.sdk(), this.o.client()]);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: full }));
    } catch (e) {
      throw this.error(e, { action: `delete ${this.description}/${key}`, iamAction: 's3:DeleteObject', key: full });
    }
  }

  async presignGet(key: string, expiresSeconds: number): Promise<string> {
    const full = this.fullKey(key);
    const [{ GetObjectCommand }, { getSignedUrl }, client] = await Promise.all([this.sdk(), import('@aws-sdk/s3-request-presigner'), this.o.client()]);
    try {
      return await getSignedUrl(client, new GetObjectCommand({ Bucket: this.bucket, Key: full }), { expiresIn: expiresSeconds });
    } catch (e) {
      throw this.error(e, { action: `sign a download URL for ${this.description}/${key}`, key: full });
    }
  }

  /**
   * A URL that can only create the object: `If-None-Match: *` and `Content-Type` are signed
   * headers, so the worker must send exactly `If-None-Match: *` and `Content-Type: <contentType>`
   * (S3 rejects the signature otherwise), and S3 answers 412 if the object exists.
   */
  async presignPutIfAbsent(key: string, expiresSeconds: number, contentType: string): Promise<string> {
    const full = this.fullKey(key);
    const [{ PutObjectCommand }, { getSignedUrl }, client] = await Promise.all([this.sdk(), import('@aws-sdk/s3-request-presigner'), this.o.client()]);
    try {
      return await getSignedUrl(client, new PutObjectCommand({ Bucket: this.bucket, Key: full, IfNoneMatch: '*', ContentType: contentType }), {
        expiresIn: expiresSeconds,
        signableHeaders: new Set(['if-none-match', 'content-type']),
        // Keep them headers (not query parameters), where S3 evaluates the condition.
        unhoistableHeaders: new Set(['if-none-match', 'content-type']),
      });
    } catch (e) {
      throw this.error(e, { action: `sign an upload URL for ${this.description}/${key}`, key: full });
    }
  }

  private fullKey(key: string): string {
    if (!key) throw new WbError('Store', `Empty object key in ${this.description}`, 'This is a bug: please report it.');
    return this.prefix + key;
  }

  private sdk(): Promise<Sdk> {
    return (this.sdkPromise ??= import('@aws-sdk/client-s3'));
  }

  /** Loaded with the SDK, on first use: it brings the XML reader (saxes) along. */
  private fastList(): Promise<FastList> {
    return (this.fastListPromise ??= import('./s3FastList'));
  }

  /** A listed key or prefix as text: URL-decoded when the answer says it is encoded. */
  private listedKey(raw: string, url: boolean, action: string): string {
    if (!url) return raw;
    try {
      return decodeS3Key(raw);
    } catch {
      throw badListing(action, `the store sent a key that is not URL-encoded as asked (${JSON.stringify(raw.slice(0, 200))})`);
    }
  }

  private listError(e: unknown, action: string): WbError {
    return this.error(e, { action, iamAction: 's3:ListBucket' });
  }

  private error(e: unknown, ctx: AwsErrorContext): WbError {
    return awsErrorToWbError(e, { service: 's3', bucket: this.bucket, profile: this.o.profile, region: this.o.region, endpoint: this.o.endpoint, ...ctx });
  }
}
