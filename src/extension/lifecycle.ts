/**
 * Ownership of disposables (after vscode-pull-request-github's lifecycle.ts): a class that listens
 * or creates UI registers what it makes with `_register`, and one `dispose()` releases all of it.
 * No vscode import, so pure modules (runner, tail) can use it and stay unit-testable.
 */
export interface IDisposable {
  dispose(): void;
}

export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      fn();
    },
  };
}

export function disposeAll(list: Iterable<IDisposable>): void {
  for (const d of [...list]) {
    try {
      d.dispose();
    } catch {
      // one failing dispose must not keep the others alive
    }
  }
}

export abstract class Disposable implements IDisposable {
  private readonly owned = new Set<IDisposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership and returns `d`; after dispose, `d` is disposed at once. */
  protected _register<T extends IDisposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.add(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
    this.owned.clear();
  }
}
