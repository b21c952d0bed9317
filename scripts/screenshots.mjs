// Makes the screenshots in docs/screenshots from the real extension:
//   sidebar-{dark,light}.png        the sidebar, the status bar item (suite `screenshots` of test/vscode, code-server)
//   report-vscode-{light,dark}.png  the report viewer in its VS Code tab (suite `reportView`, code-server)
//   report[-trends]-{light,dark}.png the report viewer page alone, report and trends (scripts/screenshot-report.mjs, Chromium)
//   listen-{light,dark}.png, transcript-{light,dark}.png  the Listen view and the transcript tab (suite `listen`, code-server)
// Needs `node esbuild.mjs` first.   node scripts/screenshots.mjs [sidebar] [report] [listen] [dark|light]
// (no argument: all of them; dark/light picks the sidebar's themes)
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

const args = process.argv.slice(2);
const parts = args.filter((a) => a === 'sidebar' || a === 'report' || a === 'listen');
const want = (p) => !parts.length || parts.includes(p);
const allThemes = { dark: 'Default Dark Modern', light: 'Default Light Modern' };
const picked = args.filter((t) => t in allThemes);
const themes = Object.fromEntries(Object.entries(allThemes).filter(([k]) => !picked.length || picked.includes(k)));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-shots-'));
const failed = [];
const inEditor = (suite, name, settings, env = {}) => {
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ 'window.zoomLevel': 0, 'workbench.sideBar.location': 'left', 'workbench.view.alwaysShowHeaderActions': true, ...settings }));
  const workspace = path.join(tmp, `ws-${name}`);
  fs.mkdirSync(workspace, { recursive: true });
  const r = run(
    process.execPath,
    [
      path.join(root, 'test/vscode-host/run-extension-tests.mjs'),
      '--extension',
      root,
      '--tests',
      path.join(root, 'out/test/vscode/index.js'),
      '--workspace',
      workspace,
      '--settings',
      file,
      '--timeout',
      '300',
    ],
    {
      env: { ...process.env, WB_VSCODE_SUITE: suite, WB_SCREENSHOT_DIR: out, WHISPER_BATCH_RUNS_DIR: path.join(tmp, `runs-${name}`), ...env },
    },
  );
  if (r.status !== 0) failed.push(name);
};
try {
  if (want('sidebar'))
    for (const [name, theme] of Object.entries(themes))
      inEditor(
        'screenshots',
        `sidebar-${name}`,
        // The oldest fixture session is as old as its id (2026-11-20): over the 24 h pending alert, whose
        // notification would cover the tree. The picture is of the tree and the status bar item.
        { 'workbench.colorTheme': theme, 'whisperBatch.monitor.pendingAgeAlertHours': 8760 },
        { WB_SCREENSHOT_THEME: name },
      );
  if (want('report')) {
    inEditor('reportView', 'report-vscode', {});
    if (run(process.execPath, [path.join(root, 'scripts/screenshot-report.mjs')]).status !== 0) failed.push('report');
  }
  if (want('listen')) inEditor('listen', 'listen', {});
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(failed.length ? `screenshots failed: ${failed.join(', ')}` : `screenshots in ${path.relative(root, out)}`);
process.exit(failed.length ? 1 : 0);
