/**
 * The extension's way to the store and the GPU state. AWS SDK clients are requested only through
 * the gated factory below, so activation and folder stores never load the SDK, and a test can
 * check that (`awsSdkRequested()`).
 */
import { awsOptionsFromSettings, defaultClientFactory, type AwsClientFactory } from '../core/aws/clients';
import { SdkEc2Api, type Ec2Api } from '../core/aws/ec2Api';
import { OWNER_TAG } from '../core/host/ec2Host';
import { findOrphanedGpu, type LeaseView, type OrphanedGpu } from '../core/host/orphans';
import { describeError } from '../core/errors';
import type { HostStateName } from '../core/events';
import type { Settings } from '../core/settings';
import { openStore } from '../core/store/openStore';
import type { ObjectStore } from '../core/store/objectStore';

let requested = false;
/** True once anything in this extension host asked for an AWS SDK client. */
export const awsSdkRequested = () => requested;

let shared: AwsClientFactory | undefined;
function gatedFactory(): AwsClientFactory {
  const base = (shared ??= defaultClientFactory());
  return {
    s3: (o) => ((requested = true), base.s3(o)),
    ec2: (o) => ((requested = true), base.ec2(o)),
    ssm: (o) => ((requested = true), base.ssm(o)),
    sns: (o) => ((requested = true), base.sns(o)),
  };
}

/** The SNS client of notifications (the same gated, shared factory). */
export const notifyClientFactory = (): Pick<AwsClientFactory, 'sns'> => gatedFactory();

export function openStoreFor(settings: Settings): ObjectStore {
  return openStore(settings, { clientFactory: gatedFactory() });
}

export interface HostProbeResult {
  state: HostStateName;
  /** When the instance last started (ms), for "running with no batch for N minutes". */
  since?: number;
  error?: string;
  /** Our runs started it and no live lease owns it (a dead run left it running): the status bar warns. */
  orphan?: OrphanedGpu;
}

/**
 * One look at the GPU: EC2 DescribeInstances (lazy SDK), or the local host, which is always there.
 * `lease` reads the run lease; it is read only when the instance carries our ownership tag.
 */
export async function probeHost(settings: Settings, lease: () => Promise<LeaseView | undefined>, signal?: AbortSignal): Promise<HostProbeResult> {
  if (settings.host.kind === 'local') return { state: 'running' };
  if (!settings.host.instanceId) return { state: 'not-configured', error: 'whisperBatch.host.instanceId is empty' };
  const factory = gatedFactory();
  return probeEc2(new SdkEc2Api(awsOptionsFromSettings(settings, { maxAttempts: 1 }), (o) => factory.ec2(o)), settings, lease, signal);
}

/** probeHost with the EC2 API given (tests pass a fake: moto has no ownership transitions to watch). */
export async function probeEc2(api: Ec2Api, settings: Settings, lease: () => Promise<LeaseView | undefined>, signal?: AbortSignal): Promise<HostProbeResult> {
  try {
    const info = await api.describe(settings.host.instanceId, signal);
    if (!info) return { state: 'terminated', error: `instance ${settings.host.instanceId} not found` };
    const since = info.state === 'running' ? info.launchTime : info.stateTransitionTime;
    // Only a GPU our runs started can be orphaned; an untagged one is the realtime side's.
    const tagged = !!info.tags[OWNER_TAG] && (info.state === 'running' || info.state === 'pending');
    const orphan = tagged ? await findOrphanedGpu({ ec2: api, settings }, await lease()) : undefined;
    return { state: info.state, since, ...(orphan ? { orphan } : {}) };
  } catch (e) {
    return { state: 'unknown', error: describeError(e) };
  }
}
