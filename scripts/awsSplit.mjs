// Keeps the AWS SDK out of dist/extension.js: every `import('@aws-sdk/...')` of the extension
// bundle becomes a require of dist/aws-sdk.js, a second bundle loaded on first use. Activation
// parses ~0.1 MB instead of ~2 MB, and "is the SDK loaded?" is a plain require.cache question.
import * as esbuild from 'esbuild';

// saxes: the XML reader of S3 listings (src/core/store/s3ListPage.ts), only ever used with the SDK.
export const AWS_PACKAGES = ['@aws-sdk/client-s3', '@aws-sdk/client-ec2', '@aws-sdk/client-ssm', '@aws-sdk/credential-providers', '@aws-sdk/s3-request-presigner', '@aws-sdk/client-sns', 'saxes'];
const filter = new RegExp(`^(${AWS_PACKAGES.map((p) => p.replace(/[/.-]/g, '\\$&')).join('|')})$`);

/** esbuild plugin for the extension bundle. */
export function awsSplitPlugin() {
  return {
    name: 'aws-split',
    setup(build) {
      build.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'aws-split' }));
      build.onLoad({ filter: /.*/, namespace: 'aws-split' }, (a) => ({
        contents: `module.exports = require(require('path').join(__dirname, 'aws-sdk.js'))[${JSON.stringify(a.path)}];`,
        loader: 'js',
      }));
    },
  };
}

/** Build options of dist/aws-sdk.js: each package behind a getter, so only the clients used are evaluated. */
export function awsSdkBuild(common) {
  const contents = AWS_PACKAGES.map((p) => `Object.defineProperty(exports, ${JSON.stringify(p)}, { enumerable: true, get: () => require(${JSON.stringify(p)}) });`).join('\n');
  return {
    ...common,
    stdin: { contents, resolveDir: process.cwd(), sourcefile: 'aws-sdk-entry.js', loader: 'js' },
    outfile: 'dist/aws-sdk.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  };
}

export { esbuild };
