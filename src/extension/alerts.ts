/**
 * What needs a human after a run: one notification per NEW monitoring alert (src/core/monitorCheck.ts
 * keeps which metrics are in alert in the store, so other windows and the CLI timer do not repeat
 * it), and for the timed runner a run that failed or stopped without a report.
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { checkMonitoring } from '../core/monitorCheck';
import { noticesAfterRun, type Notice } from '../core/notify';
import type { EndedRun } from './runs';
import type { GpuStatusBar } from './gpuStatusBar';
import { notify } from './safeUi';

/**
 * Sends notices to the webhook and SNS topic (notify.*). The run's own failure is not among them:
 * the CLI run this window started sends that itself (it has the webhook URL in its environment).
 */
export type SendNotices = (notices: Notice[]) => Promise<string[]>;

export async function alertAfterRun(
  ended: EndedRun,
  check: Parameters<typeof checkMonitoring>[0],
  status: Pick<GpuStatusBar, 'update'>,
  log: vscode.LogOutputChannel,
  send?: SendNotices,
): Promise<string[]> {
  const res = await checkMonitoring(check).catch((e) => {
    log.warn(`monitoring check failed: ${describeError(e)}`);
    return undefined;
  });
  if (res) status.update({ alerts: res.monitoring.alerts.map((a) => a.label) });
  if (res?.problem) log.warn(`monitoring: ${res.problem}; replaced by the current alert state`);
  const outgoing = noticesAfterRun({ fresh: res?.fresh ?? [], store: check.store.description, settings: check.settings.notify });
  if (send && outgoing.length) for (const p of await send(outgoing).catch((e) => [describeError(e)])) log.warn(`notification not sent: ${p}`);
  const notices = (res?.fresh ?? []).map((m) => `${m.label}: ${m.detail} (alert ${m.alert}).`);
  if (ended.origin === 'scheduled' && ended.run.status === 'exited') notices.unshift('The scheduled run stopped without a report (see the log).');
  if (ended.origin === 'scheduled' && ended.run.status === 'failed') notices.unshift(`The scheduled run failed${ended.run.reportKey ? ` (${ended.run.reportKey})` : ''}.`);
  for (const n of notices) {
    log.warn(`monitoring: ${n}`);
    void notify.warn(`Whisper Batch: ${n}`, 'Show Log', 'Open Reports').then((p) => {
      if (p === 'Show Log') log.show();
      if (p === 'Open Reports') void vscode.commands.executeCommand('whisperBatch.openReports', ended.run.reportKey);
    });
  }
  return notices;
}
