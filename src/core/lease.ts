/**
 * One run at a time: a lease object in the store, created with a create-only put, renewed while
 * the run is alive (conditional put on its etag), and taken over only after it expired. Two VS Code
 * windows, the CLI and a server timer all go through it; the loser is told who holds it and since when.
 */
import type { Clock } from './clock';
import { claimedTime, isoTime } from './clock';
import { WbError } from './errors';
import type { BucketLayout } from './layout';
import { isTooLarge, readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';
import { parseOrigin, type RunOrigin } from './runOrigin';
import { SETTINGS_SCHEMA } from './settings';

const MAX_LEASE_MS = SETTINGS_SCHEMA['run.leaseSeconds'].max * 1000;

export interface LeaseBody {
  runId: string;
  holder: string;
  acquiredAt: string;
  renewedAt: string;
  expiresAt: string;
  /** Who runs it and why (src/core/runOrigin.ts); absent in leases of older versions. */
  origin?: RunOrigin;
}

export interface LeaseInfo extends LeaseBody {
  etag?: string;
  expired: boolean;
  /** Why the body was not read (above its cap): the lease then counts as expired, so a run can take it over. */
  problem?: string;
}

export async function readLease(store: ObjectStore, layout: BucketLayout, clock: Clock): Promise<LeaseInfo | undefined> {
  const head = await store.head(layout.leaseKey);
  if (!head) return undefined;
  let body: Partial<LeaseBody> = {};
  let problem: string | undefined;
  try {
    body = JSON.parse((await readCapped(store, layout.leaseKey, 'lease')).toString('utf8'));
  } catch (e) {
    if (e instanceof WbError && e.code === 'NotFound') return undefined; // released meanwhile
    if (isTooLarge(e)) problem = e.message;
    body = {}; // corrupt: treat as expired so it can be taken over
  }
  // An expiry further ahead than the longest lease (plus clock skew) is invalid: expired, so it can be taken over.
  const exp = claimedTime(body.expiresAt, clock.now(), MAX_LEASE_MS) ?? NaN;
  return {
    runId: String(body.runId ?? 'unknown'),
    holder: String(body.holder ?? 'unknown'),
    acquiredAt: String(body.acquiredAt ?? isoTime(head.lastModified)),
    renewedAt: String(body.renewedAt ?? isoTime(head.lastModified)),
    expiresAt: String(body.expiresAt ?? isoTime(head.lastModified)),
    ...(parseOrigin(body.origin) ? { origin: parseOrigin(body.origin) } : {}),
    etag: head.etag,
    expired: !(exp > clock.now()),
    ...(problem ? { problem } : {}),
  };
}

export interface LeaseOptions {
  store: ObjectStore;
  layout: BucketLayout;
  clock: Clock;
  runId: string;
  holder: string;
  origin?: RunOrigin;
  seconds: number;
}

export class Lease {
  private etag: string | undefined;
  private timer: unknown;
  private released = false;
  private readonly acquiredAt: string;

  private constructor(
    private readonly o: LeaseOptions,
    etag: string | undefined,
  ) {
    this.etag = etag;
    this.acquiredAt = isoTime(o.clock.now());
  }

  /** Takes the lease or throws WbError('Lease') naming the holder. */
  static async acquire(o: LeaseOptions): Promise<Lease> {
    const body = (acquiredAt: string): string => JSON.stringify(leaseBody(o, acquiredAt), null, 2);
    const now = isoTime(o.clock.now());
    const first = await o.store.put(o.layout.leaseKey, body(now), { ifAbsent: true, contentType: 'application/json' });
    if (first.written) return new Lease(o, first.etag);
    const cur = await readLease(o.store, o.layout, o.clock);
    if (!cur) {
      // Released between our put and our read: one more try, then give up honestly.
      const again = await o.store.put(o.layout.leaseKey, body(now), { ifAbsent: true, contentType: 'application/json' });
      if (again.written) return new Lease(o, again.etag);
      throw new WbError('Lease', 'Another run took the run lease at the same moment', 'Try again in a minute.');
    }
    if (!cur.expired) {
      throw new WbError(
        'Lease',
        `Another batch run holds the lease: ${cur.holder} (run ${cur.runId}) since ${cur.acquiredAt}, valid until ${cur.expiresAt}`,
        `Wait for it to finish, or if it crashed, the lease expires by itself at ${cur.expiresAt}.`,
      );
    }
    // Safe takeover: replace exactly the expired lease we read; a concurrent taker makes this fail.
    const took = await o.store.put(o.layout.leaseKey, body(now), { ifMatch: cur.etag, contentType: 'application/json' });
    if (!took.written) throw new WbError('Lease', `Another run took over the expired lease of ${cur.holder} first`, 'Try again later.');
    return new Lease(o, took.etag);
  }

  /** Extends the lease; false if it was lost (someone took it over). */
  async renew(): Promise<boolean> {
    if (this.released) return false;
    const res = await this.o.store.put(this.o.layout.leaseKey, JSON.stringify(leaseBody(this.o, this.acquiredAt), null, 2), {
      ifMatch: this.etag,
      contentType: 'application/json',
    });
    if (res.written) this.etag = res.etag;
    return res.written;
  }

  /** Renews every third of the lease time; calls onLost once if renewal fails. */
  startRenewal(onLost: (e: Error) => void): void {
    const every = Math.max(1000, (this.o.seconds * 1000) / 3);
    const tick = () => {
      this.timer = undefined;
      this.renew().then(
        (ok) => {
          if (this.released) return;
          if (ok) this.timer = this.o.clock.setTimeout(tick, every);
          else onLost(new WbError('Lease', 'The run lease was lost (taken over by another run)', 'This run stops; the other run carries on.'));
        },
        () => {
          // Transient store error: retry sooner; the lease only ends at its expiry.
          if (!this.released) this.timer = this.o.clock.setTimeout(tick, Math.min(every, 5000));
        },
      );
    };
    this.timer = this.o.clock.setTimeout(tick, every);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    try {
      const cur = await this.o.store.head(this.o.layout.leaseKey);
      if (cur && cur.etag === this.etag) await this.o.store.delete(this.o.layout.leaseKey);
    } catch {
      // It expires by itself; a failed delete must not fail the run.
    }
  }
}

function leaseBody(o: LeaseOptions, acquiredAt: string): LeaseBody {
  const now = o.clock.now();
  return { runId: o.runId, holder: o.holder, acquiredAt, renewedAt: isoTime(now), expiresAt: isoTime(now + o.seconds * 1000), ...(o.origin ? { origin: o.origin } : {}) };
}
