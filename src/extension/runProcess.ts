/**
 * A run outlives the window that started it: the extension spawns the CLI detached
 * (`node dist/cli.js run --yes --config <settings.json> --events <run.jsonl>`), the CLI writes the
 * run files (src/core/runFiles.ts: events and state, validated on read). Every window polls the
 * shared runs folder, tails the events of live runs, and can cancel one with SIGTERM (the CLI then
 * stops cleanly, keeps finished transcripts and still stops the GPU); only a process that is provably
 * the run (pid + start time) is ever signalled. No shell is involved: arguments go as an array,
 * settings as a file.
 */
import { spawn } from 'node:child_process';
import { promises as fsp, openSync, closeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import { Emitter, type BatchEvent } from '../core/events';
import { parseEventLine, parseRunState, processStartOf, runIsLive, signalRun, stateFileOf, type RunState } from '../core/runFiles';
import type { OriginTrigger } from '../core/runOrigin';
import type { Settings } from '../core/settings';
import { Disposable, toDisposable } from './lifecycle';

export type { RunState } from '../core/runFiles';

export function defaultRunsDir(): string {
  return path.join(os.homedir(), '.whisper-batch', 'runs');
}

export interface StartRunOptions {
  /** Node binary (process.execPath: the extension host's own Node). */
  node: string;
  /** <extensionPath>/dist/cli.js */
  cliPath: string;
  settings: Settings;
  dir: string;
  /** Only this session id (the CLI's --session), for "transcribe this session now". */
  sessions?: string[];
  now: number;
  env?: NodeJS.ProcessEnv;
  /** Why the window starts it (the CLI records origin vscode with it). */
  trigger?: OriginTrigger;
  /** The window's name (workspace), for the report's "started by". */
  window?: string;
}

/** The CLI's arguments for a run (exported so tests assert them, not a mocked spawn). */
export function runArgs(cliPath: string, configFile: string, eventsFile: string, sessions: string[] = [], origin: { trigger?: OriginTrigger; window?: string } = {}): string[] {
  const args = [cliPath, 'run', '--yes', '--config', configFile, '--events', eventsFile, '--origin', 'vscode', '--trigger', origin.trigger ?? 'manual'];
  if (origin.window) args.push('--window', origin.window);
  for (const s of sessions) args.push('--session', s);
  return args;
}

export async function startDetachedRun(o: StartRunOptions): Promise<RunState> {
  await fsp.mkdir(o.dir, { recursive: true, mode: 0o700 });
  const id = `${new Date(o.now).toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const base = path.join(o.dir, id);
  const configFile = `${base}.settings.json`;
  const eventsFile = `${base}.jsonl`;
  await fsp.writeFile(configFile, JSON.stringify(o.settings, null, 2), { mode: 0o600 });
  await fsp.writeFile(eventsFile, '', { flag: 'wx', mode: 0o600 });
  // The CLI's own output goes to a log beside the events: nothing ties the process to this window.
  const out = openSync(`${base}.log`, 'a', 0o600);
  let pid: number | undefined;
  try {
    const child = spawn(o.node, runArgs(o.cliPath, configFile, eventsFile, o.sessions, { trigger: o.trigger, window: o.window }), {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...o.env, ELECTRON_RUN_AS_NODE: '1' },
      windowsHide: true,
    });
    pid = child.pid;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    child.unref();
  } finally {
    closeSync(out);
  }
  // Our child cannot have been reaped yet (it is ours until it exits), so its start time is its own.
  const processStart = processStartOf(pid!);
  const state: RunState = { pid: pid!, ...(processStart ? { processStart } : {}), startedAt: new Date(o.now).toISOString(), eventsFile };
  // The CLI writes the state file too (with its runId); ours only covers the moment before it does.
  await fsp.writeFile(stateFileOf(eventsFile), JSON.stringify(state), { flag: 'wx', mode: 0o600 }).catch(() => undefined);
  return state;
}

/** Cancel: SIGTERM, only to the run's own process (src/core/runFiles.ts signalRun); false if it is not live. */
export function cancelRun(state: RunState): boolean {
  return signalRun(state, 'SIGTERM');
}

export interface TrackedRun {
  state: RunState;
  stateFile: string;
  done: number;
  failed: number;
  total: number;
  phase?: string;
  status?: string;
  reportKey?: string;
  hostState?: string;
  ended: boolean;
  endedAt?: number;
  offset: number;
  partial: string;
}

export interface RunTrackerDeps {
  dir: string;
  clock: Clock;
  pollMs?: number;
  /** Whether a run is live (default runIsLive: not finished, and its pid is still the writer). */
  isLive?: (state: RunState) => boolean;
}

/** Discovers the runs of every window (and CLI) in the runs folder and follows their events. */
export class RunTracker extends Disposable {
  private readonly tracked = new Map<string, TrackedRun>();
  private readonly ignored = new Set<string>();
  private timer: unknown;
  private polling: Promise<void> | undefined;
  private readonly events = new Emitter<{ run: TrackedRun; event: BatchEvent }>();
  private readonly started = new Emitter<TrackedRun>();
  private readonly ended = new Emitter<TrackedRun>();
  readonly onEvent = (l: (e: { run: TrackedRun; event: BatchEvent }) => void) => this.events.on(l);
  readonly onRunStarted = (l: (r: TrackedRun) => void) => this.started.on(l);
  readonly onRunEnded = (l: (r: TrackedRun) => void) => this.ended.on(l);

  constructor(private readonly deps: RunTrackerDeps) {
    super();
    this._register(toDisposable(() => this.timer !== undefined && deps.clock.clearTimeout(this.timer)));
  }

  get live(): TrackedRun[] {
    return [...this.tracked.values()].filter((r) => !r.ended);
  }

  start(): void {
    const loop = async () => {
      await this.poll();
      if (!this.isDisposed) this.timer = this.deps.clock.setTimeout(loop, this.live.length ? (this.deps.pollMs ?? 1000) : 3 * (this.deps.pollMs ?? 1000));
    };
    void loop();
  }

  /** One pass: new state files, new event lines, ended processes. Concurrent calls share one pass. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const isLive = this.deps.isLive ?? ((st: RunState) => runIsLive(st));
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.deps.dir);
    } catch {
      return; // no run yet on this machine
    }
    for (const n of names) {
      if (!n.endsWith('.state.json')) continue;
      const file = path.join(this.deps.dir, n);
      if (this.tracked.has(file) || this.ignored.has(file)) continue;
      let text: string;
      try {
        text = await fsp.readFile(file, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      const state = parseRunState(text);
      if (!state || !isLive(state)) {
        // A finished run from earlier (history, not news), a crashed one whose pid another process
        // may have now, or not a state file at all. Replaced atomically, it is never half written.
        this.ignored.add(file);
        continue;
      }
      const run: TrackedRun = { state, stateFile: file, done: 0, failed: 0, total: 0, ended: false, offset: 0, partial: '' };
      this.tracked.set(file, run);
      this.started.emit(run);
    }
    for (const run of this.live) {
      // The CLI rewrites the state file (its runId, then finishedAt); an invalid rewrite keeps what we have.
      const latest = parseRunState(await fsp.readFile(run.stateFile, 'utf8').catch(() => ''));
      if (latest && latest.pid === run.state.pid) run.state = { ...run.state, ...latest };
      const exited = !isLive(run.state);
      await this.readEvents(run);
      if (!run.ended && exited) {
        await this.readEvents(run); // lines written just before exit
        this.end(run, run.status ? undefined : 'exited');
      }
    }
  }

  private async readEvents(run: TrackedRun): Promise<void> {
    let fh;
    try {
      fh = await fsp.open(run.state.eventsFile, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, run.offset);
        if (!bytesRead) break;
        run.offset += bytesRead;
        const text = run.partial + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        run.partial = lines.pop() ?? '';
        for (const line of lines) this.apply(run, line);
      }
    } finally {
      await fh.close();
    }
  }

  private apply(run: TrackedRun, line: string): void {
    const e = parseEventLine(line);
    if (!e) return; // not a valid event: ignored
    switch (e.type) {
      case 'run.phase':
        run.phase = e.phase;
        break;
      case 'host.state':
        run.hostState = e.state;
        break;
      case 'chunk.started':
        run.total = e.total;
        break;
      case 'chunk.done':
        run.total = e.total;
        run.done++;
        break;
      case 'chunk.failed':
        run.total = e.total;
        run.done++;
        run.failed++;
        break;
      case 'run.done':
        run.status = e.status;
        run.reportKey = e.reportKey;
        break;
    }
    this.events.emit({ run, event: e });
    if (e.type === 'run.done') this.end(run);
  }

  private end(run: TrackedRun, status?: string): void {
    if (run.ended) return;
    run.ended = true;
    run.endedAt = this.deps.clock.now();
    if (status) run.status = status;
    this.ended.emit(run);
  }

  /** Deletes the files of finished runs older than `maxAgeMs` (the folder would grow forever). */
  async prune(maxAgeMs: number): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.deps.dir);
    } catch {
      return;
    }
    const now = this.deps.clock.now();
    for (const n of names) {
      const f = path.join(this.deps.dir, n);
      if ([...this.tracked.values()].some((r) => !r.ended && f.startsWith(r.state.eventsFile.replace(/\.jsonl$/, '')))) continue;
      try {
        const st = await fsp.stat(f);
        if (now - st.mtimeMs > maxAgeMs) await fsp.rm(f, { force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
}
