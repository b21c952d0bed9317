/**
 * Reads one ListObjectsV2 answer (a `<ListBucketResult>` body) with saxes, a strict streaming XML
 * parser, instead of the AWS SDK's XML reader: the SDK's builds every text node one character at a
 * time and then walks a schema over the tree, about 40% of a scan's CPU. Only what a listing uses
 * is kept: per object its key, size, time and ETag; the common prefixes; whether there is more and
 * the continuation token. Keys stay as sent (URL-encoded when the request asked for it).
 *
 * Strict on purpose: a body that is not well-formed XML 1.0 (truncated, a stray control character,
 * an undeclared entity, invalid UTF-8) or whose fields do not read (a size that is not a number, a
 * time that is not a time) is an error, never a partial page.
 */
import { SaxesParser } from 'saxes';

export interface ListPageObject {
  /** As sent: URL-encoded when the request asked for `EncodingType: url`. */
  key: string;
  size: number;
  /** ms since the epoch. */
  lastModified: number;
  etag?: string;
}

export interface ListPage {
  contents: ListPageObject[];
  /** As sent, like the keys. */
  commonPrefixes: string[];
  isTruncated: boolean;
  nextContinuationToken?: string;
  keyCount?: number;
  encodingType?: string;
}

/** The body is an `<Error>` (S3 may send one with a 200): the SDK's to read and map. */
export class NotAListing extends Error {}

// Where a text or element is, as a small number: no string compares on the path per event.
const ROOT = 1; // directly in <ListBucketResult>
const OBJECT = 2; // in <Contents>
const PREFIX = 3; // in <CommonPrefixes>
// Anything else (Owner, RestoreStatus, elements we do not know) is skipped.

/** Feed it the body as text, chunk by chunk (`write`), then `end()` gives the page or throws. */
export class ListPageReader {
  private readonly parser = new SaxesParser({ position: false });
  private readonly page: ListPage = { contents: [], commonPrefixes: [], isTruncated: false };
  /** Element depth: 0 outside the root. */
  private depth = 0;
  private where = 0;
  /** The element whose text is being collected (a field we keep), or undefined. */
  private field: string | undefined;
  private text = '';
  private key: string | undefined;
  private size: string | undefined;
  private time: string | undefined;
  private etag: string | undefined;
  private prefix: string | undefined;
  private rooted = false;
  private truncatedSeen = false;

  constructor() {
    const p = this.parser;
    p.on('opentag', (t) => this.open(t.name));
    p.on('closetag', (t) => this.close(t.name));
    p.on('text', (s) => {
      if (this.field !== undefined) this.text += s;
    });
    p.on('cdata', (s) => {
      if (this.field !== undefined) this.text += s;
    });
  }

  write(chunk: string): void {
    this.parser.write(chunk);
  }

  end(): ListPage {
    this.parser.close();
    if (!this.rooted) throw new Error('no <ListBucketResult> element');
    // More to come with no way to ask for it: the listing would end early without a word.
    if (this.page.isTruncated && !this.page.nextContinuationToken) throw new Error('<IsTruncated> is true but there is no <NextContinuationToken>');
    return this.page;
  }

  private open(name: string): void {
    const d = ++this.depth;
    // Mixed content would lose the field's text (a key cut short, an IsTruncated dropped): garbled.
    if (this.field !== undefined) throw new Error(`an element <${name}> inside <${this.field}>`);
    if (d === 1) {
      if (name === 'Error') throw new NotAListing('an <Error> answer');
      // Any other root would read as an empty page: a listing cut short without a word.
      if (name !== 'ListBucketResult') throw new Error(`the root element is <${name.slice(0, 100)}>, not <ListBucketResult>`);
      this.rooted = true;
      this.where = ROOT;
    } else if (d === 2) {
      if (name === 'Contents') {
        this.where = OBJECT;
        this.key = this.size = this.time = this.etag = undefined;
      } else if (name === 'CommonPrefixes') {
        this.where = PREFIX;
        this.prefix = undefined;
      } else {
        this.where = ROOT;
        if (name === 'IsTruncated' || name === 'NextContinuationToken' || name === 'KeyCount' || name === 'EncodingType') this.start(name);
      }
    } else if (d === 3) {
      if (this.where === OBJECT) {
        if (name === 'Key' || name === 'Size' || name === 'LastModified' || name === 'ETag') this.start(name);
      } else if (this.where === PREFIX) {
        if (name === 'Prefix') this.start(name);
      }
    }
  }

  private start(name: string): void {
    this.field = name;
    this.text = '';
  }

  private close(name: string): void {
    const d = this.depth--;
    const f = this.field;
    this.field = undefined;
    if (f !== undefined) this.set(f, this.text);
    if (d === 2) {
      if (name === 'Contents') this.object();
      else if (name === 'CommonPrefixes' && this.prefix !== undefined) this.page.commonPrefixes.push(this.prefix);
      this.where = ROOT;
    }
  }

  private set(field: string, v: string): void {
    // A field given twice is a garbled page: which one would be right?
    if (this.where === OBJECT) {
      if (field === 'Key') this.key = once(this.key, v, field);
      else if (field === 'Size') this.size = once(this.size, v, field);
      else if (field === 'LastModified') this.time = once(this.time, v, field);
      else this.etag = once(this.etag, v, field);
    } else if (this.where === PREFIX) this.prefix = once(this.prefix, v, field);
    else if (field === 'IsTruncated') {
      if (v !== 'true' && v !== 'false') throw new Error(`<IsTruncated> is ${JSON.stringify(v.slice(0, 40))}, not true or false`);
      if (this.truncatedSeen) throw new Error('<IsTruncated> twice');
      this.truncatedSeen = true;
      this.page.isTruncated = v === 'true';
    } else if (field === 'NextContinuationToken') this.page.nextContinuationToken = once(this.page.nextContinuationToken, v, field);
    else if (field === 'KeyCount') this.page.keyCount = count(once(this.page.keyCount === undefined ? undefined : '', v, field), field);
    else this.page.encodingType = once(this.page.encodingType, v, field);
  }

  private object(): void {
    // An object without a key is skipped, as the listing did with the SDK's output.
    if (!this.key) return;
    const size = this.size === undefined ? 0 : count(this.size, 'Size');
    let lastModified = 0;
    if (this.time !== undefined) {
      lastModified = Date.parse(this.time);
      if (!Number.isFinite(lastModified)) throw new Error(`<LastModified> ${JSON.stringify(this.time.slice(0, 40))} is not a time`);
    }
    this.page.contents.push({ key: this.key, size, lastModified, etag: this.etag });
  }
}

function once(had: string | undefined, v: string, what: string): string {
  if (had !== undefined) throw new Error(`<${what}> twice in one element`);
  return v;
}

function count(v: string, what: string): number {
  // Digits only: Number() would take "", " 1", "1e3", "0x10".
  if (!/^\d{1,16}$/.test(v)) throw new Error(`<${what}> is ${JSON.stringify(v.slice(0, 40))}, not a count`);
  return Number(v);
}

/** The whole body at once (tests, a body already in memory). */
export function readListPage(xml: string): ListPage {
  const r = new ListPageReader();
  r.write(xml);
  return r.end();
}
