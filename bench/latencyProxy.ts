/**
 * A reverse proxy that adds a fixed latency to every S3 request, to measure listings as they behave
 * against a remote S3 (a fleet tens of milliseconds away) rather than a server on the same 2 cores.
 *
 * Every request is forwarded to the S3 server unchanged: method, path and query, every header
 * (Host included, as the client sent it: the client signed for the proxy's host:port and the server
 * checks the signature against the Host it receives) and the body, streamed. When the server's
 * response headers arrive, the proxy holds the response for `latencyMs`, then streams it back with
 * the server's status and headers. The server is free during the wait, as it would be while a reply
 * crosses a network: the added time is per request, not per byte, and not CPU.
 *
 * It runs in its own Node process (the bench script with --latency-proxy), so that its CPU time can
 * be read apart from the client's and the server's (`/proc/<pid>/stat`).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServerChild } from './child';

export interface LatencyProxyOptions {
  /** The S3 server, e.g. http://127.0.0.1:7480. */
  target: string;
  /** Added to every response, in milliseconds. */
  latencyMs: number;
  /** 0: any free port. */
  port?: number;
}

/** The proxy itself (in the process that serves it). */
export function serveLatencyProxy(o: LatencyProxyOptions): Promise<http.Server> {
  const up = new URL(o.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const server = http.createServer((req, res) => {
    const fwd = http.request(
      // setHost: false and the client's headers as they are: Host stays what the client signed.
      { host: up.hostname, port: up.port || 80, method: req.method, path: req.url, headers: req.headers, agent, setHost: false },
      (ur) => {
        ur.pause();
        setTimeout(() => {
          res.writeHead(ur.statusCode ?? 502, ur.statusMessage, ur.rawHeaders);
          ur.pipe(res);
          ur.resume();
        }, o.latencyMs);
      },
    );
    fwd.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`latency proxy: ${e.message}`);
    });
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve(server));
  });
}

const READY = 'LATENCY-PROXY-PORT ';

/** The child's side: serve, and print the port on one marked line. */
export async function latencyProxyMain(arg: string): Promise<void> {
  const server = await serveLatencyProxy(JSON.parse(arg));
  process.stdout.write(READY + (server.address() as AddressInfo).port + '\n');
}

export interface LatencyProxy {
  endpoint: string;
  pid: number;
  latencyMs: number;
  stop(): Promise<void>;
}

/** Starts the proxy in its own Node process (this bench script with --latency-proxy). */
export async function startLatencyProxy(o: LatencyProxyOptions): Promise<LatencyProxy> {
  const c = await startServerChild('--latency-proxy', o, READY, 'latency proxy', 20_000);
  return { endpoint: `http://127.0.0.1:${c.port}`, pid: c.child.pid!, latencyMs: o.latencyMs, stop: c.stop };
}
