/**
 * The words of the modal confirmation before a run: how many chunks in how many sessions, where,
 * how long and what it costs. Pure (no vscode import), so the text is unit-tested.
 */
import type { PendingJobs } from '../core/scan';
import type { Settings } from '../core/settings';
import { plural } from '../core/plural';

export interface Confirmation {
  message: string;
  detail: string;
  /** A warning only when the run costs money (the GPU); a free run on this machine is a plain question. */
  severity: 'info' | 'warning';
}

/** Run Batch Now: every pending chunk. */
export function runConfirmation(
  doc: Pick<PendingJobs, 'totalMissingChunks' | 'sessionsWithMissingChunks' | 'estimatedGpuTime' | 'estimatedCost' | 'deferredSessions'>,
  s: Pick<Settings, 'host'>,
): Confirmation {
  const ec2 = s.host.kind === 'ec2';
  const where = ec2 ? `the GPU ${s.host.instanceId}` : 'this machine';
  const cost = ec2 ? `about ${doc.estimatedCost} of GPU time (the GPU is started if it is stopped, and stopped after)` : 'no GPU cost';
  const deferred = doc.deferredSessions.length ? ` ${plural(doc.deferredSessions.length, 'session')} recording live or locked wait for a later run.` : '';
  return {
    message: `Transcribe ${plural(doc.totalMissingChunks, 'chunk')} in ${plural(doc.sessionsWithMissingChunks, 'session')}?`,
    detail: `On ${where}: estimated ${doc.estimatedGpuTime}, ${cost}.${deferred} The run goes on if this window closes; cancel it from the status bar.`,
    severity: ec2 ? 'warning' : 'info',
  };
}

/** Transcribe This Session Now on the GPU (the local host needs no confirmation). */
export function sessionConfirmation(session: { sessionId: string; missing: number }, s: Pick<Settings, 'host'>): Confirmation {
  return {
    message: `Transcribe ${plural(session.missing, 'chunk')} of "${session.sessionId}" now?`,
    detail: `This starts the GPU ${s.host.instanceId} if it is stopped, and stops it after.`,
    severity: 'warning',
  };
}
