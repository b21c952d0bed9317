/** Typed access to the webview API (acquireVsCodeApi may be called once per page). */
import type { FromReportView, ReportViewState } from '../../src/core/report/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post(m: FromReportView): void {
  api.postMessage(m);
}

export function loadState(): ReportViewState {
  const s = api.getState();
  return typeof s === 'object' && s !== null ? (s as ReportViewState) : {};
}

export function saveState(s: ReportViewState): void {
  api.setState(s);
}
