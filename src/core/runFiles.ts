/**
 * The run files, one protocol for the CLI (writer) and the extension (readers in every window): with
 * --events the CLI appends each BatchEvent as one JSON line to `<file>` and keeps `<file>.state.json`.
 * A reader validates both (the files live in a folder other programs can write). A run is live only
 * when its state says it has not finished AND its pid is still the process that wrote it: the pid
 * plus the process's start time, so a pid the system reused after a crash is never taken for the run
 * and never signalled.
 */
import { jsonObjectLine } from './jsonLine';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BatchEvent } from './events';

export interface RunState {
  pid: number;
  /** The process's start time as the OS tells it (processStartOf): with the pid, the writer's identity. */
  processStart?: string;
  runId?: string;
  startedAt: string;
  eventsFile: string;
  store?: string;
  finishedAt?: string;
  status?: string;
  exitCode?: number;
  reportKey?: string;
}

export const stateFileOf = (eventsFile: string) => `${eventsFile}.state.json`;

/**
 * When process `pid` started, or undefined when no such process (or the OS does not say). Linux:
 * /proc/<pid>/stat field 22 (clock ticks since boot); elsewhere `ps -o lstart=` (macOS, BSD).
 */
export function processStartOf(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return fields[19] ? `linux:${fields[19]}` : undefined;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined; // no start time without a native call: never provably live
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out ? `ps:${out}` : undefined;
  } catch {
    return undefined;
  }
}

/** A state file's content, or undefined when it is not one (wrong types, not JSON, not an object). */
export function parseRunState(text: string): RunState | undefined {
  let v: any;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  if (!Number.isInteger(v.pid) || v.pid <= 0 || typeof v.eventsFile !== 'string' || !v.eventsFile || typeof v.startedAt !== 'string') return undefined;
  const s: RunState = { pid: v.pid, startedAt: v.startedAt, eventsFile: v.eventsFile };
  for (const k of ['processStart', 'runId', 'store', 'finishedAt', 'status', 'reportKey'] as const) if (typeof v[k] === 'string') s[k] = v[k];
  if (Number.isInteger(v.exitCode)) s.exitCode = v.exitCode;
  return s;
}

export function readRunState(file: string): RunState | undefined {
  try {
    return parseRunState(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Live: not finished, and the pid is still the process that wrote the state (same start time). */
export function runIsLive(state: RunState, startOf: (pid: number) => string | undefined = processStartOf): boolean {
  if (state.finishedAt) return false;
  if (!state.processStart) return false; // no identity recorded: cannot be proven to be the writer
  return startOf(state.pid) === state.processStart;
}

/** Signals the run's process only if it is provably the run (runIsLive); never any other process. */
export function signalRun(state: RunState, signal: NodeJS.Signals = 'SIGTERM', startOf: (pid: number) => string | undefined = processStartOf): boolean {
  if (!runIsLive(state, startOf)) return false;
  try {
    process.kill(state.pid, signal);
    return true;
  } catch {
    return false;
  }
}

const isStr = (x: unknown) => typeof x === 'string';
const isCount = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;

/**
 * One event line, validated in the fields a reader uses (type, and per type: phase, state, total,
 * status, reportKey); anything else is dropped. Other fields pass as they are: readers show them
 * only through the text escaping of src/core/safeText.ts.
 */
export function parseEventLine(line: string): BatchEvent | undefined {
  const v = jsonObjectLine(line) as any;
  if (!v || !isStr(v.type)) return undefined;
  switch (v.type) {
    case 'run.phase':
      return isStr(v.phase) ? v : undefined;
    case 'host.state':
      return isStr(v.state) ? v : undefined;
    case 'chunk.started':
    case 'chunk.done':
    case 'chunk.failed':
      return isCount(v.total) ? v : undefined;
    case 'run.done':
      return isStr(v.status) && (v.reportKey === undefined || isStr(v.reportKey)) ? v : undefined;
    case 'log':
      return isStr(v.message) ? v : undefined;
    default:
      return v;
  }
}

/** The writer (the CLI's --events): the events file and its state file, replaced atomically. */
export class EventsFile {
  readonly statePath: string;
  private state: RunState;

  constructor(
    readonly file: string,
    store: string,
    now: number,
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.statePath = stateFileOf(file);
    const processStart = processStartOf(process.pid);
    this.state = { pid: process.pid, ...(processStart ? { processStart } : {}), startedAt: new Date(now).toISOString(), eventsFile: path.resolve(file), store };
    this.saveState();
  }

  write(e: BatchEvent): void {
    appendFileSync(this.file, JSON.stringify(e) + '\n');
    if (e.type === 'run.done') {
      this.state.status = e.status;
      this.state.reportKey = e.reportKey;
    }
  }

  setRunId(runId: string): void {
    this.state.runId = runId;
    this.saveState();
  }

  finish(exitCode: number, now: number): void {
    this.state.finishedAt = new Date(now).toISOString();
    this.state.exitCode = exitCode;
    this.saveState();
  }

  private saveState(): void {
    // Atomic replace: a reader never sees half a state file.
    const tmp = `${this.statePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state, null, 2));
    renameSync(tmp, this.statePath);
  }
}
