/**
 * Entry point (bundled to dist/extension.js, `vscode` external), activated on start-up finished so
 * that the timed runner and the GPU watch work with no view opened. Activation builds the views,
 * the status bar, the commands and the timed runner; it loads no AWS SDK and scans nothing until
 * a view is shown, a command runs or a scheduled run is due. Returns the tests' API (testApi.ts).
 */
import * as vscode from 'vscode';
import { App } from './app';
import { registerCommands } from './commands';
import { PendingTree } from './pendingTree';
import { registerReportSerializer, reportsDelivered } from './reportsLink';
import { awsSdkRequested } from './storeAccess';
import { testApi, type WhisperBatchApi } from './testApi';
import { TranscriptDocuments } from './transcriptDocs';
import { plural } from '../core/plural';

export type { WhisperBatchApi } from './testApi';

/** When this bundle's module code had run (performance.now(), the extension host's clock): for the benchmark. */
const moduleEvaluatedAt = performance.now();

export function activate(context: vscode.ExtensionContext): WhisperBatchApi {
  const t0 = performance.now();
  const app = new App({ context, runsDir: process.env.WHISPER_BATCH_RUNS_DIR || undefined });
  context.subscriptions.push(app);

  const pendingTree = new PendingTree(app.model, app.clock);
  const pendingView = vscode.window.createTreeView('whisperBatch.pending', { treeDataProvider: pendingTree, showCollapseAll: true });
  const reportsView = vscode.window.createTreeView('whisperBatch.reports', { treeDataProvider: app.reports.tree });
  context.subscriptions.push(pendingTree, pendingView, reportsView);

  // Badge = missing chunks; the view message says what the tree cannot (errors, empty, untrusted).
  const renderPendingChrome = () => {
    const t = app.model.totals;
    pendingView.badge = t && t.missingChunks ? { value: t.missingChunks, tooltip: `${plural(t.missingChunks, 'chunk')} without transcript` } : undefined;
    const parts: string[] = [];
    if (app.model.lastError) parts.push(`Scan failed: ${app.model.lastError}`);
    // Nothing waiting: the view's welcome content says so and offers Browse Transcripts.
    const empty = !app.model.lastError && !!t && !t.pendingSessions && !t.deferredSessions;
    void vscode.commands.executeCommand('setContext', 'whisperBatch.nothingPending', empty);
    if (!app.settings.trusted) parts.push('Restricted mode: no runs from an untrusted workspace.');
    pendingView.message = parts.join(' ') || undefined;
    // A cost only means something on the GPU; the local host costs nothing per hour.
    pendingView.description = t ? `${t.missingChunks} missing${app.settings.current.host.kind === 'ec2' ? ` · ~${t.estimatedCost}` : ''}` : undefined;
  };
  context.subscriptions.push(app.model.onDidChange(renderPendingChrome));
  renderPendingChrome();

  // First data when a view is first shown; auto-refresh only while one is visible.
  let loaded = false;
  const onVisible = (id: string, visible: boolean) => {
    app.autoRefresh.setViewVisible(id, visible);
    if (visible && !loaded && app.settings.configured) {
      loaded = true;
      void app.scanner.scan().catch(() => undefined);
      void app.reports.refresh();
      void app.host.refresh();
    }
  };
  context.subscriptions.push(
    pendingView.onDidChangeVisibility((e) => onVisible('pending', e.visible)),
    reportsView.onDidChangeVisibility((e) => onVisible('reports', e.visible)),
  );
  if (pendingView.visible) onVisible('pending', true);
  if (reportsView.visible) onVisible('reports', true);

  const transcripts = TranscriptDocuments.register(app.settings);
  context.subscriptions.push(
    transcripts.disposable,
    app.runs.onDidEnd(() => transcripts.provider.refreshOpen()),
  );
  context.subscriptions.push(...registerCommands(app, context));
  context.subscriptions.push(
    registerReportSerializer(context, async () => ({ store: app.settings.store(), layout: app.settings.layout, log: (l) => app.log.info(l), monitoring: (r) => app.monitoringFor(r) })),
  );

  const t1 = performance.now();
  return testApi({
    app,
    pendingTree,
    pendingView: pendingView as vscode.TreeView<unknown>,
    awsSdkRequested,
    reportsDelivered,
    timing: { moduleEvaluatedAt, activateStartedAt: t0, activateEndedAt: t1 },
  });
}

export function deactivate(): void {
  // Runs are separate processes: closing the window leaves them running (they stop the GPU themselves).
}
