/**
 * One error type for everything the user can act on: a stable code, a message naming the thing,
 * and a hint saying what to do. Errors bubble; catch only to act or add context.
 */
export type ErrorCode =
  | 'Config'
  | 'Usage'
  | 'Store'
  | 'StoreAccess'
  | 'Credentials'
  | 'NotFound'
  | 'TooLarge'
  | 'AlreadyExists'
  | 'Decode'
  | 'Engine'
  | 'EngineMissing'
  | 'Host'
  | 'HostNotReady'
  | 'HostGuard'
  | 'StopFailed'
  | 'Lease'
  | 'Cancelled'
  | 'Internal';

export class WbError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WbError';
  }
}

export class CancelledError extends WbError {
  constructor(message = 'cancelled') {
    super('Cancelled', message);
    this.name = 'CancelledError';
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}

/** An object above a size cap (run.maxChunkMegabytes): named, with its size and the cap. */
export function tooLarge(what: string, bytes: number | undefined, maxBytes: number): WbError {
  const mb = (n: number) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MB`;
  return new WbError(
    'TooLarge',
    `${what} is ${bytes === undefined ? 'larger than' : `${mb(bytes)}, above`} the chunk-size cap of ${mb(maxBytes)}`,
    'It is left alone; raise run.maxChunkMegabytes to transcribe it.',
  );
}

/** Message for humans: the error plus its hint, without stack noise. */
export function describeError(e: unknown): string {
  if (e instanceof WbError) return e.hint ? `${e.message}. ${e.hint}` : e.message;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** Throws the signal's reason as a CancelledError when aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof CancelledError ? signal.reason : new CancelledError();
}
