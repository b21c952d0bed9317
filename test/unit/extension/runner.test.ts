import * as assert from 'node:assert/strict';
import { fakeClock, T0 } from '../../support/fakeClock';
import * as coreSchedule from '../../../src/core/schedule';
import { CATCH_UP_DELAY_MS, LAST_RUN_KEY, ScheduleRunner, nextRunTime, type MementoLike } from '../../../src/extension/runner';

const MIN = 60_000;
const s = { enabled: true, intervalMinutes: 120, firstRunDelayMinutes: 10, jitterSeconds: 60 };

class Memento implements MementoLike {
  constructor(public data: Record<string, unknown> = {}) {}
  get<T>(k: string): T | undefined {
    return this.data[k] as T | undefined;
  }
  async update(k: string, v: unknown) {
    this.data[k] = v;
  }
}

describe('extension/runner', function () {
  it('uses the core schedule (one implementation for the extension and the CLI)', function () {
    assert.equal(nextRunTime, coreSchedule.nextRunTime);
    assert.equal(CATCH_UP_DELAY_MS, coreSchedule.CATCH_UP_DELAY_MS);
  });

  it('nextRunTime: first run after the start-up delay, then every interval, catch-up soon after start-up', function () {
    assert.equal(nextRunTime(s, T0, T0, undefined, 0), T0 + 10 * MIN);
    assert.equal(nextRunTime(s, T0, T0, T0 - 30 * MIN, 5000), T0 + 90 * MIN + 5000);
    // Missed while closed (last run 5 h ago): catch up after min(first delay, 1 min).
    assert.equal(nextRunTime(s, T0, T0, T0 - 300 * MIN, 0), T0 + CATCH_UP_DELAY_MS);
    assert.equal(nextRunTime({ ...s, firstRunDelayMinutes: 0 }, T0, T0, T0 - 300 * MIN, 0), T0);
  });

  it('runs on the schedule with jitter, records the run time, and runs again an interval later', async function () {
    const clock = fakeClock();
    const memento = new Memento();
    const runs: number[] = [];
    const runner = new ScheduleRunner({ clock, random: () => 0.5, memento, isRunActive: () => false, startRun: async () => void runs.push(clock.now()) });
    runner.configure(s);
    assert.equal(runner.nextRunAt, T0 + 10 * MIN + 30_000);
    await clock.tick(10 * MIN + 29_000);
    assert.deepEqual(runs, []);
    await clock.tick(1000);
    assert.deepEqual(runs, [T0 + 10 * MIN + 30_000]);
    assert.equal(memento.get(LAST_RUN_KEY), runs[0]);
    await clock.tick(120 * MIN + 30_000);
    assert.equal(runs.length, 2);
    assert.equal(runs[1], runs[0] + 120 * MIN + 30_000);
    runner.dispose();
    await clock.tick(500 * MIN);
    assert.equal(runs.length, 2, 'no run after dispose');
  });

  it('catches up a run missed while VS Code was closed', async function () {
    const clock = fakeClock();
    const memento = new Memento({ [LAST_RUN_KEY]: T0 - 6 * 60 * MIN });
    const runs: number[] = [];
    const runner = new ScheduleRunner({ clock, random: () => 0, memento, isRunActive: () => false, startRun: async () => void runs.push(clock.now()) });
    runner.configure(s);
    await clock.tick(CATCH_UP_DELAY_MS);
    assert.deepEqual(runs, [T0 + CATCH_UP_DELAY_MS]);
    runner.dispose();
  });

  it('leaves the run to another window that ran meanwhile, and skips while a run is active', async function () {
    const clock = fakeClock();
    const memento = new Memento();
    let active = false;
    const runs: number[] = [];
    const runner = new ScheduleRunner({ clock, random: () => 0, memento, isRunActive: () => active, startRun: async () => void runs.push(clock.now()) });
    runner.configure(s);
    // Another window (same globalState) runs at minute 5.
    await clock.tick(5 * MIN);
    memento.data[LAST_RUN_KEY] = clock.now();
    await clock.tick(5 * MIN);
    assert.deepEqual(runs, []);
    assert.equal(runner.nextRunAt, T0 + 5 * MIN + 120 * MIN);
    active = true;
    await clock.tick(120 * MIN);
    assert.deepEqual(runs, [], 'a live run (any window) means no second run');
    active = false;
    await clock.tick(120 * MIN);
    assert.equal(runs.length, 1);
    runner.dispose();
  });

  it('turning the schedule off clears the timer and the next run time', async function () {
    const clock = fakeClock();
    const runs: number[] = [];
    const runner = new ScheduleRunner({ clock, random: () => 0, memento: new Memento(), isRunActive: () => false, startRun: async () => void runs.push(1) });
    const seen: Array<number | undefined> = [];
    runner.onDidChange((n) => seen.push(n));
    runner.configure(s);
    runner.configure({ ...s, enabled: false });
    assert.equal(runner.nextRunAt, undefined);
    assert.deepEqual(seen, [T0 + 10 * MIN, undefined]);
    await clock.tick(24 * 60 * MIN);
    assert.deepEqual(runs, []);
  });

  it('adaptive mode: each firing asks first and starts a run only when told to (the scan costs no GPU)', async function () {
    const clock = fakeClock();
    const runs: number[] = [];
    const logs: string[] = [];
    let asks = 0;
    const runner = new ScheduleRunner({
      clock,
      random: () => 0,
      memento: new Memento(),
      isRunActive: () => false,
      startRun: async () => void runs.push(clock.now()),
      shouldStart: async () => (++asks === 3 ? { start: true, reason: 'age' } : { start: false, reason: 'waiting' }),
      log: (m) => logs.push(m),
    });
    runner.configure({ ...s, intervalMinutes: 5, firstRunDelayMinutes: 0, jitterSeconds: 0 });
    await clock.tick(11 * MIN);
    assert.equal(asks, 3, 'asked at 0, 5 and 10 min');
    assert.deepEqual(runs, [T0 + 10 * MIN]);
    assert.ok(logs.some((l) => /not starting a run: waiting/.test(l)));
    runner.dispose();
  });
});
