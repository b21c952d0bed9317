/**
 * What needs a human after a run: the timed runner is quiet unless a monitoring target is missed
 * or the run stopped without a report (monitoring.ts decides what is missed).
 */
import * as vscode from 'vscode';
import type { PendingJobs } from '../core/scan';
import type { ReportSummary } from '../core/report/model';
import { missedTargets } from './monitoring';
import type { EndedRun } from './runs';
import { notify } from './safeUi';

export function alertAfterRun(ended: EndedRun, recent: readonly ReportSummary[], pending: PendingJobs | undefined, log: vscode.LogOutputChannel): void {
  if (ended.origin !== 'scheduled') return;
  const missed = missedTargets(recent.slice(0, 10), pending);
  if (ended.run.status === 'exited') missed.unshift('The scheduled run stopped without a report (see the log).');
  if (!missed.length) return;
  void notify.warn(`Whisper Batch: ${missed.join(' ')}`, 'Show Log', 'Open Reports').then((p) => {
    if (p === 'Show Log') log.show();
    if (p === 'Open Reports') void vscode.commands.executeCommand('whisperBatch.openReports', ended.run.reportKey);
  });
}
