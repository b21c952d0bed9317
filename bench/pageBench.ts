/**
 * Scan against raw listing on the O(page) server (bench/pageServer.ts), per layout and per added
 * latency, all in one run: raw sequential ListObjectsV2, the scan with default settings, with one
 * stream, and with the parallel setting. Each strategy runs in its own process; the order rotates
 * from round to round (no strategy always first, or always right after another), and the medians
 * are kept. Requests are counted by the server; every scan's answer is checked against the layout.
 */
import { runInChild } from './child';
import { layoutCounts, type LayoutCounts, type LayoutName } from './layouts';
import type { ListingResult, ListingTask, S3Target } from './listing';
import { startPageServer } from './pageServer';
import { cpuSecondsOf } from './servers';
import { median, round, timing, type ScanRow } from './scanBench';

export interface PageBenchOptions {
  layouts: LayoutName[];
  keys: number;
  latencies: number[];
  reps: number;
  /** The parallel setting (scan.listConcurrency). */
  parallel: number;
  log: (m: string) => void;
  /** Write a V8 CPU profile of every scan child here (node --cpu-prof). */
  cpuProfDir?: string;
}

export interface Strategy {
  name: string;
  task: (t: S3Target) => ListingTask;
}

export function strategies(parallel: number): Strategy[] {
  return [
    { name: 'raw sequential ListObjectsV2', task: (t) => ({ kind: 'raw', target: t }) },
    // A plain scan (sidebar, `scan`, `status`): with scan.verifyTranscripts = run (the default) it reads no transcript.
    { name: 'scan, default settings', task: (t) => ({ kind: 'scan', target: t, concurrency: 'default' }) },
    // The scan a run starts with: the same listing, plus a GET of every transcript of the sessions with work.
    { name: "a run's scan, default settings", task: (t) => ({ kind: 'scan', target: t, concurrency: 'default', purpose: 'run' }) },
    { name: 'scan, 1 stream', task: (t) => ({ kind: 'scan', target: t, concurrency: 1 }) },
    { name: `scan, ${parallel} streams (key ranges)`, task: (t) => ({ kind: 'scan', target: t, concurrency: parallel }) },
  ];
}

/** Round i runs the strategies starting at the i-th: each is first, and follows each other, in turn. */
export function rotated<T>(xs: T[], round: number): T[] {
  const k = round % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

export function checkCounts(r: ListingResult, c: Pick<LayoutCounts, 'keys' | 'sessions' | 'pendingSessions' | 'missingChunks'>, what: string): void {
  // A fast scan that finds the wrong work is no result: the bench fails loudly instead.
  if (r.keys !== c.keys || (r.kind !== 'raw' && (r.sessions !== c.sessions || r.pendingSessions !== c.pendingSessions || r.missingChunks !== c.missingChunks))) {
    throw new Error(
      `${what} found ${r.keys} keys / ${r.sessions} sessions / ${r.pendingSessions} pending / ${r.missingChunks} missing; expected ${c.keys} / ${c.sessions} / ${c.pendingSessions} / ${c.missingChunks}`,
    );
  }
}

export async function pageBench(o: PageBenchOptions): Promise<ScanRow[]> {
  const rows: ScanRow[] = [];
  for (const layout of o.layouts) {
    const counts = layoutCounts(layout, o.keys);
    const bucket = 'wb-page';
    const server = await startPageServer({ layout, keys: o.keys, bucket });
    o.log(`page server (pid ${server.pid}) on ${server.endpoint}: layout ${layout}, ${counts.keys} keys, ${counts.sessions} sessions, ${counts.users} users`);
    try {
      const t: S3Target = { endpoint: server.endpoint, bucket, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
      for (const latency of o.latencies) {
        await server.setLatency(latency);
        const label = `page server${latency ? ` +${latency} ms` : ''}`;
        type Run = ListingResult & { serverCpuSeconds?: number; serverRequests: number };
        const runs = new Map<string, Run[]>();
        const all = strategies(o.parallel);
        for (let i = 0; i < o.reps; i++) {
          const order = rotated(all, i);
          for (const s of order) {
            await server.takeStats();
            const before = cpuSecondsOf(server.pids());
            const prof = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`, `--cpu-prof-name=${layout}-${latency}ms-${s.name.replace(/\W+/g, '_')}-${i}.cpuprofile`] : [];
            const r = await runInChild(s.task(t), undefined, prof);
            const after = cpuSecondsOf(server.pids());
            const st = await server.takeStats();
            checkCounts(r, counts, `${layout} ${label} ${s.name}`);
            runs.set(s.name, [...(runs.get(s.name) ?? []), { ...r, serverRequests: st.listRequests - 1, serverCpuSeconds: before !== undefined && after !== undefined ? after - before : undefined }]);
          }
          o.log(
            `${layout} ${label}: round ${i + 1}/${o.reps} (${order.map((s) => s.name.split(',')[1]?.trim() ?? 'raw').join(' -> ')}): ${all.map((s) => `${s.name.replace('raw sequential ListObjectsV2', 'raw')} ${runs.get(s.name)!.at(-1)!.seconds.toFixed(2)} s`).join(', ')}`,
          );
        }
        const raw = median(runs.get(all[0].name)!);
        for (const s of all) {
          const r = median(runs.get(s.name)!);
          rows.push({
            server: label,
            layout,
            keys: counts.keys,
            sessions: counts.sessions,
            strategy: s.name,
            ...timing(r, counts, raw.seconds),
            // Counted by the server (each strategy's one-key warm-up listing taken off): a request cut short counts too.
            requests: r.serverRequests,
            transcriptReads: r.transcriptReads,
            cuts: r.cuts,
            cutsPerRun: runs.get(s.name)!.map((x) => x.cuts ?? 0),
            peakRssMB: r.peakRssMB,
            note: o.reps === 2 ? 'best of 2' : o.reps > 2 ? `median of ${o.reps}, order rotated` : undefined,
          });
        }
      }
    } finally {
      await server.stop();
    }
  }
  return rows;
}

/** Peak RSS of a scan at `keys` keys through the real S3 path (the page server), raw listing beside it. */
export async function memoryBench(o: { keys: number; log: (m: string) => void }): Promise<ScanRow[]> {
  const counts = layoutCounts('skewed', o.keys);
  const server = await startPageServer({ layout: 'skewed', keys: o.keys, bucket: 'wb-page' });
  o.log(`page server (pid ${server.pid}): skewed, ${counts.keys} keys for the memory run`);
  const rows: ScanRow[] = [];
  try {
    const t: S3Target = { endpoint: server.endpoint, bucket: 'wb-page', accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    let raw: ListingResult | undefined;
    for (const s of strategies(8).filter((x) => !x.name.startsWith('scan, 1 stream'))) {
      await server.takeStats();
      const r = await runInChild(s.task(t));
      const st = await server.takeStats();
      checkCounts(r, counts, `memory ${s.name}`);
      raw ??= r;
      rows.push({
        server: 'page server',
        layout: 'skewed',
        keys: counts.keys,
        sessions: counts.sessions,
        strategy: s.name,
        seconds: round(r.seconds, 3),
        keysPerSec: Math.round(counts.keys / r.seconds),
        sessionsPerSec: Math.round(counts.sessions / r.seconds),
        requests: st.listRequests - 1,
        transcriptReads: r.transcriptReads,
        heapAtPeak: r.heapAtPeak,
        peakRssMB: r.peakRssMB,
        clientCpuSeconds: r.cpuSeconds === undefined ? undefined : round(r.cpuSeconds, 2),
        clientCpuPer100kKeys: r.cpuSeconds === undefined ? undefined : round((r.cpuSeconds / counts.keys) * 1e5, 3),
        vsRaw: round(r.seconds / raw.seconds, 3),
        note: 'memory run, one round',
      });
      const h = r.heapAtPeak;
      o.log(
        `memory ${s.name}: ${r.peakRssMB} MB peak RSS, ${r.seconds.toFixed(2)} s${h ? `; at the highest sampled RSS (${h.rssMB} MB): V8 heap ${h.heapTotalMB} MB (new space ${h.newSpaceMB}, old ${h.oldSpaceMB}), ${h.heapUsedMB} MB used` : ''}`,
      );
    }
  } finally {
    await server.stop();
  }
  return rows;
}
