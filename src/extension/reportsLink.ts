/** The one link to the report viewer (written by the report engineer): adjust here if it moves. */
import type * as vscode from 'vscode';
import { ReportPanel, type ReportPanelOptions } from './reportPanel';

export async function openReportPanel(context: vscode.ExtensionContext, opts: ReportPanelOptions): Promise<void> {
  ReportPanel.show(context, opts);
}

export function registerReportSerializer(context: vscode.ExtensionContext, deps: () => Promise<Omit<ReportPanelOptions, 'initialReportKey'>>): vscode.Disposable {
  return ReportPanel.registerSerializer(context, deps);
}

/** After a run: an open viewer lists the new report. */
export function refreshOpenReports(): Promise<void> {
  return ReportPanel.refreshOpen();
}

/** Reports handed to a report viewer page so far (the in-editor tests wait on it before a screenshot). */
export function reportsDelivered(): number {
  return ReportPanel.reportsDelivered;
}
