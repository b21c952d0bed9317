/**
 * A read-only ObjectStore whose listing is generated on the fly (no server, no key list in memory),
 * for the server-less scan benchmark and for the Pending tree fixture of the editor benchmark.
 */
import type { ListOptions, ObjectInfo, ObjectStore } from '../src/core/store/objectStore';

export class GeneratedStore implements ObjectStore {
  readonly kind = 'folder' as const;
  readonly description = 'generated listing';
  private readonly modified = Date.now() - 86_400_000;
  /** `objects()` yields the bucket's keys in key order, each time afresh. */
  constructor(private readonly objects: () => Iterable<{ key: string; size: number }>) {}
  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    let inPage = 0;
    for (const o of this.objects()) {
      if (!o.key.startsWith(prefix)) continue;
      yield { key: o.key, size: o.size, lastModified: this.modified };
      if (++inPage === 1000) {
        opts.onPage?.(inPage, true);
        inPage = 0;
      }
    }
    if (inPage) opts.onPage?.(inPage, true);
  }
  async listPrefixes(): Promise<string[]> {
    throw new Error('not used: scans of a generated listing run with one stream');
  }
  async get(): Promise<Buffer> {
    throw new Error('read-only');
  }
  async head(): Promise<undefined> {
    return undefined;
  }
  async put(): Promise<never> {
    throw new Error('read-only');
  }
  async delete(): Promise<never> {
    throw new Error('read-only');
  }
}
