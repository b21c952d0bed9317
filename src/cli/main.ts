/**
 * whisper-batch: the headless face of the batch core, for cron/systemd and scripts.
 * Exit codes: 0 ok (success or nothing to do), 1 the run failed or was partial, 2 usage/config error.
 */
import { Command, CommanderError, Option } from 'commander';
import { existsSync, writeFileSync } from 'node:fs';
import * as readline from 'node:readline/promises';
import { systemClock } from '../core/clock';
import { WbError, describeError } from '../core/errors';
import type { BatchEvent } from '../core/events';
import { BucketLayout } from '../core/layout';
import { scan, jobsOf } from '../core/scan';
import { runBatch } from '../core/batch';
import { openRuntime, SSH_PASSPHRASE_ENV, type RuntimeOptions } from '../core/runtime';
import { listReports, readReport } from '../core/report/reportStore';
import { readLease } from '../core/lease';
import { describeSettings, type Settings } from '../core/settings';
import { usd } from '../core/cost';
import { terminalLines, terminalText } from '../core/safeText';
import { systemdUnits } from '../core/schedule';
import { adaptiveDecision, adaptiveParamsOf, backlogOf } from '../core/adaptive';
import { designCheck, designWorkload, simulate, simulationTable, standardPolicies, workloadFrom } from '../core/simulate';
import { loadSettings, type GlobalFlags } from './config';
import { terminalOutput, type Output } from './output';
import { EventsFile } from './runState';
import { runDemo } from './demo';
import { installSignalHandlers, type SignalProcess } from '../core/host/watchdog';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Opts = GlobalFlags & { json?: boolean; quiet?: boolean; verbose?: boolean; color?: boolean };

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function globals(cmd: Command): Opts {
  return cmd.optsWithGlobals() as Opts;
}

/**
 * What a caller may put in place of the real parts: tests run the real program with fakes of what
 * cannot run here (EC2 transitions, the instance's side of SSM) and read what it writes.
 */
export interface CliDeps {
  runtime?: Pick<RuntimeOptions, 'ec2' | 'remote' | 'clientFactory' | 'credentials' | 'sshPassphrase'>;
  /** Where logs and the progress bar go (default process.stderr). */
  stderr?: NodeJS.WriteStream;
  /** Where --json output goes (default process.stdout). */
  stdout?: NodeJS.WritableStream;
  /** Where SIGINT/SIGTERM come from and exit goes (default process): tests send signals without killing mocha. */
  signals?: SignalProcess;
}

const stdoutOf = (deps: CliDeps) => deps.stdout ?? process.stdout;

/** The runtime every command uses: the caller's parts, else the real ones; the SSH passphrase from the environment. */
function openRuntimeFor(settings: Settings, deps: CliDeps, emit: (e: BatchEvent) => void, engine: boolean) {
  return openRuntime(settings, { sshPassphrase: process.env[SSH_PASSPHRASE_ENV], ...deps.runtime, clock: systemClock, emit, engine });
}

function setup(cmd: Command, deps: CliDeps): { o: Opts; settings: Settings; out: Output } {
  const o = globals(cmd);
  const out = terminalOutput({ quiet: o.quiet || false, verbose: o.verbose, color: o.color === false ? false : undefined, stream: deps.stderr });
  const { settings } = loadSettings(o);
  return { o, settings, out };
}

export function buildProgram(deps: CliDeps = {}): Command {
  const printJson = (value: unknown) => stdoutOf(deps).write(JSON.stringify(value, null, 2) + '\n');
  const program = new Command('whisper-batch')
    .description('Transcribe every recording chunk that has no transcript, on a GPU that is only on while there is work.')
    .option('-c, --config <file>', 'JSON settings file (default: ~/.config/whisper-batch/config.json if present)')
    .option('-s, --store <s3://bucket[/prefix]|folder>', 'where the recordings are (default: the embedded sample folder)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--endpoint <url>', 'S3/EC2 endpoint for S3-compatible stores or emulators')
    .addOption(new Option('--host <kind>', 'where the engine runs').choices(['local', 'ec2']))
    .option('--instance <id>', 'EC2 instance id of the GPU host')
    .addOption(new Option('--engine <kind>', 'speech engine').choices(['command', 'whisperlive', 'remote-faster-whisper']))
    .option('--concurrency <n>', 'chunks transcribed at once')
    .option('--set <name=value...>', 'any setting by name, e.g. --set scan.gracePeriodMinutes=5')
    .option('--json', 'machine-readable output on stdout (logs stay on stderr)')
    .option('-q, --quiet', 'only warnings and errors on stderr')
    .option('-v, --verbose', 'more detail on stderr')
    .option('--no-color', 'no colours')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('scan')
    .description('list the chunks that have no transcript (writes nothing unless --save)')
    .option('-o, --output <file>', 'also write the pending-jobs document to this local file')
    .option('--save', 'also write it to the store as <reportsPrefix>pending-jobs.json')
    .action(async (a: { output?: string; save?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const doc = await scan({ store: rt.store, settings, clock: systemClock, emit: o.json ? undefined : out.sink });
        const pub = publicDoc(doc);
        if (a.output) writeFileSync(a.output, JSON.stringify(pub, null, 2));
        if (a.save) await rt.store.put(`${settings.layout.reportsPrefix}pending-jobs.json`, JSON.stringify(pub, null, 2), { contentType: 'application/json' });
        if (o.json) printJson(pub);
        else {
          for (const s of doc.sessions) out.info(`  ${s.userId} / "${s.sessionId}": missing ${s.missingChunks.join(', ')} (${s.ageHours} h old)`);
          for (const s of doc.deferredSessions) out.info(`  deferred ${s.userId} / "${s.sessionId}": ${s.reason}: ${s.detail}`);
          out.info(`${doc.totalMissingChunks} chunk(s) to transcribe in ${doc.sessionsWithMissingChunks} session(s); estimated GPU time ${doc.estimatedGpuTime}, cost ${doc.estimatedCost}`);
        }
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('run')
    .description('transcribe everything pending: start the host only if there is work, stop it for certain, write a report')
    .option('-y, --yes', 'do not ask for confirmation (needed when not on a terminal)')
    .option('-n, --dry-run', 'show what would be done; start nothing, write nothing')
    .option('--session <id>', 'only this session id')
    .option('--events <file>', 'append every event as a JSON line to this file (+ <file>.state.json)')
    .option('--next-run <iso>', 'next scheduled run, recorded in the report')
    .option('--scheduled', 'started by a timer: with schedule.mode = adaptive, start the GPU only when the adaptive rule says so')
    .action(async (a: { yes?: boolean; dryRun?: boolean; session?: string; events?: string; nextRun?: string; scheduled?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const events = a.events ? new EventsFile(a.events, settings.store, systemClock.now()) : undefined;
      const sink = (e: BatchEvent) => {
        events?.write(e);
        out.sink(e);
      };
      let exit = 0;
      const controller = new AbortController();
      // Opening the runtime starts nothing, so the handlers go in after it, with the host to release.
      const rt = await openRuntimeFor(settings, deps, sink, !a.dryRun);
      // The core's handlers (src/core/host/watchdog.ts): the first signal cancels cleanly; the second
      // exits, but only after the GPU was released; more signals meanwhile are ignored.
      const signals = installSignalHandlers(controller, {
        release: () => rt.host.release({ reason: 'whisper-batch run interrupted twice' }),
        log: (m) => out.warn(m),
        proc: deps.signals,
      });
      try {
        const doc = await scan({ store: rt.store, settings, clock: systemClock, emit: sink, signal: controller.signal });
        const filter = a.session ? (s: { sessionId: string }) => s.sessionId === a.session : undefined;
        const jobs = jobsOf(doc, new BucketLayout(settings.layout), filter);
        if (a.scheduled && settings.schedule.mode === 'adaptive' && !a.session) {
          // A scan costs no GPU: most firings of the adaptive timer end here, without a report.
          const decision = adaptiveDecision(backlogOf(doc, systemClock.now(), settings.cost.chunkSecondsEstimate), adaptiveParamsOf(settings));
          out.info(`adaptive schedule: ${decision.start ? 'starting' : 'not starting'}: ${decision.reason}`);
          if (!decision.start) {
            if (o.json) printJson({ started: false, adaptive: decision });
            return;
          }
        }
        if (a.dryRun) {
          const plan = {
            dryRun: true,
            store: rt.store.description,
            host: { kind: settings.host.kind, instanceId: settings.host.instanceId || null, wouldStart: jobs.length > 0 && settings.host.kind === 'ec2' },
            engine: settings.engine.kind,
            chunks: jobs.length,
            sessions: [...new Set(jobs.map((j) => `${j.userId}/${j.sessionId}`))].length,
            estimatedGpuTime: doc.estimatedGpuTime,
            estimatedCost: doc.estimatedCost,
            jobs: jobs.map((j) => ({ userId: j.userId, sessionId: j.sessionId, chunk: j.chunk, audioKey: j.audioKey, transcriptKey: j.transcriptKey })),
            deferred: doc.deferredSessions.map((d) => ({ userId: d.userId, sessionId: d.sessionId, reason: d.reason, detail: d.detail })),
          };
          if (o.json) printJson(plan);
          else {
            out.info(`dry run: would transcribe ${plan.chunks} chunk(s) in ${plan.sessions} session(s) with engine ${plan.engine} on host ${plan.host.kind}${plan.host.wouldStart ? ` (would start ${settings.host.instanceId})` : ''}`);
            for (const j of plan.jobs.slice(0, 50)) out.info(`  ${j.audioKey} -> ${j.transcriptKey}`);
            if (plan.jobs.length > 50) out.info(`  ... and ${plan.jobs.length - 50} more`);
            out.info(`estimated GPU time ${plan.estimatedGpuTime}, cost ${plan.estimatedCost}; nothing was started or written`);
          }
          return;
        }
        if (jobs.length > 0 && !a.yes) {
          if (!process.stdin.isTTY || !process.stderr.isTTY) throw new WbError('Usage', `${jobs.length} chunk(s) pending and no terminal to confirm`, 'Pass --yes to run without confirmation (cron, systemd, scripts).');
          const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Transcribe ${jobs.length} chunk(s) on ${settings.host.kind === 'ec2' ? `GPU ${settings.host.instanceId}` : 'this machine'} (estimated ${doc.estimatedGpuTime}, ${doc.estimatedCost})? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            out.info('not started');
            return;
          }
        }
        const result = await runBatch({
          store: rt.store,
          settings,
          clock: systemClock,
          host: rt.host,
          engine: rt.engine,
          emit: sink,
          signal: controller.signal,
          scan: doc,
          sessionFilter: filter,
          nextScheduledRun: a.nextRun ?? null,
          holder: a.events ? `whisper-batch (VS Code) pid ${process.pid}` : undefined,
        });
        events?.setRunId(result.report.runId);
        const r = result.report;
        if (o.json) printJson({ ...r, reportKeys: result.reportKeys });
        else printSummary(out, r, result.reportKeys?.json, rt.store.description);
        exit = r.status === 'failed' || r.status === 'partial' ? 1 : 0;
      } finally {
        signals.dispose();
        await rt.dispose();
        events?.finish(exit, systemClock.now());
      }
      if (exit) throw new ExitCode(exit);
    });

  program
    .command('status')
    .description('GPU host state, the run lease and the last report; warns about a GPU that a dead run left running')
    .option('--stop-orphan', 'also stop a GPU that our runs started and no live run owns (for a health-check timer)')
    .action(async (a: { stopOrphan?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        const [host, lease, reports] = await Promise.all([
          rt.host.status().catch((e) => ({ state: 'unknown' as const, detail: describeError(e) })),
          readLease(rt.store, layout, systemClock),
          listReports(rt.store, layout, 1),
        ]);
        const orphan = await rt.checkOrphan?.(lease);
        let orphanStopped = false;
        if (orphan && a.stopOrphan) {
          out.warn(`${orphan.split(':')[0]}: stopping it (--stop-orphan)`);
          await rt.host.release({ force: true, reason: 'whisper-batch status --stop-orphan: no live run owns it' });
          orphanStopped = true;
        }
        const st = { store: rt.store.description, host: { kind: settings.host.kind, id: rt.host.id, ...(orphanStopped ? await rt.host.status() : host) }, lease: lease ?? null, lastReport: reports[0] ?? null, orphan: orphan ?? null, orphanStopped };
        if (o.json) printJson(st);
        else {
          out.info(`store: ${st.store}`);
          out.info(`host: ${settings.host.kind} ${rt.host.id}: ${host.state}${host.detail ? ` (${host.detail})` : ''}`);
          out.info(lease ? `run lease: ${lease.expired ? 'expired' : 'held'} by ${lease.holder} since ${lease.acquiredAt}` : 'run lease: free (no run in progress)');
          out.info(reports[0] ? `last report: ${reports[0].reportId} ${reports[0].status}, ${reports[0].chunksTranscribed} transcribed, ${reports[0].chunksFailed} failed, ${usd(reports[0].costUSD)}` : 'last report: none');
          if (orphan && !orphanStopped) out.warn(orphan);
        }
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('reports')
    .description('list batch reports, newest first (or print one with --id)')
    .option('--id <reportId>', 'print this report')
    .option('--limit <n>', 'how many', '20')
    .action(async (a: { id?: string; limit: string }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        if (a.id) {
          const r = await readReport(rt.store, `${layout.reportsPrefix}${a.id}.json`);
          if (o.json) printJson(r);
          else printSummary(out, r, `${layout.reportsPrefix}${a.id}.json`, rt.store.description);
          return;
        }
        const list = await listReports(rt.store, layout, Math.max(1, parseInt(a.limit, 10) || 20));
        if (o.json) printJson(list);
        else if (!list.length) out.info('no reports yet');
        else for (const r of list) stdoutOf(deps).write(`${terminalText(r.reportId)}  ${terminalText(r.status).padEnd(8)} ${String(r.chunksTranscribed).padStart(5)} ok ${String(r.chunksFailed).padStart(4)} failed  ${usd(r.costUSD).padStart(7)}  ${terminalText(r.key)}\n`);
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('stop')
    .description('stop the GPU instance now (EC2 host)')
    .option('-y, --yes', 'stop even when a live recording holds batch-lock.json')
    .action(async (a: { yes?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      if (settings.host.kind !== 'ec2') throw new WbError('Usage', 'stop: the host is local, there is no GPU instance to stop', 'Set host.kind = "ec2" and host.instanceId.');
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const lock = await rt.store.head(settings.layout.lockKey);
        if (lock && !a.yes) throw new WbError('Usage', `${settings.layout.lockKey} is present: a live recording may be using the GPU`, 'Run again with --yes to stop it anyway.');
        await rt.host.release({ force: true, reason: 'whisper-batch stop' });
        const st = await rt.host.status();
        if (o.json) printJson({ instanceId: rt.host.id, state: st.state });
        else out.info(`GPU ${rt.host.id}: ${st.state}`);
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('demo')
    .description('make a sample bucket folder with real speech and run scan + run on this machine')
    .option('--dir <folder>', 'where to make the sample bucket (default: the embedded sample folder)')
    .option('--keep', 'reuse an existing sample folder instead of making it anew')
    .action(async (a: { dir?: string; keep?: boolean }, cmd: Command) => {
      const o = globals(cmd);
      const out = terminalOutput({ quiet: o.quiet, verbose: o.verbose, color: o.color === false ? false : undefined, stream: deps.stderr });
      const code = await runDemo({ dir: a.dir, keep: a.keep, json: o.json, out, flags: o });
      if (code) throw new ExitCode(code);
    });

  program
    .command('schedule')
    .description('print systemd service + timer units that run `whisper-batch run --yes` on the schedule settings (for a server)')
    .option('--user <name>', 'run the service as this user')
    .action(async (a: { user?: string }, cmd: Command) => {
      const { o, settings } = setup(cmd, deps);
      const { configFile } = loadSettings(o);
      const units = systemdUnits({ node: process.execPath, cli: require('node:path').resolve(process.argv[1]), configFile, user: a.user, schedule: settings.schedule, maxRuntimeMinutes: settings.host.maxRuntimeMinutes });
      if (o.json) printJson(units);
      else {
        stdoutOf(deps).write(`# /etc/systemd/system/whisper-batch.service\n${units.service}\n# /etc/systemd/system/whisper-batch.timer\n${units.timer}\n`);
        process.stderr.write('install: save both files, then `systemctl daemon-reload && systemctl enable --now whisper-batch.timer`\n');
      }
    });

  program
    .command('simulate')
    .description("replay a day's recordings under each schedule (always on, every 5 min, fixed 2 h, adaptive): cost/day, GPU starts, pending age")
    .option('--workload <file>', "JSON fields over the design's workload (recordingsPerDay, hourlyPattern[24], chunksPerRecording, chunkSeconds, bootSeconds, modelLoadSeconds, realtimeFactor, gracePeriodMinutes, hourlyUsd)")
    .option('--days <n>', 'days to simulate after a warm-up day', '7')
    .action(async (a: { workload?: string; days: string }, cmd: Command) => {
      const { o, settings } = setup(cmd, deps);
      const base = { ...designWorkload(settings.cost.gpuHourlyUsd), gracePeriodMinutes: settings.scan.gracePeriodMinutes };
      let workload = base;
      if (a.workload) {
        try {
          workload = workloadFrom(JSON.parse(require('node:fs').readFileSync(a.workload, 'utf8')), base);
        } catch (e) {
          throw new WbError('Usage', `--workload ${a.workload}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      const days = parseInt(a.days, 10);
      if (!(days >= 1 && days <= 60)) throw new WbError('Usage', '--days must be 1 to 60');
      const sim = simulate(workload, standardPolicies(adaptiveParamsOf(settings)), days);
      // The design's figures are only comparable for the design's own workload at its price.
      const check = !a.workload && settings.cost.gpuHourlyUsd === 0.526 ? designCheck(sim) : [];
      if (o.json) printJson({ ...sim, designCheck: check });
      else {
        stdoutOf(deps).write(simulationTable(sim) + '\n');
        for (const c of check) stdoutOf(deps).write(`design's figure for ${c.policy}: $${c.designUsdPerDay.toFixed(2)}/day, simulated $${c.simulatedUsdPerDay.toFixed(2)} (${c.deviationPct > 0 ? '+' : ''}${c.deviationPct}%)\n`);
      }
    });

  program
    .command('settings')
    .description('print the effective settings, or every setting with --list')
    .option('--list', 'every setting with its default and description')
    .action(async (a: { list?: boolean }, cmd: Command) => {
      const { o, settings } = setup(cmd, deps);
      if (a.list) {
        const rows = describeSettings().map(({ name, type, default: d, description }) => ({ name, type, default: d, description }));
        if (o.json) printJson(rows);
        else for (const r of rows) stdoutOf(deps).write(`${r.name} (${r.type}, default ${JSON.stringify(r.default)})\n    ${r.description}\n`);
      } else printJson(settings);
    });

  return program;
}

function printSummary(out: Output, r: import('../core/report/model').BatchReport, reportKey: string | undefined, store: string): void {
  const t = r.transcription;
  out.info('');
  out.info(`run ${r.reportId}: ${r.status.toUpperCase()}${r.cancelled ? ' (cancelled)' : ''} in ${r.execution.durationHuman}`);
  out.info(`  chunks: ${t.chunksFound} found, ${t.chunksTranscribed} transcribed, ${t.chunksFailed} failed${t.chunksSkipped ? `, ${t.chunksSkipped} already had a transcript` : ''}; ${t.audioSeconds.toFixed(1)} s of audio`);
  const g = r.gpu;
  if (g.host === 'ec2') {
    out.info(`  GPU ${g.instanceId}: ${g.started ? 'started and stopped by this run' : g.alreadyRunning ? 'was already running: left running' : 'not started'}`);
    const tl: Array<[string, string | null]> = [['start', g.startTime], ['ready', g.readyTime], ['first chunk', g.firstChunkTime], ['last chunk', g.lastChunkTime], ['stop', g.stopRequestedTime], ['stopped', g.stopTime]];
    out.info(`  timeline: ${tl.filter(([, v]) => v).map(([k, v]) => `${k} ${v!.slice(11, 19)}`).join(' -> ')}`);
    out.info(`  GPU runtime ${g.runtimeHuman}, cost ${usd(g.costUSD)}${t.costPerAudioHourUSD !== null ? ` (${usd(t.costPerAudioHourUSD)} per audio hour)` : ''}`);
  } else out.info(`  host: this machine (${t.engine}${t.model ? ` ${t.model}` : ''}), runtime ${g.runtimeHuman}, no GPU cost`);
  for (const e of r.errors.slice(0, 10)) out.warn(`${e.phase}${e.sessionId !== undefined ? ` "${e.sessionId}" chunk ${e.chunk}` : ''}: ${e.message}`);
  if (r.errors.length > 10) out.warn(`... and ${r.errors.length - 10} more errors (see the report)`);
  if (reportKey) out.info(`  report: ${store.startsWith('s3://') ? `${store.replace(/\/$/, '')}/${reportKey}` : `${store}/${reportKey}`} (+ .html)`);
}

/** The seed's pending-jobs document, without the per-chunk detail kept for jobs. */
function publicDoc(doc: import('../core/scan').PendingJobs) {
  const strip = <T extends { chunks: unknown }>({ chunks: _c, ...rest }: T) => rest;
  return { ...doc, sessions: doc.sessions.map(strip), deferredSessions: doc.deferredSessions.map(strip) };
}

export async function main(argv = process.argv, deps: CliDeps = {}): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = describeError(e);
    (deps.stderr ?? process.stderr).write(`whisper-batch: ${terminalLines(msg)}\n`);
    if (e instanceof WbError) return e.code === 'Config' || e.code === 'Usage' ? 2 : 1;
    if (process.env.WHISPER_BATCH_DEBUG) console.error(e);
    return 1;
  }
}

if (require.main === module) {
  // Exit explicitly once stdout is flushed: idle SDK sockets must not keep a cron job alive.
  main().then((code) => process.stdout.write('', () => process.exit(code)));
}
