/**
 * Scan vs raw listing, on one S3 server and one bucket, all in the same run: raw sequential
 * ListObjectsV2 (the floor for one stream), the product's scan with one stream and in parallel by
 * user prefix, and the seed's one-listing-per-session loop. Each strategy runs in its own process;
 * raw and scan alternate `reps` times and the medians are kept, so that a noisy neighbour hurts both.
 */
import { bucketCounts, fillBucket, type BucketSpec } from './bucket';
import { runInChild } from './child';
import type { ListingResult } from './listing';
import { cpuSecondsOf, ensureBucket, s3Client, target, type S3Server } from './servers';

export interface ScanRow {
  server: string;
  /** bench/layouts.ts (rows on moto and radosgw: the uniform grid of bench/bucket.ts). */
  layout?: string;
  keys: number;
  sessions: number;
  strategy: string;
  seconds: number;
  keysPerSec: number;
  sessionsPerSec: number;
  requests: number;
  /** Transcripts the scan read to check them (GETs, not in `requests`). */
  transcriptReads?: number;
  /** A parallel scan's range cuts (the median run's), and each run's (rangeListing.ts). */
  cuts?: number;
  cutsPerRun?: number[];
  /** Memory runs: the V8 heap at the highest sampled RSS. */
  heapAtPeak?: import('./listing').HeapSample;
  peakRssMB: number;
  /** CPU seconds of the client process. */
  clientCpuSeconds?: number;
  /** The same per 100,000 keys listed. */
  clientCpuPer100kKeys?: number;
  /** CPU seconds of the server's processes meanwhile (from the child's start to its end, so a little more than the timed region). */
  serverCpuSeconds?: number;
  /** CPU seconds of the latency proxy's process meanwhile (rows measured through bench/latencyProxy.ts). */
  proxyCpuSeconds?: number;
  /** seconds / raw seconds (below 1: faster than one raw listing stream). */
  vsRaw: number;
  note?: string;
}

export interface ScanBenchOptions {
  spec: BucketSpec;
  reps: number;
  parallel: number[];
  /** Seed baseline on at most this many sessions (its rate is then extrapolated to the bucket). */
  seedMaxSessions?: number;
  log: (m: string) => void;
  /**
   * Every listing through this latency proxy (bench/latencyProxy.ts) instead of straight to the
   * server: rows labelled "<server> +N ms", the proxy's CPU measured apart, no seed baseline. The
   * bucket is still filled (or its fill reused) straight on the server.
   */
  proxy?: { endpoint: string; pid: number; latencyMs: number };
}

export async function scanBench(server: S3Server, o: ScanBenchOptions): Promise<{ rows: ScanRow[]; fill: { reused: boolean; seconds: number; objects: number } }> {
  const { spec } = o;
  const counts = bucketCounts(spec);
  const bucket = `wb-bench-${spec.users}-${spec.sessionsPerUser}-${spec.chunksPerSession}`;
  const c = s3Client(server);
  await ensureBucket(c, bucket);
  o.log(`${server.name}: bucket ${bucket}: ${counts.keys} keys, ${counts.sessions} sessions, ${spec.users} users`);
  const fill = await fillBucket(c, bucket, spec, { log: o.log });
  o.log(fill.reused ? `${server.name}: reusing the filled bucket` : `${server.name}: filled ${fill.objects} objects in ${fill.seconds.toFixed(1)} s (${Math.round(fill.objects / fill.seconds)}/s)`);
  c.destroy();
  const t = o.proxy ? { ...target(server, bucket), endpoint: o.proxy.endpoint } : target(server, bucket);
  const label = o.proxy ? `${server.name} +${o.proxy.latencyMs} ms` : server.name;

  // The server's CPU time around each child (its start and warm-up request included: a slight overcount).
  const pids = server.pids();
  type Run = ListingResult & { serverCpuSeconds?: number; proxyCpuSeconds?: number };
  const proxyPids = o.proxy ? [o.proxy.pid] : [];
  const runInChildCpu = async (task: Parameters<typeof runInChild>[0]): Promise<Run> => {
    const before = cpuSecondsOf(pids);
    const proxyBefore = cpuSecondsOf(proxyPids);
    const r = await runInChild(task);
    const after = cpuSecondsOf(pids);
    const proxyAfter = cpuSecondsOf(proxyPids);
    return {
      ...r,
      serverCpuSeconds: before !== undefined && after !== undefined ? after - before : undefined,
      proxyCpuSeconds: proxyBefore !== undefined && proxyAfter !== undefined ? proxyAfter - proxyBefore : undefined,
    };
  };
  const runs = new Map<string, Run[]>();
  const add = (name: string, r: Run) => runs.set(name, [...(runs.get(name) ?? []), r]);
  // The order rotates round by round: no strategy always first (a cold server) or always after the same one.
  const steps: Array<{ name: string; run: () => Promise<void> }> = [
    { name: 'raw sequential ListObjectsV2', run: async () => void add('raw sequential ListObjectsV2', await runInChildCpu({ kind: 'raw', target: t })) },
    {
      name: 'scan, 1 stream',
      run: async () => {
        const one = await runInChildCpu({ kind: 'scan', target: t, concurrency: 1 });
        check(one, counts, 'scan');
        add('scan, 1 stream', one);
      },
    },
    ...o.parallel.map((p) => ({
      name: `scan, ${p} streams (key ranges)`,
      run: async () => {
        const par = await runInChildCpu({ kind: 'scan', target: t, concurrency: p });
        check(par, counts, `scan x${p}`);
        add(`scan, ${p} streams (key ranges)`, par);
      },
    })),
  ];
  // Rows in a fixed order whatever ran first.
  for (const s of steps) runs.set(s.name, []);
  for (let i = 0; i < o.reps; i++) {
    const k = i % steps.length;
    for (const s of [...steps.slice(k), ...steps.slice(0, k)]) await s.run();
    o.log(`${label}: round ${i + 1}/${o.reps}: raw ${runs.get('raw sequential ListObjectsV2')!.at(-1)!.seconds.toFixed(2)} s, scan ${runs.get('scan, 1 stream')!.at(-1)!.seconds.toFixed(2)} s`);
  }
  const raw = median(runs.get('raw sequential ListObjectsV2')!);
  const row = (strategy: string, r: Run, note?: string): ScanRow => ({
    server: label,
    keys: counts.keys,
    sessions: counts.sessions,
    strategy,
    ...timing(r, counts, raw.seconds),
    requests: r.requests,
    peakRssMB: r.peakRssMB,
    proxyCpuSeconds: r.proxyCpuSeconds === undefined ? undefined : round(r.proxyCpuSeconds, 2),
    note,
  });
  const rows = [...runs.entries()].map(([name, rs]) => {
    const r = median(rs);
    const notes = [
      o.reps === 2 ? 'best of 2' : o.reps > 2 ? `median of ${o.reps}` : '',
      o.proxy ? `via proxy +${o.proxy.latencyMs} ms/request, proxy CPU ${r.proxyCpuSeconds === undefined ? '?' : round(r.proxyCpuSeconds, 2)} s` : '',
    ].filter(Boolean);
    return row(name, r, notes.length ? notes.join('; ') : undefined);
  });
  // Through the proxy, the seed's loop (thousands of requests one after the other) is not measured.
  if (o.proxy) return { rows, fill };
  const seed = await runInChild({ kind: 'seed', target: t, maxSessions: o.seedMaxSessions });
  // The seed's time: its full first listing plus per-session listings at the measured rate.
  const perSession = seed.sessionsMeasured ? (seed.seconds - raw.seconds) / seed.sessionsMeasured : 0;
  const seedSeconds = seed.sessionsMeasured === seed.sessions ? seed.seconds : raw.seconds + perSession * seed.sessions;
  const seedRequests = seed.sessionsMeasured === seed.sessions ? seed.requests : Math.round(raw.requests + ((seed.requests - raw.requests) / Math.max(1, seed.sessionsMeasured ?? 1)) * seed.sessions);
  rows.push({
    ...row('seed: one listing per session', { ...seed, seconds: seedSeconds, requests: seedRequests, cpuSeconds: undefined, serverCpuSeconds: undefined }),
    note: seed.sessionsMeasured === seed.sessions ? 'measured on every session' : `extrapolated from ${seed.sessionsMeasured} of ${seed.sessions} sessions`,
  });
  return { rows, fill };
}

function check(r: ListingResult, counts: ReturnType<typeof bucketCounts>, what: string): void {
  // A fast scan that finds the wrong work is no result: the bench fails loudly instead.
  if (r.keys !== counts.keys || r.sessions !== counts.sessions || r.pendingSessions !== counts.pendingSessions || r.missingChunks !== counts.missingChunks) {
    throw new Error(
      `${what} found ${r.keys} keys / ${r.sessions} sessions / ${r.pendingSessions} pending / ${r.missingChunks} missing; expected ${counts.keys} / ${counts.sessions} / ${counts.pendingSessions} / ${counts.missingChunks}`,
    );
  }
}

export function median<T extends { seconds: number }>(xs: T[]): T {
  const s = [...xs].sort((a, b) => a.seconds - b.seconds);
  return s[Math.floor((s.length - 1) / 2)];
}

/** A row's timing columns: time, rates, CPU (client, per 100k keys, server) and the ratio to the baseline's seconds. */
export function timing(r: { seconds: number; cpuSeconds?: number; serverCpuSeconds?: number }, counts: { keys: number; sessions: number }, baseSeconds: number) {
  const cpu = (x: number | undefined, d = 2) => (x === undefined ? undefined : round(x, d));
  return {
    seconds: round(r.seconds, 3),
    keysPerSec: Math.round(counts.keys / r.seconds),
    sessionsPerSec: Math.round(counts.sessions / r.seconds),
    clientCpuSeconds: cpu(r.cpuSeconds),
    clientCpuPer100kKeys: r.cpuSeconds === undefined ? undefined : round((r.cpuSeconds / counts.keys) * 1e5, 3),
    serverCpuSeconds: cpu(r.serverCpuSeconds),
    vsRaw: round(r.seconds / baseSeconds, 3),
  };
}

export function round(n: number, d: number): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}
