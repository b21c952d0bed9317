// Writes package.json's contributes.configuration and the restricted-mode settings list from the
// core's SETTINGS_SCHEMA (src/core/settings.ts), so the schema is written once.
// `node scripts/gen-config.mjs --check` exits 1 when package.json is out of date.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = await esbuild.build({
  entryPoints: [path.join(root, 'src/extension/configContribution.ts')],
  bundle: true,
  write: false,
  format: 'cjs',
  platform: 'node',
  logLevel: 'error',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', built.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
const { configurationContribution, restrictedConfigurations } = mod.exports;

const pkgPath = path.join(root, 'package.json');
const before = readFileSync(pkgPath, 'utf8');
const pkg = JSON.parse(before);
pkg.contributes = { ...pkg.contributes, configuration: configurationContribution() };
pkg.capabilities = {
  ...pkg.capabilities,
  untrustedWorkspaces: {
    supported: 'limited',
    description: 'In an untrusted workspace Whisper Batch shows pending sessions and reports but starts no runs, and takes no AWS, store, host or engine settings from the workspace.',
    restrictedConfigurations: restrictedConfigurations(),
  },
};
const after = JSON.stringify(pkg, null, 2) + '\n';
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('package.json is out of date: run node scripts/gen-config.mjs');
    process.exit(1);
  }
  console.log('package.json configuration is in sync');
} else if (after !== before) {
  writeFileSync(pkgPath, after);
  console.log('package.json configuration updated');
} else console.log('package.json configuration already in sync');
