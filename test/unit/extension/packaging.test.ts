/**
 * What the .vsix holds (`vsce ls`, the list `npm run package` packs): the bundles, the webview,
 * the remote script, media, the manifest, README and LICENSE. No sources, source maps, tests,
 * node_modules or benchmarks.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE(\.txt)?$/,
  /^CHANGELOG\.md$/,
  /^media\/[\w.-]+\.(svg|png)$/,
  /^dist\/(extension|aws-sdk|cli)\.js$/,
  /^dist\/webviews\/(report|listen)\.(js|css)$/,
  /^dist\/scripts\/[\w.-]+\.py$/,
];

describe('extension/packaging', function () {
  this.timeout(60_000);

  it('the .vsix file list holds only what the extension needs', function () {
    const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    const files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    for (const f of files)
      assert.ok(
        ALLOWED.some((re) => re.test(f)),
        `unexpected file in the .vsix: ${f}`,
      );
    for (const f of ['package.json', 'README.md', 'media/whisper-batch.svg']) assert.ok(files.includes(f), `${f} in the .vsix`);
  });
});
