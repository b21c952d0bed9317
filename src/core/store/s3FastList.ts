/**
 * One ListObjectsV2 request through the AWS SDK (endpoint, credentials, signing, retries, error
 * mapping all stay the SDK's), with a 200 answer's body read by `ListPageReader` (saxes) instead of
 * the SDK's XML reader and schema walk, which were about half of a scan's CPU.
 *
 * How: a middleware on this one command (never on the shared client: other callers' listings and
 * every other command stay plain SDK), placed right inside the SDK's deserializer. For a 200 it reads
 * the body (capped), parses it, keeps the page for the caller and hands the deserializer a tiny
 * empty `<ListBucketResult>`, so the SDK's own output is empty and cheap. Anything else goes to the
 * SDK as it came: an error status (NoSuchBucket, AccessDenied, expired credentials map as before),
 * an `<Error>` body (S3 may send one with a 200: the SDK's throw-200 check, outside us, sees the
 * same bytes and makes it an error), a body type we do not know. For those the caller
 * reads the SDK's output instead (`fromSdk`), and `listPageCounts.sdk` counts them.
 */
import { ListObjectsV2Command, type ListObjectsV2CommandInput, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { DeserializeHandlerOutput, DeserializeMiddleware, RelativeMiddlewareOptions } from '@smithy/types';
import { ListPageReader, NotAListing, type ListPage } from './s3ListPage';
import { badListing } from './s3Store';

/** A ListObjectsV2 page above this is refused (1000 keys of 1024 bytes, URL-encoded, are ~10 MB). */
export const LIST_PAGE_MAX_BYTES = 32 * 2 ** 20;

/** Pages read by our reader and pages left to the SDK's, process-wide (tests: the fast path is not bypassed). */
export const listPageCounts = { fast: 0, sdk: 0 };

const EMPTY_LISTING = new TextEncoder().encode('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>');

const PLACE: RelativeMiddlewareOptions = {
  relation: 'after',
  toMiddleware: 'deserializerMiddleware',
  name: 'whisperBatchListPageReader',
  override: true,
};

interface Slot {
  page?: ListPage;
  /** Why a 200 answer could not be read as a page. */
  failure?: string;
}

export interface SendListOptions {
  /** For errors: what was being done ("list s3://b/users/"). */
  action: string;
  abortSignal?: AbortSignal;
  /** 'sdk': the SDK's own reader (the comparison in tests and the bench). */
  reader?: 'fast' | 'sdk';
  maxBytes?: number;
}

/** One page; rejects with the SDK's error (map it as for any S3 call) or a WbError naming a page that does not read. */
export async function sendListObjectsV2(client: S3Client, input: ListObjectsV2CommandInput, o: SendListOptions): Promise<ListPage> {
  const cmd = new ListObjectsV2Command(input);
  const slot: Slot = {};
  if (o.reader !== 'sdk') cmd.middlewareStack.addRelativeTo(readPages(slot, o.maxBytes ?? LIST_PAGE_MAX_BYTES), PLACE);
  // Options are always passed: with none, a client set to cache middleware would reuse the handler
  // (and the slot) of the first command of its kind.
  const out = await client.send(cmd, { abortSignal: o.abortSignal });
  if (slot.failure !== undefined) throw badListing(o.action, slot.failure);
  if (slot.page) {
    listPageCounts.fast++;
    return slot.page;
  }
  listPageCounts.sdk++;
  return fromSdk(out);
}

/** The SDK's output as a page (what our reader gives: keys and times as the store reads them). */
export function fromSdk(out: ListObjectsV2CommandOutput): ListPage {
  return {
    contents: (out.Contents ?? []).flatMap((c) => (c.Key ? [{ key: c.Key, size: c.Size ?? 0, lastModified: c.LastModified?.getTime() ?? 0, etag: c.ETag }] : [])),
    commonPrefixes: (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix !== undefined ? [p.Prefix] : [])),
    isTruncated: !!out.IsTruncated,
    nextContinuationToken: out.NextContinuationToken,
    keyCount: out.KeyCount,
    encodingType: out.EncodingType,
  };
}

function readPages(slot: Slot, maxBytes: number): DeserializeMiddleware<ListObjectsV2CommandInput, ListObjectsV2CommandOutput> {
  return (next) =>
    async (args): Promise<DeserializeHandlerOutput<ListObjectsV2CommandOutput>> => {
      // A retry runs this again: only the last attempt's page counts.
      slot.page = slot.failure = undefined;
      const result = await next(args);
      const res = result.response as { statusCode?: number; headers?: Record<string, string>; body?: unknown };
      if (!res || res.statusCode !== 200) return result;
      const body = res.body;
      const bytes = body instanceof Uint8Array;
      if (!bytes && typeof (body as AsyncIterable<Uint8Array> | undefined)?.[Symbol.asyncIterator] !== 'function') return result;
      const declared = Number(res.headers?.['content-length']);
      if (declared > maxBytes) {
        (body as { destroy?: () => void }).destroy?.();
        return fail(slot, result, `its answer is ${declared} bytes, above the cap of ${maxBytes} for one page`);
      }
      const reader = new ListPageReader();
      const utf8 = new TextDecoder('utf-8', { fatal: true });
      const chunks: Uint8Array[] = [];
      let n = 0;
      let notOurs = false;
      let bad: unknown;
      const feed = (text: string) => {
        if (notOurs || bad !== undefined) return;
        try {
          reader.write(text);
        } catch (e) {
          if (e instanceof NotAListing) notOurs = true;
          else bad = e;
        }
      };
      // Read errors (a reset connection, an abort) are not caught: they reach the SDK's retry as before.
      for await (const c of bytes ? [body] : (body as AsyncIterable<Uint8Array>)) {
        n += c.byteLength;
        if (n > maxBytes) return fail(slot, result, `its answer is larger than the cap of ${maxBytes} bytes for one page`); // leaving the loop destroys the stream
        chunks.push(c);
        if (!notOurs && bad === undefined) {
          let text: string;
          try {
            text = utf8.decode(c, { stream: true });
          } catch (e) {
            bad = e;
            continue;
          }
          feed(text);
        }
      }
      let page: ListPage | undefined;
      if (!notOurs && bad === undefined) {
        try {
          feed(utf8.decode());
          if (!notOurs && bad === undefined) page = reader.end();
        } catch (e) {
          if (e instanceof NotAListing) notOurs = true;
          else bad = e;
        }
      }
      if (notOurs) {
        res.body = Buffer.concat(chunks, n);
        return result;
      }
      if (bad !== undefined || !page) return fail(slot, result, `its answer (${n} bytes) is not a well-formed ListObjectsV2 page: ${bad instanceof Error ? bad.message : String(bad)}`);
      slot.page = page;
      res.body = EMPTY_LISTING.slice(); // a copy: the SDK re-types the array it is given
      return result;
    };
}

function fail<T extends object>(slot: Slot, result: DeserializeHandlerOutput<T>, why: string): DeserializeHandlerOutput<T> {
  slot.failure = why;
  (result.response as { body?: unknown }).body = EMPTY_LISTING.slice();
  return result;
}
