/**
 * Runs fixed, shipped commands on the GPU instance: over SSM RunCommand (AWS-RunShellScript) or
 * SSH (node-ssh). Data never becomes shell text: a command is a fixed program plus an argument
 * list, and each argument is passed quoted by the transport (SSM: single-quoted with ' escaped;
 * SSH: the same) or, for job data, as one base64 JSON argument.
 */
export interface RemoteCommand {
  /** Fixed program text or path shipped with the product, e.g. 'systemctl' or a script's contents. */
  program: string;
  args: string[];
  /** When set, `program` is a script body run with this interpreter (sent as base64 or on stdin, never as shell text). */
  interpreter?: 'bash' | 'python3';
  /**
   * Absolute path of the interpreter for `interpreter` (e.g. a venv's python3); default: the
   * interpreter's name on PATH. Passed quoted like an argument, never as shell text.
   */
  interpreterPath?: string;
  timeoutSeconds: number;
}

export interface RemoteResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** SSM cut the output at 24,000 characters. */
  truncated?: boolean;
}

export interface RemoteRunner {
  /** 'local': this machine (the local faster-whisper engine), no transport at all. */
  readonly transport: 'ssm' | 'ssh' | 'local';
  /** Is the agent (SSM) / sshd reachable for this instance? */
  isReachable(signal?: AbortSignal): Promise<boolean>;
  run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void }): Promise<RemoteResult>;
  dispose?(): Promise<void>;
}

/** POSIX single-quote one argument. The only place an argument becomes shell text. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The SSH key's passphrase reaches the CLI in this environment variable (the extension passes its
 * SecretStorage value to the run it spawns), never through a setting or a file. Here, in a module
 * without imports, so that the extension's activation bundle does not pull in the runtime.
 */
export const SSH_PASSPHRASE_ENV = 'WHISPER_BATCH_SSH_PASSPHRASE';
