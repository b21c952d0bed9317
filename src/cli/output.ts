/**
 * Renders core events for a terminal: log lines and a progress bar on stderr (no bar when stderr
 * is not a TTY), so stdout stays clean for --json. Every text is made terminal-safe here, where it
 * leaves (core/safeText): keys and ids from the bucket may hold ESC sequences, bidi marks, newlines.
 */
import { SingleBar } from 'cli-progress';
import type { BatchEvent, EventSink } from '../core/events';
import { terminalLines, terminalText } from '../core/safeText';
import { plural } from './text';

export interface Output {
  sink: EventSink;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  close(): void;
}

export function terminalOutput(opts: { quiet?: boolean; verbose?: boolean; stream?: NodeJS.WriteStream; color?: boolean }): Output {
  const err = opts.stream ?? process.stderr;
  const tty = !!err.isTTY && !process.env.CI;
  const color = opts.color ?? (tty && !process.env.NO_COLOR);
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  let bar: SingleBar | undefined;
  const write = (line: string) => {
    if (bar) bar.stop();
    err.write(line + '\n');
    if (bar) {
      const b = bar as any;
      bar.start(b.total, b.value);
    }
  };
  const done = { ok: 0, failed: 0 };
  const t = terminalText;
  const sink = (e: BatchEvent) => {
    switch (e.type) {
      case 'log':
        if (e.level === 'debug' && !opts.verbose) return;
        if (opts.quiet && (e.level === 'info' || e.level === 'debug')) return;
        write(e.level === 'error' ? paint('31', `error: ${t(e.message)}`) : e.level === 'warn' ? paint('33', `warning: ${t(e.message)}`) : t(e.message));
        return;
      case 'scan.done':
        if (!opts.quiet) write(`scan: ${plural(e.totalSessions, 'session')} scanned, ${e.pendingSessions} with ${plural(e.missingChunks, 'chunk')} to transcribe`);
        return;
      case 'host.state':
        if (!opts.quiet) write(`host: ${t(e.state)}${e.detail ? ` (${t(e.detail)})` : ''}`);
        return;
      case 'chunk.started':
        if (tty && !opts.quiet && !bar) {
          bar = new SingleBar({ stream: err, format: 'transcribing [{bar}] {value}/{total} chunks | {eta_formatted} left', hideCursor: true, clearOnComplete: true }, undefined);
          bar.start(e.total, 0);
        }
        return;
      case 'chunk.done':
        done.ok++;
        if (bar) bar.update(done.ok + done.failed);
        else if (opts.verbose) write(`  done ${e.index}/${e.total}: ${t(e.key)} (${e.seconds.toFixed(1)} s)`);
        return;
      case 'chunk.failed':
        done.failed++;
        if (bar) bar.update(done.ok + done.failed);
        write(paint('31', `  failed ${e.index}/${e.total}: "${t(e.key)}": ${t(e.error)}`));
        return;
      case 'chunk.skipped':
        write(`  kept existing transcript: "${t(e.key)}"`);
        return;
      case 'run.done':
        if (bar) {
          bar.stop();
          bar = undefined;
        }
        return;
      default:
        return;
    }
  };
  return {
    sink,
    info: (m) => !opts.quiet && write(terminalLines(m)),
    warn: (m) => write(paint('33', `warning: ${terminalLines(m)}`)),
    error: (m) => write(paint('31', `error: ${terminalLines(m)}`)),
    close: () => bar?.stop(),
  };
}
