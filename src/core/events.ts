/**
 * Core reports progress only as typed events through one emitter; the CLI renders them as a
 * progress bar and lines, the extension as notifications, the status bar, the tree and a log.
 */
export type HostStateName = 'not-configured' | 'stopped' | 'pending' | 'running' | 'stopping' | 'shutting-down' | 'terminated' | 'unknown';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type BatchEvent =
  | { type: 'log'; level: LogLevel; message: string; time: number }
  | { type: 'scan.progress'; keys: number; sessions: number; time: number }
  | { type: 'scan.done'; totalSessions: number; pendingSessions: number; missingChunks: number; time: number }
  | { type: 'run.phase'; phase: RunPhase; time: number }
  | { type: 'host.state'; state: HostStateName; detail?: string; time: number }
  | { type: 'chunk.started'; key: string; sessionId: string; index: number; total: number; time: number }
  | { type: 'chunk.done'; key: string; sessionId: string; index: number; total: number; seconds: number; time: number }
  | { type: 'chunk.failed'; key: string; sessionId: string; index: number; total: number; error: string; time: number }
  | { type: 'chunk.skipped'; key: string; sessionId: string; reason: string; time: number }
  | { type: 'run.done'; status: string; reportKey?: string; time: number };

export type RunPhase = 'scan' | 'lease' | 'host-start' | 'host-ready' | 'transcribe' | 'host-stop' | 'report' | 'done';

export type EventSink = (event: BatchEvent) => void;

type Distribute<T> = T extends { time: number } ? Omit<T, 'time'> : never;
export type BatchEventInput = Distribute<BatchEvent>;

export interface Disposable {
  dispose(): void;
}

/** Minimal typed emitter (core has no vscode import, so no vscode.EventEmitter). */
export class Emitter<T> {
  private listeners = new Set<(e: T) => void>();
  on(listener: (e: T) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  emit(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a listener's failure must never break a batch run
      }
    }
  }
}
