/**
 * Reads of the store's own objects (everything but audio chunks, whose cap is run.maxChunkMegabytes)
 * through one table of caps: anyone with write access to the bucket can make any of them huge, and
 * a read without a cap would hold it whole in memory. An object above its kind's cap is never read
 * whole: it fails with WbError('TooLarge') naming the key, the kind and the cap; each caller decides
 * what such an object means (a lease: taken over; a lock: still a lock; a report: left out...).
 * Every cap is far above what whisper-batch itself writes.
 */
import { WbError } from '../errors';
import type { ObjectStore } from './objectStore';

const KiB = 1024;
const MiB = 1024 * KiB;

export const OBJECT_CAPS = {
  /** The run lease. */
  lease: { bytes: 64 * KiB, what: 'run lease' },
  /** batch-lock.json, the realtime side's live-recording lock. */
  liveLock: { bytes: 64 * KiB, what: 'live-recording lock' },
  /** A run's JSON report (it grows with the run's sessions and errors). */
  report: { bytes: 32 * MiB, what: 'report' },
  /** One chunk's failure record (its error text is cut at 2,000 characters when written). */
  failureRecord: { bytes: 16 * KiB, what: 'failure record' },
  /** The manual "next" session (`.next.json`). */
  next: { bytes: 64 * KiB, what: '"next" session object' },
  /** Which alerts were on at the last check. */
  alertState: { bytes: 64 * KiB, what: 'alert state' },
  /** One chunk's transcript (the scan's transcript check reads with the same cap). */
  transcript: { bytes: 8 * MiB, what: 'transcript' },
} as const;

export type ObjectKind = keyof typeof OBJECT_CAPS;

const size = (n: number) => (n >= MiB ? `${n / MiB} MB` : `${n / KiB} KB`);

/** The object's bytes, or WbError('TooLarge') naming it when it is above its kind's cap (NotFound and the rest pass as they are). */
export async function readCapped(store: ObjectStore, key: string, kind: ObjectKind, signal?: AbortSignal): Promise<Buffer> {
  const cap = OBJECT_CAPS[kind];
  try {
    return await store.get(key, signal, { maxBytes: cap.bytes });
  } catch (e) {
    if (!(e instanceof WbError && e.code === 'TooLarge')) throw e;
    throw new WbError('TooLarge', `The ${cap.what} ${JSON.stringify(key)} is larger than ${size(cap.bytes)}: not one whisper-batch wrote`, 'It is not read.', { cause: e });
  }
}

/** True for the error readCapped gives an object above its cap. */
export const isTooLarge = (e: unknown): e is WbError => e instanceof WbError && e.code === 'TooLarge';
