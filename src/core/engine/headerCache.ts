/**
 * Chunk 1 of a session holds the WebM header every later chunk of it needs: fetched once per
 * session, and only the header (up to the first Cluster, ~150 bytes) is kept, in a cache bounded in
 * bytes (oldest entries go first), so a session's chunk 1 is never held whole.
 */
import { describeBytes } from '../audioFormats';
import type { ObjectStore } from '../store/objectStore';
import { EBML_ID, headerEnd } from '../webm';

export interface ChunkHeader {
  /** The WebM header (EBML..Tracks); empty when chunk 1 has none. */
  bytes: Buffer;
  /** When it has none: what chunk 1 is instead ("Ogg audio", "text"...), for the error of a later chunk. */
  found?: string;
}

/** Chunk-1 headers kept for the later chunks of their sessions (a real one is ~150 bytes). */
export const HEADER_CACHE_BYTES = 4 * 1048576;
/** Bytes of chunk 1 read first for its header (the instance script reads the same range). */
export const HEADER_READ_BYTES = 65536;
/** Bytes of the next chunk read for its leading fragment (one Opus block: < 4 KB). */
export const NEXT_READ_BYTES = 65536;

export class HeaderCache {
  private readonly entries = new Map<string, { p: Promise<ChunkHeader>; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly maxBytesPerRead: number,
    private readonly limitBytes = HEADER_CACHE_BYTES,
  ) {}

  /** The WebM header of `key` (empty, with what the chunk is instead, when it has none); a failed read is not kept. */
  get(key: string, signal: AbortSignal): Promise<ChunkHeader> {
    let h = this.entries.get(key);
    if (!h) {
      const entry = {
        bytes: 0,
        p: this.read(key, signal).then((b): ChunkHeader => {
          const end = headerEnd(b);
          if (end >= 0) return { bytes: Buffer.from(b.subarray(0, end)) };
          const found = describeBytes(b);
          return { bytes: Buffer.alloc(0), found: found?.demuxer === 'matroska' ? 'a WebM file without a Cluster in its first bytes' : (found?.what ?? 'bytes of no known format') };
        }),
      };
      this.entries.set(key, (h = entry));
      entry.p.then(
        (h) => {
          entry.bytes = h.bytes.length;
          this.bytes += h.bytes.length;
          for (const [k, old] of this.entries) {
            if (this.bytes <= this.limitBytes || old === entry) break;
            this.entries.delete(k);
            this.bytes -= old.bytes;
          }
        },
        () => this.entries.delete(key),
      );
    }
    return h.p;
  }

  /** The header is in chunk 1's first bytes (a real one: ~150): the whole chunk (capped) only if not. */
  private async read(key: string, signal: AbortSignal): Promise<Buffer> {
    const head = await this.store.get(key, signal, { firstBytes: HEADER_READ_BYTES });
    if (headerEnd(head) >= 0 || head.length < HEADER_READ_BYTES || head.readUInt32BE(0) !== EBML_ID) return head;
    return this.store.get(key, signal, { maxBytes: this.maxBytesPerRead });
  }
}
