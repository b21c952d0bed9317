/**
 * One batch run: scan -> (only if there is work) lease -> host.prepare -> transcribe -> host.release
 * -> report. The host is released in a `finally` on every path that touched it, the report is
 * written in a `finally` whatever happened, and transcripts are written create-only, so an
 * interrupted run loses nothing and a re-run does only what is left. The engine reads the audio and
 * writes the transcripts (engine/chunkPipeline.ts for the per-chunk engines); the host keeps its own
 * timeline.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock';
import { isoTime } from './clock';
import type { ChunkJob, ChunkOutcome, Engine } from './engine/engine';
import { CancelledError, describeError, isCancelled, tooLarge } from './errors';
import type { BatchEventInput, EventSink, RunPhase } from './events';
import type { GpuHost } from './host/host';
import { BucketLayout } from './layout';
import { Lease } from './lease';
import { startWatchdog } from './host/watchdog';
import { buildReport } from './report/build';
import type { BatchReport, ReportError } from './report/model';
import { writeReport } from './report/reportStore';
import { currentOrigin } from './localOrigin';
import { describeOrigin, type RunOrigin } from './runOrigin';
import { orderedJobs } from './priority';
import { FailureLedger } from './quarantine';
import { jobsOf, scan, type PendingJobs, type PendingSession } from './scan';
import type { Settings } from './settings';
import type { ObjectStore } from './store/objectStore';

export interface BatchDeps {
  store: ObjectStore;
  settings: Settings;
  clock: Clock;
  host: GpuHost;
  engine: Engine;
  emit?: EventSink;
  signal?: AbortSignal;
  runId?: string;
  /** Who started this run and why (lease and report); default: a person at this machine's CLI. */
  origin?: RunOrigin;
  /** Who runs this (shown to a second runner); default: the origin, described. */
  holder?: string;
  nextScheduledRun?: string | null;
  /** Only these sessions (e.g. "transcribe this session now"). */
  sessionFilter?: (s: PendingSession) => boolean;
  /** A scan already made (the extension's last scan); rescanned if absent. */
  scan?: PendingJobs;
}

export interface BatchResult {
  report: BatchReport;
  reportKeys?: { json: string; html: string };
  scan?: PendingJobs;
}

export async function runBatch(deps: BatchDeps): Promise<BatchResult> {
  const { store, settings, clock, host, engine } = deps;
  const layout = new BucketLayout(settings.layout);
  const runId = deps.runId ?? `${isoTime(clock.now()).replace(/[:.]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const origin = deps.origin ?? currentOrigin('cli', 'manual');
  const holder = deps.holder ?? describeOrigin(origin);
  const emit = (e: BatchEventInput) => deps.emit?.({ ...e, time: clock.now() } as any);
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => emit({ type: 'log', level, message });
  const phase = (p: RunPhase) => emit({ type: 'run.phase', phase: p });

  // Our own controller: cancelled by the caller, by the watchdog, or by a lost lease.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new CancelledError('run cancelled'));
  if (deps.signal?.aborted) onOuterAbort();
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;

  const startMs = clock.now();
  const errors: ReportError[] = [];
  const outcomes: ChunkOutcome[] = [];
  let doc: PendingJobs | undefined = deps.scan;
  let jobs: ChunkJob[] = [];
  let hostTouched = false;
  let startedByUs = false;
  let fatal = false;
  let currentPhase: ReportError['phase'] = 'scan';
  let reportKeys: BatchResult['reportKeys'];
  let report: BatchReport | undefined;
  // Failures of a chunk's own bytes, counted across runs (poison chunks are quarantined, see quarantine.ts).
  const ledger = new FailureLedger({ store, layout, runId, clock, limit: settings.run.quarantineAfterFailures, log: (m) => log('warn', m) });

  try {
    phase('scan');
    if (!doc) doc = await scan({ store, settings, clock, emit: deps.emit, signal, purpose: 'run' });
    // A manual "next" (an object in the store, set from any runner), then priority users, then the rest; oldest first within each.
    jobs = await orderedJobs({ store, layout, doc, users: settings.priority.users, filter: deps.sessionFilter, signal, warn: (m) => log('warn', m) });
    if (doc.deferredSessions.length)
      log(
        'info',
        `deferred ${doc.deferredSessions.length} ${doc.deferredSessions.length === 1 ? 'session' : 'sessions'}: ${doc.deferredSessions
          .map((d) => `"${d.sessionId}" (${d.reason})`)
          .slice(0, 5)
          .join(', ')}`,
      );
    if (jobs.length === 0) {
      log('info', 'nothing pending: the GPU host is not touched');
      return await finish();
    }
    const sessions = new Set(jobs.map((j) => j.userId + '/' + j.sessionId)).size;
    log('info', `${jobs.length} ${jobs.length === 1 ? 'chunk' : 'chunks'} in ${sessions} ${sessions === 1 ? 'session' : 'sessions'} to transcribe`);

    currentPhase = 'lease';
    phase('lease');
    const lease = await Lease.acquire({ store, layout, clock, runId, holder, origin, seconds: settings.run.leaseSeconds });
    lease.startRenewal((e) => {
      log('error', describeError(e));
      errors.push({ phase: 'lease', message: describeError(e) });
      controller.abort(e);
    });
    // The max-runtime watchdog cancels the run and releases the host even if the run is stuck.
    const watchdog = startWatchdog({ clock, minutes: settings.host.maxRuntimeMinutes, controller, host, emit });
    try {
      // The host is released on every path from here, even when prepare() itself failed half way.
      hostTouched = true;
      currentPhase = 'host-start';
      phase('host-start');
      const prep = await host.prepare(runId, signal);
      startedByUs = prep.startedByUs;
      currentPhase = 'transcribe';
      phase('transcribe');
      await transcribe(jobs, signal);
    } finally {
      watchdog.dispose();
      if (watchdog.fired) errors.push({ phase: 'run', message: `stopped by the watchdog: the run reached host.maxRuntimeMinutes (${settings.host.maxRuntimeMinutes} min)` });
      await watchdog.released;
      phase('host-stop');
      try {
        await host.release({ reason: `run ${runId} finished` });
      } catch (e) {
        fatal = true;
        errors.push({ phase: 'host-stop', message: describeError(e) });
        log('error', describeError(e));
      }
      await lease.release();
    }
  } catch (e) {
    if (isCancelled(e) || (signal.aborted && isCancelled(signal.reason))) {
      log('warn', 'run cancelled: finished transcripts are kept');
    } else {
      fatal = currentPhase !== 'transcribe' || fatal;
      if (!errors.some((x) => x.message === describeError(e))) errors.push({ phase: currentPhase, message: describeError(e) });
      log('error', describeError(e));
    }
  } finally {
    deps.signal?.removeEventListener('abort', onOuterAbort);
    if (!report) await finish();
  }
  return { report: report!, reportKeys, scan: doc };

  async function finish(): Promise<BatchResult> {
    phase('report');
    const quarantined = await ledger.settle();
    report = buildReport({
      runId,
      store: store.description,
      startMs,
      endMs: clock.now(),
      scan: doc,
      jobsFound: jobs.length,
      outcomes,
      errors,
      cancelled: signal.aborted && !errors.some((e) => e.phase === 'run' || e.phase === 'lease'),
      host: { kind: host.kind, id: host.id, touched: hostTouched, startedByUs, hourlyUsd: host.hourlyUsd, timeline: host.timeline, release: host.lastRelease },
      origin,
      engine: { name: engine.name, model: engine.model },
      nextScheduledRun: deps.nextScheduledRun ?? null,
      fatal,
      quarantined,
    });
    try {
      reportKeys = await writeReport(store, layout, report, startMs);
      log('info', `report written: ${reportKeys.json}`);
    } catch (e) {
      report.errors.push({ phase: 'report', message: describeError(e) });
      log('error', `could not write the report: ${describeError(e)}`);
    }
    phase('done');
    emit({ type: 'run.done', status: report.status, reportKey: reportKeys?.json });
    return { report, reportKeys, scan: doc };
  }

  async function transcribe(list: ChunkJob[], sig: AbortSignal): Promise<void> {
    const total = list.length;
    let done = 0;
    const record = (o: ChunkOutcome) => {
      const i = ++done;
      outcomes.push(o);
      host.chunkFinished();
      if (o.ok) emit({ type: 'chunk.done', key: o.job.audioKey, sessionId: o.job.sessionId, index: i, total, seconds: o.seconds });
      // A failure of the chunk's own bytes says how close it is to quarantine.
      const counted = ledger.note(o) ?? '';
      if (!o.ok) {
        const error = (o.error ?? 'failed') + counted;
        errors.push({ phase: 'transcribe', message: error, userId: o.job.userId, sessionId: o.job.sessionId, chunk: String(o.job.chunk).padStart(3, '0'), key: o.job.audioKey });
        emit({ type: 'chunk.failed', key: o.job.audioKey, sessionId: o.job.sessionId, index: i, total, error });
      }
      if (o.ok && o.written === false) emit({ type: 'chunk.skipped', key: o.job.audioKey, sessionId: o.job.sessionId, reason: 'a transcript appeared meanwhile: kept, not overwritten' });
    };
    // A chunk above the cap by its listed size fails here, before any engine reads a byte of it;
    // engines cap what they read as well (a chunk may have grown since it was listed).
    const maxChunkBytes = settings.run.maxChunkMegabytes * 1048576;
    const fits = list.filter((job) => job.size <= maxChunkBytes || (record({ job, ok: false, error: describeError(tooLarge(`chunk "${job.audioKey}"`, job.size, maxChunkBytes)), seconds: 0 }), false));
    await engine.transcribeAll(fits, {
      store,
      layout,
      signal: sig,
      concurrency: settings.run.concurrency,
      runId,
      clock,
      maxChunkBytes,
      maxChunkSeconds: settings.run.maxChunkMinutes * 60,
      emit,
      onStarted: () => host.chunkStarted(),
      onOutcome: record,
    });
    if (sig.aborted) throw sig.reason ?? new CancelledError();
  }
}
