/**
 * S3 servers for the listing benchmarks: moto (always; test/support/moto.ts starts it on a free
 * port) and radosgw (full mode; bench/radosgw.sh, started here and stopped afterwards unless kept).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, motoCredentials, releaseMoto, startMoto } from '../test/support/moto';
import type { S3Target } from './listing';

export interface S3Server {
  name: 'moto' | 'radosgw';
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The server's processes (for its CPU time), when this run started it. */
  pids(): number[];
  stop(): Promise<void>;
}

/** CPU seconds (user + system, all threads) the processes have used so far; undefined if unknown. */
export function cpuSecondsOf(pids: number[]): number | undefined {
  if (!pids.length) return undefined;
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      return undefined;
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** The moto server listening on `port` (test/support/moto.ts starts it; its pid is not exposed). */
function motoPids(port: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args.includes('moto.server') && args.includes(String(port))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export async function startMotoServer(): Promise<S3Server> {
  const m = await startMoto();
  return { name: 'moto', endpoint: m.endpoint, ...motoCredentials, pids: () => motoPids(m.port), stop: () => releaseMoto() };
}

const RGW_KEYS = { accessKeyId: 'BENCHACCESSKEY000001', secretAccessKey: 'benchsecretbenchsecretbenchsecret0001' };

/**
 * BENCH_RGW_ENDPOINT reuses a radosgw already running (and already filled by an earlier run with
 * --keep-rgw): a fill of 100k keys takes minutes.
 */
export async function startRadosgw(opts: { keep: boolean; log: (m: string) => void }): Promise<S3Server> {
  if (process.env.BENCH_RGW_ENDPOINT) return { name: 'radosgw', endpoint: process.env.BENCH_RGW_ENDPOINT, ...RGW_KEYS, pids: () => [], stop: async () => {} };
  const script = findScript();
  const port = await freePort();
  const dir = `/tmp/whisper-batch-bench-rgw-${port}`;
  const env = { ...process.env, RGW_ACCESS_KEY: RGW_KEYS.accessKeyId, RGW_SECRET_KEY: RGW_KEYS.secretAccessKey };
  const t0 = performance.now();
  await promisify(execFile)('bash', [script, 'start', String(port), dir], { env, timeout: 180_000 });
  opts.log(
    `radosgw up in ${((performance.now() - t0) / 1000).toFixed(1)} s on port ${port}${opts.keep ? ` (kept running: BENCH_RGW_ENDPOINT=http://127.0.0.1:${port}; stop with bash ${script} stop ${port} ${dir})` : ''}`,
  );
  return {
    name: 'radosgw',
    endpoint: `http://127.0.0.1:${port}`,
    ...RGW_KEYS,
    // radosgw, the OSD and the monitor: bench/radosgw.sh writes their pids.
    pids: () => ['rgw', 'osd', 'mon'].flatMap((d) => (existsSync(join(dir, `${d}.pid`)) ? [Number(readFileSync(join(dir, `${d}.pid`), 'utf8').trim())] : [])),
    stop: async () => {
      if (!opts.keep) await promisify(execFile)('bash', [script, 'stop', String(port), dir], { timeout: 60_000 });
    },
  };
}

function findScript(): string {
  // From bench/*.ts (ts-node / out/bench) or from dist/bench.js.
  for (const p of [join(__dirname, 'radosgw.sh'), join(__dirname, '..', 'bench', 'radosgw.sh'), join(__dirname, '..', '..', 'bench', 'radosgw.sh')]) if (existsSync(p)) return p;
  throw new Error('bench/radosgw.sh not found');
}

export function s3Client(s: Pick<S3Server, 'endpoint' | 'accessKeyId' | 'secretAccessKey'>): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: s.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  });
}

export async function ensureBucket(c: S3Client, bucket: string): Promise<void> {
  try {
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e: any) {
    if (e?.name !== 'BucketAlreadyOwnedByYou' && e?.name !== 'BucketAlreadyExists') throw e;
  }
}

export function target(s: S3Server, bucket: string): S3Target {
  return { endpoint: s.endpoint, bucket, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
}
