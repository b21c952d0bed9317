/**
 * Our side of "the GPU always stops": a max-runtime watchdog on the injected clock, and SIGINT /
 * SIGTERM handling for the CLI. (The instance's own side is the shutdown timer in ec2Host.)
 */
import type { Clock } from '../clock';
import { CancelledError, describeError } from '../errors';
import type { BatchEventInput, Disposable } from '../events';
import type { GpuHost } from './host';

export interface WatchdogOptions {
  clock: Clock;
  minutes: number;
  controller: AbortController;
  host?: GpuHost;
  emit?: (e: BatchEventInput) => void;
}

export interface Watchdog extends Disposable {
  readonly fired: boolean;
  /** Resolves once a fired watchdog's release has finished (for tests and orderly exits). */
  readonly released: Promise<void> | undefined;
}

/**
 * After `minutes`, aborts the run and releases the host itself (the run's own finally may be
 * stuck on whatever made it overrun). release() is idempotent, so the run's later call is harmless.
 */
export function startWatchdog(o: WatchdogOptions): Watchdog {
  let fired = false;
  let released: Promise<void> | undefined;
  const handle = o.clock.setTimeout(() => {
    fired = true;
    const why = `the run reached its maximum runtime of ${o.minutes} min (host.maxRuntimeMinutes)`;
    o.emit?.({ type: 'log', level: 'error', message: `Watchdog: ${why}: cancelling and stopping the GPU` });
    o.controller.abort(new CancelledError(`cancelled: ${why}`));
    if (o.host) {
      released = o.host.release({ reason: why }).catch((e) => {
        o.emit?.({ type: 'log', level: 'error', message: `Watchdog could not release the GPU: ${describeError(e)}` });
      });
    }
  }, o.minutes * 60_000);
  return {
    get fired() {
      return fired;
    },
    get released() {
      return released;
    },
    dispose: () => o.clock.clearTimeout(handle),
  };
}

/** The bits of `process` the signal handlers use, so tests can send fake signals. */
export interface SignalProcess {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface SignalHandlerOptions {
  /** Stops the GPU if the run started it (host.release). Awaited before exit on the second signal. */
  release: () => Promise<void>;
  log?: (message: string) => void;
  proc?: SignalProcess;
}

/**
 * First SIGINT/SIGTERM: cancel cleanly (the run finishes its finally: GPU stop, report).
 * Second: exit now, but only after the host is released. Further signals while releasing are ignored
 * (killing us then is exactly what would leave the GPU running).
 */
export function installSignalHandlers(controller: AbortController, o: SignalHandlerOptions): Disposable {
  const proc: SignalProcess = o.proc ?? process;
  const log = o.log ?? ((m: string) => process.stderr.write(m + '\n'));
  let count = 0;
  let exiting = false;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log(`${sig}: cancelling the run; the GPU is stopped if this run started it. Press Ctrl-C again to exit at once (the GPU is still stopped first).`);
      controller.abort(new CancelledError(`cancelled by ${sig}`));
      return;
    }
    if (exiting) {
      log(`${sig}: still stopping the GPU, please wait.`);
      return;
    }
    exiting = true;
    log(`${sig}: stopping the GPU before exit...`);
    const code = sig === 'SIGINT' ? 130 : 143;
    o.release().then(
      () => proc.exit(code),
      (e) => {
        log(`COULD NOT STOP THE GPU: ${describeError(e)}`);
        proc.exit(1);
      },
    );
  };
  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);
  return {
    dispose: () => {
      proc.removeListener('SIGINT', onSignal);
      proc.removeListener('SIGTERM', onSignal);
    },
  };
}
