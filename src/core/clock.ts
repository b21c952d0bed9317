/**
 * Time as a dependency: core code never calls Date.now() or setTimeout directly, so tests can drive
 * a 2-hour schedule or a 3-minute boot with a fake clock in milliseconds.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`; rejects with the signal's reason if aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** How far the clock of another writer (a runner, the realtime path, a folder's mtime) may run ahead of ours. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * A time another party wrote (ISO text or ms), or undefined when it is no time or lies further in
 * the future than `aheadMs` plus the clock skew: a lock `createdAt: 2999` or a lease `expiresAt:
 * 2999` would otherwise hold forever.
 */
export function claimedTime(raw: unknown, now: number, aheadMs = 0): number | undefined {
  const ms = typeof raw === 'string' ? Date.parse(raw) : typeof raw === 'number' ? raw : NaN;
  return Number.isFinite(ms) && ms <= now + aheadMs + CLOCK_SKEW_MS ? ms : undefined;
}
