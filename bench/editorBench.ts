/**
 * Editor figures measured in a real VS Code: code-server's extension host driven by headless
 * Chromium (test/vscode-host/run-extension-tests.mjs), running the `bench` suite
 * (test/vscode/bench.test.ts), which writes its figures as JSON. One code-server per round, so
 * every round's activation is a cold one (a module loads once per extension host).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EditorBenchFigures } from '../test/vscode/bench.test';

export type { EditorBenchFigures };

export interface EditorBenchOptions {
  root: string;
  /** The extension folder code-server loads (a packaged production build, or the repository). */
  extensionDir: string;
  rounds: number;
  /** Pending tree size: users x sessions per user. */
  users: number;
  sessionsPerUser: number;
  /** Rounds of tree timing inside one editor. */
  treeReps: number;
  log: (m: string) => void;
}

/** Compiles the suite (tsc, as scripts/test-vscode.mjs does) when a source is newer than its output. */
async function ensureCompiled(root: string, log: (m: string) => void): Promise<string> {
  const index = join(root, 'out', 'test', 'vscode', 'index.js');
  const built = join(root, 'out', 'test', 'vscode', 'bench.test.js');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
    }
    return t;
  };
  const sources = Math.max(...['src', 'bench', join('test', 'vscode'), join('test', 'support')].map((d) => newest(join(root, d))));
  if (!existsSync(built) || !existsSync(index) || statSync(built).mtimeMs < sources) {
    log('compiling the editor bench suite (tsc -p .)');
    // tsc emits even when other parts of the tree have type errors (scripts/test-vscode.mjs relies on it too).
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { cwd: root, maxBuffer: 32 << 20 }).catch(() => undefined);
  }
  if (!existsSync(built)) throw new Error('out/test/vscode/bench.test.js was not built (tsc -p .)');
  return index;
}

function runOnce(root: string, index: string, o: EditorBenchOptions, round: number): Promise<EditorBenchFigures> {
  const tmp = mkdtempSync(join(tmpdir(), 'wb-editor-bench-'));
  const out = join(tmp, 'figures.json');
  const workspace = join(tmp, 'workspace');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const harness = join(root, 'test', 'vscode-host', 'run-extension-tests.mjs');
  return new Promise<EditorBenchFigures>((resolve, reject) => {
    const child = spawn(process.execPath, [harness, '--extension', o.extensionDir, '--tests', index, '--workspace', workspace, '--timeout', '300'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WB_VSCODE_SUITE: 'bench',
        WB_BENCH_OUT: out,
        WB_BENCH_TREE_USERS: String(o.users),
        WB_BENCH_TREE_SESSIONS_PER_USER: String(o.sessionsPerUser),
        WB_BENCH_REPS: String(o.treeReps),
        WHISPER_BATCH_RUNS_DIR: join(tmp, 'runs'),
      },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0 || !existsSync(out)) return reject(new Error(`editor bench round ${round} exited ${code}:\n${output.slice(-3000)}`));
        resolve(JSON.parse(readFileSync(out, 'utf8')));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

export async function editorBench(o: EditorBenchOptions): Promise<EditorBenchFigures[]> {
  if (!existsSync(join(o.extensionDir, 'dist', 'extension.js'))) throw new Error(`${o.extensionDir}/dist/extension.js is missing`);
  const index = await ensureCompiled(o.root, o.log);
  // Idempotent and quick once installed: Node 24, code-server, playwright-core, chromium.
  await promisify(execFile)('bash', [join(o.root, 'test', 'vscode-host', 'install.sh')], { timeout: 900_000 });
  const rounds: EditorBenchFigures[] = [];
  for (let i = 1; i <= o.rounds; i++) {
    const t0 = performance.now();
    const r = await runOnce(o.root, index, o, i);
    o.log(
      `editor round ${i}/${o.rounds} in ${((performance.now() - t0) / 1000).toFixed(0)} s: activation ${((r.activation.wasActiveBefore ? (r.activation.requireCopyMs ?? NaN) : r.activation.untilModuleEvaluatedMs) + r.activation.activateBodyMs).toFixed(1)} ms (load + activate()), tree provider ${Math.min(...r.tree.providerMs).toFixed(0)} ms`,
    );
    rounds.push(r);
  }
  return rounds;
}
