/**
 * Presigned-URL stand-in for a store that has none (a local folder), so the faster-whisper script
 * reads and writes the same way on this machine as on the GPU instance: an HTTP server on
 * 127.0.0.1 with a random port and a random 256-bit token, serving GET (with the script's Range
 * requests) and create-only PUT (`If-None-Match: *`, 412 when the transcript exists) through the
 * store itself. URLs name no key: each one is an opaque id into a table, so hostile keys never
 * enter a URL or a path here. Reads are capped like every read of a chunk: a Range (the script asks
 * for the first 64 KiB of chunk 1 and of the next chunk) reads only those bytes, a whole object above
 * `maxBytes` is refused with 413 and never read.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WbError } from '../errors';
import type { ObjectStore } from '../store/objectStore';

export interface UrlSigner {
  presignGet(key: string): string;
  presignPutIfAbsent(key: string, contentType: string): string;
  close(): Promise<void>;
}

const MAX_PUT_BYTES = 64 * 1024 * 1024;

export interface LoopbackOptions {
  /** The largest object a GET without Range returns (run.maxChunkMegabytes); a bigger one gets 413. */
  maxBytes: number;
}

export async function serveStoreOnLoopback(store: ObjectStore, opts: LoopbackOptions): Promise<UrlSigner> {
  const token = randomBytes(32).toString('hex');
  const table = new Map<string, { key: string; method: 'GET' | 'PUT'; contentType?: string }>();
  let next = 0;
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500).end(String(e?.message ?? e).slice(0, 200));
      else res.destroy();
    });
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [, tok, id] = (req.url ?? '').split('?')[0].split('/');
    const entry = tok === token ? table.get(id ?? '') : undefined;
    if (!entry || entry.method !== req.method) {
      res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    if (entry.method === 'GET') {
      // Only leading ranges (all the script asks for), read as such: never the whole object for them.
      const range = /^bytes=0-(\d+)$/.exec(String(req.headers.range ?? ''));
      if (req.headers.range !== undefined && !range) return void res.writeHead(416).end('<Error><Code>InvalidRange</Code></Error>');
      let body: Buffer;
      try {
        body = await store.get(entry.key, undefined, range ? { firstBytes: Math.min(Number(range[1]) + 1, opts.maxBytes) } : { maxBytes: opts.maxBytes });
      } catch (e) {
        if (e instanceof WbError && e.code === 'NotFound') return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
        if (e instanceof WbError && e.code === 'TooLarge') return void res.writeHead(413).end('<Error><Code>EntityTooLarge</Code></Error>');
        throw e;
      }
      if (range) res.writeHead(206, { 'Content-Range': `bytes 0-${Math.max(0, body.length - 1)}/*` }).end(body);
      else res.writeHead(200).end(body);
      return;
    }
    if (req.headers['if-none-match'] !== '*') return void res.writeHead(400).end('create-only: If-None-Match: * required');
    const parts: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_PUT_BYTES) return void res.writeHead(413).end();
      parts.push(c as Buffer);
    }
    const put = await store.put(entry.key, Buffer.concat(parts), { ifAbsent: true, contentType: entry.contentType });
    res.writeHead(put.written ? 200 : 412).end(put.written ? '' : '<Error><Code>PreconditionFailed</Code></Error>');
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${token}/`;
  const add = (key: string, method: 'GET' | 'PUT', contentType?: string) => {
    const id = String(next++);
    table.set(id, { key, method, contentType });
    return base + id;
  };
  return {
    presignGet: (key) => add(key, 'GET'),
    presignPutIfAbsent: (key, contentType) => add(key, 'PUT', contentType),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
