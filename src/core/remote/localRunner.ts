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
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new CancelledError());
      const program = cmd.interpreter ? (cmd.interpreterPath ?? cmd.interpreter) : cmd.program;
      const args = cmd.interpreter ? ['-', ...cmd.args] : cmd.args;
      const child = spawn(program, args, { env: { ...process.env, ...this.o.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
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
        opts.onOutput?.(d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
      child.stdin.on('error', () => undefined); // the script may exit before reading all of itself
      child.stdin.end(cmd.interpreter ? cmd.program : undefined);
      const timer = setTimeout(killAll, cmd.timeoutSeconds * 1000);
      opts.signal?.addEventListener('abort', killAll, { once: true });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', killAll);
        if (opts.signal?.aborted) return reject(new CancelledError());
        resolve({ exitCode: code ?? (sig ? 128 + (os.constants.signals[sig] ?? 9) : 1), stdout, stderr });
      });
    });
  }
}
