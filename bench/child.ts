/**
 * Runs one listing task in a fresh Node process (this same bench script with --child), so that each
 * strategy's peak RSS (getrusage maxrss) is its own and no strategy warms another's caches.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ListingResult, ListingTask } from './listing';

const MARK = 'BENCH-RESULT ';

export function runInChild(task: ListingTask, timeoutMs = 30 * 60_000, nodeArgs: string[] = []): Promise<ListingResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, ...nodeArgs, benchScript(), '--child', JSON.stringify(task)],
      { timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      (err, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith(MARK));
        if (err || !line) return reject(new Error(`bench child ${task.kind} failed: ${err?.message ?? 'no result'}\n${stderr.slice(-2000)}`));
        resolve(JSON.parse(line.slice(MARK.length)));
      },
    );
  });
}

/** The child's side: run the task and print its result on one marked line. */
export async function childMain(arg: string): Promise<void> {
  const { runListingTask } = await import('./listing');
  const result = await runListingTask(JSON.parse(arg));
  process.stdout.write(MARK + JSON.stringify(result) + '\n');
}

/** out/bench/main.js when compiled by tsc, else the bundle itself (dist/bench.js). */
export function benchScript(): string {
  const main = join(__dirname, 'main.js');
  return existsSync(main) ? main : __filename;
}

export interface ServerChild {
  child: ChildProcess;
  port: number;
  /** Kills the child; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a bench server in its own Node process (this bench script with `flag`) and resolves with
 * the port it prints on its `ready` line, so that its CPU is not the client's.
 */
export function startServerChild(flag: string, options: unknown, ready: string, what: string, timeoutMs: number): Promise<ServerChild> {
  const child = spawn(process.execPath, [...process.execArgv, benchScript(), flag, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) return res();
      child.once('exit', () => res());
      child.kill();
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${what} did not start in ${timeoutMs / 1000} s\n${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code})\n${err}`));
    });
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith(ready));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ child, port: Number(line.slice(ready.length)), stop });
    });
  });
}
