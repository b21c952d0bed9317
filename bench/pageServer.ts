/**
 * An S3 ListObjectsV2 server whose cost per request is O(page), not O(bucket): the layout's keys
 * sorted in memory, every request a binary search and one page of XML. moto re-reads the whole
 * bucket per request, which punishes strategies for their request count far beyond what S3 does.
 * It serves one read-only bucket: ListObjectsV2 (prefix, delimiter, start-after, continuation-token,
 * max-keys, encoding-type=url); GET of a listed .json key answers a valid transcript of its listed
 * size (the scan reads transcripts to check them); other HEAD and GET answer 404. Signatures are not checked. A fixed delay
 * per request (`POST /__latency?ms=N`) stands for the network and the S3 fleet; `GET /__stats`
 * counts the list requests (`?reset=1` zeroes them). Runs in its own process (--page-server).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServerChild } from './child';
import { layoutObjects, transcriptBody, type LayoutName } from './layouts';

export interface PageServerOptions {
  layout: LayoutName;
  keys: number;
  bucket: string;
  latencyMs?: number;
}

const MODIFIED = '2025-11-10T00:00:00.000Z';

const xmlEscape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const urlEncode = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');

/** Just past every string that starts with `p` (keys are ASCII here: JavaScript order is S3's). */
const pastPrefix = (p: string) => p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);

export function servePages(o: PageServerOptions): Promise<{ server: http.Server; keys: number }> {
  const objects = [...layoutObjects(o.layout, o.keys)].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = objects.map((x) => x.key);
  const sizes = Int32Array.from(objects, (x) => x.size);
  objects.length = 0;
  let latencyMs = o.latencyMs ?? 0;
  const stats = { listRequests: 0, delimiterRequests: 0 };
  /** First index whose key is >= s (or > s when `strict`). */
  const lower = (s: string, strict = false) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (keys[m] < s || (strict && keys[m] === s)) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  const list = (q: URLSearchParams): string => {
    const prefix = q.get('prefix') ?? '';
    const delim = q.get('delimiter') ?? '';
    const max = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000)));
    const url = q.get('encoding-type') === 'url';
    const enc = (s: string) => (url ? urlEncode(s) : xmlEscape(s));
    const after = q.get('start-after') ?? '';
    const token = q.get('continuation-token');
    let i = token ? Number(Buffer.from(token, 'base64').toString()) : Math.max(lower(prefix), after ? lower(after, true) : 0);
    const parts: string[] = [];
    let count = 0;
    while (i < keys.length && count < max) {
      const k = keys[i];
      if (!k.startsWith(prefix)) {
        i = keys.length;
        break;
      }
      const d = delim ? k.indexOf(delim, prefix.length) : -1;
      if (d >= 0) {
        const cp = k.slice(0, d + delim.length);
        parts.push(`<CommonPrefixes><Prefix>${enc(cp)}</Prefix></CommonPrefixes>`);
        i = lower(pastPrefix(cp));
      } else {
        const etag = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(4);
        parts.push(`<Contents><Key>${enc(k)}</Key><LastModified>${MODIFIED}</LastModified><ETag>&quot;${etag}&quot;</ETag><Size>${sizes[i]}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
        i++;
      }
      count++;
    }
    const truncated = i < keys.length && keys[i].startsWith(prefix);
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${o.bucket}</Name><Prefix>${enc(prefix)}</Prefix>` +
      (after ? `<StartAfter>${enc(after)}</StartAfter>` : '') +
      (delim ? `<Delimiter>${enc(delim)}</Delimiter>` : '') +
      `<KeyCount>${count}</KeyCount><MaxKeys>${max}</MaxKeys>${url ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>` +
      (truncated ? `<NextContinuationToken>${Buffer.from(String(i)).toString('base64')}</NextContinuationToken>` : '') +
      parts.join('') +
      '</ListBucketResult>'
    );
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: string, type = 'application/xml') =>
      setTimeout(() => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'page-server' });
        res.end(req.method === 'HEAD' ? undefined : body);
      }, latencyMs);
    if (u.pathname === '/__stats') {
      const body = JSON.stringify({ ...stats, keys: keys.length, latencyMs });
      if (u.searchParams.get('reset')) Object.assign(stats, { listRequests: 0, delimiterRequests: 0 });
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(body);
    }
    if (u.pathname === '/__latency') {
      latencyMs = Number(u.searchParams.get('ms') ?? 0);
      res.writeHead(200);
      return res.end();
    }
    req.resume();
    const path = u.pathname.replace(/^\/+/, '').replace(/^([^/]+)\/$/, '$1');
    if (req.method === 'GET' && path === o.bucket && u.searchParams.get('list-type') === '2') {
      stats.listRequests++;
      if (u.searchParams.get('delimiter')) stats.delimiterRequests++;
      return send(200, list(u.searchParams));
    }
    // A transcript the scan reads to check it (scan.verifyTranscripts): a valid one of its listed size.
    const key = path.startsWith(`${o.bucket}/`) ? decodeURIComponent(path.slice(o.bucket.length + 1)) : '';
    const at = key.endsWith('.json') && req.method === 'GET' ? lower(key) : -1;
    if (at >= 0 && keys[at] === key) return send(200, transcriptBody(sizes[at]), 'application/json');
    if (path === o.bucket || path.startsWith(`${o.bucket}/`))
      return send(404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    return send(404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message></Error>');
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, keys: keys.length }));
  });
}

const READY = 'PAGE-SERVER-PORT ';

export async function pageServerMain(arg: string): Promise<void> {
  const { server } = await servePages(JSON.parse(arg));
  process.stdout.write(READY + (server.address() as AddressInfo).port + '\n');
}

export interface PageServer {
  name: 'page server';
  endpoint: string;
  pid: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  pids(): number[];
  setLatency(ms: number): Promise<void>;
  /** List requests since the last call. */
  takeStats(): Promise<{ listRequests: number; delimiterRequests: number }>;
  stop(): Promise<void>;
}

export async function startPageServer(o: PageServerOptions): Promise<PageServer> {
  const c = await startServerChild('--page-server', o, READY, 'page server', 120_000);
  const endpoint = `http://127.0.0.1:${c.port}`;
  return {
    name: 'page server',
    endpoint,
    pid: c.child.pid!,
    bucket: o.bucket,
    accessKeyId: 'PAGESERVERKEY0000001',
    secretAccessKey: 'pageserversecretpageserversecret0001',
    pids: () => [c.child.pid!],
    setLatency: async (ms) => void (await fetch(`${endpoint}/__latency?ms=${ms}`, { method: 'POST' })),
    takeStats: async () => (await fetch(`${endpoint}/__stats?reset=1`)).json() as Promise<{ listRequests: number; delimiterRequests: number }>,
    stop: c.stop,
  };
}
