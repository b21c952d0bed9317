import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WhisperBatchApi } from '../../src/extension/activate';

export const EXT_ID = 'whisper-batch.whisper-batch';

export async function activateExtension(): Promise<WhisperBatchApi> {
  const ext = vscode.extensions.getExtension<WhisperBatchApi>(EXT_ID);
  assert.ok(ext, `${EXT_ID} is installed`);
  return ext.activate();
}

export async function until<T>(get: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function setSetting(name: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('whisperBatch').update(name, value, vscode.ConfigurationTarget.Global);
}

/** Asks the harness for a screenshot at `file` and waits for it (no-op outside code-server). */
export async function screenshot(file: string): Promise<boolean> {
  const fs = await import('node:fs');
  fs.rmSync(file, { force: true });
  console.log(`[vscode-host] screenshot ${file}`);
  // The harness writes the file atomically once Chromium took the shot (slow on a loaded machine).
  for (let i = 0; i < 600 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  return fs.existsSync(file);
}

export interface WebviewProbe {
  frames: Array<{ url: string; count: number; texts: string[]; made: number; scripts: string[] }>;
  dialogs: string[];
}

/** Asks the harness what the webview pages hold for `selector` (code-server only; undefined elsewhere). */
export async function probeWebview(file: string, selector: string): Promise<WebviewProbe | undefined> {
  // The harness starts code-server with VSCODE_HOST_SCREENSHOT in its environment (the extension host inherits it).
  if (!('VSCODE_HOST_SCREENSHOT' in process.env)) return undefined;
  const fs = await import('node:fs');
  if (/\s/.test(selector)) throw new Error('probeWebview: the selector may not hold spaces');
  fs.rmSync(file, { force: true });
  console.log(`[vscode-host] probe-webview ${file} ${selector}`);
  for (let i = 0; i < 300 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as WebviewProbe) : undefined;
}

async function askHarness<T>(line: string, file: string, ms = 30_000): Promise<T | undefined> {
  if (!('VSCODE_HOST_SCREENSHOT' in process.env)) return undefined;
  const fs = await import('node:fs');
  fs.rmSync(file, { force: true });
  console.log(line);
  for (let i = 0; i < ms / 100 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

/** A real click (from Chromium) on the first element matching `selector` in a webview (code-server only). */
export async function clickInWebview(file: string, selector: string): Promise<{ clicked: number; url: string } | undefined> {
  if (/\s/.test(selector)) throw new Error('clickInWebview: the selector may not hold spaces');
  return askHarness(`[vscode-host] webview-click ${file} ${selector}`, file);
}

export interface MediaState {
  found: boolean;
  currentTime?: number;
  paused?: boolean;
  readyState?: number;
  error?: string | null;
}

/** Drives the first media element matching `selector` in a webview: a time in seconds, `play`, `pause` or `state`. */
export async function mediaInWebview(file: string, selector: string, what: number | 'play' | 'pause' | 'state'): Promise<MediaState | undefined> {
  if (/\s/.test(selector)) throw new Error('mediaInWebview: the selector may not hold spaces');
  return askHarness(`[vscode-host] webview-media ${file} ${selector} ${what}`, file);
}

export interface UiAnswer {
  /** palette: the commands offered; tree-menu: the row's context menu entries. */
  items?: string[];
  error?: string;
}

/**
 * Asks the harness (Chromium, as a user) what the workbench offers: `palette` types `>arg` into the
 * command palette, `tree-menu` right-clicks the side bar row whose text holds `arg`. Undefined
 * outside code-server.
 */
export async function askUi(file: string, action: 'palette' | 'tree-menu', arg = ''): Promise<UiAnswer | undefined> {
  return askHarness(`[vscode-host] ui ${file} ${action} ${encodeURIComponent(arg)}`, file, 60_000);
}
