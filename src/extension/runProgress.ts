/**
 * The progress notification of a run this window started: phase and "chunk 3 of 12" with a bar
 * that reaches 100 % at the last chunk, and Cancel (the notification's button) sends the run
 * SIGTERM. No vscode import (progress and token are the shapes withProgress hands over), so it is
 * unit-tested with fakes.
 */
import type { BatchEvent } from '../core/events';
import type { TrackedRun } from './runProcess';
import { plural } from '../core/plural';

interface Sub {
  dispose(): void;
}
export interface ProgressLike {
  report(value: { message?: string; increment?: number }): void;
}
export interface CancelTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => unknown): Sub;
}
export interface RunSource {
  onEvent(listener: (e: { run: TrackedRun; event: BatchEvent }) => void): Sub;
  whenEnded(run: TrackedRun): Promise<TrackedRun>;
  cancel(run: TrackedRun): boolean;
}

/** Follows `run` until it ends; resolves with the ended run (cancelled runs end too: with their report). */
export async function followRun(src: RunSource, run: TrackedRun, progress: ProgressLike, token: CancelTokenLike): Promise<TrackedRun> {
  const same = (r: TrackedRun) => r === run || r.state.pid === run.state.pid;
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    progress.report({ message: 'Cancelling... finished transcripts stay, the GPU is stopped, the report is written' });
    src.cancel(run);
  };
  const subs: Sub[] = [token.onCancellationRequested(cancel)];
  if (token.isCancellationRequested) cancel();
  let shown = 0;
  subs.push(
    src.onEvent(({ run: r, event }) => {
      if (!same(r) || cancelled) return;
      if (event.type === 'run.phase') progress.report({ message: event.phase });
      else if ((event.type === 'chunk.done' || event.type === 'chunk.failed') && r.total) {
        const pct = Math.min(100, (r.done / r.total) * 100);
        progress.report({ message: `chunk ${r.done} of ${r.total}${r.failed ? ` (${r.failed} failed)` : ''}`, increment: pct - shown });
        shown = pct;
      }
    }),
  );
  try {
    return await src.whenEnded(run);
  } finally {
    for (const s of subs) s.dispose();
  }
}

/**
 * The message when a run of this window ends. A run cancelled here is not a problem: "Cancelled:
 * 2 transcribed, 7 still pending" as information, not a warning naming the report's "partial".
 */
export function runEndMessage(run: TrackedRun, cancelled: boolean): { level: 'info' | 'warn'; text: string } {
  const transcribed = run.done - run.failed;
  const failed = run.failed ? `, ${run.failed} failed` : '';
  if (cancelled) {
    const left = Math.max(0, run.total - run.done);
    return { level: run.failed ? 'warn' : 'info', text: `Cancelled: ${transcribed} transcribed${failed}, ${left} still pending.` };
  }
  const status = run.status ?? 'unknown';
  const ok = status === 'success' || status === 'skipped';
  return {
    level: ok ? 'info' : 'warn',
    text: `Whisper Batch run ${status}: ${transcribed} transcribed${failed}${run.total > run.done && !ok ? `, ${plural(run.total - run.done, 'chunk')} still pending` : ''}.`,
  };
}
