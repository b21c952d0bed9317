/**
 * The Listen view in real Chromium: the real shell (its CSP: media only from blob:) and the real
 * bundle on 127.0.0.1, VS Code replaced by the acquireVsCodeApi stand-in of reportViewPage.ts. A
 * synthetic 4 s WAV plays; the highlighted word follows playback; a click on a word seeks to it;
 * hostile words stay text.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { wavOf } from '../../src/core/listenAudio';
import type { ToListenView } from '../../src/core/listenProtocol';
import { makeNonce } from '../../src/extension/reportHtml';
import { renderListenPage } from '../../src/extension/listenHtml';
import { CHROMIUM_ARGS, CHROMIUM_PATH, repoRoot, standIn, themeCss } from '../support/reportViewPage';

declare global {
  interface Window {
    __posted: unknown[];
    __csp: string[];
  }
}

const XSS = '<img src=x onerror=alert(1)>';

async function bundle(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dev tool, loaded only by tests
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-listen-view-'));
  await esbuild.build({
    entryPoints: [path.join(repoRoot(), 'webviews/listen/main.ts')],
    outfile: path.join(outdir, 'listen.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
  });
  return outdir;
}

/** 4 s of a quiet 440 Hz tone, 16 kHz mono s16. */
function tone(seconds: number): Uint8Array {
  const n = seconds * 16000;
  const pcm = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) pcm.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), i * 2);
  return new Uint8Array(wavOf(pcm));
}

describe('Listen view webview (Chromium) @integration', function () {
  this.timeout(60_000);
  let dir: string;
  let server: http.Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];

  before(async function () {
    dir = await bundle();
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (type: string, body: string | Buffer) => (res.writeHead(200, { 'content-type': type }), res.end(body));
      if (u.pathname === '/') {
        const nonce = makeNonce();
        const html = renderListenPage({ cspSource: origin, scriptUri: `${origin}/dist/listen.js`, styleUri: `${origin}/dist/listen.css`, nonce })
          .replace('<title>', `<link rel="stylesheet" href="${origin}/theme/dark.css"><title>`)
          .replace(`<script nonce="${nonce}" src=`, `<script nonce="${nonce}">${standIn(null)}</script>\n<script nonce="${nonce}" src=`);
        return send('text/html; charset=utf-8', html);
      }
      if (u.pathname === '/theme/dark.css') return send('text/css', themeCss('dark'));
      const f = /^\/dist\/(listen\.(?:js|css))$/.exec(u.pathname);
      if (f) return send(f[1].endsWith('.js') ? 'text/javascript' : 'text/css', fs.readFileSync(path.join(dir, f[1])));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  after(async function () {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async function () {
    page = await browser.newPage();
    dialogs = [];
    page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.__posted?.some((m) => (m as { type: string }).type === 'ready'));
  });

  afterEach(async function () {
    const csp = await page.evaluate(() => window.__csp).catch(() => []);
    await page.close();
    assert.deepEqual(csp, [], 'no Content-Security-Policy violation');
  });

  async function send(m: ToListenView): Promise<void> {
    // A Uint8Array survives the structured clone VS Code uses; here it is rebuilt from a plain array.
    const audio = Array.from(m.type === 'listen' ? m.audio : []);
    await page.evaluate(
      ([json, bytes]) => {
        const data = JSON.parse(json as string);
        if (data.type === 'listen') data.audio = new Uint8Array(bytes as number[]);
        window.dispatchEvent(new MessageEvent('message', { data }));
      },
      [JSON.stringify({ ...m, audio: undefined }), audio] as const,
    );
  }

  const listen = (): ToListenView => ({
    type: 'listen',
    title: 'Sun, 9 Nov 2025, 14:32',
    subtitle: `alice · ${XSS}`,
    mime: 'audio/wav',
    audio: tone(4),
    chunks: [
      { name: 'chunk-001', start: 0, duration: 2, state: 'transcribed' },
      { name: 'chunk-002', start: 2, duration: 2, state: 'transcribed' },
      { name: 'chunk-003', start: null, duration: 0, state: 'missing' },
    ],
    words: [
      { text: 'one', start: 0, end: 0.6, chunk: 0 },
      { text: XSS, start: 0.7, end: 1.4, chunk: 0 },
      { text: 'three', start: 1.5, end: 2.2, chunk: 1 },
      { text: 'four', start: 2.4, end: 3.1, chunk: 1 },
      { text: 'five', start: 3.2, end: 3.9, chunk: 1 },
    ],
  });

  const currentWord = () => page.evaluate(() => document.querySelector('.word.current')?.textContent ?? null);

  it('shows the words as text (a hostile word too), the chunks, and the missing one marked', async function () {
    await send(listen());
    await page.waitForSelector('audio');
    assert.deepEqual(await page.locator('.word').allTextContents(), ['one', XSS, 'three', 'four', 'five']);
    assert.equal(await page.locator('img, iframe, [onerror]').count(), 0);
    assert.deepEqual(await page.locator('.chunk-name').allTextContents(), ['chunk-001', 'chunk-002', 'chunk-003 · no transcript yet']);
    assert.ok(((await page.locator('header').textContent()) ?? '').includes(XSS));
    await page.waitForTimeout(200);
    assert.deepEqual(dialogs, []);
  });

  it('a click on a word plays from it, and the highlight moves with playback', async function () {
    await send(listen());
    await page.waitForFunction(() => (document.querySelector('audio') as HTMLAudioElement | null)?.readyState === 4);
    assert.equal(await currentWord(), null);
    await page.locator('.word', { hasText: 'three' }).click();
    assert.equal(await currentWord(), 'three');
    assert.ok(Math.abs((await page.evaluate(() => document.querySelector('audio')!.currentTime)) - 1.5) < 0.05);
    // The click was a user gesture: playback may start. The highlight follows the audio's clock.
    const played = await page.evaluate(() =>
      document
        .querySelector('audio')!
        .play()
        .then(() => 'playing')
        .catch((e) => String(e)),
    );
    if (played === 'playing') await page.waitForFunction(() => document.querySelector('.word.current')?.textContent === 'five', undefined, { timeout: 10_000 });
    else {
      // No audio output here: drive the clock as playback would.
      await page.evaluate(() => (document.querySelector('audio')!.currentTime = 3.5));
      await page.waitForFunction(() => document.querySelector('.word.current')?.textContent === 'five');
    }
    assert.equal(await page.locator('.word.current').count(), 1, 'one word highlighted');
    const posted = await page.evaluate(() => window.__posted.filter((m) => (m as { type: string }).type === 'played').map((m) => (m as { word: number }).word));
    assert.deepEqual(posted.slice(0, 1), [2]);
    assert.equal(posted[posted.length - 1], 4);
    console.log(`      playback: ${played}; words highlighted in turn: ${posted.join(', ')}`);
  });
});
