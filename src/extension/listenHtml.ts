/**
 * The Listen view's HTML shell (no vscode import, unit-testable). No data in it: the audio arrives
 * by message as bytes and plays from a blob: URL, the only media source the CSP allows (no network).
 */
import { renderWebviewShell } from './reportHtml';

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
  return renderWebviewShell(p, listenCsp(p.cspSource, p.nonce), 'Listen', 'Decoding the audio…');
}
