/**
 * What activate() returns: a narrow, typed window into the extension for the in-editor tests and
 * the editor bench (test/vscode, bench/editorBench.ts). Reads and a few actions; the parts
 * themselves stay private to the extension.
 */
import type * as vscode from 'vscode';
import type { ReportSummary } from '../core/report/model';
import type { Settings } from '../core/settings';
import type { App, RunOrigin } from './app';
import type { GpuFacts, GpuPresentation } from './gpuStatus';
import type { IDisposable } from './lifecycle';
import type { PendingModel } from './pendingModel';
import type { PendingTree } from './pendingTree';
import type { BatchEvent } from '../core/events';
import type { TrackedRun } from './runProcess';
import { ListenPanel } from './listenPanel';

export interface WhisperBatchApi {
  activationMs: number;
  /** performance.now() marks of the extension host: bundle evaluated, activate() entered and returned (bench/editorBench.ts). */
  timing: { moduleEvaluatedAt: number; activateStartedAt: number; activateEndedAt: number };
  awsSdkRequested(): boolean;
  /** Reports handed to a report viewer page so far. */
  reportsDelivered(): number;
  log: { readonly name: string; readonly logLevel: number };
  settings(): Settings;
  problems(): readonly string[];
  configured(): boolean;
  pending: { model: PendingModel; tree: PendingTree; view: vscode.TreeView<unknown> };
  status: { presentation(): GpuPresentation; facts(): GpuFacts; update(change: Partial<GpuFacts>): void };
  reports: { items(): readonly ReportSummary[]; treeItem(r: ReportSummary): vscode.TreeItem; refresh(): Promise<void> };
  runs: {
    live(): TrackedRun[];
    onEvent(l: (e: { run: TrackedRun; event: BatchEvent }) => void): IDisposable;
    whenEnded(run: TrackedRun): Promise<TrackedRun>;
    start(origin: RunOrigin, sessionId?: string): Promise<TrackedRun>;
  };
  schedule: { nextRunAt(): number | undefined };
  /** Auto-refreshes run in this window so far. */
  autoRefreshes(): number;
  /** The Listen view: audio handed to a live page so far, and the word its page highlighted last (-1: none). */
  listen: { delivered(): number; playedWord(): number };
}

export interface TestApiParts {
  app: App;
  pendingTree: PendingTree;
  pendingView: vscode.TreeView<unknown>;
  awsSdkRequested(): boolean;
  reportsDelivered(): number;
  timing: WhisperBatchApi['timing'];
}

export function testApi(p: TestApiParts): WhisperBatchApi {
  const { app } = p;
  return {
    activationMs: p.timing.activateEndedAt - p.timing.activateStartedAt,
    timing: p.timing,
    awsSdkRequested: p.awsSdkRequested,
    reportsDelivered: p.reportsDelivered,
    log: app.log,
    settings: () => app.settings.current,
    problems: () => app.settings.problems,
    configured: () => app.settings.configured,
    pending: { model: app.model, tree: p.pendingTree, view: p.pendingView },
    status: { presentation: () => app.status.presentation, facts: () => app.status.currentFacts, update: (c) => app.status.update(c) },
    reports: { items: () => app.reports.items, treeItem: (r) => app.reports.tree.getTreeItem(r), refresh: () => app.reports.refresh() },
    runs: {
      live: () => app.runs.live,
      onEvent: (l) => app.runs.tracker.onEvent(l),
      whenEnded: (r) => app.runs.whenEnded(r),
      start: (o, s) => app.runs.startRun(o, s),
    },
    schedule: { nextRunAt: () => app.runner.nextRunAt },
    autoRefreshes: () => app.autoRefresh.runs,
    listen: { delivered: () => ListenPanel.audioDelivered, playedWord: () => ListenPanel.playedWord },
  };
}
