/**
 * The bucket, as the core sees it: S3 (store/s3Store) or a local folder (store/folderStore).
 * Keys are relative to the store's root (an S3 prefix is applied by the store, not the caller).
 */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last-modified time, ms since epoch. */
  lastModified: number;
  etag?: string;
}

export interface ListOptions {
  /** Stop early (for probes); undefined lists everything. */
  maxKeys?: number;
  signal?: AbortSignal;
  /**
   * Called after each page/batch: for request counts. `more`: the store has keys after this page;
   * `lastKey`: the page's last key (where a parallel scan may cut the rest of a range);
   * `waitedMs`: how long the consumer waited for this page (a page fetched ahead and already there: 0).
   */
  onPage?: (keysInPage: number, more: boolean, lastKey?: string, waitedMs?: number) => void;
  /** Begin at this key, inclusive (UTF-8 byte order, see keyOrder.ts; S3: StartAfter just below it). */
  startAt?: string;
  /**
   * Exclusive upper bound, read again at every key and page: keys from it on are not yielded and no
   * page is asked for past it. A parallel scan lowers it when another stream takes over the rest.
   */
  until?: () => string | undefined;
}

export interface ListFoldersOptions {
  signal?: AbortSignal;
  /** Only folders after this key. */
  startAfter?: string;
  /** One request's worth: at most this many folders (S3: one page, up to 1000). */
  limit?: number;
}

export interface GetOptions {
  maxBytes?: number;
  /**
   * Only the object's first bytes, at most this many (S3: a Range request), never an error for a
   * bigger object: for the leading fragment of a next chunk or chunk 1's header, where reading a
   * whole chunk would be for nothing.
   */
  firstBytes?: number;
}

export interface PutResult {
  /** false when `ifAbsent` was set and the object already existed: nothing was written. */
  written: boolean;
  etag?: string;
}

export interface PutOptions {
  contentType?: string;
  /** Create-only: never overwrite (S3 `IfNoneMatch: "*"`, exclusive create on disk). */
  ifAbsent?: boolean;
  /** Replace only if the current object has this etag (leases). Fails with written=false otherwise. */
  ifMatch?: string;
}

export interface ObjectStore {
  /** Human name for messages, e.g. `s3://bucket/prefix` or `/path/to/folder`. */
  readonly description: string;
  readonly kind: 's3' | 'folder';
  /** Streams every object under `prefix` in key order, one page at a time (never the whole list in memory). */
  list(prefix: string, opts?: ListOptions): AsyncIterable<ObjectInfo>;
  /**
   * The same listing a page (or directory) at a time: one await per page instead of one per key,
   * which a scan of 100k keys notices (the per-key promises were a third of its garbage).
   */
  listBatches?(prefix: string, opts?: ListOptions): AsyncIterable<ObjectInfo[]>;
  /** Lists the "folders" directly under `prefix` (S3 CommonPrefixes), e.g. user folders. Returns full prefixes ending in "/". */
  listPrefixes(prefix: string, signal?: AbortSignal, opts?: ListFoldersOptions): Promise<string[]>;
  /**
   * Throws WbError('NotFound') when missing. With `maxBytes`, an object larger than that throws
   * WbError('TooLarge') before (or while) it is read: it is never held whole in memory. With
   * `firstBytes`, at most that many leading bytes.
   */
  get(key: string, signal?: AbortSignal, opts?: GetOptions): Promise<Buffer>;
  /** undefined when missing. */
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: Buffer | string, opts?: PutOptions): Promise<PutResult>;
  delete(key: string): Promise<void>;
  /** Short-lived URLs for a remote worker with no credentials of its own (S3 only). */
  presignGet?(key: string, expiresSeconds: number): Promise<string>;
  /** Presigned create-only PUT (`If-None-Match: *` is part of the signature). */
  presignPutIfAbsent?(key: string, expiresSeconds: number, contentType: string): Promise<string>;
}
