/**
 * The scan document, the jobs and the saved pending-jobs document byte for byte against a golden
 * copy written by the scanner before its records were packed (test/fixtures/scan-golden/): how a
 * session keeps its chunks in memory must not change one byte of what is written or run.
 * WB_WRITE_GOLDEN=1 rewrites the copy (only when the output is meant to change).
 */
import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scan, jobsOf } from '../../../src/core/scan';
import { BucketLayout } from '../../../src/core/layout';
import { FolderStore } from '../../../src/core/store/folderStore';
import { resolveSettings, type RawSettings } from '../../../src/core/settings';
import { publicPendingJobs } from '../../../src/core/pendingJobsFile';
import { frozenClock, scanFixtureObjects, writeFixture } from '../../support/scanFixture';

const T0 = Date.parse('2025-11-09T15:00:00Z');
const MIN = 60_000;
const GOLDEN = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'scan-golden');

describe('scan output is byte-identical to the golden copy', function () {
  let dir: string;
  let store: FolderStore;

  beforeEach(async function () {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-golden-'));
    store = new FolderStore(dir);
    // Two files with one number (the larger is kept), and one that is not audio.
    const extra = [
      { key: 'users/dave/audio/sessions/dup/chunk-001.webm', body: 'x'.repeat(5) },
      { key: 'users/dave/audio/sessions/dup/chunk-001.m4a', body: 'x'.repeat(8) },
      { key: 'users/dave/audio/sessions/dup/chunk-002.webm', body: 'x'.repeat(3) },
      { key: 'users/dave/audio/sessions/dup/chunk-003.WEBM', body: 'x' },
    ];
    const objects = [...scanFixtureObjects(), ...extra];
    await writeFixture(store, objects);
    // A distinct time per key (whole seconds), so the times and the order in the output mean something.
    let i = 0;
    for (const o of objects) {
      const ms = T0 - 3_600_000 + i++ * 61_000;
      await fs.utimes(path.join(dir, ...o.key.split('/')), ms / 1000, ms / 1000);
    }
  });

  afterEach(async function () {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const cases: Array<{ name: string; now: number; raw?: RawSettings }> = [
    { name: 'default', now: T0 + 2 * 86_400_000 },
    // Inside the grace period: the newest sessions are deferred (recording).
    { name: 'grace', now: T0 - 25 * MIN, raw: { scan: { gracePeriodMinutes: 15 } } as RawSettings },
  ];
  for (const c of cases) {
    it(`${c.name}: the scan document, its jobs and the saved document`, async function () {
      const settings = resolveSettings(c.raw ?? {});
      const doc = await scan({ store, settings, clock: frozenClock(c.now) });
      const fixed = { ...doc, store: '<dir>', stats: { ...doc.stats, durationMs: 0 } };
      const out = [JSON.stringify(fixed, null, 2), JSON.stringify(jobsOf(doc, new BucketLayout(settings.layout)), null, 2), JSON.stringify(publicPendingJobs(fixed), null, 2)].join('\n---\n');
      const file = path.join(GOLDEN, `${c.name}.txt`);
      if (process.env.WB_WRITE_GOLDEN === '1') writeFileSync(file, out);
      assert.ok(doc.sessions.length + doc.deferredSessions.length > 0, 'the case has sessions');
      assert.equal(out, readFileSync(file, 'utf8'));
    });
  }
  it("a session's chunks read like a plain array: same on every read, in spreads and JSON, replaceable", async function () {
    const doc = await scan({ store, settings: resolveSettings({}), clock: frozenClock(T0 + 2 * 86_400_000) });
    const s = doc.sessions.find((x) => x.sessionId === 'dup')!;
    const want = [
      { chunk: 1, key: 'users/dave/audio/sessions/dup/chunk-001.m4a', size: 8, ext: 'm4a' },
      { chunk: 2, key: 'users/dave/audio/sessions/dup/chunk-002.webm', size: 3, ext: 'webm' },
      { chunk: 3, key: 'users/dave/audio/sessions/dup/chunk-003.WEBM', size: 1, ext: 'WEBM' },
    ];
    assert.deepEqual(
      s.chunks.map(({ lastModified: _t, ...c }) => c),
      want,
    );
    assert.deepEqual(s.chunks, s.chunks);
    assert.ok(s.chunks.every((c) => Number.isFinite(c.lastModified)));
    const copy = { ...s };
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, 'chunks')?.value, s.chunks, 'a spread copies the chunks as data');
    assert.deepEqual(Object.keys(s), Object.keys(copy));
    assert.equal(Object.getOwnPropertySymbols(copy).length, 0, 'nothing hidden is copied');
    assert.deepEqual(JSON.parse(JSON.stringify(s)).chunks, s.chunks);
    s.chunks = [];
    assert.deepEqual(s.chunks, []);
    assert.equal(Object.keys(s).indexOf('chunks'), Object.keys(copy).indexOf('chunks'), 'a replaced list keeps its place');
  });
});
