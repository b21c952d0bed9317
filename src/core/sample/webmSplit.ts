/**
 * Cuts a complete WebM into chunks the way Chromium's MediaRecorder (timeslice) does, so that the
 * sample bucket holds what the recording app really uploads (see test/fixtures/chromium-recording):
 * chunk 1 = header + first Cluster, chunk N = Cluster N, with Clusters of unknown size, and each cut
 * one byte into the next element: either after the id byte 0xA3 of the Cluster's last SimpleBlock
 * (the next chunk begins with the rest of that block) or after the first byte 0x1F of the next
 * Cluster's id (the next chunk begins `43 B6 75`). Both happen in one real recording.
 */
import { BLOCK_GROUP_ID, CLUSTER_ID, SIMPLE_BLOCK_ID, headerEnd, readElement, readHeader } from '../webm';

export type CutStyle = 'clean' | 'block-id' | 'cluster-id';

export interface SplitOptions {
  /** How each boundary is cut; a function gets the boundary index (0 = between chunks 1 and 2). */
  cut?: CutStyle | ((boundary: number) => CutStyle);
  /** Rewrite Cluster sizes to "unknown" as live muxers (Chromium) write them. Default true. */
  unknownSizeClusters?: boolean;
}

const UNKNOWN_CLUSTER_HEAD = Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

interface Cluster {
  head: Buffer;
  children: Buffer;
  /** Offset of the last block inside `children`. */
  lastBlock: number;
}

/** Splits at Clusters; throws if the input is not a WebM with Clusters (it is our own ffmpeg output). */
export function splitLikeMediaRecorder(webm: Buffer, opts: SplitOptions = {}): Buffer[] {
  const hEnd = headerEnd(webm);
  if (hEnd <= 0 || hEnd >= webm.length) throw new Error('not a WebM with Clusters');
  const clusters = readClusters(webm, hEnd, opts.unknownSizeClusters ?? true);
  const styleOf = typeof opts.cut === 'function' ? opts.cut : () => (opts.cut as CutStyle | undefined) ?? 'block-id';

  // The stream as a live muxer writes it, with the offsets where each cut may fall.
  const parts: Buffer[] = [webm.subarray(0, hEnd)];
  let off = hEnd;
  const starts: number[] = [];
  const lastBlocks: number[] = [];
  for (const c of clusters) {
    starts.push(off);
    lastBlocks.push(off + c.head.length + c.lastBlock);
    parts.push(c.head, c.children);
    off += c.head.length + c.children.length;
  }
  const stream = Buffer.concat(parts);
  const cuts = starts.slice(1).map((start, i) => {
    const style = styleOf(i);
    if (style === 'cluster-id') return start + 1;
    if (style === 'block-id' && lastBlocks[i] >= 0) return lastBlocks[i] + 1;
    return start;
  });
  const edges = [0, ...cuts, stream.length];
  return edges.slice(0, -1).map((a, i) => Buffer.from(stream.subarray(a, edges[i + 1])));
}

function readClusters(b: Buffer, from: number, unknownSize: boolean): Cluster[] {
  const out: Cluster[] = [];
  let p = from;
  while (p < b.length) {
    const h = readHeader(b, p);
    if (!h || h === 'partial') break;
    if (h.id !== CLUSTER_ID) {
      // Cues, Tags... after the Clusters: not part of a live recording.
      if (h.size === null) break;
      p = h.dataStart + h.size;
      continue;
    }
    // Children run to the declared end, or (unknown size) to the next Cluster.
    const end = h.size === null ? b.length : Math.min(b.length, h.dataStart + h.size);
    let q = h.dataStart;
    let lastBlock = -1;
    while (q < end) {
      const e = readElement(b, q);
      if (!e || e === 'partial' || e.id === CLUSTER_ID || e.size === null) break;
      if (e.id === SIMPLE_BLOCK_ID || e.id === BLOCK_GROUP_ID) lastBlock = q - h.dataStart;
      q = e.dataStart + e.size;
    }
    out.push({ head: unknownSize ? UNKNOWN_CLUSTER_HEAD : b.subarray(p, h.dataStart), children: b.subarray(h.dataStart, q), lastBlock });
    p = q;
  }
  return out;
}
