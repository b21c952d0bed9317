/**
 * The report viewer's host side: one panel at a time, restored after a reload by a serializer,
 * fed by typed messages (src/core/report/protocol.ts). The HTML shell holds no data; everything
 * the page shows arrives after its `ready` message, and every message from the page is checked.
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import type { BucketLayout } from '../core/layout';
import { isFromReportView, sanitizeViewState, type FromReportView, type ToReportView } from '../core/report/protocol';
import { listReports, readReport } from '../core/report/reportStore';
import type { ObjectStore } from '../core/store/objectStore';
import type { ReportSummary } from '../core/report/model';
import type { Monitoring } from '../core/monitoring';
import { makeNonce, renderReportPage } from './reportHtml';

export interface ReportPanelDeps {
  store: ObjectStore;
  layout: BucketLayout;
  /** Where to log ignored messages and load errors (the extension's log channel). */
  log?: (line: string) => void;
  /** The monitoring targets for these reports (the viewer's Monitoring section). */
  monitoring?: (reports: ReportSummary[]) => Monitoring;
}

export interface ReportPanelOptions extends ReportPanelDeps {
  /** Report to open once the page is ready (e.g. "open this session's report"). */
  initialReportKey?: string;
}

export class ReportPanel {
  static readonly viewType = 'whisperBatch.report';
  private static current: ReportPanel | undefined;
  private static delivered = 0;

  /** How many reports (or report lists) a live page (one that said `ready`) has been handed in this window; tests wait on it. */
  static get reportsDelivered(): number {
    return ReportPanel.delivered;
  }

  private readonly disposables: vscode.Disposable[] = [];
  /** The report the page should open next; also the answer to stale `open` replies. */
  private wantedKey: string | undefined;
  /** The page's script ran (it said `ready`): what is posted from now on reaches a live page. */
  private pageReady = false;

  static show(context: vscode.ExtensionContext, opts: ReportPanelOptions): ReportPanel {
    const column = vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One;
    if (ReportPanel.current) {
      const p = ReportPanel.current;
      p.deps = opts;
      p.panel.reveal(column);
      if (opts.initialReportKey) void p.open(opts.initialReportKey);
      else void p.refresh();
      return p;
    }
    const panel = vscode.window.createWebviewPanel(ReportPanel.viewType, 'Whisper Batch Reports', column, webviewOptions(context));
    return (ReportPanel.current = new ReportPanel(panel, context, opts, opts.initialReportKey));
  }

  /** Re-lists the reports in the open panel, if any (call after a run wrote a new report). */
  static refreshOpen(): Promise<void> {
    return ReportPanel.current?.refresh() ?? Promise.resolve();
  }

  /** Registers the serializer that brings the panel back after a window reload. */
  static registerSerializer(context: vscode.ExtensionContext, getDeps: () => Promise<ReportPanelDeps>): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(ReportPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        panel.webview.options = webviewOptions(context);
        const deps = await getDeps();
        ReportPanel.current?.dispose();
        ReportPanel.current = new ReportPanel(panel, context, deps, sanitizeViewState(state).selectedKey);
      },
    });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private deps: ReportPanelDeps,
    initialKey: string | undefined,
  ) {
    this.wantedKey = initialKey;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'report.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    );
  }

  dispose(): void {
    if (ReportPanel.current === this) ReportPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }

  /** Re-lists the reports (after a run wrote a new one). */
  async refresh(): Promise<void> {
    try {
      const reports = await listReports(this.deps.store, this.deps.layout);
      this.post({ type: 'reports', reports, monitoring: this.deps.monitoring?.(reports) });
    } catch (e) {
      this.fail(e);
    }
  }

  async open(key: string): Promise<void> {
    this.wantedKey = key;
    try {
      const report = await readReport(this.deps.store, key);
      // A slower reply for a report the user has since left is dropped.
      if (this.wantedKey === key) this.post({ type: 'report', key, report });
    } catch (e) {
      if (this.wantedKey === key) this.fail(e, key);
    }
  }

  private html(): string {
    const w = this.panel.webview;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webviews');
    return renderReportPage({
      cspSource: w.cspSource,
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'report.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'report.css')).toString(),
      nonce: makeNonce(),
    });
  }

  private onMessage(m: unknown): void {
    if (!isFromReportView(m, (k) => this.deps.layout.isReportKey(k))) {
      this.deps.log?.(`report viewer: ignored a message of unknown shape or for a key that is not a report: ${safeType(m)}`);
      return;
    }
    void this.handle(m);
  }

  private async handle(m: FromReportView): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.pageReady = true;
        return this.init(this.wantedKey ?? m.selectedKey);
      case 'open':
        return this.open(m.key);
      case 'refresh':
        return this.refresh();
      case 'openTranscript':
        return this.openTranscript(m.key, m.userId, m.sessionId);
    }
  }

  /** A row of the sessions table: its transcript, if that report really lists the session (page input is untrusted). */
  private async openTranscript(key: string, userId: string, sessionId: string): Promise<void> {
    try {
      const report = await readReport(this.deps.store, key);
      if (!report.sessions.some((s) => s.userId === userId && s.sessionId === sessionId)) {
        this.deps.log?.(`report viewer: ignored a transcript request for a session that report does not list`);
        return;
      }
      await vscode.commands.executeCommand('whisperBatch.openTranscript', { userId, sessionId, reportKey: key });
    } catch (e) {
      this.fail(e, key);
    }
  }

  /** Full state for a (re)loaded page: the webview is rebuilt each time it is shown again. */
  private async init(selectedKey: string | undefined): Promise<void> {
    try {
      const reports = await listReports(this.deps.store, this.deps.layout);
      // Open Reports shows the newest report unless the page (or the caller) asked for another one.
      const key = selectedKey && reports.some((r) => r.key === selectedKey) ? selectedKey : reports[0]?.key;
      const report = key ? await readReport(this.deps.store, key) : undefined;
      this.post({ type: 'init', reports, selectedKey: key, report, monitoring: this.deps.monitoring?.(reports) });
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown, key?: string): void {
    const message = describeError(e);
    this.deps.log?.(`report viewer: ${key ? `could not read "${key}"` : 'could not list reports'}: ${message}`);
    this.post({ type: 'error', message, key });
  }

  private post(m: ToReportView): void {
    void this.panel.webview.postMessage(m).then((ok) => {
      if (ok && this.pageReady && (m.type === 'init' || m.type === 'report')) ReportPanel.delivered++;
    });
  }
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    // The page rebuilds from its saved state (getState/setState) and an `init` message instead.
    retainContextWhenHidden: false,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

function safeType(m: unknown): string {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? JSON.stringify(t.slice(0, 40)) : typeof m;
}
