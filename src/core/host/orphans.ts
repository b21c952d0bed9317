/**
 * A GPU our runs started and no live run owns: the run crashed, lost power or was killed before its
 * release. The next run, `whisper-batch status` and the extension look for it and stop it (or offer to).
 */
import type { Ec2Api, Ec2StateName } from '../aws/ec2Api';
import type { Settings } from '../settings';
import { Ec2Host, OWNER_TAG, STARTED_TAG, type Ec2HostDeps } from './ec2Host';

/** What the run lease says (src/core/lease.ts readLease()); only these fields matter here. */
export interface LeaseView {
  runId: string;
  holder: string;
  expiresAt: string;
  expired: boolean;
}

export interface OrphanedGpu {
  instanceId: string;
  state: Ec2StateName;
  /** The run named in the ownership tag. */
  runId: string;
  startedAt?: string;
  /** Why no live run owns it, for the message to the user. */
  reason: string;
}

/**
 * The configured instance is orphaned when it is pending/running, carries our ownership tag, and no
 * live lease exists. A live lease (any run) means a run is alive: it adopts the GPU in its prepare.
 */
export async function findOrphanedGpu(deps: { ec2: Ec2Api; settings: Settings }, lease: LeaseView | undefined): Promise<OrphanedGpu | undefined> {
  const { host } = deps.settings;
  if (host.kind !== 'ec2' || !host.instanceId) return undefined;
  if (lease && !lease.expired) return undefined;
  const info = await deps.ec2.describe(host.instanceId);
  if (!info || (info.state !== 'running' && info.state !== 'pending')) return undefined;
  const runId = info.tags[OWNER_TAG];
  if (!runId) return undefined;
  return {
    instanceId: info.instanceId,
    state: info.state,
    runId,
    startedAt: info.tags[STARTED_TAG],
    reason: lease ? `run "${runId}" started it and its lease (held by ${lease.holder}) expired at ${lease.expiresAt}` : `run "${runId}" started it and no run holds the lease`,
  };
}

/** Stops an orphaned GPU with the host's full stop (guard, retries, loud failure, tags removed). */
export async function stopOrphanedGpu(deps: Ec2HostDeps, orphan: OrphanedGpu): Promise<void> {
  await new Ec2Host(deps).release({ force: true, reason: `orphaned: ${orphan.reason}` });
}
