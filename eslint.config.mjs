// Lint that guards the layers (docs/extension.md, "src/core has no vscode import; extension and CLI
// depend on core, never back"). Only these rules: style is prettier's job (.prettierrc.json).
// test/unit/lint.test.ts feeds a violating snippet for each rule through this file, so a rule
// that stops matching fails the tests.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** The core modules the webview front-end may import: pure, no Node, no DOM, no packages. */
export const WEBVIEW_CORE_MODULES = ['report/model', 'report/protocol', 'cost', 'safeText', 'runOrigin', 'plural', 'listenProtocol'];

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// Relative paths that climb out of the folder and into a layer: '../cli/main', '../../src/extension/app'.
const into = (layer) => `^(\\.\\./)+(src/)?${layer}(/|$)`;
const pureCore = WEBVIEW_CORE_MODULES.join('|');

/**
 * One layer rule: a static import/export-from (no-restricted-imports) and the other ways a module
 * gets loaded: `import('x')`, `require('x')`, and the type `import('x').T` (no-restricted-syntax).
 */
function forbid(rules) {
  const regexes = rules.map((r) => ({ regex: r.regex, message: r.message }));
  const syntax = [];
  for (const r of rules) {
    // An esquery regex literal ends at the first '/', even an escaped one: '/' is written \x2F.
    const re = `/${r.regex.replaceAll('/', '\\x2F')}/`;
    syntax.push(
      { selector: `ImportExpression[source.value=${re}]`, message: r.message },
      { selector: `CallExpression[callee.name='require'][arguments.0.value=${re}]`, message: r.message },
      { selector: `TSImportType[argument.literal.value=${re}]`, message: r.message },
    );
  }
  // Every byte of the bucket is hostile: no read of a store object without a cap (issue 10).
  syntax.push({
    selector: `CallExpression[callee.property.name='get'][arguments.length<3]:matches([callee.object.name=/[sS]tore$/], [callee.object.property.name=/[sS]tore$/], [callee.object.callee.property.name=/[sS]tore$/])`,
    message: 'a store read takes a cap: store.get(key, signal, { maxBytes } or { firstBytes }), or readCapped of src/core/store/cappedRead.ts',
  });
  return {
    'no-restricted-imports': ['error', { patterns: regexes }],
    'no-restricted-syntax': ['error', ...syntax],
  };
}

const vscode = { regex: '^vscode$', message: 'only src/extension talks to the VS Code API' };

const coreRules = [
  vscode,
  { regex: into('extension'), message: 'src/core must not depend on src/extension (the extension depends on core)' },
  { regex: into('cli'), message: 'src/core must not depend on src/cli (the CLI depends on core)' },
];

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.demo/**', '.wb-sample/**', 'bench/results/**', 'media/**', 'tmp/**'] },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    // The plugin is loaded (its rules off) so that the tree's eslint-disable comments for its rules resolve.
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
  },
  { files: ['src/core/**/*.ts'], rules: forbid(coreRules) },
  {
    files: ['src/cli/**/*.ts'],
    rules: forbid([vscode, { regex: into('extension'), message: 'src/cli must not depend on src/extension: both sit on core' }]),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: forbid([{ regex: into('cli'), message: 'src/extension must not import src/cli: it runs dist/cli.js as a process' }]),
  },
  {
    // The pure modules stay pure, so that the webviews may use them.
    files: WEBVIEW_CORE_MODULES.map((m) => `src/core/${m}.ts`),
    // Later entries replace a rule whole, so the core rules are repeated here.
    rules: forbid([...coreRules, { regex: `^(?!\\./|\\.\\./)`, message: `a module the webviews import (${WEBVIEW_CORE_MODULES.join(', ')}) uses no package and no Node module` }]),
  },
  {
    files: ['webviews/**/*.ts'],
    rules: forbid([
      vscode,
      { regex: `^(node:|(${NODE_BUILTINS.filter((m) => !m.startsWith('node:') && !m.startsWith('_')).join('|')})(/|$))`, message: 'a webview runs in a browser: no Node modules' },
      { regex: into('(extension|cli)'), message: 'a webview talks to the extension by messages only (src/core/report/protocol)' },
      { regex: `^(\\.\\./)+src/core/(?!(${pureCore})$)`, message: `a webview may import from src/core only the pure modules ${WEBVIEW_CORE_MODULES.join(', ')}` },
    ]),
  },
];
