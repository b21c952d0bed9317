/**
 * A RemoteRunner that runs the command on THIS machine, through `sh -c` with the exact line SSM's
 * AWS-RunShellScript would run (commandLine(cmd, 'inline')). It fakes only the transport (no SSM
 * agent or sshd can serve here): quoting, base64 delivery of the script, the interpreter path and
 * the script itself are the real ones.
 *
 * mode 'ssm': output only at the end, cut at 24,000 characters (what GetCommandInvocation keeps);
 * mode 'ssh': stdout streamed through onOutput as it comes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError } from '../../src/core/errors';
import { commandLine } from '../../src/core/remote/commandLine';
import type { RemoteCommand, RemoteResult, RemoteRunner } from '../../src/core/remote/remoteRunner';
import { SSM_OUTPUT_LIMIT } from '../../src/core/remote/ssmRunner';

export interface LocalShellRunnerOptions {
  mode: 'ssm' | 'ssh';
  env?: NodeJS.ProcessEnv;
}

export class LocalShellRunner implements RemoteRunner {
  readonly transport: 'ssm' | 'ssh';
  readonly commands: RemoteCommand[] = [];
  readonly lines: string[] = [];

  constructor(private readonly o: LocalShellRunnerOptions) {
    this.transport = o.mode;
  }

  async isReachable(): Promise<boolean> {
    return true;
  }

  run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    this.commands.push(cmd);
    const line = commandLine(cmd, 'inline');
    this.lines.push(line);
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new CancelledError());
      // Its own process group, so a kill reaches the script under sh too (as SSM's cancel and a stopped instance would).
      const child = spawn('sh', ['-c', line], { env: { ...process.env, ...this.o.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
        if (this.o.mode === 'ssh') opts.onOutput?.(d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
      const timer = setTimeout(killAll, cmd.timeoutSeconds * 1000);
      const onAbort = killAll;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', reject);
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (opts.signal?.aborted) return reject(new CancelledError());
        const exitCode = code ?? (sig ? 128 + (os.constants.signals[sig] ?? 9) : 1);
        if (this.o.mode === 'ssh') return resolve({ exitCode, stdout, stderr });
        const truncated = stdout.length > SSM_OUTPUT_LIMIT;
        resolve({ exitCode, stdout: stdout.slice(0, SSM_OUTPUT_LIMIT), stderr, ...(truncated ? { truncated } : {}) });
      });
    });
  }
}

/** A throw-away "venv" whose bin/python3 is this machine's python3 (so host.venvPath can point at it). */
export function makeLocalVenv(): { venvPath: string; dispose(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-venv-'));
  const venvPath = path.join(dir, 'venv');
  mkdirSync(path.join(venvPath, 'bin'), { recursive: true });
  const python = realPython();
  symlinkSync(python, path.join(venvPath, 'bin', 'python3'));
  return { venvPath, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function realPython(): string {
  // The real executable (pyenv and the like put a shell shim first on PATH).
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}
