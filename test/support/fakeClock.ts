/**
 * A Clock on @sinonjs/fake-timers, plus drive(): tick fake time until a promise settles, letting real
 * I/O (folder store) progress between ticks. A 3-minute boot then takes milliseconds.
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/core/clock';

export interface TestClock extends Clock {
  readonly fake: ReturnType<typeof FakeTimers.createClock>;
  /** Advances fake time by `ms`, running due timers and microtasks. */
  tick(ms: number): Promise<void>;
  /** Ticks `stepMs` at a time until `p` settles; fails if fake time passes `maxMs` first. */
  drive<T>(p: Promise<T>, opts?: { stepMs?: number; maxMs?: number }): Promise<T>;
}

export const T0 = Date.parse('2026-11-25T10:00:00Z');

export function fakeClock(start = T0): TestClock {
  const fake = FakeTimers.createClock(start);
  const clock: TestClock = {
    fake,
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (h) => fake.clearTimeout(h as never),
    tick: async (ms) => {
      await fake.tickAsync(ms);
    },
    drive: async (p, opts = {}) => {
      const step = opts.stepMs ?? 1000;
      const max = opts.maxMs ?? 6 * 3_600_000;
      let settled = false;
      p.then(
        () => (settled = true),
        () => (settled = true),
      );
      const until = fake.now + max;
      while (!settled) {
        if (fake.now > until) throw new Error(`still pending after ${max / 1000} s of fake time`);
        // Real I/O (fs, sockets) completes in the real event loop: give it a real millisecond each
        // step, so fake time does not race ahead of a file write (a lease would expire mid-write).
        await new Promise((r) => setTimeout(r, 1));
        if (settled) break;
        await fake.tickAsync(step);
      }
      return p;
    },
  };
  return clock;
}
