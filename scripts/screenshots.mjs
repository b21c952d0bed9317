// Makes docs/screenshots/sidebar-dark.png and sidebar-light.png from the real extension in
// code-server (suite `screenshots` of test/vscode), and the report viewer's shots when its suite
// exists. Needs `node esbuild.mjs` first.   node scripts/screenshots.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'screenshots');
fs.mkdirSync(out, { recursive: true });
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (run('bash', [path.join(root, 'test/vscode-host/install.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) process.exit(2);

const themes = { dark: 'Default Dark Modern', light: 'Default Light Modern' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-shots-'));
let failed = 0;
try {
  for (const [name, theme] of Object.entries(themes)) {
    const settings = path.join(tmp, `${name}.json`);
    fs.writeFileSync(settings, JSON.stringify({ 'workbench.colorTheme': theme, 'window.zoomLevel': 0, 'workbench.sideBar.location': 'left' }));
    const workspace = path.join(tmp, `ws-${name}`);
    fs.mkdirSync(workspace, { recursive: true });
    const r = run(process.execPath, [path.join(root, 'test/vscode-host/run-extension-tests.mjs'), '--extension', root, '--tests', path.join(root, 'out/test/vscode/index.js'), '--workspace', workspace, '--settings', settings, '--timeout', '240'], {
      env: { ...process.env, WB_VSCODE_SUITE: 'screenshots', WB_SCREENSHOT_DIR: out, WB_SCREENSHOT_THEME: name, WHISPER_BATCH_RUNS_DIR: path.join(tmp, `runs-${name}`) },
    });
    if (r.status !== 0) failed++;
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? 'some screenshots failed' : `screenshots in ${path.relative(root, out)}`);
process.exit(failed ? 1 : 0);
