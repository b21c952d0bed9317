/** The Reports view: the runs' reports from the store, newest first; a click opens the viewer. */
import { uiText } from '../core/safeText';
import * as vscode from 'vscode';
import { humanDuration, usd } from '../core/cost';
import { ranOnGpu, type ReportSummary } from '../core/report/model';
import { Disposable } from './lifecycle';
import { plural } from '../core/plural';

export class ReportsTree extends Disposable implements vscode.TreeDataProvider<ReportSummary> {
  private readonly changed = this._register(new vscode.EventEmitter<ReportSummary | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private reports: ReportSummary[] = [];

  get items(): readonly ReportSummary[] {
    return this.reports;
  }

  /** Newest first by run time (report names of runs in the same minute do not sort by time). */
  set(reports: ReportSummary[]): void {
    this.reports = [...reports].sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
    this.changed.fire(undefined);
  }

  getChildren(node?: ReportSummary): ReportSummary[] {
    return node ? [] : this.reports;
  }

  getTreeItem(r: ReportSummary): vscode.TreeItem {
    const item = new vscode.TreeItem(new Date(r.timestamp).toLocaleString(), vscode.TreeItemCollapsibleState.None);
    item.id = r.key;
    // A cost only where the GPU billed something (a local run or a skipped run costs nothing).
    const chunks = plural(r.chunksTranscribed, 'chunk');
    item.description = `${uiText(r.status)} · ${chunks}${r.chunksFailed ? `, ${r.chunksFailed} failed` : ''}${ranOnGpu(r) && r.costUSD > 0 ? ` · ${usd(r.costUSD)}` : ''}`;
    item.tooltip = `${uiText(r.reportId)}\nStatus: ${uiText(r.status)}\nTranscribed: ${r.chunksTranscribed}, failed: ${r.chunksFailed}${ranOnGpu(r) ? `\nGPU: ${humanDuration(r.runtimeSeconds)}, ${usd(r.costUSD)}` : ''}\n${uiText(r.key)}`;
    item.contextValue = `report:${r.status}`;
    item.iconPath = new vscode.ThemeIcon(
      r.status === 'success' ? 'pass' : r.status === 'skipped' ? 'circle-slash' : r.status === 'partial' ? 'warning' : 'error',
      new vscode.ThemeColor(r.status === 'success' ? 'testing.iconPassed' : r.status === 'skipped' ? 'disabledForeground' : r.status === 'partial' ? 'list.warningForeground' : 'testing.iconFailed'),
    );
    item.command = { command: 'whisperBatch.openReports', title: 'Open Report', arguments: [r.key] };
    return item;
  }
}
