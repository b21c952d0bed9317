/**
 * Test entry loaded by the extension host (code-server through test/vscode-host, or
 * @vscode/test-electron through runElectron.ts): runs one suite with mocha and rejects on failure.
 * WB_VSCODE_SUITE picks it: `extension` (default), `restricted` (an untrusted workspace) or
 * `screenshots` (docs/screenshots, needs WB_SCREENSHOT_DIR); WB_VSCODE_GREP picks tests by title.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const suite = process.env.WB_VSCODE_SUITE || 'extension';
  // WB_VSCODE_GREP: only the tests whose title matches (one test of a suite, while working on it).
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 120_000, ...(process.env.WB_VSCODE_GREP ? { grep: process.env.WB_VSCODE_GREP } : {}) });
  const files = fs.readdirSync(__dirname).filter((f) => f === `${suite}.test.js`);
  if (!files.length) return Promise.reject(new Error(`no test file for suite "${suite}" in ${__dirname}`));
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
    } catch (e) {
      reject(e);
    }
  });
}
