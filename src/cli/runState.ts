/**
 * A run that outlives its window: with --events, the CLI appends every core event as one JSON
 * line to a file, and keeps `<file>.state.json` ({pid, runId, startedAt, ...}) so any VS Code
 * window can find the run, tail its log and cancel it (SIGTERM to pid).
 */
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BatchEvent } from '../core/events';

export interface RunState {
  pid: number;
  runId?: string;
  startedAt: string;
  eventsFile: string;
  store: string;
  finishedAt?: string;
  status?: string;
  exitCode?: number;
  reportKey?: string;
}

export class EventsFile {
  readonly statePath: string;
  private state: RunState;

  constructor(readonly file: string, store: string, now: number) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.statePath = `${file}.state.json`;
    this.state = { pid: process.pid, startedAt: new Date(now).toISOString(), eventsFile: path.resolve(file), store };
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
