/**
 * The listing strategies a benchmark compares, each run on its own in a child process (so that its
 * peak RSS is its own): raw sequential ListObjectsV2 (the floor for one stream), the product's scan
 * (one stream or parallel by user prefix), the seed's way (one listing per session, sequential),
 * and the scan over a generated listing with no server (memory at 1M keys, fold speed).
 */
import * as v8 from 'node:v8';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../src/core/clock';
import type { EventSink } from '../src/core/events';
import { scan } from '../src/core/scan';
import { defaultSettings, type Settings } from '../src/core/settings';
import { openStore } from '../src/core/store/openStore';
import { bucketObjects, type BucketSpec } from './bucket';
import { GeneratedStore } from './generatedStore';
import { FolderStore } from '../src/core/store/folderStore';

export interface S3Target {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type ListingTask =
  | { kind: 'raw'; target: S3Target }
  /** `default`: the settings' own listConcurrency (what a user gets without tuning). */
  | { kind: 'scan'; target: S3Target; concurrency: number | 'default'; purpose?: 'scan' | 'run' }
  | { kind: 'scan-folder'; root: string; purpose?: 'scan' | 'run' }
  | { kind: 'seed'; target: S3Target; maxSessions?: number }
  | { kind: 'scan-synthetic'; spec: BucketSpec };

export interface ListingResult {
  kind: string;
  seconds: number;
  keys: number;
  sessions: number;
  requests: number;
  pendingSessions?: number;
  missingChunks?: number;
  /** A parallel scan's ranges and cuts. */
  ranges?: number;
  /** Transcripts the scan read to check them (scan.verifyTranscripts). */
  transcriptReads?: number;
  cuts?: number;
  /** CPU time (user + system) of this process in the timed region: the client's share of the work. */
  cpuSeconds?: number;
  /** For the seed baseline on a subset: sessions in the bucket (its time is extrapolated from the rate). */
  sessionsMeasured?: number;
  peakRssMB: number;
  heapAtPeak?: HeapSample;
}

/** The V8 heap (MiB, as peak RSS; committed sizes but `heapUsedMB`) when the sampled RSS was highest. */
export interface HeapSample {
  rssMB: number;
  heapTotalMB: number;
  heapUsedMB: number;
  newSpaceMB: number;
  oldSpaceMB: number;
}

function client(t: S3Target): S3Client {
  // The same client options the product's factory uses for custom endpoints.
  return new S3Client({
    region: 'us-east-1',
    endpoint: t.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** ListObjectsV2 page after page over `prefix`, counting keys and keeping nothing. */
async function rawList(c: S3Client, bucket: string, prefix: string, onKey?: (key: string) => void): Promise<{ keys: number; requests: number }> {
  let token: string | undefined;
  let keys = 0;
  let requests = 0;
  do {
    // EncodingType url, as the product asks (S3Store.listBatches): the same request and the same bytes back.
    const page = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000, EncodingType: 'url' }));
    requests++;
    for (const o of page.Contents ?? []) {
      keys++;
      onKey?.(o.Key!);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, requests };
}

export async function runListingTask(task: ListingTask): Promise<ListingResult> {
  // Each strategy first makes one small request untimed: loading the SDK, resolving credentials and
  // opening the connection are the same for all and not what is compared.
  const settings =
    task.kind === 'scan' ? benchSettings(`s3://${task.target.bucket}`, task.concurrency, task.target.endpoint) : task.kind === 'scan-folder' ? benchSettings(task.root, 'default', '') : undefined;
  const store = task.kind === 'scan' ? openStore(settings!, { credentials: { accessKeyId: task.target.accessKeyId, secretAccessKey: task.target.secretAccessKey } }) : undefined;
  const c = task.kind === 'raw' || task.kind === 'seed' ? client(task.target) : undefined;
  if (store) {
    await store.head('bench-warm-up');
    // A one-key listing too, as raw's warm-up is: the SDK compiles its ListObjectsV2 reader on first use.
    for await (const _ of store.list('users/', { maxKeys: 1 })) break;
  }
  if (c && 'target' in task) await c.send(new ListObjectsV2Command({ Bucket: task.target.bucket, MaxKeys: 1 }));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Where the RSS goes: the V8 heap at the highest RSS seen, sampled every 50 ms.
  let heap: HeapSample | undefined;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (heap && m.rss / 2 ** 20 <= heap.rssMB) return;
    const space = (n: string) => Math.round((v8.getHeapSpaceStatistics().find((x) => x.space_name === n)?.space_size ?? 0) / 2 ** 20);
    heap = {
      rssMB: Math.round(m.rss / 2 ** 20),
      heapTotalMB: Math.round(m.heapTotal / 2 ** 20),
      heapUsedMB: Math.round(m.heapUsed / 2 ** 20),
      newSpaceMB: space('new_space'),
      oldSpaceMB: space('old_space'),
    };
  }, 50);
  const done = (r: Omit<ListingResult, 'seconds' | 'peakRssMB' | 'kind'>): ListingResult => {
    clearInterval(sampler);
    return {
      kind: task.kind,
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: ((c) => (c.user + c.system) / 1e6)(process.cpuUsage(cpu0)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      heapAtPeak: heap,
      ...r,
    };
  };
  switch (task.kind) {
    case 'raw': {
      const r = await rawList(c!, task.target.bucket, 'users/');
      return done({ ...r, sessions: 0 });
    }
    case 'scan': {
      const doc = await scan({ store: store!, settings: settings!, clock: systemClock, purpose: task.purpose, emit: snapshotAt() });
      return done({
        ranges: doc.stats.ranges,
        cuts: doc.stats.cuts,
        transcriptReads: doc.stats.transcriptReads,
        keys: doc.stats.keys,
        requests: doc.stats.requests,
        sessions: doc.totalSessions,
        pendingSessions: doc.sessionsWithMissingChunks,
        missingChunks: doc.totalMissingChunks,
      });
    }
    case 'seed': {
      // The design's shell loop: one recursive listing to find the sessions (`aws s3 ls --recursive |
      // grep | sed | sort -u`), then one listing per session, one after the other. Generous to the
      // seed: it listed audio and transcripts separately (two per session) and paid an `aws` CLI
      // process start (~0.5 s) per call, neither of which is counted here.
      const sessions = new Set<string>();
      const first = await rawList(c!, task.target.bucket, 'users/', (k) => {
        const m = /^(users\/[^/]+\/audio\/sessions\/[^/]+\/)/.exec(k);
        if (m) sessions.add(m[1]);
      });
      let requests = first.requests;
      let keys = 0;
      let measured = 0;
      for (const p of [...sessions].sort()) {
        if (task.maxSessions !== undefined && measured >= task.maxSessions) break;
        const r = await rawList(c!, task.target.bucket, p);
        requests += r.requests;
        keys += r.keys;
        measured++;
      }
      return done({ keys, requests, sessions: sessions.size, sessionsMeasured: measured });
    }
    case 'scan-folder': {
      const doc = await scan({ store: new FolderStore(task.root), settings: settings!, clock: systemClock, purpose: task.purpose });
      return done({
        keys: doc.stats.keys,
        requests: doc.stats.requests,
        sessions: doc.totalSessions,
        pendingSessions: doc.sessionsWithMissingChunks,
        missingChunks: doc.totalMissingChunks,
        transcriptReads: doc.stats.transcriptReads,
      });
    }
    case 'scan-synthetic': {
      const doc = await scan({ store: new GeneratedStore(() => generated(task.spec)), settings: benchSettings('', 1, ''), clock: systemClock });
      return done({ keys: doc.stats.keys, requests: doc.stats.requests, sessions: doc.totalSessions, pendingSessions: doc.sessionsWithMissingChunks, missingChunks: doc.totalMissingChunks });
    }
  }
}

/**
 * WB_BENCH_HEAP_SNAPSHOT=DIR (with WB_BENCH_HEAP_SNAPSHOT_AT=N keys, default 900000): one V8 heap
 * snapshot of the scan when its listing passes N keys (what the used heap is near the peak). The
 * snapshot collects garbage first, so it shows the live set; the used heap before it, minus that, is
 * garbage not yet collected (both printed on stderr).
 */
function snapshotAt(): EventSink | undefined {
  const dir = process.env.WB_BENCH_HEAP_SNAPSHOT;
  if (!dir) return undefined;
  const at = Number(process.env.WB_BENCH_HEAP_SNAPSHOT_AT ?? 900_000);
  let taken = false;
  return (e) => {
    if (taken || e.type !== 'scan.progress' || e.keys < at) return;
    taken = true;
    const before = process.memoryUsage();
    const file = v8.writeHeapSnapshot(`${dir}/scan-${e.keys}.heapsnapshot`);
    const after = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 2 ** 20);
    process.stderr.write(`heap snapshot ${file} at ${e.keys} keys: rss ${mb(before.rss)} MB, heap used ${mb(before.heapUsed)} MB before, ${mb(after.heapUsed)} MB after (live)\n`);
  };
}

export function benchSettings(store: string, listConcurrency: number | 'default', endpoint: string): Settings {
  const s = defaultSettings();
  s.store = store;
  s.aws.endpoint = endpoint;
  s.aws.forcePathStyle = true;
  if (listConcurrency !== 'default') s.scan.listConcurrency = listConcurrency;
  s.scan.gracePeriodMinutes = 0;
  return s;
}

function* generated(spec: BucketSpec): Generator<{ key: string; size: number }> {
  for (const o of bucketObjects(spec)) yield { key: o.key, size: o.body.length };
}
