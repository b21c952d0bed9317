/**
 * A local folder laid out like the bucket: the embedded default, and the store for tests and demos.
 * Create-only writes use O_EXCL (`wx`), written through a temp file and link() so that a reader
 * never sees half a transcript and an existing file is never replaced.
 */
import { promises as fs, constants as fsc, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { WbError, tooLarge } from '../errors';
import type { GetOptions, ListFoldersOptions, ListOptions, ObjectInfo, ObjectStore, PutOptions, PutResult } from './objectStore';
import { flatten } from './batches';
import { compareKeys } from './keyOrder';

export class FolderStore implements ObjectStore {
  readonly kind = 'folder' as const;
  readonly description: string;
  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.description = this.root;
  }

  private file(key: string): string {
    return path.join(this.root, ...keyParts(key));
  }

  private realRootPromise?: Promise<string>;

  /** The root with its links resolved (the configured folder may itself be a link: that is the operator's choice). */
  private async realRoot(): Promise<string> {
    const p = (this.realRootPromise ??= fs.realpath(this.root));
    try {
      return await p;
    } catch (e) {
      this.realRootPromise = undefined;
      await this.assertRoot();
      throw e;
    }
  }

  /**
   * The path of `key` reached without following any link out of the root: every parent folder is
   * resolved (realpath) and must lie inside the root; with `create`, missing folders are made one at
   * a time, each inside an already checked one, so that a planted link (`<session>/layers` ->
   * /elsewhere) cannot make even a folder appear outside. A link inside the root to inside the root
   * is fine. With `final`, the key's own link (if it is one) is checked too (reads follow it).
   */
  private async inside(key: string, o: { create?: boolean; final?: boolean } = {}): Promise<string> {
    const parts = keyParts(key);
    const root = await this.realRoot();
    if (o.final && !o.create) {
      // A read: one realpath of the whole path resolves every link on it, parents included, in one
      // thread-pool trip (one per parent made a scan's transcript reads 13 trips each, issue 12).
      // The file read is the resolved path, which must lie inside the root.
      const whole = path.join(root, ...parts);
      const real = await fs.realpath(whole).catch((e: any) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? undefined : Promise.reject(storeError(e, key))));
      if (real !== undefined) {
        if (!isInside(root, real)) throw linkOut(key, whole, real);
        return real;
      }
      // Nothing there (or a dangling link on the way): the walk below names where, as a write would.
    }
    let cur = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = path.join(cur, parts[i]);
      if (o.create) await fs.mkdir(next).catch((e: any) => (e.code === 'EEXIST' ? undefined : Promise.reject(storeError(e, key))));
      let real: string;
      try {
        real = await fs.realpath(next);
      } catch (e: any) {
        if (!o.create && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return path.join(next, ...parts.slice(i + 1)); // nothing there: reads answer "not found"
        throw storeError(e, key);
      }
      if (!isInside(root, real)) throw linkOut(key, next, real);
      cur = real;
    }
    const target = path.join(cur, parts[parts.length - 1]);
    if (o.final) {
      const real = await fs.realpath(target).catch(() => undefined);
      if (real !== undefined && !isInside(root, real)) throw linkOut(key, target, real);
    }
    return target;
  }

  list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    return flatten(this.listBatches(prefix, opts), opts.signal);
  }

  async *listBatches(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo[]> {
    await this.assertRoot();
    // Walk only the directory that can hold the prefix, in S3 key order. Synchronous readdir per
    // directory and no stat here: a per-file await chain made a scan 16x `find` (issue 12). Size
    // and time are read (statSync) only when asked for, which a scan does for audio chunks only.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    const from = opts.startAt;
    let count = 0;
    interface Frame {
      dir: string;
      entries: Array<{ name: string; k: string; dir: boolean; file: boolean }>;
      i: number;
    }
    const stack: Frame[] = [];
    const enter = (dir: string, keyPrefix: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (e: any) {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return;
        throw storeError(e, dir);
      }
      // S3 order: compare full keys; a directory "a" sorts as "a/". Symlinks are neither file nor directory here: skipped.
      const named = [];
      for (const e of entries) {
        if (e.name.startsWith('.wb-tmp-')) continue;
        const d = e.isDirectory();
        named.push({ name: e.name, k: keyPrefix + e.name + (d ? '/' : ''), dir: d, file: !d && e.isFile() });
      }
      named.sort((x, y) => compareKeys(x.k, y.k));
      opts.onPage?.(named.length, true);
      stack.push({ dir, entries: named, i: 0 });
    };
    enter(dirKey ? this.file(dirKey.slice(0, -1)) : this.root, dirKey);
    // Handed out 1000 at a time: one await per batch, and the walk stays synchronous in between.
    let batch: ObjectInfo[] = [];
    while (stack.length) {
      if (batch.length >= 1000) {
        yield batch;
        batch = [];
      }
      const top = stack[stack.length - 1];
      if (top.i >= top.entries.length) {
        stack.pop();
        continue;
      }
      const e = top.entries[top.i++];
      if (opts.signal?.aborted) return;
      if (!(e.k.startsWith(prefix) || prefix.startsWith(e.k))) continue;
      // Before the range: skip, unless it is a directory that holds the start.
      if (from !== undefined && compareKeys(e.k, from) < 0 && !(e.dir && from.startsWith(e.k))) continue;
      const bound = opts.until?.();
      if (bound !== undefined && compareKeys(e.k, bound) >= 0 && !(e.dir && bound.startsWith(e.k))) break;
      if (e.dir) enter(path.join(top.dir, e.name), e.k);
      else if (e.file && e.k.startsWith(prefix)) {
        // A name from readdir is one component: no join (and its normalising) per file.
        batch.push(new FolderEntry(e.k, top.dir + path.sep + e.name));
        if (opts.maxKeys !== undefined && ++count >= opts.maxKeys) break;
      }
    }
    if (batch.length && !opts.signal?.aborted) yield batch;
  }

  async listPrefixes(prefix: string, _signal?: AbortSignal, opts: ListFoldersOptions = {}): Promise<string[]> {
    await this.assertRoot();
    const dir = prefix ? this.file(prefix.replace(/\/$/, '')) : this.root;
    try {
      const entries = await fs.readdir(dir, { withFileTypes: true });
      let out = entries
        .filter((e) => e.isDirectory())
        .map((e) => `${prefix}${e.name}/`)
        .sort(compareKeys);
      if (opts.startAfter !== undefined) out = out.filter((p) => compareKeys(p, opts.startAfter!) > 0 || opts.startAfter!.startsWith(p));
      return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
    } catch (e: any) {
      if (e.code === 'ENOENT') return [];
      throw storeError(e, dir);
    }
  }

  async get(key: string, _signal?: AbortSignal, opts: GetOptions = {}): Promise<Buffer> {
    try {
      const file = await this.inside(key, { final: true });
      if (opts.firstBytes !== undefined) {
        const h = await fs.open(file, 'r');
        try {
          const buf = Buffer.alloc(Math.max(0, Math.min((await h.stat()).size, opts.firstBytes)));
          let n = 0;
          for (let r; n < buf.length && (r = await h.read(buf, n, buf.length - n, n)).bytesRead > 0;) n += r.bytesRead;
          return buf.subarray(0, n);
        } finally {
          await h.close();
        }
      }
      if (opts.maxBytes === undefined) return await fs.readFile(file);
      // Size first (a sparse 2 GiB file is cheap to plant); then read at most one byte more than allowed, in case it grew.
      const h = await fs.open(file, 'r');
      try {
        const st = await h.stat();
        if (st.size > opts.maxBytes) throw tooLarge(JSON.stringify(key), st.size, opts.maxBytes);
        const buf = Buffer.alloc(Math.min(st.size, opts.maxBytes) + 1);
        let n = 0;
        for (let r; n < buf.length && (r = await h.read(buf, n, buf.length - n, n)).bytesRead > 0;) n += r.bytesRead;
        if (n > opts.maxBytes) throw tooLarge(JSON.stringify(key), undefined, opts.maxBytes);
        return buf.subarray(0, n);
      } finally {
        await h.close();
      }
    } catch (e: any) {
      if (e instanceof WbError) throw e;
      if (e.code === 'ENOENT' || e.code === 'EISDIR') throw new WbError('NotFound', `No such object: ${JSON.stringify(key)} in ${this.description}`);
      throw storeError(e, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(await this.inside(key, { final: true }));
      return st.isFile() ? { key, size: st.size, lastModified: st.mtimeMs, etag: etagOf(st) } : undefined;
    } catch (e: any) {
      if (e instanceof WbError) throw e;
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw storeError(e, key);
    }
  }

  async put(key: string, body: Buffer | string, opts: PutOptions = {}): Promise<PutResult> {
    // No write follows a link out of the root; the target itself is never followed either: link()
    // fails on an existing name (a planted link included) and rename() replaces the name, not what it points to.
    const target = await this.inside(key, { create: true });
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
    await fs.rm(await this.inside(key), { force: true });
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

/** A listed file: stat()ed on first use of its size, time or etag (a scan reads them for audio only). */
class FolderEntry implements ObjectInfo {
  private st?: { size: number; mtimeMs: number; ino?: number; ctimeMs?: number; etag?: string };
  constructor(
    readonly key: string,
    private readonly file: string,
  ) {}
  private stat() {
    if (this.st) return this.st;
    try {
      const st = statSync(this.file);
      // The etag (a hash) only when asked for: a scan reads sizes and times, never etags.
      return (this.st = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs });
    } catch (e: any) {
      // Deleted since the directory was read: listed as empty, as a listing a moment earlier would have.
      if (e.code === 'ENOENT') return (this.st = { size: 0, mtimeMs: 0 });
      throw storeError(e, this.file);
    }
  }
  get size(): number {
    return this.stat().size;
  }
  get lastModified(): number {
    return this.stat().mtimeMs;
  }
  get etag(): string | undefined {
    const s = this.stat();
    if (s.etag === undefined && s.ino !== undefined) s.etag = etagOf({ ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs! });
    return s.etag;
  }
}

/**
 * The folder names of a key. A key is user text: "/" separates folders; "\\" does too on Windows,
 * so a ".." or "." between either separator is refused on every OS, as are absolute keys, empty
 * segments and (for Windows drive letters and streams) ":" in a segment there.
 */
function keyParts(key: string): string[] {
  const parts = key.split('/');
  const bad =
    !key || key.includes('\0') || parts.some((p) => p === '') || key.split(/[\\/]/).some((p) => p === '..' || p === '.') || (process.platform === 'win32' && (key.includes(':') || /^[\\/]/.test(key)));
  if (bad) throw new WbError('Store', `Key not allowed in a folder store: ${JSON.stringify(key)}`, 'Keys must be relative paths without "." or ".." segments (between "/" or "\\").');
  return process.platform === 'win32' ? key.split(/[\\/]/) : parts;
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel));
}

function linkOut(key: string, at: string, real: string): WbError {
  return new WbError(
    'StoreAccess',
    `Refused ${JSON.stringify(key)}: ${at} is a link out of the store folder (to ${real})`,
    'Remove the symbolic link from the store folder; nothing is read or written through it.',
  );
}

/** A compare-and-swap holds its lock for milliseconds; older than this, its writer died. */
const LOCK_STALE_MS = 30_000;

function etagOf(st: Pick<import('node:fs').Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return createHash('sha1').update(`${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`).digest('hex').slice(0, 16);
}

function storeError(e: any, what: string): WbError {
  if (e.code === 'EACCES' || e.code === 'EPERM') return new WbError('StoreAccess', `Permission denied: ${what}`, 'Give this user read/write access to the store folder.', { cause: e });
  return new WbError('Store', `${e.code ?? 'Error'} on ${what}: ${e.message}`, undefined, { cause: e });
}

export const _test = { fsc };
