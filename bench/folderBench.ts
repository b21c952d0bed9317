/**
 * The folder store against `find`: the layout written as files (empty but for transcripts, which
 * hold a valid one: a scan reads names, sizes and times, and the transcripts it checks) under a
 * cache folder reused while its marker matches, then, rotated round by round, `find <root>/users
 * -type f` (names only, counted) and the product's scan through FolderStore in its own process.
 * Counts checked every run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runInChild } from './child';
import { isTranscriptKey, layoutCounts, layoutObjects, transcriptBody, type LayoutName } from './layouts';
import type { ListingResult } from './listing';
import { checkCounts, rotated } from './pageBench';
import { median, round, timing, type ScanRow } from './scanBench';

export async function materialize(root: string, layout: LayoutName, keys: number, log: (m: string) => void): Promise<void> {
  const marker = join(root, '.bench-layout.json');
  // v2: transcripts hold a valid transcript (the scan reads them to check them; an empty one is named invalid).
  const want = JSON.stringify({ layout, keys, v: 2 });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  rmSync(root, { recursive: true, force: true });
  const t0 = performance.now();
  let made = new Set<string>();
  let n = 0;
  for (const o of layoutObjects(layout, keys)) {
    const file = join(root, ...o.key.split('/'));
    const dir = dirname(file);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      if (made.size > 10_000) made = new Set();
      made.add(dir);
    }
    writeFileSync(file, isTranscriptKey(o.key) ? transcriptBody() : '');
    n++;
  }
  writeFileSync(marker, want);
  log(`wrote ${n} files under ${root} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function timeFind(dir: string): Promise<{ seconds: number; files: number; cpuSeconds?: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile('find', [dir, '-type', 'f'], { maxBuffer: 1 << 30 }, (e, out) => {
      if (e) return reject(e);
      const seconds = (performance.now() - t0) / 1000;
      resolve({ seconds, files: out ? out.split('\n').length - 1 : 0 });
    });
  });
}

export async function folderBench(o: { root: string; layout: LayoutName; keys: number; reps: number; log: (m: string) => void }): Promise<ScanRow[]> {
  await materialize(o.root, o.layout, o.keys, o.log);
  const counts = layoutCounts(o.layout, o.keys);
  const finds: Array<{ seconds: number }> = [];
  const scans: ListingResult[] = [];
  const runScans: ListingResult[] = [];
  const steps = [
    async () => {
      const f = await timeFind(join(o.root, 'users'));
      if (f.files !== counts.keys) throw new Error(`find found ${f.files} files, expected ${counts.keys}`);
      finds.push(f);
    },
    async () => {
      const r = await runInChild({ kind: 'scan-folder', root: o.root });
      checkCounts(r, counts, 'folder scan');
      scans.push(r);
    },
    // The scan a run starts with: the same walk plus a read of every transcript of the sessions with work.
    async () => {
      const r = await runInChild({ kind: 'scan-folder', root: o.root, purpose: 'run' });
      checkCounts(r, counts, "folder run's scan");
      runScans.push(r);
    },
  ];
  for (let i = 0; i < o.reps; i++) {
    for (const s of rotated(steps, i)) await s();
    o.log(
      `folder ${o.layout} ${counts.keys} files: round ${i + 1}/${o.reps}: find ${finds.at(-1)!.seconds.toFixed(3)} s, scan ${scans.at(-1)!.seconds.toFixed(3)} s, a run's scan ${runScans.at(-1)!.seconds.toFixed(3)} s`,
    );
  }
  const f = median(finds);
  const row = (strategy: string, s: ListingResult): ScanRow => ({
    ...base,
    strategy,
    ...timing({ seconds: s.seconds, cpuSeconds: s.cpuSeconds }, counts, f.seconds),
    peakRssMB: s.peakRssMB,
    heapAtPeak: s.heapAtPeak,
    transcriptReads: s.transcriptReads,
  });
  const base = { server: 'folder (tmp disk)', layout: o.layout, keys: counts.keys, sessions: counts.sessions, requests: 0, note: o.reps > 1 ? `median of ${o.reps}, order rotated` : undefined };
  return [
    {
      ...base,
      strategy: 'find <root>/users -type f',
      seconds: round(f.seconds, 3),
      keysPerSec: Math.round(counts.keys / f.seconds),
      sessionsPerSec: Math.round(counts.sessions / f.seconds),
      peakRssMB: 0,
      vsRaw: 1,
    },
    row('scan, folder store', median(scans)),
    row("a run's scan, folder store", median(runScans)),
  ];
}
