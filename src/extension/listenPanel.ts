/**
 * The Listen view's host side: a webview panel per session (or chunk) with an audio player and the
 * words. The audio is decoded here (core/listenAudio.ts) and handed to the page as bytes after its
 * `ready` message; the page plays it from a blob: URL (no network, CSP in listenHtml.ts).
 */
import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import type { SessionRef } from '../core/layout';
import { loadListenAudio } from '../core/listenAudio';
import { isFromListenView, type ToListenView } from '../core/listenProtocol';
import { plural } from '../core/plural';
import { sessionLabel } from '../core/sessionLabel';
import { renderListenPage } from './listenHtml';
import { makeNonce } from './reportHtml';
import type { SettingsState } from './settingsState';

export interface ListenTarget extends SessionRef {
  chunk?: number;
}

export class ListenPanel {
  static readonly viewType = 'whisperBatch.listen';
  private static delivered = 0;
  private static lastWord = -2;
  /** Audio handed to a live page so far (tests wait on it). */
  static get audioDelivered(): number {
    return ListenPanel.delivered;
  }
  /** The word the newest page highlighted last (-1: none yet): follows playback, for tests. */
  static get playedWord(): number {
    return ListenPanel.lastWord;
  }

  static show(context: vscode.ExtensionContext, settings: SettingsState, target: ListenTarget, log: vscode.LogOutputChannel): void {
    const label = sessionLabel(target.sessionId);
    const title = `Listen: ${target.chunk !== undefined ? settings.layout.chunkName(target.chunk) : label}`.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
    const panel = vscode.window.createWebviewPanel(ListenPanel.viewType, title.slice(0, 60), vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webviews')],
    });
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webviews');
    const w = panel.webview;
    w.html = renderListenPage({
      cspSource: w.cspSource,
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'listen.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'listen.css')).toString(),
      nonce: makeNonce(),
    });
    const ac = new AbortController();
    const subs = [
      panel.onDidDispose(() => (ac.abort(), subs.forEach((d) => d.dispose()))),
      w.onDidReceiveMessage(async (m: unknown) => {
        if (!isFromListenView(m)) return log.warn('listen: ignored a message of unknown shape');
        if (m.type === 'played') return void (ListenPanel.lastWord = m.word);
        ListenPanel.lastWord = -1;
        const post = (x: ToListenView) => w.postMessage(x);
        try {
          const s = settings.current;
          const a = await loadListenAudio(settings.store(), settings.layout, target, { chunk: target.chunk, maxChunkBytes: s.run.maxChunkMegabytes * 1024 * 1024, signal: ac.signal });
          const seconds = a.wav.length / 32000;
          const subtitle = `${target.userId} · ${target.sessionId} · ${plural(a.chunks.length, 'chunk')}, ${plural(a.words.length, 'word')}, ${Math.round(seconds)} s (16 kHz mono, as the engine heard it)`;
          const ok = await post({
            type: 'listen',
            title: label,
            subtitle,
            words: a.words,
            chunks: a.chunks,
            audio: new Uint8Array(a.wav.buffer, a.wav.byteOffset, a.wav.byteLength),
            mime: 'audio/wav',
            note: a.cut ? `${plural(a.cut, 'more chunk')} after the first 30 minutes are not played here.` : undefined,
          });
          if (ok) ListenPanel.delivered++;
        } catch (e) {
          if (ac.signal.aborted) return;
          log.error(`listen: ${describeError(e)}`);
          await post({ type: 'error', message: `Could not load the audio: ${describeError(e)}` });
        }
      }),
    ];
  }
}
