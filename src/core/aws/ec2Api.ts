/**
 * The few EC2 calls the GPU host needs, behind narrow interfaces: the host is tested against
 * an in-repo fake (moto shows no pending/stopping), and this SDK v3 implementation against moto.
 * The SDK is loaded by dynamic import on first use, so the extension activates without it.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { WbError, type ErrorCode } from '../errors';
import { awsErrorToWbError, defaultClientFactory, type AwsClientOptions } from './clients';

export type Ec2StateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface InstanceInfo {
  instanceId: string;
  state: Ec2StateName;
  /** ms since epoch of the last start. */
  launchTime?: number;
  tags: Record<string, string>;
  /** When the current state began, if EC2 says (parsed from StateTransitionReason). */
  stateTransitionTime?: number;
  /** EC2's reason text for the last transition, e.g. "Client.UserInitiatedShutdown". */
  stateReason?: string;
  instanceType?: string;
}

export interface WaitOptions {
  timeoutSeconds: number;
  pollSeconds: number;
  signal?: AbortSignal;
}

export interface Ec2Api {
  /** undefined when the instance does not exist (InvalidInstanceID.NotFound). */
  describe(instanceId: string, signal?: AbortSignal): Promise<InstanceInfo | undefined>;
  /** Returns the state EC2 reports right after the call (usually 'pending'). */
  start(instanceId: string): Promise<Ec2StateName>;
  /** Returns the state EC2 reports right after the call (usually 'stopping'). */
  stop(instanceId: string): Promise<Ec2StateName>;
  createTags(instanceId: string, tags: Record<string, string>): Promise<void>;
  deleteTags(instanceId: string, keys: string[]): Promise<void>;
  /** What an OS shutdown does to the instance (DescribeInstanceAttribute instanceInitiatedShutdownBehavior). */
  shutdownBehavior(instanceId: string): Promise<'stop' | 'terminate'>;
  /** Waits until the instance is in `target`; throws Ec2Error 'timeout' or 'state' (e.g. terminated while waiting for running). */
  waitForState(instanceId: string, target: 'running' | 'stopped', opts: WaitOptions): Promise<void>;
}

/** What went wrong, in the terms the host acts on (retry, wait, give up). */
export type Ec2ErrorKind =
  | 'capacity' // InsufficientInstanceCapacity: retry later, tell the user
  | 'throttled' // RequestLimitExceeded / Throttling: retry with backoff
  | 'network' // no answer: retry with backoff
  | 'state' // IncorrectInstanceState: wait, then retry
  | 'not-found' // InvalidInstanceID.NotFound / Malformed
  | 'denied' // UnauthorizedOperation / AccessDenied: an IAM action is missing
  | 'timeout' // a waiter gave up
  | 'other';

export class Ec2Error extends WbError {
  constructor(
    readonly kind: Ec2ErrorKind,
    code: ErrorCode,
    message: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, options);
    this.name = 'Ec2Error';
  }
  get retryable(): boolean {
    return this.kind === 'capacity' || this.kind === 'throttled' || this.kind === 'network';
  }
}

export function ec2ErrorKind(e: unknown): Ec2ErrorKind {
  if (e instanceof Ec2Error) return e.kind;
  const err = e as { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = String(err?.name ?? err?.Code ?? '');
  if (name === 'InsufficientInstanceCapacity' || name === 'InsufficientCapacity') return 'capacity';
  if (/^(RequestLimitExceeded|Throttling|ThrottlingException|TooManyRequestsException|RequestThrottled)$/.test(name)) return 'throttled';
  if (name === 'IncorrectInstanceState' || name === 'IncorrectState') return 'state';
  if (/^InvalidInstanceID\.(NotFound|Malformed)$/.test(name) || name === 'InvalidInstanceId') return 'not-found';
  if (/^(UnauthorizedOperation|AccessDenied|AccessDeniedException|AuthFailure)$/.test(name)) return 'denied';
  // No usable credentials (none found, SSO token expired, keys rejected): retrying cannot fix it either.
  if (isCredentialsProblem(name)) return 'denied';
  const code = String(err?.code ?? '');
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|ENETUNREACH|EHOSTUNREACH|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) return 'network';
  if (name === 'TimeoutError' || name === 'NetworkingError' || name === 'RequestTimeout') return 'network';
  const status = err?.$metadata?.httpStatusCode;
  if (status === 503 || status === 500 || status === 502 || status === 504) return 'network';
  if (status === 429) return 'throttled';
  return 'other';
}

function isCredentialsProblem(name: string): boolean {
  return /^(CredentialsProviderError|TokenProviderError|ExpiredToken|ExpiredTokenException|RequestExpired|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|IncompleteSignature)$/.test(
    name,
  );
}

/** Maps an SDK error to an Ec2Error that says what failed and what to do. `action` is the IAM action (ec2:StartInstances). */
export function toEc2Error(e: unknown, action: string, instanceId: string, profile?: string): Ec2Error {
  if (e instanceof Ec2Error) return e;
  const kind = ec2ErrorKind(e);
  const errName = String((e as { name?: string })?.name ?? '');
  if (isCredentialsProblem(errName)) {
    // The shared wording: names the profile and says how to log in or configure credentials.
    const w = awsErrorToWbError(e, { service: 'ec2', action: `call ${action} on ${instanceId}`, profile, instanceId });
    return new Ec2Error('denied', 'Credentials', w.message, w.hint, { cause: e });
  }
  const raw = e instanceof Error ? e.message || e.name : String(e);
  const what = `${action} on ${instanceId}`;
  switch (kind) {
    case 'capacity':
      return new Ec2Error(
        kind,
        'Host',
        `AWS has no spare capacity for this instance type in its availability zone right now (InsufficientInstanceCapacity): ${what}`,
        'This is on the AWS side and usually passes within minutes: try again later, or move the instance to another zone or type.',
        { cause: e },
      );
    case 'throttled':
      return new Ec2Error(kind, 'Host', `AWS throttled the request (too many calls): ${what}`, 'It is retried with backoff.', { cause: e });
    case 'network':
      return new Ec2Error(kind, 'Host', `No answer from AWS EC2 (network): ${what}: ${raw}`, 'Check the network connection and the aws.region / aws.endpoint settings.', { cause: e });
    case 'state':
      return new Ec2Error(kind, 'Host', `The instance is in the wrong state for ${what}: ${raw}`, undefined, { cause: e });
    case 'not-found':
      return new Ec2Error(kind, 'NotFound', `EC2 instance ${instanceId} does not exist in this region`, 'Check the host.instanceId and aws.region settings.', { cause: e });
    case 'denied':
      return new Ec2Error(
        kind,
        'Credentials',
        `Access denied: the AWS identity may not call ${action} on ${instanceId}: ${raw}`,
        `Allow "${action}" for this instance in the IAM policy (see docs/iam-policy.json), or use another aws.profile.`,
        { cause: e },
      );
    default:
      return new Ec2Error(kind, 'Host', `${what} failed: ${raw}`, undefined, { cause: e });
  }
}

const STATES: readonly Ec2StateName[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];
function stateName(s: string | undefined): Ec2StateName {
  return STATES.includes(s as Ec2StateName) ? (s as Ec2StateName) : 'pending';
}

/** EC2 puts the transition time only in text: "User initiated (2026-11-25 10:00:00 GMT)". */
export function parseTransitionTime(reason: string | undefined): number | undefined {
  const m = /\((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) GMT\)/.exec(reason ?? '');
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isFinite(t) ? t : undefined;
}

export class SdkEc2Api implements Ec2Api {
  private client: Promise<EC2Client> | undefined;

  constructor(
    private readonly opts: AwsClientOptions,
    private readonly factory: (o: AwsClientOptions) => Promise<EC2Client> = (o) => defaultClientFactory().ec2(o),
  ) {}

  private ec2(): Promise<EC2Client> {
    this.client ??= this.factory(this.opts);
    return this.client;
  }

  async describe(instanceId: string, signal?: AbortSignal): Promise<InstanceInfo | undefined> {
    const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
    try {
      const out = await (await this.ec2()).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: signal });
      const inst = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      if (!inst) return undefined;
      const tags: Record<string, string> = {};
      for (const t of inst.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      return {
        instanceId,
        state: stateName(inst.State?.Name),
        launchTime: inst.LaunchTime ? new Date(inst.LaunchTime).getTime() : undefined,
        tags,
        stateTransitionTime: parseTransitionTime(inst.StateTransitionReason),
        stateReason: inst.StateReason?.Message ?? inst.StateTransitionReason ?? undefined,
        instanceType: inst.InstanceType,
      };
    } catch (e) {
      if (ec2ErrorKind(e) === 'not-found') return undefined;
      throw toEc2Error(e, 'ec2:DescribeInstances', instanceId, this.opts.profile);
    }
  }

  async start(instanceId: string): Promise<Ec2StateName> {
    const { StartInstancesCommand } = await import('@aws-sdk/client-ec2');
    try {
      const out = await (await this.ec2()).send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
      return stateName(out.StartingInstances?.[0]?.CurrentState?.Name);
    } catch (e) {
      throw toEc2Error(e, 'ec2:StartInstances', instanceId, this.opts.profile);
    }
  }

  async stop(instanceId: string): Promise<Ec2StateName> {
    const { StopInstancesCommand } = await import('@aws-sdk/client-ec2');
    try {
      const out = await (await this.ec2()).send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
      return stateName(out.StoppingInstances?.[0]?.CurrentState?.Name);
    } catch (e) {
      throw toEc2Error(e, 'ec2:StopInstances', instanceId, this.opts.profile);
    }
  }

  async createTags(instanceId: string, tags: Record<string, string>): Promise<void> {
    const { CreateTagsCommand } = await import('@aws-sdk/client-ec2');
    try {
      await (await this.ec2()).send(new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    } catch (e) {
      throw toEc2Error(e, 'ec2:CreateTags', instanceId, this.opts.profile);
    }
  }

  async deleteTags(instanceId: string, keys: string[]): Promise<void> {
    const { DeleteTagsCommand } = await import('@aws-sdk/client-ec2');
    try {
      await (await this.ec2()).send(new DeleteTagsCommand({ Resources: [instanceId], Tags: keys.map((Key) => ({ Key })) }));
    } catch (e) {
      throw toEc2Error(e, 'ec2:DeleteTags', instanceId, this.opts.profile);
    }
  }

  async shutdownBehavior(instanceId: string): Promise<'stop' | 'terminate'> {
    const { DescribeInstanceAttributeCommand } = await import('@aws-sdk/client-ec2');
    try {
      const out = await (await this.ec2()).send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
      return out.InstanceInitiatedShutdownBehavior?.Value === 'terminate' ? 'terminate' : 'stop';
    } catch (e) {
      throw toEc2Error(e, 'ec2:DescribeInstanceAttribute', instanceId, this.opts.profile);
    }
  }

  async waitForState(instanceId: string, target: 'running' | 'stopped', o: WaitOptions): Promise<void> {
    const sdk = await import('@aws-sdk/client-ec2');
    const wait = target === 'running' ? sdk.waitUntilInstanceRunning : sdk.waitUntilInstanceStopped;
    const poll = Math.max(1, Math.round(o.pollSeconds));
    try {
      await wait(
        // A steady poll (no backoff up to the SDK's default 120 s): a GPU that is running is seen within host.pollSeconds.
        { client: await this.ec2(), maxWaitTime: Math.max(1, Math.round(o.timeoutSeconds)), minDelay: poll, maxDelay: poll, abortSignal: o.signal },
        { InstanceIds: [instanceId] },
      );
    } catch (e) {
      // The SDK's waiter errors: name TimeoutError / AbortError, or a JSON message with "state":"FAILURE".
      const name = (e as { name?: string }).name;
      if (name === 'AbortError' || o.signal?.aborted) throw o.signal?.reason ?? e;
      if (name === 'TimeoutError') {
        throw new Ec2Error('timeout', 'HostNotReady', `EC2 instance ${instanceId} did not reach "${target}" within ${o.timeoutSeconds} s`, undefined, { cause: e });
      }
      if (e instanceof Error && e.message.includes('"state":"FAILURE"')) {
        const now = await this.describe(instanceId).catch(() => undefined);
        throw new Ec2Error('state', 'Host', `EC2 instance ${instanceId} cannot reach "${target}": it is ${now?.state ?? 'gone'}${now?.stateReason ? ` (${now.stateReason})` : ''}`, undefined, {
          cause: e,
        });
      }
      throw toEc2Error(e, 'ec2:DescribeInstances', instanceId, this.opts.profile);
    }
  }
}
