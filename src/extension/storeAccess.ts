/**
 * The extension's way to the store and the GPU state. AWS SDK clients are requested only through
 * the gated factory below, so activation and folder stores never load the SDK, and a test can
 * check that (`awsSdkRequested()`).
 */
import { awsOptionsFromSettings, defaultClientFactory, type AwsClientFactory } from '../core/aws/clients';
import { SdkEc2Api } from '../core/aws/ec2Api';
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
}

/** One look at the GPU: EC2 DescribeInstances (lazy SDK), or the local host, which is always there. */
export async function probeHost(settings: Settings, signal?: AbortSignal): Promise<HostProbeResult> {
  if (settings.host.kind === 'local') return { state: 'running' };
  if (!settings.host.instanceId) return { state: 'not-configured', error: 'whisperBatch.host.instanceId is empty' };
  const factory = gatedFactory();
  const api = new SdkEc2Api(awsOptionsFromSettings(settings, { maxAttempts: 1 }), (o) => factory.ec2(o));
  try {
    const info = await api.describe(settings.host.instanceId, signal);
    if (!info) return { state: 'terminated', error: `instance ${settings.host.instanceId} not found` };
    return { state: info.state, since: info.state === 'running' ? info.launchTime : info.stateTransitionTime };
  } catch (e) {
    return { state: 'unknown', error: describeError(e) };
  }
}
