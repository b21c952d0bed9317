/**
 * Just enough WebM (EBML) reading to cut and mend MediaRecorder chunks: where the header ends,
 * where a Cluster starts, and which element a chunk's last bytes only began. Pure functions on
 * Buffers; they never throw on garbage (they answer "not found" instead).
 */

export const EBML_ID = 0x1a45dfa3;
export const SEGMENT_ID = 0x18538067;
export const INFO_ID = 0x1549a966;
export const TIMECODE_SCALE_ID = 0x2ad7b1;
export const CLUSTER_ID = 0x1f43b675;
export const TIMECODE_ID = 0xe7;
export const SIMPLE_BLOCK_ID = 0xa3;
export const BLOCK_GROUP_ID = 0xa0;
const CRC32_ID = 0xbf;

export const CLUSTER_ID_BYTES = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
/** A Cluster id followed by "unknown size" in the 8-byte form live muxers (Chromium, ffmpeg -live) write. */
const LIVE_CLUSTER_HEAD = Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface Vint {
  value: number;
  len: number;
  /** All value bits set: "unknown size". */
  unknown: boolean;
}

/** 'partial': the buffer ends inside the number; null: not a valid vint. */
export function readVint(b: Buffer, p: number, keepMarker: boolean): Vint | 'partial' | null {
  if (p >= b.length) return 'partial';
  const first = b[p];
  if (first === 0) return null;
  const len = Math.clz32(first) - 23; // leading zero bits of the byte, plus one
  if (p + len > b.length) return 'partial';
  const mask = 0xff >> len;
  let value = keepMarker ? first : first & mask;
  let allOnes = (first & mask) === mask;
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[p + i];
    if (b[p + i] !== 0xff) allOnes = false;
  }
  const unknown = !keepMarker && allOnes;
  // An 8-byte "unknown size" is all ones (beyond 2^53): fine; any other size that large is garbage.
  if (!unknown && value > Number.MAX_SAFE_INTEGER) return null;
  return { value, len, unknown };
}

export interface Element {
  id: number;
  start: number;
  dataStart: number;
  /** null: unknown size (live Segment / Cluster). */
  size: number | null;
}

/** The id and size of the element at `p`, whether or not its data is all in the buffer. */
export function readHeader(b: Buffer, p: number): Element | 'partial' | null {
  const id = readVint(b, p, true);
  if (id === 'partial' || id === null) return id;
  if (id.len > 4) return null;
  const size = readVint(b, p + id.len, false);
  if (size === 'partial' || size === null) return size;
  return { id: id.value, start: p, dataStart: p + id.len + size.len, size: size.unknown ? null : size.value };
}

/**
 * The element at `p`. 'partial' when the buffer ends inside it (its header or, for a known size,
 * its data); null when the bytes are not an element.
 */
export function readElement(b: Buffer, p: number): Element | 'partial' | null {
  const e = readHeader(b, p);
  if (e && e !== 'partial' && e.size !== null && e.dataStart + e.size > b.length) return 'partial';
  return e;
}

const isContainer = (id: number) => id === SEGMENT_ID || id === CLUSTER_ID;

/**
 * Offset where the first Cluster starts in a buffer that begins with the EBML header (chunk 1), or
 * -1 when the buffer is not WebM. A header alone (no Cluster yet) gives its full length.
 */
export function headerEnd(b: Buffer): number {
  if (b.length < 4 || b.readUInt32BE(0) !== EBML_ID) return -1;
  let p = 0;
  while (p < b.length) {
    const h = readHeader(b, p);
    if (!h || h === 'partial') return -1;
    if (h.id === CLUSTER_ID) return p;
    if (h.id === SEGMENT_ID) {
      p = h.dataStart;
      continue;
    }
    const e = readElement(b, p);
    if (!e || e === 'partial' || e.size === null) return -1;
    p = e.dataStart + e.size;
  }
  return p === b.length ? p : -1;
}

/** Nanoseconds per Cluster/Block timecode tick (Info › TimecodeScale; default 1 ms). */
export function timecodeScaleNs(header: Buffer): number {
  const end = headerEnd(header);
  if (end < 0) return 1_000_000;
  let p = 0;
  while (p < end) {
    const e = readHeader(header, p);
    if (!e || e === 'partial') break;
    if (e.id === SEGMENT_ID || e.id === INFO_ID) {
      p = e.dataStart;
      continue;
    }
    if (e.id === TIMECODE_SCALE_ID && e.size !== null && e.size >= 1 && e.size <= 6) return header.readUIntBE(e.dataStart, e.size);
    if (e.size === null) break;
    p = e.dataStart + e.size;
  }
  return 1_000_000;
}

/** True when a Cluster (id, size, then Timecode, maybe after a CRC-32) starts at `p`. */
export function isClusterStart(b: Buffer, p: number): boolean {
  return firstClusterChild(b, p) !== undefined;
}

/** Timecode (in ticks) of the Cluster starting at `p`, or undefined. */
export function clusterTimecode(b: Buffer, p: number): number | undefined {
  const tc = firstClusterChild(b, p);
  return tc ? b.readUIntBE(tc.dataStart, tc.size!) : undefined;
}

/** The Timecode element of the Cluster at `p` (skipping a CRC-32), if a Cluster starts there. */
function firstClusterChild(b: Buffer, p: number): Element | undefined {
  const cl = readHeader(b, p);
  if (!cl || cl === 'partial' || cl.id !== CLUSTER_ID) return undefined;
  let child = readElement(b, cl.dataStart);
  if (child && child !== 'partial' && child.id === CRC32_ID && child.size === 4) child = readElement(b, child.dataStart + 4);
  if (!child || child === 'partial' || child.id !== TIMECODE_ID || child.size === null || child.size < 1 || child.size > 6) return undefined;
  return child;
}

export interface ClusterStart {
  /** Offset in the chunk where the Cluster (or the rest of its header) starts. */
  pos: number;
  /** Bytes of the Cluster header that the previous chunk ended with (empty if none). */
  missingHead: Buffer;
}

/**
 * Where the first Cluster of a later chunk starts. MediaRecorder cuts blobs at arbitrary bytes:
 * the chunk may begin with the rest of the previous chunk's last block (then the Cluster follows),
 * or inside the Cluster header itself (Chromium ends a chunk with 0x1F, the next one begins
 * `43 B6 75`): then the missing head bytes are returned so the caller can put them back.
 */
export function findClusterStart(b: Buffer): ClusterStart | undefined {
  // Cut inside the Cluster id (any size form), or inside a live muxer's "unknown size" field.
  for (let j = 1; j < LIVE_CLUSTER_HEAD.length; j++) {
    const rest = LIVE_CLUSTER_HEAD.subarray(j, j < 4 ? 4 : undefined);
    if (b.length >= rest.length && b.subarray(0, rest.length).equals(rest)) {
      const head = LIVE_CLUSTER_HEAD.subarray(0, j);
      if (isClusterStart(Buffer.concat([head, b.subarray(0, 64)]), 0)) return { pos: 0, missingHead: Buffer.from(head) };
    }
  }
  for (let p = b.indexOf(CLUSTER_ID_BYTES); p >= 0; p = b.indexOf(CLUSTER_ID_BYTES, p + 1)) {
    if (isClusterStart(b, p)) return { pos: p, missingHead: Buffer.alloc(0) };
  }
  return undefined;
}

/**
 * Walks Segment/Cluster contents from `from` and returns where the last complete element ends,
 * i.e. where a trailing element that the buffer only began (a lone 0xA3, a lone 0x1F) starts.
 * Returns b.length when everything is complete, or when the bytes stop being WebM (not ours to cut).
 */
export function completeEnd(b: Buffer, from = 0): number {
  let p = from;
  while (p < b.length) {
    const e = readElement(b, p);
    if (e === null) return b.length;
    if (e === 'partial') {
      // A Segment or Cluster of known size that runs past the end is still walked into.
      const h = readHeader(b, p);
      if (h && h !== 'partial' && isContainer(h.id) && h.dataStart <= b.length) {
        p = h.dataStart;
        continue;
      }
      return p;
    }
    if (isContainer(e.id)) p = e.dataStart;
    else if (e.size === null) return b.length;
    else p = e.dataStart + e.size;
  }
  return b.length;
}

/**
 * The bytes that complete a chunk's trailing partial element from the next chunk: `tail` (what
 * follows completeEnd) plus the next chunk's leading blocks up to its first Cluster, if they form
 * whole blocks. Empty when the next chunk starts with a Cluster (the tail was a Cluster head).
 */
export function boundaryBlocks(tail: Buffer, next: Buffer): Buffer {
  // A next chunk with its own header is a new recording: nothing of ours continues in it.
  if (next.length >= 4 && next.readUInt32BE(0) === EBML_ID) return Buffer.alloc(0);
  const t = Buffer.concat([tail, next]);
  const cs = findClusterStart(t);
  const limit = cs ? cs.pos : t.length;
  let p = 0;
  while (p < limit) {
    const e = readElement(t, p);
    if (!e || e === 'partial' || (e.id !== SIMPLE_BLOCK_ID && e.id !== BLOCK_GROUP_ID) || e.size === null) break;
    if (e.dataStart + e.size > limit) break;
    p = e.dataStart + e.size;
  }
  return p >= tail.length ? t.subarray(0, p) : Buffer.alloc(0);
}
