/**
 * When scheduled runs happen. Pure functions shared by the extension's timed runner and the CLI
 * (which prints systemd units for servers: OnBootSec= gives the catch-up after the server was down,
 * OnUnitActiveSec= the interval and RandomizedDelaySec= the jitter, as the extension's runner does).
 */
import type { Settings } from './settings';

export type ScheduleSettings = Settings['schedule'];

/**
 * Minutes between timer firings: the run interval, or in adaptive mode the scan interval (each
 * firing scans and decides whether to start the GPU, src/core/adaptive.ts).
 */
export function timerMinutes(s: Pick<ScheduleSettings, 'mode' | 'intervalMinutes' | 'scanMinutes'>): number {
  return s.mode === 'adaptive' ? s.scanMinutes : s.intervalMinutes;
}

/** A missed run starts this soon after start-up at the latest (or after the first-run delay if shorter). */
export const CATCH_UP_DELAY_MS = 60_000;

/** When the next run is due, from the last run time; `jitterMs` is drawn by the caller (0..jitterSeconds). */
export function nextRunTime(s: Pick<ScheduleSettings, 'intervalMinutes' | 'firstRunDelayMinutes'>, now: number, startedAt: number, lastRunAt: number | undefined, jitterMs: number): number {
  const interval = s.intervalMinutes * 60_000;
  const firstDelay = s.firstRunDelayMinutes * 60_000;
  if (lastRunAt === undefined) return Math.max(now, startedAt + firstDelay) + jitterMs;
  const due = lastRunAt + interval;
  if (due > now) return due + jitterMs;
  // Missed while closed (or while busy): catch up soon after start-up, not at once.
  return Math.max(now, startedAt + Math.min(firstDelay, CATCH_UP_DELAY_MS)) + jitterMs;
}

/** systemd quoting for one ExecStart argument: no shell is involved, but systemd splits on spaces and expands % and $. */
function systemdArg(a: string): string {
  if (/[\n\r]/.test(a)) throw new Error('a systemd argument cannot hold a line break');
  const esc = a.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? esc : `"${esc}"`;
}

/** A oneshot service + timer that run `whisper-batch run --yes --scheduled` on the schedule, for a server. */
/** Where the timer's service reads its secrets from (mode 600, root). */
export const SECRETS_ENV_FILE = '/etc/whisper-batch/secrets.env';

export function systemdUnits(o: {
  node: string;
  cli: string;
  configFile?: string;
  /** More arguments of `run` (the CLI passes --store and the settings flags it was given). */
  args?: string[];
  user?: string;
  schedule: ScheduleSettings;
  maxRuntimeMinutes: number;
}): { service: string; timer: string } {
  const args = [o.node, o.cli, 'run', '--yes', '--scheduled', '--origin', 'timer', ...(o.configFile ? ['--config', o.configFile] : []), ...(o.args ?? [])];
  const service = [
    '[Unit]',
    'Description=Whisper Batch: transcribe pending recordings (starts and stops the GPU)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    ...(o.user ? [`User=${o.user}`] : []),
    `ExecStart=${args.map(systemdArg).join(' ')}`,
    // SIGTERM makes the run cancel cleanly and stop the GPU; the timeout leaves time for the stop.
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    `TimeoutStartSec=${o.maxRuntimeMinutes + 15}min`,
    'TimeoutStopSec=10min',
    'Environment=AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true',
    // Secrets of the timer's runs (WHISPER_BATCH_WEBHOOK_URL) live in a root-only file, not in the unit ("-": optional).
    `EnvironmentFile=-${SECRETS_ENV_FILE}`,
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    'Description=Whisper Batch schedule',
    '',
    '[Timer]',
    `OnBootSec=${o.schedule.firstRunDelayMinutes}min`,
    // Monotonic timers: Persistent= would do nothing here (it applies to OnCalendar= only); a server
    // that was down runs OnBootSec after it is back, which is the catch-up.
    `OnUnitActiveSec=${timerMinutes(o.schedule)}min`,
    `RandomizedDelaySec=${o.schedule.jitterSeconds}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}
