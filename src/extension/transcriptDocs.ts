/**
 * A session's transcript in a read-only editor tab: a virtual document of our own scheme, its text
 * from core/sessionTranscript (every chunk in order, segment times, missing and failed chunks
 * marked in place). The session is named in the URI's query (JSON), never in its path, so no id
 * can make a path; the tab title is a cleaned-up label. Opened from a report's sessions table, the
 * query also names that report: the chunks its run failed on are marked FAILED with its error.
 */
import * as vscode from 'vscode';
import type { SessionRef } from '../core/layout';
import { sessionLabel } from '../core/sessionLabel';
import { readReport } from '../core/report/reportStore';
import { failuresOf, loadSessionTranscript, renderTranscript, type RunFailures } from '../core/sessionTranscript';
import type { SettingsState } from './settingsState';

export const TRANSCRIPT_SCHEME = 'whisper-batch';

export interface TranscriptRef extends SessionRef {
  /** The report whose failed chunks to mark (a key under the reports prefix). */
  reportKey?: string;
}

export function transcriptUri(ref: TranscriptRef): vscode.Uri {
  const label =
    sessionLabel(ref.sessionId)
      .replace(/[^\p{L}\p{N} ,:._-]+/gu, '_')
      .slice(0, 80) || 'session';
  return vscode.Uri.from({ scheme: TRANSCRIPT_SCHEME, path: `/${label}.transcript.txt`, query: JSON.stringify({ u: ref.userId, s: ref.sessionId, ...(ref.reportKey ? { r: ref.reportKey } : {}) }) });
}

export function refOfUri(uri: vscode.Uri): TranscriptRef | undefined {
  try {
    const q = JSON.parse(uri.query) as { u?: unknown; s?: unknown; r?: unknown };
    if (typeof q.u !== 'string' || typeof q.s !== 'string') return undefined;
    return { userId: q.u, sessionId: q.s, ...(typeof q.r === 'string' ? { reportKey: q.r } : {}) };
  } catch {
    return undefined;
  }
}

export class TranscriptDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly settings: SettingsState) {}

  static register(settings: SettingsState): { provider: TranscriptDocuments; disposable: vscode.Disposable } {
    const provider = new TranscriptDocuments(settings);
    return { provider, disposable: vscode.Disposable.from(vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, provider), provider.changed) };
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const ref = refOfUri(uri);
    if (!ref) return 'Not a Whisper Batch transcript address.\n';
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    const layout = this.settings.layout;
    const store = this.settings.store();
    const [t, failures] = await Promise.all([loadSessionTranscript(store, layout, ref, ac.signal), this.failures(ref)]);
    return renderTranscript(t, { chunkName: (n) => layout.chunkName(n), failures });
  }

  /** The named report's failures for this session; only a report key of the layout is ever read. */
  private async failures(ref: TranscriptRef): Promise<RunFailures | undefined> {
    if (!ref.reportKey || !this.settings.layout.isReportKey(ref.reportKey)) return undefined;
    const report = await readReport(this.settings.store(), ref.reportKey).catch(() => undefined);
    if (!report) return undefined;
    const when = new Date(report.timestamp);
    return { run: `the run of ${Number.isFinite(when.getTime()) ? when.toLocaleString() : report.reportId}`, chunks: failuresOf(report, ref) };
  }

  /** After a run: open transcript tabs show the new text. */
  refreshOpen(): void {
    for (const d of vscode.workspace.textDocuments) if (d.uri.scheme === TRANSCRIPT_SCHEME) this.changed.fire(d.uri);
  }
}

export async function openTranscript(ref: TranscriptRef): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(transcriptUri(ref));
  return vscode.window.showTextDocument(doc, { preview: true });
}
