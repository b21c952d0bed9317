/**
 * Runs a RemoteCommand on THIS machine, for the faster-whisper engine on the local host: the
 * interpreter is spawned directly with the script on stdin and the job as its one argument (an
 * argument vector, no shell), output streams like SSH's. A cancel or timeout kills the process group.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { CancelledError } from '../errors';
import type { RemoteCommand, RemoteResult, RemoteRunner } from './remoteRunner';

export interface LocalRunnerOptions {
  /** Extra environment for the script (e.g. HF_HUB_OFFLINE for a bundled model). */
  env?: NodeJS.ProcessEnv;
}

export class LocalRunner implements RemoteRunner {
  readonly transport = 'local' as const;

  constructor(private readonly o: LocalRunnerOptions = {}) {}

  async isReachable(): Promise<boolean> {
    return true;
  }

  run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    const program = cmd.interpreter ? (cmd.interpreterPath ?? cmd.interpreter) : cmd.program;
    const args = cmd.interpreter ? ['-', ...cmd.args] : cmd.args;
    return runProcessGroup(program, args, { env: this.o.env, stdin: cmd.interpreter ? cmd.program : undefined, timeoutSeconds: cmd.timeoutSeconds, ...opts });
  }
}

export interface ProcessGroupOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, then closed (undefined: stdin closed at once). */
  stdin?: string;
  timeoutSeconds: number;
  signal?: AbortSignal;
  onOutput?: (chunk: string) => void;
}

/**
 * Spawns `program` in its own process group (argument vector, no shell) and collects its output; a
 * cancel or timeout SIGKILLs the whole group, so a child of the script dies with it. stderr keeps its
 * last 8,000 characters. A signal death exits 128 + its number, as a shell reports it.
 */
export function runProcessGroup(program: string, args: string[], o: ProcessGroupOptions): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new CancelledError());
    const child = spawn(program, args, { env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const killAll = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      o.onOutput?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
    child.stdin.on('error', () => undefined); // the script may exit before reading all of itself
    child.stdin.end(o.stdin);
    const timer = setTimeout(killAll, o.timeoutSeconds * 1000);
    o.signal?.addEventListener('abort', killAll, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', killAll);
      if (o.signal?.aborted) return reject(new CancelledError());
      resolve({ exitCode: code ?? (sig ? 128 + (os.constants.signals[sig] ?? 9) : 1), stdout, stderr });
    });
  });
}
