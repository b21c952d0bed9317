/**
 * A RemoteRunner that runs the command on THIS machine, through `sh -c` with the exact line SSM's
 * AWS-RunShellScript would run (commandLine(cmd, 'inline')). It fakes only the transport (no SSM
 * agent or sshd can serve here): quoting, base64 delivery of the script, the interpreter path and
 * the script itself are the real ones.
 *
 * mode 'ssm': output only at the end, cut at 24,000 characters (what GetCommandInvocation keeps);
 * mode 'ssh': stdout streamed through onOutput as it comes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLine } from '../../src/core/remote/commandLine';
import { runProcessGroup } from '../../src/core/remote/localRunner';
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

  async run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    this.commands.push(cmd);
    const line = commandLine(cmd, 'inline');
    this.lines.push(line);
    // Its own process group, so a kill reaches the script under sh too (as SSM's cancel and a stopped instance would).
    const onOutput = this.o.mode === 'ssh' ? opts.onOutput : undefined;
    const r = await runProcessGroup('sh', ['-c', line], { env: this.o.env, timeoutSeconds: cmd.timeoutSeconds, signal: opts.signal, onOutput });
    if (this.o.mode === 'ssh') return r;
    const truncated = r.stdout.length > SSM_OUTPUT_LIMIT;
    return { ...r, stdout: r.stdout.slice(0, SSM_OUTPUT_LIMIT), ...(truncated ? { truncated } : {}) };
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
