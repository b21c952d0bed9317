/** Picks the host from settings: this machine, or the EC2 GPU (SDK-backed unless a fake is given). */
import { SdkEc2Api, type Ec2Api } from '../aws/ec2Api';
import { awsOptionsFromSettings } from '../aws/clients';
import type { Clock } from '../clock';
import type { Engine } from '../engine/engine';
import { WbError } from '../errors';
import type { BatchEventInput } from '../events';
import type { RemoteRunner } from '../remote/remoteRunner';
import type { Settings } from '../settings';
import { Ec2Host, type Ec2HostDeps, type HostRetryTuning } from './ec2Host';
import type { GpuHost } from './host';
import { LocalHost } from './localHost';

export interface OpenHostDeps {
  clock: Clock;
  engine: Engine;
  emit?: (e: BatchEventInput) => void;
  /** EC2 only: defaults to the SDK implementation for settings.aws. */
  ec2?: Ec2Api;
  /** EC2 only: SSM or SSH runner for the instance (src/core/remote). */
  remote?: RemoteRunner;
  retry?: Partial<HostRetryTuning>;
  /** EC2 only: reads the live-recording lock before a stop (see ec2Host.ts). */
  liveLock?: Ec2HostDeps['liveLock'];
}

export function openHost(settings: Settings, deps: OpenHostDeps): GpuHost {
  if (settings.host.kind === 'local') return new LocalHost({ engine: deps.engine, clock: deps.clock, emit: deps.emit });
  if (!settings.host.instanceId) {
    throw new WbError('Config', 'host.kind is "ec2" but host.instanceId is empty', 'Set host.instanceId to the GPU instance id (i-...).');
  }
  if (!deps.remote) {
    throw new WbError('Internal', 'The EC2 host needs a remote runner (SSM or SSH) to check WhisperLive and arm the shutdown timer');
  }
  return new Ec2Host({
    ec2: deps.ec2 ?? new SdkEc2Api(awsOptionsFromSettings(settings)),
    remote: deps.remote,
    clock: deps.clock,
    settings,
    emit: deps.emit,
    retry: deps.retry,
    liveLock: deps.liveLock,
  });
}
