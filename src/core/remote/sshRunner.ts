/**
 * RemoteRunner over SSH (node-ssh), for users who reach the instance over SSH instead of SSM. The
 * same commands as SSM: the line comes from commandLine() (fixed program + shellQuote()d arguments;
 * a script body goes on stdin, never into the line), and stdout streams through onOutput as the
 * remote program prints it. node-ssh (and ssh2 under it) is loaded on first use.
 *
 * The remote login shell must be POSIX (sh, bash, dash, zsh): the line uses single quotes.
 */
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { CancelledError, WbError } from '../errors';
import { commandLine } from './commandLine';
import type { RemoteCommand, RemoteResult, RemoteRunner } from './remoteRunner';

export interface SshRunnerOptions {
  host: string;
  user: string;
  /** Private key file ("~/" allowed). */
  keyPath: string;
  port?: number;
  /** Key passphrase (later from VS Code SecretStorage); never logged. */
  passphrase?: string;
  /** Connect timeout (default 20 s). */
  readyTimeoutMs?: number;
  /** For the command timeout. */
  clock?: Clock;
}

/** The part of node-ssh we use (a seam for tests). */
export interface SshConnection {
  isConnected(): boolean;
  execCommand(
    command: string,
    options: { stdin?: string; noTrim?: boolean; onStdout?: (b: Buffer) => void; onStderr?: (b: Buffer) => void; onChannel?: (ch: { signal(name: string): unknown; close(): unknown }) => void },
  ): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
  dispose(): void;
}

export type SshConnect = (config: { host: string; port: number; username: string; privateKey: string; passphrase?: string; readyTimeout: number }) => Promise<SshConnection>;

const nodeSshConnect: SshConnect = async (config) => {
  const { NodeSSH } = await import('node-ssh');
  const ssh = new NodeSSH();
  await ssh.connect(config);
  return ssh as unknown as SshConnection;
};

export class SshRunner implements RemoteRunner {
  readonly transport = 'ssh' as const;
  private conn?: Promise<SshConnection>;

  constructor(
    private readonly o: SshRunnerOptions,
    private readonly connect: SshConnect = nodeSshConnect,
  ) {}

  async isReachable(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) throw new CancelledError();
    try {
      await this.connection();
      return true;
    } catch {
      return false;
    }
  }

  async run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    const { signal } = opts;
    if (signal?.aborted) throw new CancelledError();
    const ssh = await this.connection();
    const line = commandLine(cmd, 'stdin');
    let channel: { signal(name: string): unknown; close(): unknown } | undefined;
    let timedOut = false;
    const kill = () => {
      try {
        channel?.signal('KILL');
        channel?.close();
      } catch {
        // already closed
      }
    };
    const clock = this.o.clock ?? systemClock;
    const timer = clock.setTimeout(() => ((timedOut = true), kill()), cmd.timeoutSeconds * 1000);
    signal?.addEventListener('abort', kill, { once: true });
    const decoder = new TextDecoder();
    try {
      const res = await ssh.execCommand(line, {
        ...(cmd.interpreter ? { stdin: cmd.program } : {}),
        noTrim: true,
        onChannel: (ch) => (channel = ch),
        onStdout: (b) => opts.onOutput?.(decoder.decode(b, { stream: true })),
      });
      if (signal?.aborted) throw new CancelledError(`cancelled: command on ${this.where}`);
      if (timedOut) throw new WbError('Host', `Command over SSH on ${this.where} did not finish within ${cmd.timeoutSeconds} s`, 'It was killed.');
      // A remote process killed by a signal has no exit code: report it the way a shell would.
      const exitCode = res.code ?? (res.signal ? 128 + (os.constants.signals[res.signal.replace(/^(SIG)?/, 'SIG') as NodeJS.Signals] ?? 9) : 255);
      return { exitCode, stdout: res.stdout, stderr: res.stderr };
    } catch (e) {
      if (e instanceof WbError) throw e;
      if (signal?.aborted) throw new CancelledError(`cancelled: command on ${this.where}`);
      this.conn = undefined; // a broken connection is rebuilt on the next command
      throw new WbError('Host', `SSH command on ${this.where} failed: ${(e as Error)?.message ?? e}`, undefined, { cause: e });
    } finally {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
    }
  }

  async dispose(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    try {
      (await c)?.dispose();
    } catch {
      // never connected
    }
  }

  private get where(): string {
    return `${this.o.user}@${this.o.host}:${this.o.port ?? 22}`;
  }

  private connection(): Promise<SshConnection> {
    if (this.conn) {
      const c = this.conn;
      return c.then((s) => (s.isConnected() ? s : ((this.conn = undefined), this.connection())));
    }
    const p = this.open();
    p.catch(() => this.conn === p && (this.conn = undefined));
    return (this.conn = p);
  }

  private async open(): Promise<SshConnection> {
    const { host, user, keyPath } = this.o;
    if (!host) throw new WbError('Config', 'host.sshHost is empty', "Set host.sshHost to the instance's address (transport ssh), or use transport ssm.");
    if (!keyPath) throw new WbError('Config', 'host.sshKeyPath is empty', 'Set host.sshKeyPath to the private key file for the instance.');
    const file = keyPath === '~' || keyPath.startsWith('~/') ? path.join(os.homedir(), keyPath.slice(1)) : keyPath;
    let privateKey: string;
    try {
      privateKey = await readFile(file, 'utf8');
    } catch (e) {
      throw new WbError('Config', `Cannot read the SSH key ${file}: ${(e as Error).message}`, 'Check host.sshKeyPath.', { cause: e });
    }
    try {
      return await this.connect({
        host,
        port: this.o.port ?? 22,
        username: user,
        privateKey,
        ...(this.o.passphrase ? { passphrase: this.o.passphrase } : {}),
        readyTimeout: this.o.readyTimeoutMs ?? 20_000,
      });
    } catch (e) {
      throw new WbError(
        'Host',
        `Cannot connect over SSH to ${this.where}: ${(e as Error)?.message ?? e}`,
        'Check host.sshHost, host.sshUser, host.sshPort, the key, and that the instance is running with port 22 reachable.',
        { cause: e },
      );
    }
  }
}
