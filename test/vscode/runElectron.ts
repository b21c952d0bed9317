/**
 * The standard runner for machines that can download VS Code: @vscode/test-electron starts a real
 * desktop VS Code with this extension and runs the same suites as test/vscode-host (code-server).
 *   node out/test/vscode/runElectron.js [suite...]     (after `node esbuild.mjs` and `tsc -p .`)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['extension', 'reportView'];
  for (const suite of suites) {
    if (!fs.existsSync(path.join(__dirname, `${suite}.test.js`))) continue;
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `wb-electron-${suite}-`));
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { WB_VSCODE_SUITE: suite, WHISPER_BATCH_RUNS_DIR: path.join(workspace, '.runs') },
    });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
