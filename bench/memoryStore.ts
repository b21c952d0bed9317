/**
 * An in-memory ObjectStore for the batch benchmark. With a fake clock, a real folder store's file
 * I/O would cost fake time at every driver step; here every call settles in microtasks, so the
 * fake time measured is the orchestration's alone.
 */
import { createHash } from 'node:crypto';
import { WbError } from '../src/core/errors';
import type { ListOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from '../src/core/store/objectStore';

export class MemoryStore implements ObjectStore {
  readonly kind = 'folder' as const;
  readonly description = 'memory';
  private readonly objects = new Map<string, { body: Buffer; info: ObjectInfo }>();

  constructor(private readonly now: () => number) {}

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    opts.onPage?.(keys.length, false);
    for (const k of keys) yield this.objects.get(k)!.info;
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const out = new Set<string>();
    for (const k of this.objects.keys()) {
      if (!k.startsWith(prefix)) continue;
      const i = k.indexOf('/', prefix.length);
      if (i >= 0) out.add(k.slice(0, i + 1));
    }
    return [...out].sort();
  }

  async get(key: string): Promise<Buffer> {
    const o = this.objects.get(key);
    if (!o) throw new WbError('NotFound', `no such object: "${key}"`);
    return o.body;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.objects.get(key)?.info;
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<PutResult> {
    const cur = this.objects.get(key);
    if (opts.ifAbsent && cur) return { written: false };
    if (opts.ifMatch !== undefined && cur?.info.etag !== opts.ifMatch) return { written: false };
    const b = Buffer.from(body);
    const etag = `"${createHash('md5').update(b).digest('hex')}"`;
    this.objects.set(key, { body: b, info: { key, size: b.length, lastModified: this.now(), etag } });
    return { written: true, etag };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}
