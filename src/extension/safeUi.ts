/**
 * The extension's only way to show text to the user: notifications, modal dialogs, progress and
 * the log channel. Session ids, user ids and keys come from the bucket and reach these texts (in
 * error messages too), and VS Code renders a notification's `[text](command:...)` as a live link
 * and `$(name)` as an icon: every text goes through core/safeText here, so no call site can
 * forget it. test/unit/extension/safeUi.test.ts checks that nothing in src/extension calls the
 * vscode.window functions directly.
 */
import * as vscode from 'vscode';
import { terminalLines, uiText } from '../core/safeText';

type Rest = Array<string | vscode.MessageOptions | vscode.MessageItem>;

/** Items are our own literals; options carry a `detail` that may quote bucket text. */
function safeRest(rest: Rest): any[] {
  return rest.map((r) => (typeof r === 'object' && r !== null && 'detail' in r && typeof r.detail === 'string' ? { ...r, detail: uiText(r.detail) } : r));
}

export const notify = {
  info: (message: string, ...rest: Rest): Thenable<any> => vscode.window.showInformationMessage(uiText(message), ...safeRest(rest)),
  warn: (message: string, ...rest: Rest): Thenable<any> => vscode.window.showWarningMessage(uiText(message), ...safeRest(rest)),
  error: (message: string, ...rest: Rest): Thenable<any> => vscode.window.showErrorMessage(uiText(message), ...safeRest(rest)),
};

/** vscode.window.withProgress with the title and every reported message made safe. */
export function withSafeProgress<R>(
  options: vscode.ProgressOptions,
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
): Thenable<R> {
  return vscode.window.withProgress({ ...options, title: options.title === undefined ? undefined : uiText(options.title) }, (progress, token) =>
    task({ report: (v) => progress.report(v.message === undefined ? v : { ...v, message: uiText(v.message) }) }, token),
  );
}

const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine']);

/** The log channel, with every line made plain: a newline or ESC in a key cannot forge or hide a log line. */
export function safeLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !LOG_METHODS.has(prop) || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return (msg: unknown, ...args: unknown[]) => v.call(target, typeof msg === 'string' ? terminalLines(msg) : msg, ...args);
    },
  });
}
