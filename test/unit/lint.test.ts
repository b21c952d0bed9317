/**
 * The layer rules of eslint.config.mjs, fed a violating snippet each through ESLint's own API: a rule
 * that silently stops matching (a renamed folder, a regex typo) fails here, not in review.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('lint: the layer rules (eslint.config.mjs)', function () {
  this.timeout(60_000);
  let eslint: ESLint;

  before(function () {
    eslint = new ESLint({ cwd: ROOT });
  });

  /** The messages ESLint gives `code` as if it were the file `file` (relative to the repo). */
  async function lint(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
  }

  const refused: Array<[string, string, RegExp]> = [
    ['src/core/x.ts', `import * as vscode from 'vscode';`, /only src\/extension talks to the VS Code API/],
    ['src/core/host/x.ts', `import { activate } from '../../extension/activate';`, /src\/core must not depend on src\/extension/],
    ['src/core/x.ts', `export { main } from '../cli/main';`, /src\/core must not depend on src\/cli/],
    ['src/core/x.ts', `export async function f() { return import('vscode'); }`, /only src\/extension talks to the VS Code API/],
    ['src/core/x.ts', `const cli = require('../cli/main');`, /src\/core must not depend on src\/cli/],
    ['src/core/x.ts', `type Program = import('../cli/main').CliDeps;`, /src\/core must not depend on src\/cli/],
    ['src/cli/x.ts', `import { activate } from '../extension/activate';`, /src\/cli must not depend on src\/extension/],
    ['src/cli/x.ts', `import * as vscode from 'vscode';`, /only src\/extension talks to the VS Code API/],
    ['src/extension/x.ts', `import { main } from '../cli/main';`, /src\/extension must not import src\/cli/],
    ['webviews/report/x.ts', `import { scan } from '../../src/core/scan';`, /a webview may import from src\/core only the pure modules/],
    ['webviews/report/x.ts', `import { renderReportPage } from '../../src/extension/reportHtml';`, /a webview talks to the extension by messages only/],
    ['webviews/report/x.ts', `import * as fs from 'node:fs';`, /a webview runs in a browser: no Node modules/],
    ['webviews/report/x.ts', `import * as path from 'path';`, /a webview runs in a browser: no Node modules/],
    ['src/core/cost.ts', `import { readFileSync } from 'node:fs';`, /uses no package and no Node module/],
    ['src/core/report/model.ts', `import { Command } from 'commander';`, /uses no package and no Node module/],
    ['src/core/x.ts', `export const f = (store: any, k: string) => store.get(k);`, /a store read takes a cap/],
    ['src/core/x.ts', `export const f = (o: any, k: string, s: AbortSignal) => o.store.get(k, s);`, /a store read takes a cap/],
    ['src/extension/x.ts', `export const f = (o: any, k: string) => o.settings.store().get(k);`, /a store read takes a cap/],
    ['src/cli/x.ts', `export const f = (rt: any, k: string) => rt.store.get(k);`, /a store read takes a cap/],
    // the pure modules keep the core rules too (a later config entry replaces a rule whole)
    ['src/core/report/protocol.ts', `import { activate } from '../../extension/activate';`, /src\/core must not depend on src\/extension/],
  ];
  for (const [file, code, expected] of refused) {
    it(`refuses in ${file}: ${code}`, async function () {
      const messages = await lint(file, code);
      assert.ok(
        messages.some((m) => expected.test(m)),
        `expected ${expected} among: ${JSON.stringify(messages)}`,
      );
    });
  }

  const allowed: Array<[string, string]> = [
    ['webviews/report/x.ts', `import type { BatchReport } from '../../src/core/report/model';\nimport { usd } from '../../src/core/cost';`],
    ['src/extension/x.ts', `import * as vscode from 'vscode';\nimport { scan } from '../core/scan';`],
    ['src/cli/x.ts', `import { Command } from 'commander';\nimport { scan } from '../core/scan';`],
    ['src/core/x.ts', `import { readFileSync } from 'node:fs';\nimport { BucketLayout } from './layout';`],
    ['src/core/x.ts', `export const f = (store: any, k: string, s: AbortSignal, m: Map<string, number>) => [store.get(k, s, { maxBytes: 1 }), m.get(k)];`],
  ];
  for (const [file, code] of allowed) {
    it(`allows in ${file}: ${code.split('\n')[0]}`, async function () {
      assert.deepEqual(await lint(file, code), []);
    });
  }

  it('the webviews tsconfig compiles exactly the core modules the lint allows them', async function () {
    const { WEBVIEW_CORE_MODULES } = (await import(path.join(ROOT, 'eslint.config.mjs'))) as { WEBVIEW_CORE_MODULES: string[] };
    // tsconfig.json allows comments: drop whole-line ones before parsing.
    const text = readFileSync(path.join(ROOT, 'webviews', 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const include = (JSON.parse(text) as { include: string[] }).include.filter((p) => p.startsWith('../src/core/'));
    assert.deepEqual(include.map((p) => p.slice('../src/core/'.length).replace(/\.ts$/, '')).sort(), [...WEBVIEW_CORE_MODULES].sort());
  });
});
