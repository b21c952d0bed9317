import * as assert from 'node:assert/strict';
import { Emitter, type BatchEvent } from '../../../src/core/events';
import { runEndMessage, followRun } from '../../../src/extension/runProgress';
import type { TrackedRun } from '../../../src/extension/runProcess';

const run = (pid: number): TrackedRun => ({ state: { pid, startedAt: '', eventsFile: '' }, stateFile: '', done: 0, failed: 0, total: 0, ended: false, offset: 0, partial: '' });

function fixture() {
  const events = new Emitter<{ run: TrackedRun; event: BatchEvent }>();
  const ended = new Emitter<TrackedRun>();
  const cancelled: number[] = [];
  const src = {
    onEvent: (l: (e: { run: TrackedRun; event: BatchEvent }) => void) => events.on(l),
    whenEnded: (r: TrackedRun) => new Promise<TrackedRun>((resolve) => ended.on((x) => x === r && resolve(x))),
    cancel: (r: TrackedRun) => (cancelled.push(r.state.pid), true),
  };
  const reports: Array<{ message?: string; increment?: number }> = [];
  const cancelEmitter = new Emitter<void>();
  const token = { isCancellationRequested: false, onCancellationRequested: (l: () => unknown) => cancelEmitter.on(() => void l()) };
  return { events, ended, cancelled, src, reports, progress: { report: (v: { message?: string; increment?: number }) => reports.push(v) }, token, cancelEmitter };
}

const chunk = (r: TrackedRun, done: number, total: number, failed = 0): { run: TrackedRun; event: BatchEvent } => {
  r.done = done;
  r.total = total;
  r.failed = failed;
  return { run: r, event: { type: failed ? 'chunk.failed' : 'chunk.done', key: 'k', sessionId: 's', index: done, total, seconds: 1, error: 'x' } as unknown as BatchEvent };
};

describe('extension/runProgress', function () {
  it('shows the phase and "chunk N of M" of its own run, the bar reaching 100 % at the last chunk', async function () {
    const f = fixture();
    const mine = run(1);
    const other = run(2);
    const done = followRun(f.src, mine, f.progress, f.token);
    f.events.emit({ run: mine, event: { type: 'run.phase', phase: 'host-start' } as BatchEvent });
    f.events.emit(chunk(other, 1, 2)); // another window's run: not ours to show
    f.events.emit(chunk(mine, 1, 4));
    f.events.emit(chunk(mine, 2, 4, 1));
    f.events.emit(chunk(mine, 4, 4, 1));
    f.ended.emit(mine);
    assert.equal(await done, mine);
    assert.deepEqual(
      f.reports.map((r) => r.message),
      ['host-start', 'chunk 1 of 4', 'chunk 2 of 4 (1 failed)', 'chunk 4 of 4 (1 failed)'],
    );
    assert.equal(
      f.reports.reduce((n, r) => n + (r.increment ?? 0), 0),
      100,
    );
    f.events.emit(chunk(mine, 4, 4));
    assert.equal(f.reports.length, 4, 'no report after the end (listeners disposed)');
  });

  it('Cancel on the notification cancels the run once, and still waits for its end (the report)', async function () {
    const f = fixture();
    const mine = run(7);
    let settled = false;
    const done = followRun(f.src, mine, f.progress, f.token).then((r) => ((settled = true), r));
    f.cancelEmitter.emit();
    f.cancelEmitter.emit();
    assert.deepEqual(f.cancelled, [7]);
    assert.match(f.reports.at(-1)!.message!, /^Cancelling\.\.\. finished transcripts stay/, 'said at once, before the run ends');
    await Promise.resolve();
    assert.equal(settled, false, 'the notification stays until the run ended');
    f.ended.emit(mine);
    assert.equal(await done, mine);
  });

  it('a run cancelled here ends as "Cancelled: 2 transcribed, 7 still pending" (information), not a warning naming "partial"', function () {
    const r = { ...run(7), done: 2, failed: 0, total: 9, ended: true, status: 'partial' };
    assert.deepEqual(runEndMessage(r, true), { level: 'info', text: 'Cancelled: 2 transcribed, 7 still pending.' });
    assert.deepEqual(runEndMessage({ ...r, done: 3, failed: 1 }, true), { level: 'warn', text: 'Cancelled: 2 transcribed, 1 failed, 6 still pending.' });
    // Not cancelled here: the report's status is the news.
    assert.deepEqual(runEndMessage(r, false), { level: 'warn', text: 'Whisper Batch run partial: 2 transcribed, 7 chunks still pending.' });
    assert.deepEqual(runEndMessage({ ...r, done: 9, status: 'success' }, false), { level: 'info', text: 'Whisper Batch run success: 9 transcribed.' });
  });
});
