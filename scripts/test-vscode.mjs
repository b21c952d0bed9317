// Runs the in-editor test suites in a real VS Code (code-server + Chromium, test/vscode-host):
//   extension   the views, status bar, commands and runs against a folder bucket and moto
//   restricted  an untrusted workspace whose settings point elsewhere (restricted mode)
//   startup     scheduled runs on from the user settings, a bucket with work, no view opened
//   reportView  the report viewer (when its test file exists)
//   listen      the Listen view: real chunks decoded, the highlighted word follows playback
//   menus       the palette, a tree row's menu and the run dialog, read in Chromium: what applies to the host and store
// `node scripts/test-vscode.mjs [suite...]`; needs `node esbuild.mjs` first (dist/extension.js, dist/cli.js).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const harness = path.join(root, 'test/vscode-host');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });

for (const f of ['dist/extension.js', 'dist/cli.js']) {
  if (!fs.existsSync(path.join(root, f))) {
    console.error(`${f} is missing: run node esbuild.mjs first`);
    process.exit(2);
  }
}
// tsc emits even when other parts of the tree have type errors; `npm run typecheck` is the type gate.
run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], { stdio: ['ignore', 'ignore', 'inherit'] });
const index = path.join(root, 'out/test/vscode/index.js');
if (!fs.existsSync(index)) {
  console.error('out/test/vscode/index.js was not built');
  process.exit(2);
}
if (run('bash', [path.join(harness, 'install.sh')], { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) process.exit(2);

const all = ['extension', 'restricted', 'startup', 'reportView', 'listen', 'menus'].filter((s) => fs.existsSync(path.join(root, 'out/test/vscode', `${s}.test.js`)));
const suites = process.argv.slice(2).length ? process.argv.slice(2) : all;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-vscode-'));
const failed = [];
try {
  for (const suite of suites) {
    const workspace = path.join(tmp, `${suite}-workspace`);
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    const extra = [];
    if (suite === 'restricted') {
      // The workspace tries to point the tool at another bucket; restricted mode must ignore it.
      fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'whisperBatch.store': path.join(tmp, 'not-this-one') }));
      extra.push('--untrusted');
    }
    const env = {};
    if (suite === 'startup') {
      // The bucket and the settings exist before the editor starts: the first scheduled run is due at once.
      const bucket = path.join(tmp, 'startup-bucket');
      const made = run(process.execPath, [
        '-e',
        `require(${JSON.stringify(path.join(root, 'out/test/vscode/fixtureBucket.js'))}).makeFixtureBucket(${JSON.stringify(bucket)}).catch((e) => { console.error(e); process.exit(1); })`,
      ]);
      if (made.status !== 0) {
        failed.push('startup (no fixture bucket)');
        continue;
      }
      const settings = path.join(tmp, 'startup-settings.json');
      fs.writeFileSync(settings, JSON.stringify({ 'whisperBatch.schedule.enabled': true, 'whisperBatch.schedule.firstRunDelayMinutes': 0, 'whisperBatch.schedule.jitterSeconds': 0 }));
      // whisperBatch.store is machine-scoped: code-server reads it from the remote's Machine settings.
      const machine = path.join(tmp, 'startup-machine-settings.json');
      fs.writeFileSync(machine, JSON.stringify({ 'whisperBatch.store': bucket }));
      extra.push('--settings', settings, '--machine-settings', machine);
      env.WB_STARTUP_BUCKET = bucket;
    }
    console.log(`\n=== vscode suite: ${suite}`);
    const r = run(process.execPath, [path.join(harness, 'run-extension-tests.mjs'), '--extension', root, '--tests', index, '--workspace', workspace, '--timeout', '300', ...extra], {
      env: { ...process.env, ...env, WB_VSCODE_SUITE: suite, WHISPER_BATCH_RUNS_DIR: path.join(tmp, `${suite}-runs`) },
    });
    if (r.status !== 0) failed.push(`${suite} (exit ${r.status})`);
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (failed.length) {
  console.error(`\nvscode suites failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\nvscode suites passed: ${suites.join(', ')}`);
