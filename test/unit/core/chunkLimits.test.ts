/**
 * The chunk-size cap on a real folder store with a sparse 3 GiB chunk (cheap on disk): the chunk
 * fails alone with its size and the setting named, is never read into memory, and the rest goes on.
 * The engine is a stand-in: what is under test is the read around it.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBatch } from '../../../src/core/batch';
import { systemClock } from '../../../src/core/clock';
import type { Engine } from '../../../src/core/engine/engine';
import { perChunkEngine } from '../../../src/core/engine/chunkPipeline';
import { WbError } from '../../../src/core/errors';
import type { GpuHost } from '../../../src/core/host/host';
import { BucketLayout } from '../../../src/core/layout';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import type { GetOptions } from '../../../src/core/store/objectStore';

const GIB = 1024 ** 3;

describe('chunk-size cap (folder store, sparse big file)', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-cap-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 3 GiB chunk fails alone, named with its size and the setting, without being read; the rest is transcribed', async function () {
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    const old = new Date(Date.now() - 3_600_000);
    const big = layout.audioKey({ userId: 'u', sessionId: 'big' }, 1, 'wav');
    const small = layout.audioKey({ userId: 'u', sessionId: 'small' }, 1, 'wav');
    for (const k of [big, small]) {
      const f = path.join(dir, ...k.split('/'));
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'RIFF');
      if (k === big) truncateSync(f, 3 * GIB);
      utimesSync(f, old, old);
    }
    const store = new FolderStore(dir);
    await assert.rejects(
      store.get(big, undefined, { maxBytes: 1048576 }),
      (e: unknown) => e instanceof WbError && e.code === 'TooLarge' && /3072 MB, above the chunk-size cap of 1\.0 MB/.test(e.message),
    );
    const engine: Engine = perChunkEngine({
      name: 'stand-in',
      async check() {},
      async transcribeChunk() {
        return { segments: [], language: 'en', language_probability: 1, duration: 1 };
      },
    });
    const host: GpuHost = {
      kind: 'local',
      id: 'here',
      hourlyUsd: 0,
      timeline: {},
      chunkStarted: () => {},
      chunkFinished: () => {},
      status: async () => ({ state: 'running' }),
      prepare: async () => ({ startedByUs: false }),
      release: async () => {},
    } as any;
    const rss0 = process.memoryUsage().rss;
    const { report } = await runBatch({ store, settings, clock: systemClock, host, engine });
    assert.ok(process.memoryUsage().rss - rss0 < 512 * 1048576, 'the big chunk was not read into memory');
    assert.equal(report.status, 'partial');
    assert.equal(report.transcription.chunksTranscribed, 1);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0].message, /chunk ".*big\/chunk-001\.wav" is 3072 MB, above the chunk-size cap of 512 MB.*run\.maxChunkMegabytes/);
  });

  it('reads only the leading 64 KiB of the next chunk and of chunk 1 (for the header), never the whole chunks', async function () {
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    const old = new Date(Date.now() - 3_600_000);
    const ref = { userId: 'u', sessionId: 'webm' };
    const fixture = (n: number) => readFileSync(path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'chunks', 'chromium156', `chunk-00${n}.webm`));
    for (const n of [1, 2, 3]) {
      const f = path.join(dir, ...layout.audioKey(ref, n).split('/'));
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, fixture(n));
      utimesSync(f, old, old);
    }
    const folder = new FolderStore(dir);
    const reads: Array<[string, number]> = [];
    // The real folder store, with each read's size noted.
    const store = Object.assign(Object.create(folder), {
      get: async (key: string, signal?: AbortSignal, opts?: GetOptions) => {
        const b = await folder.get(key, signal, opts);
        reads.push([key.slice(key.lastIndexOf('/') + 1), b.length]);
        return b;
      },
    }) as FolderStore;
    const engine: Engine = perChunkEngine({
      name: 'stand-in',
      async check() {},
      async transcribeChunk() {
        return { segments: [], language: 'en', language_probability: 1, duration: 1 };
      },
    });
    const host = {
      kind: 'local',
      id: 'here',
      hourlyUsd: 0,
      timeline: {},
      chunkStarted: () => {},
      chunkFinished: () => {},
      status: async () => ({ state: 'running' }),
      prepare: async () => ({ startedByUs: false }),
      release: async () => {},
    } as any;
    settings.run.concurrency = 1;
    const { report } = await runBatch({ store, settings, clock: systemClock, host, engine });
    assert.equal(report.transcription.chunksTranscribed, 3);
    const sizes = (n: number) => reads.filter(([k]) => k === `chunk-00${n}.webm`).map(([, s]) => s);
    // Chunk 2 (68,930 bytes, the one fixture above 64 KiB) is read whole once, in its own turn; as chunk 1's next chunk only its first 64 KiB.
    assert.ok(fixture(2).length > 65536, 'the fixture is bigger than the prefix');
    assert.deepEqual(
      sizes(2).sort((a, b) => a - b),
      [65536, fixture(2).length],
    );
    assert.ok(Math.max(...reads.map(([, n]) => n)) <= fixture(2).length);
  });

  it('an engine that reads chunks itself (transcribeAll: the script, through URLs) is never given a chunk above the cap', async function () {
    const settings = defaultSettings();
    settings.run.maxChunkMegabytes = 1;
    const layout = new BucketLayout(settings.layout);
    const old = new Date(Date.now() - 3_600_000);
    const big = layout.audioKey({ userId: 'u', sessionId: 'big' }, 1, 'wav');
    const small = layout.audioKey({ userId: 'u', sessionId: 'small' }, 1, 'wav');
    for (const k of [big, small]) {
      const f = path.join(dir, ...k.split('/'));
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'RIFF');
      if (k === big) truncateSync(f, 2 * 1048576);
      utimesSync(f, old, old);
    }
    const given: string[] = [];
    const engine: Engine = {
      name: 'stand-in',
      async check() {},
      async transcribeAll(jobs, ctx) {
        for (const job of jobs) {
          given.push(job.audioKey);
          ctx.onOutcome({ job, ok: true, written: true, seconds: 0 });
        }
      },
    };
    const host = {
      kind: 'local',
      id: 'here',
      hourlyUsd: 0,
      timeline: {},
      chunkStarted: () => {},
      chunkFinished: () => {},
      status: async () => ({ state: 'running' }),
      prepare: async () => ({ startedByUs: false }),
      release: async () => {},
    } as any;
    const { report } = await runBatch({ store: new FolderStore(dir), settings, clock: systemClock, host, engine });
    assert.deepEqual(given, [small]);
    assert.equal(report.transcription.chunksTranscribed, 1);
    assert.equal(report.errors.length, 1);
    assert.match(report.errors[0].message, /chunk ".*big\/chunk-001\.wav" is 2\.0 MB, above the chunk-size cap of 1\.0 MB.*run\.maxChunkMegabytes/);
  });
});
