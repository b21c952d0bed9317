/**
 * Serves the report viewer outside VS Code, for the Chromium tests and the screenshot script: the
 * real page shell (src/extension/reportHtml.ts, with its CSP) and the real bundle, plus two stand-ins
 * for what VS Code provides: `acquireVsCodeApi` (records posted messages and state) and the
 * --vscode-* theme variables (copied from the Light Modern / Dark Modern themes).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeNonce, renderReportPage } from '../../src/extension/reportHtml';

export type Theme = 'light' | 'dark';

/** The repository root (this file runs from out/test/support or from test/support). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'webviews'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

/** Bundles webviews/report/main.ts the way esbuild.mjs does, into a fresh temporary folder. */
export async function buildReportBundle(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dev tool, loaded only by tests
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-report-view-'));
  await esbuild.build({
    entryPoints: [path.join(repoRoot(), 'webviews/report/main.ts')],
    outfile: path.join(outdir, 'report.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
  });
  return outdir;
}

const COMMON: Record<string, string> = {
  'font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", "monospace", monospace',
};

export const THEMES: Record<Theme, Record<string, string>> = {
  light: {
    ...COMMON,
    foreground: '#3b3b3b',
    'editor-background': '#ffffff',
    descriptionForeground: '#717171',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-border': '#0000001a',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    focusBorder: '#005fb8',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'editorWidget-background': '#f8f8f8',
    'list-hoverBackground': '#f2f2f2',
    'list-activeSelectionBackground': '#e8e8e8',
    'list-activeSelectionForeground': '#000000',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    errorForeground: '#a1260d',
    'editorWarning-foreground': '#bf8803',
    'testing-iconPassed': '#388a34',
    'charts-foreground': '#616161',
    'charts-lines': 'rgba(97, 97, 97, 0.5)',
    'charts-red': '#e51400',
    'charts-blue': '#1a85ff',
    'charts-yellow': '#bf8803',
    'charts-orange': '#d18616',
    'charts-green': '#388a34',
    'charts-purple': '#652d90',
    'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
    'panelTitle-activeBorder': '#005fb8',
    'panelTitle-activeForeground': '#3b3b3b',
    'inputValidation-errorBackground': '#f2dede',
    'keybindingTable-headerBackground': 'rgba(59, 59, 59, 0.04)',
    'keybindingTable-rowsBackground': 'rgba(59, 59, 59, 0.04)',
    'textLink-foreground': '#005fb8',
  },
  dark: {
    ...COMMON,
    foreground: '#cccccc',
    'editor-background': '#1f1f1f',
    descriptionForeground: '#9d9d9d',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-border': '#ffffff12',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    focusBorder: '#0078d4',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'editorWidget-background': '#202020',
    'list-hoverBackground': '#2a2d2e',
    'list-activeSelectionBackground': '#04395e',
    'list-activeSelectionForeground': '#ffffff',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'input-placeholderForeground': '#989898',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#cca700',
    'testing-iconPassed': '#73c991',
    'charts-foreground': '#cccccc',
    'charts-lines': 'rgba(204, 204, 204, 0.5)',
    'charts-red': '#f14c4c',
    'charts-blue': '#3794ff',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-green': '#89d185',
    'charts-purple': '#b180d7',
    'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
    'panelTitle-activeBorder': '#0078d4',
    'panelTitle-activeForeground': '#cccccc',
    'inputValidation-errorBackground': '#5a1d1d',
    'keybindingTable-headerBackground': 'rgba(204, 204, 204, 0.04)',
    'keybindingTable-rowsBackground': 'rgba(204, 204, 204, 0.04)',
    'textLink-foreground': '#4daafc',
  },
};

export function themeCss(theme: Theme): string {
  return `html {\n${Object.entries(THEMES[theme])
    .map(([k, v]) => `  --vscode-${k}: ${v};`)
    .join('\n')}\n}\n`;
}

/** Stand-in for VS Code's acquireVsCodeApi: records what the page posts and the state it saves. */
export function standIn(initialState: unknown): string {
  return `
window.__posted = [];
window.__state = ${JSON.stringify(initialState ?? null).replace(/</g, '\\u003c')};
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
});
`;
}

export interface ReportViewServer {
  url(opts?: { theme?: Theme; state?: unknown }): string;
  origin: string;
  close(): Promise<void>;
}

/** Serves the page on 127.0.0.1 with the bundle found in `bundleDir` (report.js + report.css). */
export async function startReportViewServer(bundleDir: string): Promise<ReportViewServer> {
  const states = new Map<string, unknown>();
  let origin = '';
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (type: string, body: string | Buffer, status = 200) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (u.pathname === '/') {
      const theme: Theme = u.searchParams.get('theme') === 'dark' ? 'dark' : 'light';
      const nonce = makeNonce();
      const page = renderReportPage({ cspSource: origin, scriptUri: `${origin}/dist/report.js`, styleUri: `${origin}/dist/report.css`, nonce })
        // What VS Code adds around a webview: its theme variables, the theme class on <body>, and (here) the API stand-in.
        .replace('<title>', `<link rel="stylesheet" id="theme" href="${origin}/theme/${theme}.css"><title>`)
        .replace('<body>', `<body class="vscode-${theme}">`)
        .replace(`<script nonce="${nonce}" src=`, `<script nonce="${nonce}">${standIn(states.get(u.searchParams.get('state') ?? ''))}</script>\n<script nonce="${nonce}" src=`);
      return send('text/html; charset=utf-8', page);
    }
    const theme = /^\/theme\/(light|dark)\.css$/.exec(u.pathname);
    if (theme) return send('text/css', themeCss(theme[1] as Theme));
    const file = /^\/dist\/(report\.(?:js|css))$/.exec(u.pathname);
    if (file) return send(file[1].endsWith('.js') ? 'text/javascript' : 'text/css', fs.readFileSync(path.join(bundleDir, file[1])));
    send('text/plain', 'not found', 404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url(opts = {}) {
      const q = new URLSearchParams({ theme: opts.theme ?? 'light' });
      if (opts.state !== undefined) {
        const id = String(states.size + 1);
        states.set(id, opts.state);
        q.set('state', id);
      }
      return `${origin}/?${q}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const CHROMIUM_PATH = '/usr/bin/chromium';
