/**
 * A local folder laid out like the bucket: the embedded default, and the store for tests and demos.
 * Create-only writes use O_EXCL (`wx`), written through a temp file and link() so that a reader
 * never sees half a transcript and an existing file is never replaced.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { WbError } from '../errors';
import type { ListOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from './objectStore';

export class FolderStore implements ObjectStore {
  readonly kind = 'folder' as const;
  readonly description: string;
  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.description = this.root;
  }

  private file(key: string): string {
    if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '.' || p === '')) {
      throw new WbError('Store', `Key not allowed in a folder store: ${JSON.stringify(key)}`, 'Keys must be relative paths without "." or ".." segments.');
    }
    return path.join(this.root, ...key.split('/'));
  }

  async *list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    await this.assertRoot();
    // Walk only the directory that can hold the prefix, in sorted order, so output is in key order like S3.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    let count = 0;
    const walk = async function* (this: FolderStore, dir: string, keyPrefix: string): AsyncGenerator<ObjectInfo> {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e: any) {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return;
        throw storeError(e, dir);
      }
      // S3 order: compare full keys; a directory "a" sorts as "a/".
      const named = entries
        .filter((e) => !e.name.startsWith('.wb-tmp-'))
        .map((e) => ({ e, k: keyPrefix + e.name + (e.isDirectory() ? '/' : '') }))
        .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      opts.onPage?.(named.length);
      for (const { e, k } of named) {
        if (opts.signal?.aborted) return;
        if (!(k.startsWith(prefix) || prefix.startsWith(k))) continue;
        if (e.isDirectory()) yield* walk.call(this, path.join(dir, e.name), k);
        else if (e.isFile() && k.startsWith(prefix)) {
          const st = await fs.stat(path.join(dir, e.name));
          yield { key: k, size: st.size, lastModified: st.mtimeMs, etag: etagOf(st) };
        }
      }
    };
    for await (const o of walk.call(this, dirKey ? this.file(dirKey.slice(0, -1)) : this.root, dirKey)) {
      yield o;
      if (opts.maxKeys !== undefined && ++count >= opts.maxKeys) return;
    }
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    await this.assertRoot();
    const dir = prefix ? this.file(prefix.replace(/\/$/, '')) : this.root;
    try {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => `${prefix}${e.name}/`).sort();
    } catch (e: any) {
      if (e.code === 'ENOENT') return [];
      throw storeError(e, dir);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.file(key));
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'EISDIR') throw new WbError('NotFound', `No such object: ${JSON.stringify(key)} in ${this.description}`);
      throw storeError(e, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(this.file(key));
      return st.isFile() ? { key, size: st.size, lastModified: st.mtimeMs, etag: etagOf(st) } : undefined;
    } catch (e: any) {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw storeError(e, key);
    }
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<PutResult> {
    const target = this.file(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(path.dirname(target), `.wb-tmp-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(tmp, body, { flag: 'wx' });
    try {
      if (opts.ifAbsent) {
        try {
          await fs.link(tmp, target); // atomic, fails with EEXIST: never replaces
        } catch (e: any) {
          if (e.code === 'EEXIST') return { written: false };
          throw storeError(e, key);
        }
      } else if (opts.ifMatch !== undefined) {
        // Compare-and-swap under an exclusive lock file: without it, two processes taking over the
        // same expired lease could both see the old etag and both "win".
        const lock = await this.lockKey(target);
        if (!lock) return { written: false };
        try {
          const cur = await this.head(key);
          if (!cur || cur.etag !== opts.ifMatch) return { written: false };
          await fs.rename(tmp, target);
        } finally {
          await lock.release();
        }
      } else {
        await fs.rename(tmp, target);
      }
    } finally {
      await fs.rm(tmp, { force: true });
    }
    const info = await this.head(key);
    return { written: true, etag: info?.etag };
  }

  /**
   * An exclusive lock next to `target` (O_EXCL create), or undefined when another writer holds it:
   * that writer is replacing the object, so our etag is about to be stale anyway. A lock older than
   * LOCK_STALE_MS (a writer that died between create and unlink) is broken once.
   */
  private async lockKey(target: string): Promise<{ release(): Promise<void> } | undefined> {
    const lockFile = path.join(path.dirname(target), `.wb-tmp-lock-${path.basename(target)}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await (await fs.open(lockFile, 'wx')).close();
        return { release: () => fs.rm(lockFile, { force: true }) };
      } catch (e: any) {
        if (e.code !== 'EEXIST') throw storeError(e, lockFile);
        const st = await fs.stat(lockFile).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs < LOCK_STALE_MS) return undefined;
        await fs.rm(lockFile, { force: true });
      }
    }
    return undefined;
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  private async assertRoot(): Promise<void> {
    try {
      const st = await fs.stat(this.root);
      if (!st.isDirectory()) throw new WbError('Store', `Store path is not a folder: ${this.root}`, 'Pass a folder laid out like the bucket, or s3://bucket[/prefix].');
    } catch (e: any) {
      if (e instanceof WbError) throw e;
      if (e.code === 'ENOENT') throw new WbError('Store', `Store folder does not exist: ${this.root}`, 'Create it, or run `whisper-batch demo` to make a sample bucket folder.');
      throw storeError(e, this.root);
    }
  }
}

/** A compare-and-swap holds its lock for milliseconds; older than this, its writer died. */
const LOCK_STALE_MS = 30_000;

function etagOf(st: import('node:fs').Stats): string {
  return createHash('sha1').update(`${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`).digest('hex').slice(0, 16);
}

function storeError(e: any, what: string): WbError {
  if (e.code === 'EACCES' || e.code === 'EPERM') return new WbError('StoreAccess', `Permission denied: ${what}`, 'Give this user read/write access to the store folder.', { cause: e });
  return new WbError('Store', `${e.code ?? 'Error'} on ${what}: ${e.message}`, undefined, { cause: e });
}

export const _test = { fsc };
