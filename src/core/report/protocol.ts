/**
 * Messages between the report viewer webview (webviews/report) and its host (src/extension/reportPanel).
 * The webview imports only the types; the host checks every incoming message with `isFromReportView`
 * because page input is untrusted.
 */
import type { BatchReport, Monitoring, ReportSummary } from './model';

/** Host -> webview. */
export type ToReportView =
  /** Sent after `ready`: the list, and the open report if the page asked for one. */
  | { type: 'init'; reports: ReportSummary[]; selectedKey?: string; report?: BatchReport; monitoring?: Monitoring }
  | { type: 'reports'; reports: ReportSummary[]; monitoring?: Monitoring }
  | { type: 'report'; key: string; report: BatchReport }
  | { type: 'error'; message: string; key?: string };

/** Webview -> host. */
export type FromReportView =
  /** The page has loaded; `selectedKey` is the report it showed before it was hidden (from its state). */
  | { type: 'ready'; selectedKey?: string }
  | { type: 'open'; key: string }
  | { type: 'refresh' }
  /** Open this session's transcript (a row of the sessions table of the report `key`). */
  | { type: 'openTranscript'; key: string; userId: string; sessionId: string };

/** State the page keeps with setState, so hiding and restoring (and the serializer) keep the view. */
export interface ReportViewState {
  selectedKey?: string;
  tab?: 'report' | 'trends';
  filter?: string;
  sortKey?: string;
  sortDesc?: boolean;
}

const MAX_KEY = 1024;

function isKey(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY;
}

/**
 * `isReportKey` is the layout's (BucketLayout.isReportKey): the page shows bucket text, so a key it
 * sends is read only if it is a report directly under the reports prefix, never any other object.
 */
export function isFromReportView(m: unknown, isReportKey: (key: string) => boolean): m is FromReportView {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
      return o.selectedKey === undefined || (isKey(o.selectedKey) && isReportKey(o.selectedKey));
    case 'open':
      return isKey(o.key) && isReportKey(o.key);
    case 'refresh':
      return true;
    case 'openTranscript':
      // The host still checks that the report `key` lists this session before it opens anything.
      return isKey(o.key) && isReportKey(o.key) && isKey(o.userId) && isKey(o.sessionId);
    default:
      return false;
  }
}

/** Only the known fields of a restored state survive (it comes back from the page). */
export function sanitizeViewState(s: unknown): ReportViewState {
  if (typeof s !== 'object' || s === null) return {};
  const o = s as Record<string, unknown>;
  const out: ReportViewState = {};
  if (isKey(o.selectedKey)) out.selectedKey = o.selectedKey;
  if (o.tab === 'report' || o.tab === 'trends') out.tab = o.tab;
  if (typeof o.filter === 'string' && o.filter.length <= 500) out.filter = o.filter;
  if (typeof o.sortKey === 'string' && o.sortKey.length <= 40) out.sortKey = o.sortKey;
  if (typeof o.sortDesc === 'boolean') out.sortDesc = o.sortDesc;
  return out;
}
