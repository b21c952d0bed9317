import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { scan, jobsOf, estimateGpuSeconds } from '../../../src/core/scan';
import { BucketLayout } from '../../../src/core/layout';
import { FolderStore } from '../../../src/core/store/folderStore';
import { resolveSettings, type RawSettings } from '../../../src/core/settings';
import { CancelledError } from '../../../src/core/errors';
import type { BatchEvent } from '../../../src/core/events';
import { EXPECTED_PENDING, EXPECTED_TOTAL_SESSIONS, ODD_SESSIONS, comparable, frozenClock, pendingMap, scanFixtureObjects, snapshot, writeFixture } from '../../support/scanFixture';

const T0 = Date.parse('2025-11-09T15:00:00Z');
const DAY = 86_400_000;
const MIN = 60_000;

describe('scan (folder store)', function () {
  let dir: string;
  let store: FolderStore;
  let sandbox: sinon.SinonSandbox;

  /** Sets a key's last-modified time (folder only: S3 decides LastModified itself). */
  const touch = (key: string, ms: number) => fs.utimes(path.join(dir, ...key.split('/')), ms / 1000, ms / 1000);
  const run = (now: number, raw: RawSettings = {}, extra: { emit?: (e: BatchEvent) => void; signal?: AbortSignal; purpose?: 'scan' | 'run' } = {}) =>
    scan({ store, settings: resolveSettings(raw), clock: frozenClock(now), ...extra });

  beforeEach(async function () {
    sandbox = sinon.createSandbox();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-scan-'));
    store = new FolderStore(dir);
    await writeFixture(store);
    // Every object written at T0: ages and order are then up to each test.
    for (const o of scanFixtureObjects()) await touch(o.key, T0);
  });

  afterEach(async function () {
    sandbox.restore();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds every chunk without a transcript, counting both transcript locations as done', async function () {
    const doc = await run(T0 + DAY);
    assert.deepEqual(pendingMap(doc), EXPECTED_PENDING);
    assert.equal(doc.totalSessions, EXPECTED_TOTAL_SESSIONS);
    assert.equal(doc.sessionsWithMissingChunks, 7);
    assert.equal(doc.totalMissingChunks, 9);
    assert.deepEqual(doc.deferredSessions, []);
    assert.equal(doc.lock, undefined);
    assert.equal(doc.store, dir);
    assert.equal(doc.timestamp, new Date(T0 + DAY).toISOString());
  });

  it('describes a pending session: chunk lists as numbers (chunk-1000 after chunk-999), sizes, ages', async function () {
    const doc = await run(T0 + DAY);
    const long = doc.sessions.find((s) => s.sessionId === 'long')!;
    assert.deepEqual(long.audioChunks, ['001', '999', '1000']);
    assert.deepEqual(long.transcriptionChunks, ['001']);
    assert.deepEqual(long.missingChunks, ['999', '1000']);
    assert.equal(long.totalAudioSize, 21);
    assert.equal(long.sessionPath, 'users/alice/audio/sessions/long/');
    assert.equal(long.userId, 'alice');
    assert.equal(long.ageHours, 24);
    assert.equal(long.createdAt, new Date(T0).toISOString());
    assert.equal(long.complete, false);
    assert.deepEqual(
      long.chunks.map((c) => [c.chunk, c.key, c.ext]),
      [
        [1, 'users/alice/audio/sessions/long/chunk-001.webm', 'webm'],
        [999, 'users/alice/audio/sessions/long/chunk-999.webm', 'webm'],
        [1000, 'users/alice/audio/sessions/long/chunk-1000.webm', 'webm'],
      ],
    );
    const partly = doc.sessions.find((s) => s.sessionId === 'partly done')!;
    assert.deepEqual(partly.transcriptionChunks, ['001', '002', '003'], 'the legacy transcript of 003 counts');
    assert.deepEqual(partly.audioChunks, ['001', '002', '003', '004'], 'chunk-005.txt is not audio');
    const shell = doc.sessions.find((s) => s.sessionId === ODD_SESSIONS.shell)!;
    assert.equal(shell.chunks[0].ext, 'm4a');
    const unicode = doc.sessions.find((s) => s.sessionId === ODD_SESSIONS.unicode)!;
    assert.deepEqual(unicode.transcriptionChunks, [], 'a transcript without audio is not a transcribed chunk');
  });

  it('turns pending sessions into jobs with the chunk-1 header and the next chunk', async function () {
    const doc = await run(T0 + DAY);
    const layout = new BucketLayout(resolveSettings({}).layout);
    const jobs = jobsOf(doc, layout, (s) => s.sessionId === 'long');
    assert.deepEqual(
      jobs.map((j) => [j.chunk, j.audioKey, j.transcriptKey, j.firstChunkKey, j.nextChunkKey]),
      [
        [
          999,
          'users/alice/audio/sessions/long/chunk-999.webm',
          'users/alice/audio/sessions/long/layers/layer-0-raw-transcription/chunk-999.json',
          'users/alice/audio/sessions/long/chunk-001.webm',
          'users/alice/audio/sessions/long/chunk-1000.webm',
        ],
        [
          1000,
          'users/alice/audio/sessions/long/chunk-1000.webm',
          'users/alice/audio/sessions/long/layers/layer-0-raw-transcription/chunk-1000.json',
          'users/alice/audio/sessions/long/chunk-001.webm',
          undefined,
        ],
      ],
    );
    const odd = jobsOf(doc, layout, (s) => s.sessionId === ODD_SESSIONS.quotes);
    assert.equal(odd[0].transcriptKey, `users/bob/audio/sessions/${ODD_SESSIONS.quotes}/layers/layer-0-raw-transcription/chunk-001.json`);
    assert.equal(jobsOf(doc, layout).length, 9);
  });

  it('lists the oldest session first', async function () {
    for (const o of scanFixtureObjects()) if (o.key.startsWith('users/carol/')) await touch(o.key, T0 - 3 * DAY);
    for (const o of scanFixtureObjects()) if (o.key.includes(ODD_SESSIONS.shell)) await touch(o.key, T0 - 2 * DAY);
    const doc = await run(T0 + DAY);
    assert.deepEqual(
      doc.sessions.slice(0, 3).map((s) => s.sessionId),
      ['c1', ODD_SESSIONS.shell, 'long'], // then ties at T0 by session path
    );
    assert.equal(doc.sessions[0].ageHours, 96);
  });

  it('defers a session whose newest chunk is inside the grace period', async function () {
    await touch('users/carol/audio/sessions/c1/chunk-002.webm', T0 + DAY - 5 * MIN);
    const doc = await run(T0 + DAY, { scan: { gracePeriodMinutes: 15 } });
    assert.ok(!('carol/c1' in pendingMap(doc)));
    assert.equal(doc.deferredSessions.length, 1);
    assert.equal(doc.deferredSessions[0].sessionId, 'c1');
    assert.equal(doc.deferredSessions[0].reason, 'recording');
    assert.match(doc.deferredSessions[0].detail, /5 min old \(grace period 15 min\)/);
    assert.equal(doc.totalMissingChunks, 8, 'deferred chunks are not counted as work');
    const shorter = await run(T0 + DAY, { scan: { gracePeriodMinutes: 4 } });
    assert.deepEqual(pendingMap(shorter), EXPECTED_PENDING);
  });

  it('defers the sessions of the user named in batch-lock.json', async function () {
    await store.put('batch-lock.json', JSON.stringify({ userId: 'carol', holder: 'browser-1', createdAt: new Date(T0 + DAY - MIN).toISOString() }));
    const doc = await run(T0 + DAY);
    assert.deepEqual(
      doc.deferredSessions.map((s) => [s.userId, s.sessionId, s.reason]),
      [['carol', 'c1', 'locked']],
    );
    assert.match(doc.deferredSessions[0].detail, /batch-lock\.json is held by browser-1 since/);
    assert.equal(doc.sessions.length, 6);
    assert.deepEqual(doc.lock, { key: 'batch-lock.json', holder: 'browser-1', since: new Date(T0 + DAY - MIN).toISOString(), stale: false, coversAll: false });
  });

  it('defers one named session (odd id) and nothing else', async function () {
    await store.put('batch-lock.json', JSON.stringify({ sessionId: ODD_SESSIONS.quotes, createdAt: new Date(T0 + DAY - MIN).toISOString() }));
    const doc = await run(T0 + DAY);
    assert.deepEqual(
      doc.deferredSessions.map((s) => s.sessionId),
      [ODD_SESSIONS.quotes],
    );
  });

  it('a lock naming nobody, or an unreadable one, covers everything', async function () {
    await store.put('batch-lock.json', JSON.stringify({ createdAt: new Date(T0 + DAY - MIN).toISOString() }));
    let doc = await run(T0 + DAY);
    assert.equal(doc.sessions.length, 0);
    assert.equal(doc.deferredSessions.length, 7);
    assert.equal(doc.lock?.coversAll, true);
    assert.equal(doc.totalMissingChunks, 0);
    assert.equal(doc.estimatedCostUSD, 0);
    await store.put('batch-lock.json', 'not json {');
    await touch('batch-lock.json', T0 + DAY - MIN);
    doc = await run(T0 + DAY);
    assert.equal(doc.sessions.length, 0);
    assert.equal(doc.lock?.since, new Date(T0 + DAY - MIN).toISOString(), "since: the lock object's last-modified time");
  });

  it('a lock dated in the future (createdAt 2999) is as old as its object; one whose object time is in the future too is stale', async function () {
    await store.put('batch-lock.json', JSON.stringify({ createdAt: '2999-01-01T00:00:00.000Z' }));
    await touch('batch-lock.json', T0 + DAY - 241 * MIN);
    let doc = await run(T0 + DAY, { scan: { lockMaxAgeMinutes: 240 } });
    assert.deepEqual(pendingMap(doc), EXPECTED_PENDING, 'not deferred forever');
    assert.equal(doc.lock?.stale, true);
    assert.equal(doc.lock?.since, new Date(T0 + DAY - 241 * MIN).toISOString());
    await touch('batch-lock.json', T0 + DAY - MIN);
    doc = await run(T0 + DAY, { scan: { lockMaxAgeMinutes: 240 } });
    assert.equal(doc.lock?.stale, false, 'a fresh object still holds');
    assert.equal(doc.sessions.length, 0);
    await touch('batch-lock.json', Date.parse('2999-01-01T00:00:00Z'));
    doc = await run(T0 + DAY, { scan: { lockMaxAgeMinutes: 240 } });
    assert.deepEqual(pendingMap(doc), EXPECTED_PENDING);
    assert.equal(doc.lock?.stale, true);
    // Within the clock-skew allowance a time ahead of ours is still believed.
    await store.put('batch-lock.json', JSON.stringify({ createdAt: new Date(T0 + DAY + 2 * MIN).toISOString() }));
    await touch('batch-lock.json', T0 + DAY);
    doc = await run(T0 + DAY, { scan: { lockMaxAgeMinutes: 240 } });
    assert.equal(doc.lock?.stale, false);
  });

  it('ignores a stale lock', async function () {
    await store.put('batch-lock.json', JSON.stringify({ createdAt: new Date(T0 + DAY - 241 * MIN).toISOString() }));
    const doc = await run(T0 + DAY, { scan: { lockMaxAgeMinutes: 240 } });
    assert.deepEqual(pendingMap(doc), EXPECTED_PENDING);
    assert.equal(doc.lock?.stale, true);
  });

  it('walks a folder with one stream whatever listConcurrency says, with the same result', async function () {
    const one = await run(T0 + DAY, { scan: { listConcurrency: 1 } });
    const four = await run(T0 + DAY, { scan: { listConcurrency: 4 } });
    assert.equal(one.stats.streams, 1);
    assert.equal(four.stats.streams, 1, 'a local walk is CPU-bound: parallel streams would only share the core');
    assert.deepEqual(comparable(four), comparable(one));
    assert.deepEqual(
      four.sessions.map((s) => s.sessionPath),
      one.sessions.map((s) => s.sessionPath),
    );
  });

  it('writes nothing', async function () {
    await store.put('batch-lock.json', JSON.stringify({ userId: 'carol' }));
    const before = await snapshot(store);
    const put = sandbox.spy(store, 'put');
    const del = sandbox.spy(store, 'delete');
    await run(T0 + DAY);
    await run(T0 + DAY, { scan: { listConcurrency: 1 } });
    assert.equal(put.callCount + del.callCount, 0);
    assert.deepEqual(await snapshot(store), before);
  });

  it('reports progress and a summary as events', async function () {
    const events: BatchEvent[] = [];
    await run(T0 + DAY, {}, { emit: (e) => events.push(e) });
    const done = events.filter((e) => e.type === 'scan.done');
    assert.deepEqual(done, [{ type: 'scan.done', totalSessions: 9, pendingSessions: 7, missingChunks: 9, time: T0 + DAY }]);
  });

  it('estimates GPU time and cost from the missing chunks', async function () {
    const doc = await run(T0 + DAY, { host: { kind: 'ec2', instanceId: 'i-0123456789abcdef0' } });
    const settings = resolveSettings({ host: { kind: 'ec2', instanceId: 'i-0123456789abcdef0' } });
    assert.equal(doc.estimatedGpuSeconds, estimateGpuSeconds(9, settings));
    assert.equal(doc.estimatedGpuSeconds, 180 + Math.round(9 * 5 * 0.1));
    assert.ok(doc.estimatedCostUSD > 0);
  });

  it('stops with CancelledError when aborted before or during the listing, never with a partial result', async function () {
    const ac = new AbortController();
    ac.abort(new CancelledError());
    await assert.rejects(run(T0 + DAY, { scan: { listConcurrency: 1 } }, { signal: ac.signal }), CancelledError);
    for (const listConcurrency of [1, 4]) {
      // The store ends its listing quietly on abort (as FolderStore and S3Store do); abort after 5 keys.
      const mid = new AbortController();
      const list = store.listBatches.bind(store);
      sandbox.stub(store, 'listBatches').callsFake(async function* (prefix, opts) {
        let n = 0;
        for await (const batch of list(prefix, opts)) {
          for (const o of batch) {
            if (++n === 5) mid.abort(new CancelledError());
            yield [o];
          }
        }
      });
      await assert.rejects(run(T0 + DAY, { scan: { listConcurrency } }, { signal: mid.signal }), CancelledError, `listConcurrency ${listConcurrency}`);
      sandbox.restore();
    }
  });

  it('reads the transcripts it checks while the listing goes on, not after it, with the same answer', async function () {
    const layout = new BucketLayout(resolveSettings({}).layout);
    const events: string[] = [];
    const list = store.listBatches.bind(store);
    const get = store.get.bind(store);
    // One key per page, a turn of the event loop between pages: a read started early shows up between them.
    sandbox.stub(store, 'listBatches').callsFake(async function* (prefix, opts) {
      for await (const batch of list(prefix, opts))
        for (const o of batch) {
          events.push('page');
          yield [o];
          await new Promise((r) => setImmediate(r));
        }
    });
    sandbox.stub(store, 'get').callsFake((key, signal, opts) => {
      if (layout.parse(key).kind === 'transcript') events.push('read');
      return get(key, signal, opts);
    });
    const doc = await run(T0 + DAY, {}, { purpose: 'run' });
    sandbox.restore();
    assert.ok(events.includes('read'), 'the fixture has sessions with work and transcripts');
    assert.ok(events.indexOf('read') < events.lastIndexOf('page'), `first transcript read at ${events.indexOf('read')} of ${events.length} events`);
    assert.deepEqual(comparable(doc), comparable(await run(T0 + DAY, {}, { purpose: 'run' })));
    assert.deepEqual(doc.invalidTranscripts, (await run(T0 + DAY, {}, { purpose: 'run' })).invalidTranscripts);
  });

  it('scan.verifyTranscripts = run (the default): a plain scan reads no transcript and names the empty ones; the scan of a run reads those of sessions with work', async function () {
    const layout = new BucketLayout(resolveSettings({}).layout);
    const s = { userId: 'carol', sessionId: 'checked' };
    const put = async (key: string, body: string) => {
      await store.put(key, body);
      await touch(key, T0);
    };
    await put(layout.audioKey(s, 1), 'a');
    await put(layout.audioKey(s, 2), 'a');
    await put(layout.audioKey(s, 3), 'a');
    await put(layout.transcriptKey(s, 1), '{"hello":"world"}');
    await put(layout.transcriptKey(s, 2), '');
    const reads: string[] = [];
    const get = store.get.bind(store);
    sandbox.stub(store, 'get').callsFake((key, signal, opts) => {
      if (layout.parse(key).kind === 'transcript') reads.push(key);
      return get(key, signal, opts);
    });
    const plain = await run(T0 + DAY);
    assert.equal(plain.transcriptsRead, 'off');
    assert.equal(plain.stats.transcriptReads, 0);
    assert.equal(reads.length, 0, reads.join(', '));
    assert.deepEqual(
      plain.invalidTranscripts?.filter((t) => t.userId === 'carol').map((t) => [t.chunk, t.problem]),
      [['002', 'empty (0 bytes)']],
    );
    const forRun = await run(T0 + DAY, {}, { purpose: 'run' });
    assert.equal(forRun.transcriptsRead, 'work');
    assert.ok(reads.includes(layout.transcriptKey(s, 1)), 'the run reads the transcript of a session with work');
    assert.deepEqual(
      forRun.invalidTranscripts?.filter((t) => t.userId === 'carol').map((t) => [t.chunk, t.problem]),
      [
        ['001', 'not a transcript: no "segments" list'],
        ['002', 'empty (0 bytes)'],
      ],
    );
    // `work` keeps the earlier behaviour for every scan.
    reads.length = 0;
    const work = await run(T0 + DAY, { scan: { verifyTranscripts: 'work' } });
    assert.equal(work.transcriptsRead, 'work');
    assert.ok(reads.includes(layout.transcriptKey(s, 1)));
  });

  it('an empty store has nothing to do', async function () {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-scan-empty-'));
    try {
      const doc = await scan({ store: new FolderStore(empty), settings: resolveSettings({}), clock: frozenClock(T0) });
      assert.equal(doc.totalSessions, 0);
      assert.equal(doc.totalMissingChunks, 0);
      assert.equal(doc.estimatedGpuTime, '0 minutes');
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });

  it('follows a custom layout', async function () {
    const custom = { layout: { usersPrefix: 'tenants/', sessionsDir: 'rec', chunkPrefix: 'part-', transcriptDir: 'text', legacyTranscriptPrefix: 'old-' } };
    const s = new FolderStore(await fs.mkdtemp(path.join(os.tmpdir(), 'wb-scan-custom-')));
    try {
      await s.put('tenants/t1/rec/s1/part-001.webm', 'a');
      await s.put('tenants/t1/rec/s1/part-002.webm', 'a');
      await s.put('tenants/t1/rec/s1/part-003.webm', 'a');
      await s.put('tenants/t1/rec/s1/text/part-001.json', '{}');
      await s.put('tenants/t1/rec/s1/old-002.json', '{}');
      await s.put('users/alice/audio/sessions/x/chunk-001.webm', 'a'); // default layout: not ours now
      const doc = await scan({ store: s, settings: resolveSettings(custom), clock: frozenClock(Date.now() + DAY) });
      assert.deepEqual(pendingMap(doc), { 't1/s1': ['003'] });
    } finally {
      await fs.rm(s.root, { recursive: true, force: true });
    }
  });
});
