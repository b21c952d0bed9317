/**
 * In-repo stand-in for EC2, behind the same Ec2Api the SDK implementation serves: moto shows no
 * pending/stopping and has no delays, so transitions and faults are simulated here on a fake clock.
 * Errors are shaped like SDK errors and mapped by the same toEc2Error as the real implementation.
 */
import type { Clock } from '../../src/core/clock';
import { sleep } from '../../src/core/clock';
import { Ec2Error, toEc2Error, type Ec2Api, type Ec2StateName, type InstanceInfo, type WaitOptions } from '../../src/core/aws/ec2Api';

export interface FakeEc2Options {
  clock: Clock;
  instanceId?: string;
  state?: Ec2StateName;
  tags?: Record<string, string>;
  /** pending -> running. Real g4dn: about 1-3 min. */
  startDelayMs?: number;
  /** stopping -> stopped. */
  stopDelayMs?: number;
}

export interface FakeEc2Faults {
  /** Every StartInstances fails with this SDK error name (e.g. 'UnauthorizedOperation'). */
  startFails?: string;
  /** The next n StartInstances fail with InsufficientInstanceCapacity. */
  capacityFailures?: number;
  /** The next n StopInstances fail with RequestLimitExceeded. */
  stopThrottled?: number;
  /** Every StopInstances fails (network error). */
  stopNeverSucceeds?: boolean;
  /** The instance comes up and then shuts down by itself after this many ms (e.g. a kernel panic). */
  diesAfterMs?: number;
}

export const GPU_ID = 'i-0123456789abcdef0';

export function sdkError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export class FakeEc2 implements Ec2Api {
  readonly instanceId: string;
  state: Ec2StateName;
  tags: Record<string, string>;
  exists = true;
  /** What an OS shutdown does (EC2 default: stop). */
  onShutdown: 'stop' | 'terminate' = 'stop';
  faults: FakeEc2Faults = {};
  /** Every API call, in order: 'describe', 'start', 'stop', 'createTags', 'deleteTags', 'wait:running'. */
  readonly calls: string[] = [];
  /** Every state the instance went through, with the fake time. */
  readonly history: Array<{ state: Ec2StateName; at: number }> = [];
  launchTime?: number;
  private readonly clock: Clock;
  private readonly startDelayMs: number;
  private readonly stopDelayMs: number;
  private timer: unknown;
  private listeners: Array<(s: Ec2StateName) => void> = [];

  constructor(o: FakeEc2Options) {
    this.clock = o.clock;
    this.instanceId = o.instanceId ?? GPU_ID;
    this.state = o.state ?? 'stopped';
    this.tags = { ManagedBy: 'BatchTranscription', Name: 'whisper-gpu', ...o.tags };
    this.startDelayMs = o.startDelayMs ?? 90_000;
    this.stopDelayMs = o.stopDelayMs ?? 30_000;
    this.history.push({ state: this.state, at: this.clock.now() });
    if (this.state === 'running') this.launchTime = this.clock.now();
  }

  onState(fn: (s: Ec2StateName) => void): void {
    this.listeners.push(fn);
  }

  /** How many times the instance was started (pending entered). */
  get starts(): number {
    return this.history.filter((h) => h.state === 'pending').length;
  }

  private set(state: Ec2StateName): void {
    if (state === this.state) return;
    this.state = state;
    this.history.push({ state, at: this.clock.now() });
    if (state === 'running') this.launchTime = this.clock.now();
    for (const l of this.listeners) l(state);
  }

  private later(ms: number, fn: () => void): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(fn, ms);
  }

  private check(action: string, id: string): void {
    if (id !== this.instanceId || !this.exists) throw toEc2Error(sdkError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`), action, id);
  }

  async describe(id: string): Promise<InstanceInfo | undefined> {
    this.calls.push('describe');
    if (id !== this.instanceId || !this.exists) return undefined;
    const last = this.history[this.history.length - 1];
    return { instanceId: id, state: this.state, tags: { ...this.tags }, launchTime: this.launchTime, stateTransitionTime: last.at, instanceType: 'g4dn.xlarge' };
  }

  async start(id: string): Promise<Ec2StateName> {
    this.calls.push('start');
    this.check('ec2:StartInstances', id);
    const f = this.faults;
    if (f.startFails) throw toEc2Error(sdkError(f.startFails, `start refused: ${f.startFails}`), 'ec2:StartInstances', id);
    if (f.capacityFailures) {
      f.capacityFailures--;
      throw toEc2Error(
        sdkError('InsufficientInstanceCapacity', 'We currently do not have sufficient g4dn.xlarge capacity in the Availability Zone you requested (us-east-1a).', 500),
        'ec2:StartInstances',
        id,
      );
    }
    if (this.state === 'stopping' || this.state === 'terminated' || this.state === 'shutting-down') {
      throw toEc2Error(sdkError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be started.`), 'ec2:StartInstances', id);
    }
    if (this.state === 'stopped') {
      this.set('pending');
      this.later(this.startDelayMs, () => {
        this.set('running');
        if (f.diesAfterMs !== undefined) this.later(f.diesAfterMs, () => this.shutdownFromInside());
      });
    }
    return this.state;
  }

  async stop(id: string): Promise<Ec2StateName> {
    this.calls.push('stop');
    this.check('ec2:StopInstances', id);
    const f = this.faults;
    if (f.stopNeverSucceeds) throw toEc2Error(Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { code: 'ETIMEDOUT' }), 'ec2:StopInstances', id);
    if (f.stopThrottled) {
      f.stopThrottled--;
      throw toEc2Error(sdkError('RequestLimitExceeded', 'Request limit exceeded.', 503), 'ec2:StopInstances', id);
    }
    if (this.state === 'pending' || this.state === 'terminated' || this.state === 'shutting-down') {
      throw toEc2Error(sdkError('IncorrectInstanceState', `The instance '${id}' is not in a state from which it can be stopped.`), 'ec2:StopInstances', id);
    }
    if (this.state === 'running') this.beginStop();
    return this.state;
  }

  private beginStop(): void {
    this.set('stopping');
    this.later(this.stopDelayMs, () => this.set('stopped'));
  }

  /** The OS powered itself off (shutdown -h): EC2 stops the instance (InstanceInitiatedShutdownBehavior=stop). */
  shutdownFromInside(): void {
    if (this.state !== 'running') return;
    if (this.onShutdown === 'stop') return this.beginStop();
    this.set('shutting-down');
    this.later(this.stopDelayMs, () => this.set('terminated'));
  }

  async shutdownBehavior(id: string): Promise<'stop' | 'terminate'> {
    this.calls.push('shutdownBehavior');
    this.check('ec2:DescribeInstanceAttribute', id);
    return this.onShutdown;
  }

  terminate(): void {
    this.clock.clearTimeout(this.timer);
    this.set('terminated');
  }

  async createTags(id: string, tags: Record<string, string>): Promise<void> {
    this.calls.push('createTags');
    this.check('ec2:CreateTags', id);
    Object.assign(this.tags, tags);
  }

  async deleteTags(id: string, keys: string[]): Promise<void> {
    this.calls.push('deleteTags');
    this.check('ec2:DeleteTags', id);
    for (const k of keys) delete this.tags[k];
  }

  /** Same acceptors as the SDK waiters: instance-running fails on stopping/terminated/shutting-down, instance-stopped on pending/terminated. */
  async waitForState(id: string, target: 'running' | 'stopped', o: WaitOptions): Promise<void> {
    this.calls.push(`wait:${target}`);
    const until = this.clock.now() + o.timeoutSeconds * 1000;
    const failOn: Ec2StateName[] = target === 'running' ? ['stopping', 'terminated', 'shutting-down'] : ['pending', 'terminated'];
    for (;;) {
      this.check('ec2:DescribeInstances', id);
      if (this.state === target) return;
      if (failOn.includes(this.state)) throw new Ec2Error('state', 'Host', `EC2 instance ${id} cannot reach "${target}": it is ${this.state}`);
      if (this.clock.now() >= until) throw new Ec2Error('timeout', 'HostNotReady', `EC2 instance ${id} did not reach "${target}" within ${o.timeoutSeconds} s`);
      await sleep(this.clock, Math.max(1, o.pollSeconds) * 1000, o.signal);
    }
  }
}
