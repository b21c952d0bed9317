/**
 * The EC2 GPU host: start only from `stopped`, wait until the instance runs, the agent answers and
 * what the chosen engine needs is there (faster-whisper: the venv's Python imports it; whisperlive:
 * the WhisperLive unit is active); stop at the end only if this run started it, with retries, and
 * fail LOUDLY if the stop never succeeds. A GPU left running by our code is the worst bug this
 * product can have, so every start is marked on the instance (tags a later run can see) and backed
 * by the instance's own stop timer (the dead-man's switch). A GPU killed under a live recording is
 * the other worst outcome: before stopping, the host reads the live-recording lock and waits
 * (bounded) while it is held. On a GPU this run did not start it changes nothing, timers included.
 */
import type { Clock } from '../clock';
import { isoTime, sleep } from '../clock';
import { CancelledError, WbError, describeError, throwIfAborted } from '../errors';
import type { BatchEventInput, HostStateName } from '../events';
import type { RemoteRunner, RemoteResult } from '../remote/remoteRunner';
import { shellQuote } from '../remote/remoteRunner';
import type { Settings } from '../settings';
import type { Ec2Api, Ec2StateName, InstanceInfo } from '../aws/ec2Api';
import { ec2ErrorKind, toEc2Error } from '../aws/ec2Api';
import type { LiveLock } from '../liveLock';
import { describeLiveLock } from '../liveLock';
import type { GpuHost, HostStatus, HostTimeline, PrepareResult, ReleaseOutcome } from './host';
import { effectiveEngine } from '../engine/engineEnv';

/** Ownership mark: the run that started the instance, and when. Removed when we stop it. */
export const OWNER_TAG = 'WhisperBatchRun';
export const STARTED_TAG = 'WhisperBatchStarted';
/**
 * Our dead-man's switch is a named transient systemd timer, not `shutdown -h +N`: the realtime side
 * schedules its own `shutdown -h +N` / `shutdown -c`, and logind keeps only one such shutdown, so
 * arming or cancelling it would replace or cancel theirs. Ours can be stopped by name only.
 */
export const STOP_TIMER_UNIT = 'whisper-batch-stop';

export interface HostRetryTuning {
  /** Extra start attempts after InsufficientInstanceCapacity. */
  capacityRetries: number;
  capacityDelaySeconds: number;
  /** Stop attempts before the loud StopFailed. */
  stopAttempts: number;
  stopBaseDelaySeconds: number;
  stopMaxDelaySeconds: number;
  /** How long to wait for `stopped` after EC2 accepted the stop. */
  stopWaitSeconds: number;
  /** How often the live-recording lock is read again while it holds the GPU. */
  liveLockPollSeconds: number;
}

export const defaultRetryTuning: HostRetryTuning = {
  capacityRetries: 4,
  capacityDelaySeconds: 30,
  stopAttempts: 8,
  stopBaseDelaySeconds: 2,
  stopMaxDelaySeconds: 60,
  stopWaitSeconds: 600,
  liveLockPollSeconds: 15,
};

export interface Ec2HostDeps {
  ec2: Ec2Api;
  remote: RemoteRunner;
  clock: Clock;
  settings: Settings;
  emit?: (e: BatchEventInput) => void;
  retry?: Partial<HostRetryTuning>;
  /** Reads the live-recording lock (src/core/liveLock.ts) before a stop; without it nothing waits. */
  liveLock?: (signal?: AbortSignal) => Promise<LiveLock | undefined>;
}

const REMOTE_TIMEOUT_SECONDS = 30;
/** Run by the venv's python3 on the instance: exits 0 once faster-whisper imports there. */
const FASTER_WHISPER_PROBE = 'import faster_whisper';

export class Ec2Host implements GpuHost {
  readonly kind = 'ec2' as const;
  readonly id: string;
  readonly timeline: HostTimeline = {};
  readonly hourlyUsd: number;
  private readonly tune: HostRetryTuning;
  private startedByUs = false;
  private guardChecked = false;
  private shutdownArmedAt: number | undefined;
  private lastState: HostStateName | undefined;
  private lastDetail: string | undefined;
  // One host object serves run after run (the extension keeps it): each prepare starts a new cycle.
  private preparing: Promise<PrepareResult> | undefined;
  private releasing: Promise<void> | undefined;
  private releaseForced = false;
  private cycleStartedAt = 0;
  private released: ReleaseOutcome | undefined;
  /** Aborted by release(): a prepare still in flight stops before it can start anything. */
  private closeCtl = new AbortController();

  constructor(private readonly d: Ec2HostDeps) {
    this.id = d.settings.host.instanceId;
    this.hourlyUsd = d.settings.cost.gpuHourlyUsd;
    this.tune = { ...defaultRetryTuning, ...d.retry };
  }

  /** True once this run started (or adopted) the instance: release() will stop it. */
  get ownsInstance(): boolean {
    return this.startedByUs;
  }

  /** True while the instance's own stop timer is armed by us. */
  get deadMansSwitchArmed(): boolean {
    return this.shutdownArmedAt !== undefined;
  }

  /** What the last release did (stopped, left running, waited for a live recording), for the report. */
  get lastRelease(): ReleaseOutcome | undefined {
    return this.released;
  }

  chunkStarted(): void {
    this.timeline.firstChunk ??= this.d.clock.now();
  }

  chunkFinished(): void {
    this.timeline.lastChunk = this.d.clock.now();
  }

  async status(signal?: AbortSignal): Promise<HostStatus> {
    if (!this.id) return { state: 'not-configured', detail: 'host.instanceId is empty' };
    const info = await this.d.ec2.describe(this.id, signal);
    if (!info) return { state: 'unknown', instanceId: this.id, detail: `instance ${this.id} not found in ${this.d.settings.aws.region}` };
    const guard = this.guardProblem(info);
    return {
      state: info.state,
      instanceId: this.id,
      since: info.stateTransitionTime ?? (info.state === 'running' ? info.launchTime : undefined),
      ownedByRun: info.tags[OWNER_TAG] || undefined,
      detail: guard ? `not managed by whisper-batch: ${guard}` : undefined,
    };
  }

  prepare(runId: string, signal: AbortSignal): Promise<PrepareResult> {
    if (this.preparing && !this.releasing) return this.preparing;
    const previous = this.releasing;
    const ctl = (this.closeCtl = new AbortController());
    this.releasing = undefined;
    this.releaseForced = false;
    this.preparing = (async () => {
      if (previous) await previous.catch(() => undefined); // the last run's stop finishes first
      this.startedByUs = false;
      this.released = undefined;
      this.cycleStartedAt = this.d.clock.now();
      for (const k of Object.keys(this.timeline) as Array<keyof HostTimeline>) delete this.timeline[k];
      return this.doPrepare(runId, AbortSignal.any([signal, ctl.signal]));
    })();
    return this.preparing;
  }

  private async doPrepare(runId: string, signal: AbortSignal): Promise<PrepareResult> {
    const s = this.d.settings.host;
    const id = this.requireId();
    let deadline = this.d.clock.now() + s.readyTimeoutSeconds * 1000;
    let info = await this.describeGuarded(signal);
    this.observe(info);

    if (info.state === 'terminated' || info.state === 'shutting-down') {
      throw new WbError('Host', `GPU instance ${id} is ${info.state}: it cannot be started again`, 'Point host.instanceId at a live instance.');
    }
    if (info.state === 'running' || info.state === 'pending') {
      const owner = info.tags[OWNER_TAG];
      if (owner && owner !== runId) {
        // We hold the run lease, so the run named in the tag is gone: its GPU is ours to finish and stop.
        this.log('warn', `GPU ${id} was started by run "${owner}", which is no longer alive: this run takes it over and will stop it`);
        await this.markOwned(runId);
      } else if (owner === runId) {
        this.startedByUs = true;
      } else {
        this.log('info', `GPU ${id} is already ${info.state} (started outside whisper-batch, e.g. the realtime path): using it and leaving it running`);
      }
      if (info.state === 'pending') await this.waitFor('running', deadline, signal);
    } else {
      if (info.state === 'stopping') {
        this.log('info', `GPU ${id} is stopping: waiting until it has stopped before starting it`);
        await this.waitFor('stopped', deadline, signal);
      }
      await this.startInstance(runId, signal);
      // Capacity retries and a stopping instance do not eat into the boot's own time.
      deadline = this.d.clock.now() + s.readyTimeoutSeconds * 1000;
      await this.waitFor('running', deadline, signal);
    }
    info = (await this.d.ec2.describe(id, signal)) ?? info;
    this.observe(info);
    await this.waitReady(deadline, signal);
    this.timeline.ready = this.d.clock.now();
    this.setState('running', 'ready');
    await this.armShutdown();
    return { startedByUs: this.startedByUs };
  }

  release(opts: { force?: boolean; reason: string }): Promise<void> {
    if (!this.releasing) {
      this.releaseForced = !!opts.force;
      this.releasing = this.doRelease(opts);
    } else if (opts.force && !this.releaseForced) {
      // e.g. the user's Stop after a run that left an already-running GPU on: stop it now.
      this.releaseForced = true;
      this.releasing = this.releasing.catch(() => undefined).then(() => this.doRelease(opts));
    }
    return this.releasing;
  }

  private async doRelease(opts: { force?: boolean; reason: string }): Promise<void> {
    this.closeCtl.abort(new CancelledError(`GPU host released: ${opts.reason}`));
    // Let a prepare in flight settle (its waits are abortable), so we know whether it started the instance.
    if (this.preparing) await this.preparing.catch(() => undefined);
    if (!this.startedByUs && !opts.force) {
      // Not ours: no stop, and no timer armed or cancelled either (there is none of ours on it).
      if (this.timeline.ready !== undefined) {
        this.log('info', `Leaving GPU ${this.id} running: it was already running when this run began`);
        this.released = { action: 'left-running', reason: 'it was already running when this run began' };
      }
      return;
    }
    // A forced stop is a person's or an orphan check's decision (both look at the lock themselves).
    const lock = opts.force ? undefined : await this.waitForLiveLock();
    await this.stopWithRetry(opts.reason);
    this.released = { action: 'stopped', ...lock };
  }

  /**
   * A live recording may have begun on our GPU during the run: while a fresh lock holds it, wait,
   * bounded by host.liveLockWaitMinutes and by the run's max runtime (the watchdog's and the on-instance
   * timer's limit), then stop. Never cancellable: the wait always ends in the stop.
   */
  private async waitForLiveLock(): Promise<Omit<ReleaseOutcome, 'action'> | undefined> {
    if (!this.d.liveLock) return undefined;
    const s = this.d.settings.host;
    const t0 = this.d.clock.now();
    const deadline = Math.min(t0 + s.liveLockWaitMinutes * 60_000, this.cycleStartedAt + s.maxRuntimeMinutes * 60_000);
    let first: LiveLock | undefined;
    let last: LiveLock | undefined;
    for (;;) {
      last = await this.d.liveLock().catch((e) => {
        this.log('warn', `Could not read the live-recording lock before stopping GPU ${this.id} (${describeError(e)}): stopping it`);
        return undefined;
      });
      if (last?.stale) last = undefined;
      if (!last) break;
      if (!first) {
        first = last;
        this.log(
          'warn',
          `Not stopping GPU ${this.id} yet: ${describeLiveLock(last)} (a live recording is using it); waiting up to ${Math.max(0, Math.round((deadline - t0) / 60_000))} min for it to end`,
        );
        this.setState('running', 'waiting for the live recording to end');
      }
      if (this.d.clock.now() >= deadline) break;
      await sleep(this.d.clock, Math.min(this.tune.liveLockPollSeconds * 1000, Math.max(1, deadline - this.d.clock.now())));
    }
    if (!first) return undefined;
    const waitedSeconds = Math.round((this.d.clock.now() - t0) / 1000);
    const lock = { key: first.key, holder: first.holder, since: first.since };
    if (!last) {
      this.log('info', `The live recording on GPU ${this.id} ended after ${waitedSeconds} s: stopping it`);
      return { liveLock: { ...lock, waitedSeconds, outcome: 'cleared' } };
    }
    const limit = deadline === t0 + s.liveLockWaitMinutes * 60_000 ? `host.liveLockWaitMinutes (${s.liveLockWaitMinutes} min)` : `host.maxRuntimeMinutes (${s.maxRuntimeMinutes} min)`;
    this.log('error', `Stopping GPU ${this.id} although ${describeLiveLock(last)}: waited ${waitedSeconds} s, the limit ${limit}; this run started it and must not leave it running`);
    return { liveLock: { ...lock, waitedSeconds, outcome: 'limit-reached' } };
  }

  // ---- start --------------------------------------------------------------------------------

  private async markOwned(runId: string): Promise<void> {
    await this.d.ec2.createTags(this.id, { [OWNER_TAG]: runId, [STARTED_TAG]: isoTime(this.d.clock.now()) });
    this.startedByUs = true;
  }

  private async startInstance(runId: string, signal: AbortSignal): Promise<void> {
    const id = this.id;
    throwIfAborted(signal);
    // Tag first: if we die right after StartInstances, the next run still finds the mark.
    await this.markOwned(runId);
    const retries = this.tune.capacityRetries;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      this.timeline.startRequested ??= this.d.clock.now();
      try {
        const state = await this.d.ec2.start(id);
        this.setState(state, 'start requested');
        return;
      } catch (e) {
        const kind = ec2ErrorKind(e);
        if (kind === 'state') {
          // Raced with a transition: find out where it is now and act on that.
          const now = await this.d.ec2.describe(id, signal);
          if (now?.state === 'pending' || now?.state === 'running') return;
          if (now?.state === 'stopping' && attempt < retries) {
            await this.d.ec2.waitForState(id, 'stopped', { timeoutSeconds: this.tune.stopWaitSeconds, pollSeconds: this.d.settings.host.pollSeconds, signal });
            continue;
          }
        }
        if (kind === 'capacity' && attempt < retries) {
          const delay = this.tune.capacityDelaySeconds * 2 ** attempt;
          this.log('warn', `AWS has no free GPU capacity in this zone right now (InsufficientInstanceCapacity): trying again in ${delay} s (attempt ${attempt + 2} of ${retries + 1}): ${id}`);
          await sleep(this.d.clock, delay * 1000, signal);
          continue;
        }
        if ((kind === 'throttled' || kind === 'network') && attempt < retries) {
          await sleep(this.d.clock, this.tune.stopBaseDelaySeconds * 2 ** attempt * 1000, signal);
          continue;
        }
        const err = toEc2Error(e, 'ec2:StartInstances', id);
        if (kind === 'capacity') {
          throw new WbError(
            'Host',
            `Could not start GPU ${id}: AWS had no free capacity for its instance type in its zone after ${retries + 1} tries (InsufficientInstanceCapacity)`,
            'This is on the AWS side, not a fault of your setup: the next scheduled run will try again; or move the instance to another availability zone or type.',
            { cause: e },
          );
        }
        throw err;
      }
    }
  }

  private async waitFor(target: 'running' | 'stopped', deadline: number, signal: AbortSignal): Promise<void> {
    const left = Math.max(1, Math.ceil((deadline - this.d.clock.now()) / 1000));
    try {
      await this.d.ec2.waitForState(this.id, target, { timeoutSeconds: left, pollSeconds: this.d.settings.host.pollSeconds, signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      const info = await this.d.ec2.describe(this.id).catch(() => undefined);
      if (info) this.observe(info);
      throw new WbError(
        'HostNotReady',
        `GPU ${this.id} did not reach "${target}" within ${this.d.settings.host.readyTimeoutSeconds} s (now ${info?.state ?? 'unknown'}): ${describeError(e)}`,
        'Look at the instance in the EC2 console (status checks, system log).',
        { cause: e },
      );
    }
    this.observe({ instanceId: this.id, state: target, tags: {} });
  }

  /**
   * What the engine needs on the instance: the faster-whisper script runs in host.venvPath's Python
   * (the WhisperLive server may as well be stopped), the whisperlive engine talks to the unit.
   * Null when it is there, else why not and what to check.
   */
  private async engineProblem(signal: AbortSignal): Promise<{ reason: string; hint: string } | null> {
    const s = this.d.settings.host;
    if (effectiveEngine(this.d.settings).kind === 'whisperlive') {
      const res = await this.runRemote('systemctl', ['is-active', s.serviceName], signal);
      const out = res.stdout.trim();
      if (out === 'active') return null;
      return {
        reason: `\`systemctl is-active ${s.serviceName}\` printed "${out || res.stderr.trim() || 'nothing'}"`,
        hint: `Check the unit on the instance: systemctl status ${shellQuote(s.serviceName)}; journalctl -u ${shellQuote(s.serviceName)} (host.serviceName names the unit).`,
      };
    }
    const python = `${s.venvPath.replace(/\/+$/, '')}/bin/python3`;
    let res: RemoteResult;
    try {
      res = await this.d.remote.run({ program: FASTER_WHISPER_PROBE, interpreter: 'python3', interpreterPath: python, args: [], timeoutSeconds: REMOTE_TIMEOUT_SECONDS }, { signal });
    } catch (e) {
      if (signal.aborted) throw signal.reason ?? e;
      res = { exitCode: -1, stdout: '', stderr: describeError(e) };
    }
    if (res.exitCode === 0) return null;
    const why = res.stderr.trim().split('\n').filter(Boolean).pop() || `exit ${res.exitCode}`;
    return {
      reason: `${python} cannot import faster_whisper: ${why.slice(0, 300)}`,
      hint: `Check host.venvPath (the venv with faster-whisper on the instance, e.g. WhisperLive's); on the instance: ${shellQuote(python)} -c 'import faster_whisper'.`,
    };
  }

  /** Ready = running AND agent online AND the engine's needs (engineProblem) are met. */
  private async waitReady(deadline: number, signal: AbortSignal): Promise<void> {
    const s = this.d.settings.host;
    const agent = this.d.remote.transport === 'ssm' ? 'the SSM agent' : 'SSH';
    let reason = '';
    let hint = '';
    for (;;) {
      throwIfAborted(signal);
      const info = await this.d.ec2.describe(this.id, signal);
      if (!info) throw new WbError('NotFound', `GPU instance ${this.id} disappeared while starting`);
      this.observe(info);
      if (info.state !== 'running' && info.state !== 'pending') {
        throw new WbError('HostNotReady', `GPU ${this.id} became ${info.state} while we waited for it to be ready${info.stateReason ? ` (${info.stateReason})` : ''}`);
      }
      if (info.state !== 'running') {
        reason = `the instance is ${info.state}, not running`;
        hint = 'Look at the instance in the EC2 console.';
      } else if (!(await this.d.remote.isReachable(signal).catch(() => false))) {
        reason = `${agent} on the instance is not online`;
        hint =
          this.d.remote.transport === 'ssm'
            ? 'Check that the instance profile has AmazonSSMManagedInstanceCore and the amazon-ssm-agent runs (or set host.transport to ssh).'
            : 'Check host.sshHost, host.sshUser, host.sshKeyPath and the security group.';
      } else {
        const problem = await this.engineProblem(signal);
        if (!problem) return;
        ({ reason, hint } = problem);
      }
      this.setState(info.state, `waiting: ${reason}`);
      if (this.d.clock.now() + s.pollSeconds * 1000 > deadline) {
        throw new WbError('HostNotReady', `GPU ${this.id} not ready after ${s.readyTimeoutSeconds} s: ${reason}`, hint);
      }
      await sleep(this.d.clock, s.pollSeconds * 1000, signal);
    }
  }

  // ---- dead-man's switch --------------------------------------------------------------------

  /**
   * A transient systemd timer on the instance, `whisper-batch-stop`, that powers it off after the max
   * runtime even if this machine dies. Armed only on a GPU this run started (or took over from a dead
   * run of ours); any earlier timer of ours is stopped first by its name, nobody else's is touched.
   */
  private async armShutdown(): Promise<void> {
    if (!this.startedByUs) return;
    // Rounded up: the timer must never fire before the run's own watchdog (run start + maxRuntimeMinutes).
    const minutes = Math.ceil(this.d.settings.host.maxRuntimeMinutes);
    if (!(await this.shutdownStops())) return;
    // A dead run of ours may have left its timer: systemd refuses a second unit of the same name.
    await this.runRemote('systemctl', ['stop', `${STOP_TIMER_UNIT}.timer`], this.closeCtl.signal);
    const res = await this.runRemote('systemd-run', stopTimerArgs(minutes), this.closeCtl.signal);
    if (res.exitCode === 0) {
      this.shutdownArmedAt = this.d.clock.now();
    } else {
      this.log(
        'warn',
        `Could not arm the GPU's own stop timer (systemd-run --unit=${STOP_TIMER_UNIT} --on-active=${minutes}min); only this process will stop it: ${res.stderr.trim() || `exit ${res.exitCode}`}`,
      );
    }
  }

  /** An OS shutdown must stop the instance, never terminate (delete) it: check before arming the timer. */
  private async shutdownStops(): Promise<boolean> {
    const s = this.d.settings;
    let behavior: string;
    try {
      behavior = await this.d.ec2.shutdownBehavior(this.id);
    } catch (e) {
      this.log('warn', `Not arming the GPU's own shutdown timer: could not read its shutdown behaviour (${describeError(e)}); only this process will stop it`);
      return false;
    }
    if (behavior === 'stop') return true;
    this.log(
      'warn',
      `Not arming the GPU's own shutdown timer: a shutdown would TERMINATE (delete) instance ${this.id}, so only this process will stop it. ` +
        `Make shutdowns stop it: aws ec2 modify-instance-attribute --instance-id ${this.id} --instance-initiated-shutdown-behavior Value=stop --region ${s.aws.region}`,
    );
    return false;
  }

  private async runRemote(program: string, args: string[], signal?: AbortSignal): Promise<RemoteResult> {
    try {
      return await this.d.remote.run({ program, args, timeoutSeconds: REMOTE_TIMEOUT_SECONDS }, { signal });
    } catch (e) {
      if (signal?.aborted) throw signal.reason ?? e;
      return { exitCode: -1, stdout: '', stderr: describeError(e) };
    }
  }

  // ---- stop ---------------------------------------------------------------------------------

  private async stopWithRetry(reason: string): Promise<void> {
    const id = this.requireId();
    if (!this.guardChecked) {
      const info = await this.describeGuarded();
      if (info.state === 'stopped' || info.state === 'terminated') {
        this.observe(info);
        return;
      }
    }
    this.timeline.stopRequested = this.d.clock.now();
    this.log('info', `Stopping GPU ${id}: ${reason}`);
    let accepted = false;
    let lastErr: unknown;
    let pendingWaits = 0;
    const n = this.tune.stopAttempts;
    for (let attempt = 1; attempt <= n && !accepted; attempt++) {
      try {
        this.setState(await this.d.ec2.stop(id), 'stop requested');
        accepted = true;
        break;
      } catch (e) {
        lastErr = e;
        const kind = ec2ErrorKind(e);
        if (kind === 'not-found') {
          this.log('warn', `GPU ${id} no longer exists: nothing to stop`);
          return;
        }
        if (kind === 'denied') break; // retrying cannot grant a missing IAM action
        if (kind === 'state') {
          const now = await this.d.ec2.describe(id).catch(() => undefined);
          if (now && ['stopping', 'stopped', 'shutting-down', 'terminated'].includes(now.state)) {
            this.observe(now);
            accepted = true;
            break;
          }
          if (now?.state === 'pending' && pendingWaits++ < 2) {
            // EC2 cannot stop a pending instance: wait until it runs, then stop (this try does not count).
            this.log('info', `GPU ${id} is still booting: waiting until it runs to stop it`);
            await this.d.ec2.waitForState(id, 'running', { timeoutSeconds: this.tune.stopWaitSeconds, pollSeconds: this.d.settings.host.pollSeconds }).catch(() => undefined);
            attempt--;
            continue;
          }
        }
        if (attempt < n) {
          const delay = Math.min(this.tune.stopMaxDelaySeconds, this.tune.stopBaseDelaySeconds * 2 ** (attempt - 1));
          this.log('warn', `Stop of GPU ${id} failed (${kind}), retrying in ${delay} s (attempt ${attempt + 1} of ${n}): ${describeError(e)}`);
          // Deliberately not cancellable: a cancelled run must still stop its GPU.
          await sleep(this.d.clock, delay * 1000);
        }
      }
    }
    if (!accepted) {
      const s = this.d.settings;
      const msg = `THE GPU IS STILL RUNNING: could not stop EC2 instance ${id} (${describeError(lastErr)})`;
      const hint =
        `Stop it by hand NOW: aws ec2 stop-instances --instance-ids ${id} --region ${s.aws.region}${s.aws.profile ? ` --profile ${shellQuote(s.aws.profile)}` : ''} (or in the EC2 console). ` +
        `It costs about $${this.hourlyUsd}/h until stopped.` +
        (this.shutdownArmedAt !== undefined ? ` Its own stop timer (${STOP_TIMER_UNIT}) will power it off within ${s.host.maxRuntimeMinutes} min.` : '');
      this.log('error', `${msg}. ${hint}`);
      throw new WbError('StopFailed', msg, hint, { cause: lastErr });
    }
    try {
      await this.d.ec2.waitForState(id, 'stopped', { timeoutSeconds: this.tune.stopWaitSeconds, pollSeconds: this.d.settings.host.pollSeconds });
      this.timeline.stopped = this.d.clock.now();
      this.setState('stopped', 'stopped');
    } catch (e) {
      // EC2 accepted the stop; it finishes on its own. Keep the ownership tags so a later run can check.
      this.log('warn', `GPU ${id}: stop accepted but not "stopped" after ${this.tune.stopWaitSeconds} s: ${describeError(e)}`);
      return;
    }
    this.shutdownArmedAt = undefined;
    await this.d.ec2.deleteTags(id, [OWNER_TAG, STARTED_TAG]).catch((e) => this.log('warn', `Could not remove the ownership tags from GPU ${id}: ${describeError(e)}`));
  }

  // ---- helpers ------------------------------------------------------------------------------

  private requireId(): string {
    if (!this.id) throw new WbError('Config', 'host.kind is "ec2" but host.instanceId is empty', 'Set host.instanceId to the GPU instance id (i-...).');
    return this.id;
  }

  private guardProblem(info: InstanceInfo): string | undefined {
    const { tagKey, tagValue } = this.d.settings.host;
    const have = info.tags[tagKey];
    if (have === tagValue) return undefined;
    return have === undefined ? `it has no tag ${tagKey}` : `its tag ${tagKey} is "${have}", not "${tagValue}"`;
  }

  /** Describes the instance and refuses to act on one without the configured tag. */
  private async describeGuarded(signal?: AbortSignal): Promise<InstanceInfo> {
    const id = this.requireId();
    const s = this.d.settings;
    const info = await this.d.ec2.describe(id, signal);
    if (!info) throw new WbError('NotFound', `GPU instance ${id} does not exist in region ${s.aws.region}`, 'Check the host.instanceId and aws.region settings.');
    const problem = this.guardProblem(info);
    if (problem) {
      throw new WbError(
        'HostGuard',
        `Refusing to start or stop EC2 instance ${id}: ${problem}, so it is not marked as managed by whisper-batch`,
        `If this is the GPU for batch transcription, tag it: aws ec2 create-tags --resources ${id} --tags ${shellQuote(`Key=${s.host.tagKey},Value=${s.host.tagValue}`)} --region ${s.aws.region}. Or change the host.tagKey / host.tagValue settings to a tag it carries.`,
      );
    }
    this.guardChecked = true;
    return info;
  }

  private observe(info: InstanceInfo): void {
    if (info.state === 'running') this.timeline.running ??= this.d.clock.now();
    this.setState(info.state, this.lastState === info.state ? this.lastDetail : undefined);
  }

  private setState(state: Ec2StateName | HostStateName, detail?: string): void {
    if (state === this.lastState && detail === this.lastDetail) return;
    this.lastState = state;
    this.lastDetail = detail;
    this.d.emit?.({ type: 'host.state', state, detail });
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.d.emit?.({ type: 'log', level, message });
  }
}

/** `systemd-run` arguments of our stop timer: fixed program, numeric minutes, no shell. */
export function stopTimerArgs(minutes: number): string[] {
  return [
    `--unit=${STOP_TIMER_UNIT}`,
    `--on-active=${minutes}min`,
    '--timer-property=AccuracySec=1s',
    '--description=whisper-batch: stop this GPU after the max runtime',
    '/usr/bin/systemctl',
    'poweroff',
  ];
}
