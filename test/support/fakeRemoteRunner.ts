/**
 * In-repo stand-in for the instance's side of SSM/SSH (moto's SendCommand runs nothing): the agent
 * comes online some polls after boot, the systemd unit is active/inactive/dies, the venv's Python
 * imports faster_whisper or not, and two independent
 * timers really power the fake instance off on the fake clock: logind's single `shutdown -h +N`
 * (what the realtime side uses; `shutdown -c` cancels it) and our named transient systemd timer
 * (`systemd-run --unit=whisper-batch-stop --on-active=Nmin ...`, stopped by `systemctl stop
 * whisper-batch-stop.timer`; systemd refuses a second unit of the same name). Records every command.
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
  /** Does host.venvPath's python3 import faster_whisper? (the faster-whisper engine's ready check; default 'ok') */
  venv?: 'ok' | 'missing';
}

export class FakeRemoteRunner implements RemoteRunner {
  readonly transport: 'ssm' | 'ssh';
  readonly commands: RemoteCommand[] = [];
  unit: UnitState;
  /** Minutes of each of our stop timers (`systemd-run --unit=whisper-batch-stop`), in order. */
  readonly shutdownsArmed: number[] = [];
  /** `systemctl stop whisper-batch-stop.timer` calls that stopped an armed timer. */
  shutdownsCancelled = 0;
  /** Fake time at which our armed stop timer fires, if any. */
  shutdownAt: number | undefined;
  /** Minutes of each logind `shutdown -h +N` (the realtime side's), and its `shutdown -c` count. */
  readonly logindArmed: number[] = [];
  logindCancelled = 0;
  /** Fake time at which logind's scheduled shutdown fires, if any. */
  logindShutdownAt: number | undefined;
  /** Handles other programs (e.g. the transcription script); default: the faster_whisper import probe answered from `venv`, anything else exit 127. */
  onRun?: (cmd: RemoteCommand, signal?: AbortSignal, onOutput?: (chunk: string) => void) => Promise<RemoteResult> | RemoteResult;
  private polls = 0;
  private unitPolls = 0;
  private timer: unknown;
  private logindTimer: unknown;

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
        this.o.clock.clearTimeout(this.logindTimer);
        this.logindShutdownAt = undefined;
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
    if (cmd.program === 'systemctl' && cmd.args[0] === 'stop' && cmd.args[1] === 'whisper-batch-stop.timer' && cmd.args.length === 2) {
      if (this.shutdownAt === undefined) return { exitCode: 5, stdout: '', stderr: 'Failed to stop whisper-batch-stop.timer: Unit whisper-batch-stop.timer not loaded.\n' };
      this.o.clock.clearTimeout(this.timer);
      this.shutdownAt = undefined;
      this.shutdownsCancelled++;
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    if (cmd.program === 'systemd-run') {
      const m = /^--on-active=(\d+)min$/.exec(cmd.args.find((a) => a.startsWith('--on-active=')) ?? '');
      const tail = cmd.args.slice(-2).join(' ');
      if (!cmd.args.includes('--unit=whisper-batch-stop') || !m || tail !== '/usr/bin/systemctl poweroff')
        return { exitCode: 1, stdout: '', stderr: `systemd-run: unexpected arguments ${JSON.stringify(cmd.args)}` };
      if (this.shutdownAt !== undefined) return { exitCode: 1, stdout: '', stderr: 'Failed to start transient timer unit: Unit whisper-batch-stop.timer was already loaded or has a fragment file.\n' };
      const minutes = Number(m[1]);
      this.shutdownsArmed.push(minutes);
      this.shutdownAt = this.o.clock.now() + minutes * 60_000;
      this.timer = this.o.clock.setTimeout(() => {
        this.shutdownAt = undefined;
        this.o.ec2.shutdownFromInside();
      }, minutes * 60_000);
      return { exitCode: 0, stdout: 'Running timer as unit: whisper-batch-stop.timer\n', stderr: '' };
    }
    if (cmd.program === 'shutdown') {
      // logind keeps one scheduled shutdown: a new one replaces it, -c cancels it.
      if (cmd.args[0] === '-c') {
        this.o.clock.clearTimeout(this.logindTimer);
        this.logindShutdownAt = undefined;
        this.logindCancelled++;
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      const m = /^\+(\d+)$/.exec(cmd.args[1] ?? '');
      if (cmd.args[0] !== '-h' || !m) return { exitCode: 1, stdout: '', stderr: `shutdown: invalid arguments ${JSON.stringify(cmd.args)}` };
      const minutes = Number(m[1]);
      this.logindArmed.push(minutes);
      this.o.clock.clearTimeout(this.logindTimer);
      this.logindShutdownAt = this.o.clock.now() + minutes * 60_000;
      this.logindTimer = this.o.clock.setTimeout(() => {
        this.logindShutdownAt = undefined;
        this.o.ec2.shutdownFromInside();
      }, minutes * 60_000);
      return { exitCode: 0, stdout: `Shutdown scheduled\n`, stderr: '' };
    }
    if (this.onRun) return this.onRun(cmd, opts.signal, opts.onOutput);
    if (cmd.interpreter === 'python3' && cmd.program.startsWith('import faster_whisper') && cmd.args.length === 0) {
      // The venv's Python asked whether faster-whisper imports (what the faster-whisper engine needs).
      if ((this.o.venv ?? 'ok') === 'ok') return { exitCode: 0, stdout: '', stderr: '' };
      return { exitCode: 1, stdout: '', stderr: 'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nModuleNotFoundError: No module named \'faster_whisper\'\n' };
    }
    return { exitCode: 127, stdout: '', stderr: `${cmd.program}: command not found` };
  }

  /** The realtime side schedules its own `shutdown -h +N` on the instance (not through our runner's log). */
  realtimeShutdown(minutes: number): void {
    this.logindArmed.push(minutes);
    this.o.clock.clearTimeout(this.logindTimer);
    this.logindShutdownAt = this.o.clock.now() + minutes * 60_000;
    this.logindTimer = this.o.clock.setTimeout(() => {
      this.logindShutdownAt = undefined;
      this.o.ec2.shutdownFromInside();
    }, minutes * 60_000);
  }

  /** The WhisperLive unit crashes (mid-batch). */
  killUnit(): void {
    this.unit = 'failed';
  }
}
