/**
 * Presigned-URL stand-in for a store that has none (a local folder), so the faster-whisper script
 * reads and writes the same way on this machine as on the GPU instance: an HTTP server on
 * 127.0.0.1 with a random port and a random 256-bit token, serving GET (with the script's Range
 * requests) and create-only PUT (`If-None-Match: *`, 412 when the transcript exists) through the
 * store itself. URLs name no key: each one is an opaque id into a table, so hostile keys never
 * enter a URL or a path here.
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

export async function serveStoreOnLoopback(store: ObjectStore): Promise<UrlSigner> {
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
      let body: Buffer;
      try {
        body = await store.get(entry.key);
      } catch (e) {
        if (e instanceof WbError && e.code === 'NotFound') return void res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
        throw e;
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(body.length - 1, range[2] ? Number(range[2]) : body.length - 1);
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}` }).end(body.subarray(start, end + 1));
      } else res.writeHead(200).end(body);
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
