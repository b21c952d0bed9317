/**
 * `npm run bench [-- options]`: the benchmark suite, every figure with its baseline measured in the
 * same run (see docs/PERFORMANCE.md). Prints a table and writes JSON (bench/results/latest.json).
 *
 *   --quick               moto only, small bucket, one round (CI checks that it works; < 5 min)
 *   (default: full)       moto ~20k keys and radosgw 100k keys (needs the Debian ceph packages), 3 rounds
 *   --moto-keys N         bucket size on moto          --rgw-keys N      bucket size on radosgw
 *   --synthetic-keys N    keys of the server-less scan (peak RSS at 1M keys)
 *   --reps N              rounds of raw/scan          --no-rgw          skip radosgw in full mode
 *   --seed-sessions N     the seed baseline lists this many sessions one by one and extrapolates
 *   --editor-rounds N     code-server runs (each a cold activation; 0: none) --viewer-rounds N  Chromium rounds
 *   --tree-sessions N     sessions in the Pending tree (5000)      --viewer-sessions N  report size (10000)
 *   --keep-rgw            leave radosgw running (reuse with BENCH_RGW_ENDPOINT=...)
 *   --only a,b            scan-moto, scan-rgw, scan-rgw-latency, synthetic, batch, extension
 *   --latency-ms N        scan-rgw-latency: every request to radosgw goes through bench/latencyProxy.ts,
 *                         which adds N ms (default 30) to each response (a remote S3; full mode only)
 *   --only ...            also: page (O(page) server, every layout, with and without latency), folder (folder
 *                         store vs find), memory (peak RSS at --memory-keys through the page server and the folder store)
 *   --page-keys N         keys per layout on the page server (100000)   --layouts a,b   skewed,uniform,tiny-users,few-huge
 *   --latencies a,b       ms added per request on the page server (0,30) --parallel N    the parallel setting (8)
 *   --folder-keys N       files of the folder bench (100000)            --memory-keys N keys of the memory run (1000000)
 *   --cpu-prof DIR        a V8 CPU profile (.cpuprofile) of every page-server listing child (raw too), in DIR
 *   --out FILE            JSON output (default bench/results/latest.json)
 *   --only whisper        real faster-whisper: the product's local run vs a bare loop, batched vs plain
 *                         (bench/whisperBench.ts; not in --quick). --whisper-model M (tiny.en),
 *                         --whisper-device D (auto), --whisper-sessions N (2 x 7 chunks), --whisper-rounds N (3),
 *                         --python P (default: the engine venv); bench/gpu.sh runs it on CUDA
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bucketCounts, specForKeys } from './bucket';
import { batchBench, type BatchRow } from './batchBench';
import { childMain, runInChild } from './child';
import { extensionBench, extensionRows, type ExtensionFigures, type ExtensionRow } from './extensionBench';
import type { ListingResult } from './listing';
import { scanBench, round, type ScanRow } from './scanBench';
import { latencyProxyMain, startLatencyProxy } from './latencyProxy';
import { startMotoServer, startRadosgw, type S3Server } from './servers';
import { folderBench } from './folderBench';
import { LAYOUTS, parseLayout, type LayoutName } from './layouts';
import { memoryBench, pageBench } from './pageBench';
import { pageServerMain } from './pageServer';
import { whisperBench, type WhisperFigures } from './whisperBench';

interface Args {
  quick: boolean;
  motoKeys: number;
  rgwKeys: number;
  syntheticKeys: number;
  reps: number;
  /** The seed baseline lists at most this many sessions one by one, then extrapolates. */
  seedSessions: number;
  editorRounds: number;
  viewerRounds: number;
  treeSessions: number;
  viewerSessions: number;
  rgw: boolean;
  keepRgw: boolean;
  /** Added to each request by the latency proxy (scan-rgw-latency). */
  latencyMs: number;
  only?: Set<string>;
  out: string;
  pageKeys: number;
  layouts: LayoutName[];
  latencies: number[];
  parallel: number;
  folderKeys: number;
  memoryKeys: number;
  cpuProf?: string;
  whisper: { model: string; device: string; sessions: number; rounds: number; python?: string };
}

export interface BenchResults {
  date: string;
  command: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; os: string };
  scan: ScanRow[];
  fills: Array<{ server: string; keys: number; reused: boolean; seconds: number }>;
  synthetic?: ListingResult & { keysPerSec: number };
  batch: BatchRow[];
  extension?: ExtensionFigures;
  whisper?: WhisperFigures;
  /** The extension figures against their targets. */
  extensionTargets: ExtensionRow[];
  headline: string[];
  errors: string[];
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const num = (name: string, dflt: number, zeroOk = false) => {
    const i = argv.indexOf(name);
    if (i < 0) return dflt;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`${name} needs a positive number`);
    return n;
  };
  const str = (name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const onlyAt = argv.indexOf('--only');
  const outAt = argv.indexOf('--out');
  return {
    quick,
    motoKeys: num('--moto-keys', quick ? 4000 : 20000),
    rgwKeys: num('--rgw-keys', 100_000),
    syntheticKeys: num('--synthetic-keys', quick ? 100_000 : 1_000_000),
    reps: num('--reps', quick ? 1 : 3),
    seedSessions: num('--seed-sessions', quick ? 300 : 1000),
    editorRounds: num('--editor-rounds', quick ? 1 : 3, true),
    viewerRounds: num('--viewer-rounds', quick ? 3 : 7, true),
    treeSessions: num('--tree-sessions', 5000),
    viewerSessions: num('--viewer-sessions', 10_000),
    rgw: !quick && !argv.includes('--no-rgw'),
    keepRgw: argv.includes('--keep-rgw'),
    latencyMs: num('--latency-ms', 30, true),
    only: onlyAt >= 0 ? new Set(argv[onlyAt + 1].split(',')) : undefined,
    out: outAt >= 0 ? resolve(argv[outAt + 1]) : join(repoRoot(), 'bench', 'results', 'latest.json'),
    pageKeys: num('--page-keys', quick ? 3000 : 100_000),
    layouts: str('--layouts') ? str('--layouts')!.split(',').map(parseLayout) : quick ? ['skewed'] : LAYOUTS,
    latencies: str('--latencies') ? str('--latencies')!.split(',').map(Number) : [0, 30],
    parallel: num('--parallel', 8),
    folderKeys: num('--folder-keys', quick ? 2000 : 100_000),
    memoryKeys: num('--memory-keys', 1_000_000),
    cpuProf: str('--cpu-prof') ? resolve(str('--cpu-prof')!) : undefined,
    whisper: {
      model: str('--whisper-model') ?? 'tiny.en',
      device: str('--whisper-device') ?? 'auto',
      sessions: num('--whisper-sessions', 2),
      rounds: num('--whisper-rounds', 3),
      python: str('--python') ? resolve(str('--python')!) : undefined,
    },
  };
}

function repoRoot(): string {
  let d = __dirname;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

export async function main(argv: string[]): Promise<BenchResults> {
  const a = parseArgs(argv);
  const want = (x: string) => !a.only || a.only.has(x);
  const res: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    mode: a.quick ? 'quick' : 'full',
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()}` },
    scan: [],
    fills: [],
    batch: [],
    extensionTargets: [],
    headline: [],
    errors: [],
  };
  const attempt = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      const msg = `${name}: ${e instanceof Error ? e.message : String(e)}`;
      res.errors.push(msg);
      log(`FAILED ${msg}`);
    }
  };

  const listingOn = async (server: S3Server, keys: number, parallel: number[], seedMax: number, proxy?: { endpoint: string; pid: number; latencyMs: number }) => {
    const spec = specForKeys(keys);
    const { rows, fill } = await scanBench(server, { spec, reps: a.reps, parallel, seedMaxSessions: seedMax, log, proxy });
    res.scan.push(...rows);
    res.fills.push({ server: server.name, keys: bucketCounts(spec).keys, reused: fill.reused, seconds: round(fill.seconds, 1) });
  };

  if (want('scan-moto')) {
    await attempt('scan on moto', async () => {
      const moto = await startMotoServer();
      try {
        await listingOn(moto, a.motoKeys, a.quick ? [4] : [4, 8], a.seedSessions);
      } finally {
        await moto.stop();
      }
    });
  }
  // Quick mode skips radosgw, and with it the latency rows (which run on the same radosgw bucket).
  if (a.rgw && (want('scan-rgw') || want('scan-rgw-latency'))) {
    await attempt('scan on radosgw', async () => {
      const rgw = await startRadosgw({ keep: a.keepRgw, log });
      try {
        if (want('scan-rgw')) await attempt('scan on radosgw, direct', () => listingOn(rgw, a.rgwKeys, [4, 8, 16], a.seedSessions));
        if (want('scan-rgw-latency')) {
          await attempt(`scan on radosgw +${a.latencyMs} ms`, async () => {
            // The same bucket (filled above, or its fill reused), every listing through the proxy.
            const proxy = await startLatencyProxy({ target: rgw.endpoint, latencyMs: a.latencyMs });
            log(`latency proxy (pid ${proxy.pid}) on ${proxy.endpoint} -> ${rgw.endpoint}, +${a.latencyMs} ms per response`);
            try {
              await listingOn(rgw, a.rgwKeys, [4, 8, 16], 0, proxy);
            } finally {
              await proxy.stop();
            }
          });
        }
      } finally {
        await rgw.stop();
      }
    });
  }
  if (want('page')) {
    await attempt('scan on the page server', async () => {
      res.scan.push(...(await pageBench({ layouts: a.layouts, keys: a.pageKeys, latencies: a.latencies, reps: a.reps, parallel: a.parallel, log, cpuProfDir: a.cpuProf })));
    });
  }
  if (want('folder')) {
    await attempt('folder store vs find', async () => {
      res.scan.push(...(await folderBench({ root: join(os.tmpdir(), `wb-bench-folder-skewed-${a.folderKeys}`), layout: 'skewed', keys: a.folderKeys, reps: a.reps, log })));
    });
  }
  // Not in quick mode or the default run: a million keys (and files) is minutes of setup.
  if (a.only?.has('memory')) {
    await attempt('memory at 1M keys', async () => {
      res.scan.push(...(await memoryBench({ keys: a.memoryKeys, log })));
      res.scan.push(
        ...(await folderBench({ root: join(os.tmpdir(), `wb-bench-folder-skewed-${a.memoryKeys}`), layout: 'skewed', keys: a.memoryKeys, reps: 1, log })).map((r) => ({
          ...r,
          note: 'memory run, one round',
        })),
      );
    });
  }
  if (want('synthetic')) {
    await attempt('synthetic scan', async () => {
      const spec = specForKeys(a.syntheticKeys);
      const r = await runInChild({ kind: 'scan-synthetic', spec });
      res.synthetic = { ...r, keysPerSec: Math.round(r.keys / r.seconds) };
    });
  }
  if (want('batch')) {
    await attempt('batch overhead', async () => {
      // Odd times, so that polls and boot do not line up by luck.
      const base = { startSeconds: 91.3, osBootSeconds: 47.7, chunkSeconds: 2.9 };
      for (const [chunks, concurrency] of a.quick
        ? [[40, 2]]
        : [
            [10, 1],
            [40, 2],
            [400, 4],
          ])
        res.batch.push(await batchBench({ ...base, chunks, concurrency }));
    });
  }
  // Minutes of real Whisper on a CPU: in full mode and when asked for, never in --quick.
  if (a.only?.has('whisper') || (!a.only && !a.quick)) {
    await attempt('whisper', async () => {
      res.whisper = await whisperBench({ root: repoRoot(), ...a.whisper, log });
    });
  }
  if (want('extension')) {
    await attempt('extension', async () => {
      // The tree: 50 users, the sessions spread over them (users start collapsed above 200 sessions, as shipped).
      const users = Math.min(50, a.treeSessions);
      res.extension = await extensionBench({
        root: repoRoot(),
        editorRounds: a.editorRounds,
        treeUsers: users,
        treeSessionsPerUser: Math.max(1, Math.round(a.treeSessions / users)),
        treeReps: 5,
        viewerRounds: a.viewerRounds,
        viewerSessions: a.viewerSessions,
        log,
      });
    });
  }

  headline(res);
  print(res);
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(a.out, JSON.stringify(res, null, 2) + '\n');
  log(`written ${a.out}`);
  return res;
}

function headline(r: BenchResults): void {
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const memory = r.scan.filter((s) => s.note?.startsWith('memory run'));
  const timed = r.scan.filter((s) => !memory.includes(s));
  for (const group of new Set(timed.map((s) => `${s.server}|${s.layout ?? 'uniform'}`))) {
    const [server, layout] = group.split('|');
    const rows = timed.filter((s) => s.server === server && (s.layout ?? 'uniform') === layout);
    const k = `${server}, ${layout}, ${rows[0].keys} keys`;
    const find = rows.find((s) => s.strategy.startsWith('find'));
    const folder = rows.find((s) => s.strategy === 'scan, folder store');
    if (find && folder) {
      r.headline.push(`${k}: folder store scan takes ${folder.vsRaw}x find (target <= 3: ${met(folder.vsRaw <= 3)})`);
      continue;
    }
    const raw = rows.find((s) => s.strategy.startsWith('raw'));
    const dflt = rows.find((s) => s.strategy === 'scan, default settings');
    const one = rows.find((s) => s.strategy.startsWith('scan, 1 stream'));
    const par = rows.filter((s) => s.strategy.includes('streams')).sort((x, y) => x.seconds - y.seconds)[0];
    const seed = rows.find((s) => s.strategy.startsWith('seed'));
    if (!raw || !one) continue;
    const latency = /\+\d+ ms/.test(server);
    const ofRun = rows.find((s) => s.strategy === "a run's scan, default settings");
    if (dflt)
      r.headline.push(
        `${k}: scan with default settings takes ${dflt.vsRaw}x the raw listing (target <= 1.10: ${met(dflt.vsRaw <= 1.1)}), ${dflt.requests} requests against ${raw.requests}${dflt.transcriptReads ? `, and ${dflt.transcriptReads} transcript reads` : ''}`,
      );
    if (ofRun)
      r.headline.push(`${k}: a run's scan (it reads ${ofRun.transcriptReads ?? 0} transcripts of sessions with work to check them) takes ${ofRun.vsRaw}x (no target: a run then starts the GPU)`);
    r.headline.push(`${k}: scan (1 stream) takes ${one.vsRaw}x the raw listing time (${latency ? 'with latency; ' : ''}target <= 1.10: ${met(one.vsRaw <= 1.1)})`);
    if (par) {
      const speedup = round(raw.seconds / par.seconds, 2);
      const streams = Number(/(\d+) streams/.exec(par.strategy)?.[1] ?? 0);
      const cores = (x: ScanRow) =>
        x.clientCpuSeconds !== undefined && x.serverCpuSeconds !== undefined ? ` ${round((x.clientCpuSeconds + x.serverCpuSeconds + (x.proxyCpuSeconds ?? 0)) / x.seconds, 2)}` : '';
      const busy = cores(raw) && cores(par) ? `; client + server CPU per second of wall time: raw${cores(raw)}, parallel${cores(par)} (of ${r.machine.cpus} cores)` : '';
      const target = latency && layout === 'skewed' ? ` (target >= 2.5: ${met(speedup >= 2.5)})` : '';
      r.headline.push(
        `${k}: best parallel scan (${par.strategy}): raw sequential listing takes ${speedup}x its time${target}; ${par.requests} requests (keys/1000 + streams = ${Math.ceil(par.keys / 1000) + streams})${busy}`,
      );
    }
    if (seed) r.headline.push(`${k}: the seed's loop takes ${round(seed.seconds / (par ?? one).seconds, 1)}x as long as our ${par ? 'parallel ' : ''}scan (${seed.note})`);
  }
  for (const m of memory)
    if (m.strategy !== 'raw sequential ListObjectsV2' && !m.strategy.startsWith('find'))
      r.headline.push(`${m.server}, ${m.keys} keys, ${m.strategy}: peak RSS ${m.peakRssMB} MB (target < 150 MB at 1M keys: ${met(m.peakRssMB < 150)})`);
  if (r.synthetic)
    r.headline.push(
      `scan of ${r.synthetic.keys} generated keys: peak RSS ${r.synthetic.peakRssMB} MB (target < 150 MB at 1M keys${r.synthetic.keys >= 1e6 ? `: ${r.synthetic.peakRssMB < 150 ? 'met' : 'NOT met'}` : ''}), ${r.synthetic.keysPerSec} keys/s`,
    );
  for (const b of r.batch)
    r.headline.push(
      `batch of ${b.chunks} chunks (concurrency ${b.concurrency}): orchestration overhead ${b.overheadSeconds} s of ${b.billedSeconds} s billed (target < 15 s: ${b.overheadSeconds < 15 ? 'met' : 'NOT met'})`,
    );
  if (r.whisper) {
    const w = r.whisper;
    r.headline.push(
      `faster-whisper ${w.model} on ${w.computeType}, ${w.chunks} chunks (${w.audioSeconds} s of audio): product ${w.productSeconds} s vs bare loop ${w.bareSeconds} s, ratio ${w.ratio} (target <= 1.10: ${w.ratio <= 1.1 ? 'met' : 'NOT met'})`,
      `BatchedInferencePipeline RTF ${w.batchedRtf} vs WhisperModel.transcribe RTF ${w.plainRtf} (batched ${w.batchedSpeedup}x as fast)`,
    );
  }
  if (r.extension) r.extensionTargets = extensionRows(r.extension);
  for (const x of r.extensionTargets) if (x.target !== undefined) r.headline.push(`${x.figure}: ${x.value} ${x.unit} (target < ${x.target} ${x.unit}: ${x.ratio}x, ${x.met ? 'met' : 'NOT met'})`);
}

function print(r: BenchResults): void {
  const out: string[] = [];
  out.push(`whisper-batch benchmarks (${r.mode}) ${r.date} on ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGB} GB, Node ${r.machine.node}`);
  if (r.scan.length) {
    out.push(
      '',
      table(
        ['server', 'layout', 'keys', 'sessions', 'strategy', 's', 'keys/s', 'requests', 'transcript reads', 'peak RSS MB', 'client CPU s', 'CPU s/100k keys', 'server CPU s', 'vs raw', 'note'],
        r.scan.map((s) => [
          s.server,
          s.layout ?? 'uniform',
          s.keys,
          s.sessions,
          s.strategy,
          s.seconds,
          s.keysPerSec,
          s.requests,
          s.transcriptReads ?? '',
          s.peakRssMB,
          s.clientCpuSeconds ?? '',
          s.clientCpuPer100kKeys ?? '',
          s.serverCpuSeconds ?? '',
          s.vsRaw,
          s.note ?? '',
        ]),
      ),
    );
  }
  if (r.synthetic)
    out.push(
      '',
      `generated listing, no server: ${r.synthetic.keys} keys, ${r.synthetic.sessions} sessions in ${round(r.synthetic.seconds, 2)} s (${r.synthetic.keysPerSec} keys/s), peak RSS ${r.synthetic.peakRssMB} MB`,
    );
  if (r.batch.length) {
    out.push(
      '',
      table(
        ['chunks', 'conc.', 'billed s', 'needed s', 'overhead s', 'ready noticed +s', 'ready->1st chunk s', 'last chunk->stop s', 'status'],
        r.batch.map((b) => [
          b.chunks,
          b.concurrency,
          b.billedSeconds,
          b.necessarySeconds,
          b.overheadSeconds,
          b.readyNoticedAfterSeconds,
          b.firstChunkAfterReadySeconds,
          b.stopAfterLastChunkSeconds,
          b.status,
        ]),
      ),
    );
  }
  if (r.whisper)
    out.push(
      '',
      table(
        ['whisper round', 'order', 'product s', 'script load s', 'script chunks s', 'bare s', 'bare load s', 'bare decode s', 'bare transcribe s', 'plain s', 'plain transcribe s'],
        r.whisper.rounds.map((w, i) => [
          i + 1,
          w.order.join('>'),
          w.productSeconds,
          w.productLoadSeconds,
          w.productChunkSeconds,
          w.bareSeconds,
          w.bareLoadSeconds,
          w.bareDecodeSeconds,
          w.bareTranscribeSeconds,
          w.plainSeconds,
          w.plainTranscribeSeconds,
        ]),
      ),
    );
  if (r.extension) {
    const t = r.extensionTargets;
    if (t.length)
      out.push(
        '',
        table(
          ['extension figure', 'value', 'unit', 'target', 'ratio', 'met', 'note'],
          t.map((x) => [x.figure, x.value, x.unit, x.target ?? '', x.ratio ?? '', x.met === undefined ? '' : x.met ? 'yes' : 'NO', x.note]),
        ),
      );
    for (const todo of r.extension.todo) out.push(`TODO ${todo}`);
  }
  out.push('', ...r.headline.map((h) => `* ${h}`));
  for (const e of r.errors) out.push(`ERROR ${e}`);
  process.stdout.write(out.join('\n') + '\n');
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r, j) =>
      r
        .map((c, i) => (typeof (j ? rows[j - 1][i] : '') === 'number' ? c.padStart(w[i]) : c.padEnd(w[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

if (require.main === module) {
  // The SDK's notice about Node 20 support would be printed by every child.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const argv = process.argv.slice(2);
  const childAt = argv.indexOf('--child');
  const proxyAt = argv.indexOf('--latency-proxy');
  const pageAt = argv.indexOf('--page-server');
  const run =
    childAt >= 0
      ? childMain(argv[childAt + 1])
      : proxyAt >= 0
        ? latencyProxyMain(argv[proxyAt + 1])
        : pageAt >= 0
          ? pageServerMain(argv[pageAt + 1])
          : main(argv).then((r) => (process.exitCode = r.errors.length ? 1 : 0));
  run.catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  });
}
