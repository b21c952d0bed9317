/**
 * The report viewer's HTML shell, with no vscode import so unit tests can check it. It holds no
 * report data at all: the page gets its data by message after its `ready` handshake.
 */
import { randomBytes } from 'node:crypto';

export interface ReportPageParts {
  /** webview.cspSource */
  cspSource: string;
  /** webview.asWebviewUri(dist/webviews/report.js) */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webviews/report.css) */
  styleUri: string;
  nonce: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

export function reportCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`, `img-src ${cspSource} data:`, `font-src ${cspSource}`].join('; ');
}

export const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderReportPage(p: ReportPageParts): string {
  return renderWebviewShell(p, reportCsp(p.cspSource, p.nonce), 'Whisper Batch reports', 'Loading reports…');
}

/** A webview page that holds no data: its stylesheet, a busy placeholder and its one script, under `csp`. */
export function renderWebviewShell(p: ReportPageParts, csp: string, title: string, placeholder: string): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(p.nonce)) throw new Error('nonce must be 16+ alphanumeric characters');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(p.styleUri)}" nonce="${p.nonce}">
<title>${attr(title)}</title>
</head>
<body>
<div id="app" aria-busy="true"><p class="muted">${attr(placeholder)}</p></div>
<script nonce="${p.nonce}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
