/**
 * The benchmark suite runs end to end in quick mode with tiny sizes (moto started by the bench
 * itself). Benchmarks are not timed tests: this checks that every part works and that the JSON
 * holds its figures, never how fast anything is.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResults } from '../../bench/main';

describe('bench --quick @integration', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'wb-bench-test-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('measures scan, baselines, batch overhead and the extension (sizes, code-server, Chromium) and writes them as JSON', async function () {
    const out = join(dir, 'latest.json');
    const main = resolve(__dirname, '../../bench/main.js');
    const stdout = await new Promise<string>((res, rej) =>
      execFile(
        process.execPath,
        [
          main,
          '--quick',
          '--moto-keys',
          '150',
          '--page-keys',
          '2500',
          '--latencies',
          '0,5',
          '--folder-keys',
          '600',
          '--synthetic-keys',
          '2000',
          '--editor-rounds',
          '1',
          '--tree-sessions',
          '100',
          '--viewer-rounds',
          '1',
          '--viewer-sessions',
          '500',
          '--out',
          out,
        ],
        { timeout: 280_000 },
        (e, so, se) => (e ? rej(new Error(`${e.message}\n${se}`)) : res(so)),
      ),
    );
    const r: BenchResults = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(r.errors, []);
    assert.equal(r.mode, 'quick');
    const strategies = r.scan.map((s) => s.strategy);
    assert.deepEqual(strategies, [
      'raw sequential ListObjectsV2',
      'scan, 1 stream',
      'scan, 4 streams (key ranges)',
      'seed: one listing per session',
      'raw sequential ListObjectsV2',
      'scan, default settings',
      "a run's scan, default settings",
      'scan, 1 stream',
      'scan, 8 streams (key ranges)',
      'raw sequential ListObjectsV2',
      'scan, default settings',
      "a run's scan, default settings",
      'scan, 1 stream',
      'scan, 8 streams (key ranges)',
      'find <root>/users -type f',
      'scan, folder store',
      "a run's scan, folder store",
    ]);
    assert.deepEqual([...new Set(r.scan.map((s) => s.server))], ['moto', 'page server', 'page server +5 ms', 'folder (tmp disk)']);
    for (const s of r.scan) {
      const folder = s.server.startsWith('folder');
      assert.ok(s.keys >= 100 && s.sessions > 0 && s.seconds > 0 && (folder || s.requests > 0) && (s.strategy.startsWith('find') || s.peakRssMB > 0), JSON.stringify(s));
      // CPU per 100k keys, client side, for every strategy the bench runs in a child.
      if (!s.strategy.startsWith('seed') && !s.strategy.startsWith('find')) assert.ok(s.clientCpuPer100kKeys! > 0, JSON.stringify(s));
    }
    // A run's scan reads the transcripts of sessions with work (scan.verifyTranscripts = run, the default); a plain scan reads none.
    const page = r.scan.filter((s) => s.server === 'page server');
    assert.ok(page.find((s) => s.strategy === "a run's scan, default settings")!.transcriptReads! > 0);
    assert.ok(page.filter((s) => s.strategy.startsWith('scan,')).every((s) => s.transcriptReads === 0));
    // The page server lists the skewed layout by default; the parallel scan cut it into ranges.
    assert.ok(r.scan.filter((s) => s.server.startsWith('page')).every((s) => s.layout === 'skewed'));
    // One listing per session: the seed makes at least as many requests as there are sessions.
    const seed = r.scan[3];
    assert.ok(seed.requests > seed.sessions, JSON.stringify(seed));
    assert.ok(r.synthetic && r.synthetic.keys >= 1500 && r.synthetic.peakRssMB > 0);
    assert.equal(r.batch.length, 1);
    assert.equal(r.batch[0].status, 'success');
    assert.ok(r.batch[0].billedSeconds >= r.batch[0].necessarySeconds, JSON.stringify(r.batch[0]));
    // The extension as packaged (production build + .vsix), in code-server and in Chromium.
    assert.ok(r.extension);
    assert.deepEqual(r.extension.todo, []);
    assert.equal(r.extension.build, 'production (packaged)');
    assert.ok(r.extension.bundleBytes! > 0 && r.extension.vsixBytes! > r.extension.bundleBytes!);
    assert.equal(r.extension.editor.length, 1);
    // Cold or already activated on start-up (then a fresh copy of the bundle is timed): a positive load either way.
    const a = r.extension.editor[0].activation;
    assert.ok((a.wasActiveBefore ? a.requireCopyMs! : a.untilModuleEvaluatedMs) > 0, JSON.stringify(a));
    assert.equal(r.extension.editor[0].tree.sessions, 100);
    assert.equal(r.extension.viewer?.sessions, 500);
    const figures = r.extensionTargets.map((x) => x.figure);
    for (const f of ['bundle dist/extension.js', 'activation: bundle load + activate()', 'Pending tree 100 sessions: model + provider', 'report viewer 500 sessions: first frame with rows'])
      assert.ok(figures.includes(f), `${f} in ${figures.join(', ')}`);
    for (const x of r.extensionTargets) assert.ok(x.value > 0 && (x.target === undefined || typeof x.met === 'boolean'), JSON.stringify(x));
    assert.match(stdout, /vs raw/);
    assert.match(stdout, /orchestration overhead/);
    assert.match(stdout, /extension figure/);
  });
});
