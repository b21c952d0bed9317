/**
 * The Listen view's HTML shell (no vscode import, unit-testable). No data in it: the audio arrives
 * by message as bytes and plays from a blob: URL, the only media source the CSP allows (no network).
 */
import { attr } from './reportHtml';

export interface ListenPageParts {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function listenCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`, `media-src blob:`, `font-src ${cspSource}`].join('; ');
}

export function renderListenPage(p: ListenPageParts): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(p.nonce)) throw new Error('nonce must be 16+ alphanumeric characters');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(listenCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(p.styleUri)}" nonce="${p.nonce}">
<title>Listen</title>
</head>
<body>
<div id="app" aria-busy="true"><p class="muted">Decoding the audio…</p></div>
<script nonce="${p.nonce}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
