// Bundles the extension, the CLI, the report webview and the benchmarks.
// esbuild strips types without checking them: `npm run typecheck` (tsc) runs beside it.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { awsSdkBuild, awsSplitPlugin } from './scripts/awsSplit.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// --outdir DIR: build somewhere else than dist/ (the benchmark packages a production build in a temporary folder).
const outAt = process.argv.indexOf('--outdir');
const out = outAt >= 0 ? process.argv[outAt + 1] : 'dist';
const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning', legalComments: 'none' };

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/activate.ts'],
    outfile: join(out, 'extension.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
    plugins: [awsSplitPlugin()],
  },
  // The AWS SDK of the extension, loaded on first use (scripts/awsSplit.mjs).
  { ...awsSdkBuild(common), outfile: join(out, 'aws-sdk.js') },
  // The CLI shares dist/aws-sdk.js with the extension (one copy of the SDK in the .vsix; local runs never load it).
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: join(out, 'cli.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
    plugins: [awsSplitPlugin()],
  },
  { ...common, entryPoints: ['webviews/report/main.ts'], outfile: join(out, 'webviews', 'report.js'), platform: 'browser', format: 'iife', target: 'es2022' },
  { ...common, entryPoints: ['webviews/listen/main.ts'], outfile: join(out, 'webviews', 'listen.js'), platform: 'browser', format: 'iife', target: 'es2022' },
  {
    ...common,
    entryPoints: ['bench/main.ts'],
    outfile: join(out, 'bench.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['cpu-features', './crypto/build/Release/sshcrypto.node', 'playwright-core', 'esbuild'],
  },
];

mkdirSync(out, { recursive: true });
// Files the bundles read at run time (the remote transcription script).
cpSync('src/core/remote/scripts', join(out, 'scripts'), { recursive: true, force: true });

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
