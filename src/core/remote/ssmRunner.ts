/**
 * RemoteRunner over SSM RunCommand (document AWS-RunShellScript): no inbound port, runs as root.
 * The command text is built only by commandLine() (fixed program text + shellQuote()d arguments, a
 * script body as base64); then GetCommandInvocation is polled on the injected clock until the
 * command ends or a bounded wait runs out (the command is then cancelled).
 *
 * SSM returns output only when the command has ended (no streaming: onOutput gets it once) and keeps
 * at most 24,000 characters of stdout (`truncated` is set then).
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { sleep, systemClock, type Clock } from '../clock';
import { CancelledError, WbError } from '../errors';
import { commandLine } from './commandLine';
import type { RemoteCommand, RemoteResult, RemoteRunner } from './remoteRunner';

/** What GetCommandInvocation stores of stdout (the agent cuts the rest). */
export const SSM_OUTPUT_LIMIT = 24_000;

export interface SsmSendCommandInput {
  DocumentName: 'AWS-RunShellScript';
  InstanceIds: string[];
  Parameters: { commands: string[]; executionTimeout: string[] };
  /** Delivery timeout: how long SSM tries to reach the agent (min 30). */
  TimeoutSeconds: number;
  Comment?: string;
}

export interface SsmInvocation {
  /** Pending | InProgress | Delayed | Success | Cancelled | TimedOut | Failed | Cancelling */
  Status?: string;
  StatusDetails?: string;
  /** Exit code; -1 while running. */
  ResponseCode?: number;
  StandardOutputContent?: string;
  StandardErrorContent?: string;
}

/** The SSM calls the runner makes: narrow, so tests pass a fake (moto runs no commands). */
export interface SsmApi {
  sendCommand(input: SsmSendCommandInput): Promise<{ commandId: string }>;
  /** Throws an error named InvocationDoesNotExist just after sendCommand (SSM is eventually consistent). */
  getCommandInvocation(commandId: string, instanceId: string): Promise<SsmInvocation>;
  cancelCommand(commandId: string, instanceId: string): Promise<void>;
  /** DescribeInstanceInformation PingStatus ('Online' | 'ConnectionLost' | 'Inactive'), undefined if unknown to SSM. */
  pingStatus(instanceId: string): Promise<string | undefined>;
}

/** SsmApi over the SDK v3 client; the SDK module is loaded on first use. */
export function sdkSsmApi(client: () => Promise<SSMClient>): SsmApi {
  const sdk = () => import('@aws-sdk/client-ssm');
  return {
    async sendCommand(input) {
      const [{ SendCommandCommand }, c] = await Promise.all([sdk(), client()]);
      const out = await c.send(new SendCommandCommand(input));
      const id = out.Command?.CommandId;
      if (!id) throw new WbError('Host', 'SSM SendCommand returned no command id');
      return { commandId: id };
    },
    async getCommandInvocation(commandId, instanceId) {
      const [{ GetCommandInvocationCommand }, c] = await Promise.all([sdk(), client()]);
      return c.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    },
    async cancelCommand(commandId, instanceId) {
      const [{ CancelCommandCommand }, c] = await Promise.all([sdk(), client()]);
      await c.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [instanceId] }));
    },
    async pingStatus(instanceId) {
      const [{ DescribeInstanceInformationCommand }, c] = await Promise.all([sdk(), client()]);
      const out = await c.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }));
      return out.InstanceInformationList?.find((i) => i.InstanceId === instanceId)?.PingStatus;
    },
  };
}

export interface SsmRunnerOptions {
  instanceId: string;
  ssm: SsmApi;
  clock?: Clock;
  /** Poll interval of GetCommandInvocation (default 2000 ms). */
  pollMs?: number;
  /** Seconds SSM may take to deliver the command to the agent (default 60, min 30). */
  deliveryTimeoutSeconds?: number;
  /** Extra seconds we wait beyond the command's own timeout before cancelling it (default 60). */
  graceSeconds?: number;
  comment?: string;
}

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export class SsmRunner implements RemoteRunner {
  readonly transport = 'ssm' as const;
  private readonly clock: Clock;

  constructor(private readonly o: SsmRunnerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  async isReachable(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) throw new CancelledError();
    return (await this.o.ssm.pingStatus(this.o.instanceId)) === 'Online';
  }

  /** The exact SendCommand input for a command (exported for tests and logs: it holds no secret but presigned URLs). */
  sendCommandInput(cmd: RemoteCommand): SsmSendCommandInput {
    return {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [this.o.instanceId],
      Parameters: { commands: [commandLine(cmd, 'inline')], executionTimeout: [String(Math.max(1, Math.ceil(cmd.timeoutSeconds)))] },
      TimeoutSeconds: Math.max(30, this.o.deliveryTimeoutSeconds ?? 60),
      Comment: (this.o.comment ?? 'whisper-batch').slice(0, 100),
    };
  }

  async run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    const { signal } = opts;
    if (signal?.aborted) throw new CancelledError();
    const { instanceId, ssm } = this.o;
    const { commandId } = await ssm.sendCommand(this.sendCommandInput(cmd));
    const pollMs = this.o.pollMs ?? 2000;
    const deadline = this.clock.now() + (cmd.timeoutSeconds + (this.o.deliveryTimeoutSeconds ?? 60) + (this.o.graceSeconds ?? 60)) * 1000;
    for (;;) {
      try {
        await sleep(this.clock, pollMs, signal);
      } catch {
        await this.cancel(commandId);
        throw new CancelledError(`cancelled: SSM command ${commandId} on ${instanceId}`);
      }
      let inv: SsmInvocation | undefined;
      try {
        inv = await ssm.getCommandInvocation(commandId, instanceId);
      } catch (e) {
        if ((e as Error)?.name !== 'InvocationDoesNotExist')
          throw new WbError('Host', `SSM GetCommandInvocation failed for ${commandId} on ${instanceId}: ${(e as Error)?.message ?? e}`, undefined, { cause: e });
      }
      if (inv && !RUNNING.has(inv.Status ?? 'Pending')) return this.result(commandId, inv, opts.onOutput);
      if (this.clock.now() >= deadline) {
        await this.cancel(commandId);
        throw new WbError(
          'Host',
          `SSM command ${commandId} on ${instanceId} did not finish within ${cmd.timeoutSeconds} s (last status: ${inv?.Status ?? 'not yet delivered'})`,
          'The command was cancelled. Check the instance and its SSM agent.',
        );
      }
    }
  }

  private result(commandId: string, inv: SsmInvocation, onOutput?: (chunk: string) => void): RemoteResult {
    const stdout = inv.StandardOutputContent ?? '';
    const stderr = inv.StandardErrorContent ?? '';
    const code = inv.ResponseCode;
    if (code === undefined || code < 0) {
      // Never ran to an exit code: undeliverable, agent gone, cancelled before start.
      throw new WbError(
        'Host',
        `SSM command ${commandId} on ${this.o.instanceId} ended ${inv.Status}${inv.StatusDetails ? ` (${inv.StatusDetails})` : ''} without an exit code`,
        'Check that the SSM agent on the instance is online.',
      );
    }
    if (stdout) onOutput?.(stdout);
    const truncated = stdout.length >= SSM_OUTPUT_LIMIT || /-{2,}\s*output truncated\s*-{2,}/i.test(stdout.slice(-200));
    return { exitCode: code, stdout, stderr, ...(truncated ? { truncated } : {}) };
  }

  private async cancel(commandId: string): Promise<void> {
    try {
      await this.o.ssm.cancelCommand(commandId, this.o.instanceId);
    } catch {
      // best effort: the command's own executionTimeout ends it anyway
    }
  }
}
