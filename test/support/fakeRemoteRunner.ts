/**
 * In-repo stand-in for the instance's side of SSM/SSH (moto's SendCommand runs nothing): the agent
 * comes online some polls after boot, the systemd unit is active/inactive/dies, and `shutdown -h +N`
 * really powers the fake instance off N minutes later on the fake clock. Records every command.
 */
import type { Clock } from '../../src/core/clock';
import type { RemoteCommand, RemoteResult, RemoteRunner } from '../../src/core/remote/remoteRunner';
import type { FakeEc2 } from './fakeEc2';

export type UnitState = 'active' | 'inactive' | 'failed' | 'activating';

export interface FakeRemoteOptions {
  clock: Clock;
  ec2: FakeEc2;
  transport?: 'ssm' | 'ssh';
  /** isReachable() says false this many times after each boot (Infinity: never online). */
  agentOnlineAfterPolls?: number;
  /** The unit's state after each boot. */
  unit?: UnitState;
  /** `systemctl is-active` says 'activating' this many times after boot before `unit`. */
  unitActivatingPolls?: number;
  /** `systemctl is-active` says 'activating' until this clock time (ms), whatever the poll count. */
  unitActiveAt?: number;
}

export class FakeRemoteRunner implements RemoteRunner {
  readonly transport: 'ssm' | 'ssh';
  readonly commands: RemoteCommand[] = [];
  unit: UnitState;
  /** Minutes of each `shutdown -h +N`, in order. */
  readonly shutdownsArmed: number[] = [];
  shutdownsCancelled = 0;
  /** Fake time at which the armed shutdown fires, if any. */
  shutdownAt: number | undefined;
  /** Handles other programs (e.g. the transcription script); default: exit 127. */
  onRun?: (cmd: RemoteCommand, signal?: AbortSignal, onOutput?: (chunk: string) => void) => Promise<RemoteResult> | RemoteResult;
  private polls = 0;
  private unitPolls = 0;
  private timer: unknown;

  constructor(private readonly o: FakeRemoteOptions) {
    this.transport = o.transport ?? 'ssm';
    this.unit = o.unit ?? 'active';
    // A stop or reboot clears what the OS held: the agent reconnects, the unit restarts, a pending shutdown is gone.
    o.ec2.onState((s) => {
      if (s === 'stopped' || s === 'pending') {
        this.polls = 0;
        this.unitPolls = 0;
        this.unit = o.unit ?? 'active';
        this.o.clock.clearTimeout(this.timer);
        this.shutdownAt = undefined;
      }
    });
  }

  /** One line per command, as a person would type it (for assertions only: nothing is ever run from it). */
  get lines(): string[] {
    return this.commands.map((c) => [c.program, ...c.args].join(' '));
  }

  private online(): boolean {
    return this.o.ec2.state === 'running' && this.polls > (this.o.agentOnlineAfterPolls ?? 0);
  }

  async isReachable(): Promise<boolean> {
    if (this.o.ec2.state === 'running') this.polls++;
    return this.online();
  }

  async run(cmd: RemoteCommand, opts: { signal?: AbortSignal; onOutput?: (chunk: string) => void } = {}): Promise<RemoteResult> {
    this.commands.push(cmd);
    if (!this.online()) throw Object.assign(new Error(`InvalidInstanceId: instance ${this.o.ec2.instanceId} is not connected to SSM`), { name: 'InvalidInstanceId' });
    if (cmd.program === 'systemctl' && cmd.args[0] === 'is-active') {
      const early = this.o.unitActiveAt !== undefined && this.o.clock.now() < this.o.unitActiveAt;
      const state = this.unitPolls++ < (this.o.unitActivatingPolls ?? 0) || early ? 'activating' : this.unit;
      return { exitCode: state === 'active' ? 0 : 3, stdout: `${state}\n`, stderr: '' };
    }
    if (cmd.program === 'shutdown') {
      if (cmd.args[0] === '-c') {
        this.o.clock.clearTimeout(this.timer);
        this.shutdownAt = undefined;
        this.shutdownsCancelled++;
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      const m = /^\+(\d+)$/.exec(cmd.args[1] ?? '');
      if (cmd.args[0] !== '-h' || !m) return { exitCode: 1, stdout: '', stderr: `shutdown: invalid arguments ${JSON.stringify(cmd.args)}` };
      const minutes = Number(m[1]);
      this.shutdownsArmed.push(minutes);
      this.o.clock.clearTimeout(this.timer);
      this.shutdownAt = this.o.clock.now() + minutes * 60_000;
      this.timer = this.o.clock.setTimeout(() => {
        this.shutdownAt = undefined;
        this.o.ec2.shutdownFromInside();
      }, minutes * 60_000);
      return { exitCode: 0, stdout: `Shutdown scheduled\n`, stderr: '' };
    }
    if (this.onRun) return this.onRun(cmd, opts.signal, opts.onOutput);
    return { exitCode: 127, stdout: '', stderr: `${cmd.program}: command not found` };
  }

  /** The WhisperLive unit crashes (mid-batch). */
  killUnit(): void {
    this.unit = 'failed';
  }
}
