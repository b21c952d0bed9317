/**
 * Every object of the store that is not audio is read with its kind's cap (src/core/store/cappedRead.ts):
 * on a real folder store, each kind planted one byte above its cap (sparse files) gives a clear
 * message naming the key, is never read whole, and the rest goes on where that makes sense.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readAlertState, alertStateKey } from '../../../../src/core/alertState';
import { systemClock } from '../../../../src/core/clock';
import { WbError } from '../../../../src/core/errors';
import { BucketLayout } from '../../../../src/core/layout';
import { Lease, readLease } from '../../../../src/core/lease';
import { describeLiveLock, readLiveLock } from '../../../../src/core/liveLock';
import { checkMonitoring } from '../../../../src/core/monitorCheck';
import { nextKey, orderedJobs, readNext } from '../../../../src/core/priority';
import { lastFailure, readChunkFailures, failuresPrefix } from '../../../../src/core/quarantine';
import { listReports, readReport, writeReport } from '../../../../src/core/report/reportStore';
import { loadSessionTranscript } from '../../../../src/core/sessionTranscript';
import { defaultSettings } from '../../../../src/core/settings';
import { OBJECT_CAPS, type ObjectKind } from '../../../../src/core/store/cappedRead';
import { FolderStore } from '../../../../src/core/store/folderStore';
import { makeReport } from '../../../support/reportBuilders';

describe('capped reads of the store objects that are not audio (folder store, sparse files)', function () {
  const settings = defaultSettings();
  const layout = new BucketLayout(settings.layout);
  let dir: string;
  let store: FolderStore;
  const file = (key: string) => path.join(dir, ...key.split('/'));
  /** A sparse object one byte above its kind's cap: cheap on disk, fatal if read whole often enough. */
  const plantHuge = (key: string, kind: ObjectKind) => {
    mkdirSync(path.dirname(file(key)), { recursive: true });
    writeFileSync(file(key), '{"');
    truncateSync(file(key), OBJECT_CAPS[kind].bytes + 1);
  };
  const named = (key: string, what: string) => new RegExp(`^The ${what} ${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is larger than \\d+ [KM]B: not one whisper-batch wrote$`);

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-capped-'));
    store = new FolderStore(dir);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the run lease: read as expired with the problem named, and a run takes it over', async function () {
    plantHuge(layout.leaseKey, 'lease');
    const l = await readLease(store, layout, systemClock);
    assert.ok(l);
    assert.equal(l.expired, true);
    assert.match(l.problem ?? '', named(layout.leaseKey, 'run lease'));
    const lease = await Lease.acquire({ store, layout, clock: systemClock, runId: 'r1', holder: 'test', seconds: 60 });
    assert.ok(statSync(file(layout.leaseKey)).size < 4096, 'replaced by our own lease');
    await lease.release();
  });

  it('the live-recording lock: still a lock covering everything, its description names the problem', async function () {
    plantHuge(layout.lockKey, 'liveLock');
    const lock = await readLiveLock(store, layout, settings, systemClock);
    assert.ok(lock);
    assert.equal(lock.coversAll, true);
    assert.equal(lock.stale, false, 'as fresh as the object');
    assert.match(lock.problem ?? '', named(layout.lockKey, 'live-recording lock'));
    assert.match(describeLiveLock(lock), /is larger than 64 KB: not one whisper-batch wrote; it still counts, covering everything/);
  });

  it('reports: reports --id and the viewer get a message naming the key; the listing (and monitoring) leaves it out and lists the rest', async function () {
    const good = await writeReport(store, layout, makeReport(), Date.parse('2026-11-30T10:00:00Z'));
    const huge = layout.reportKey(Date.parse('2026-11-30T11:00:00Z'), 'json', '');
    plantHuge(huge, 'report');
    await assert.rejects(readReport(store, huge), (e: unknown) => e instanceof WbError && e.code === 'TooLarge' && named(huge, 'report').test(e.message));
    const list = await listReports(store, layout);
    assert.deepEqual(
      list.map((r) => r.key),
      [good.json],
    );
  });

  it('failure records: the quarantined chunk shows the problem as its last error', async function () {
    const audio = layout.audioKey({ userId: 'u', sessionId: 's' }, 1, 'webm');
    const rec = `${failuresPrefix(layout)}${audio}/fail-run1.json`;
    plantHuge(rec, 'failureRecord');
    const failures = await readChunkFailures(store, layout);
    const f = failures.get(audio);
    assert.ok(f, 'counted');
    const last = await lastFailure(store, f);
    assert.match(last.error ?? '', named(rec, 'failure record'));
  });

  it('the "next" object: `next` names it; a run goes on without it, with a warning', async function () {
    plantHuge(nextKey(layout), 'next');
    await assert.rejects(readNext(store, layout), (e: unknown) => e instanceof WbError && named(nextKey(layout), '"next" session object').test(e.message));
    const warnings: string[] = [];
    const doc = { sessions: [], deferredSessions: [], quarantinedChunks: [] } as any;
    const jobs = await orderedJobs({ store, layout, doc, users: [], warn: (m) => warnings.push(m) });
    assert.deepEqual(jobs, []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /"next" session object .* is larger than 64 KB.*\(runs go on without it\)/);
  });

  it('the alert state: read as none with the problem named; the check replaces it', async function () {
    plantHuge(alertStateKey(layout), 'alertState');
    const st = await readAlertState(store, layout);
    assert.deepEqual(st.alerting, []);
    assert.match(st.problem ?? '', named(alertStateKey(layout), 'alert state'));
    const check = await checkMonitoring({ store, layout, settings, clock: systemClock, pending: undefined, reports: [] });
    assert.match(check.problem ?? '', /alert state/);
    assert.ok(statSync(file(alertStateKey(layout))).size < 4096, 'replaced');
    assert.equal((await readAlertState(store, layout)).problem, undefined);
  });

  it('transcripts (transcript view, Listen): the chunk fails with the key named; the other chunks load', async function () {
    const ref = { userId: 'u', sessionId: 's' };
    const old = new Date(Date.now() - 3_600_000);
    for (const n of [1, 2]) {
      const a = layout.audioKey(ref, n, 'webm');
      mkdirSync(path.dirname(file(a)), { recursive: true });
      writeFileSync(file(a), 'x');
      utimesSync(file(a), old, old);
    }
    const t1 = layout.transcriptKey(ref, 1);
    mkdirSync(path.dirname(file(t1)), { recursive: true });
    writeFileSync(file(t1), JSON.stringify({ segments: [{ text: ' hello', start: 0, end: 1, words: [] }], language: 'en', duration: 1 }));
    const t2 = layout.transcriptKey(ref, 2);
    plantHuge(t2, 'transcript');
    const t = await loadSessionTranscript(store, layout, ref);
    assert.deepEqual(
      t.chunks.map((c) => c.state),
      ['transcribed', 'failed'],
    );
    assert.match(t.chunks[1].error ?? '', new RegExp(named(t2, 'transcript').source.slice(0, -1)));
    assert.match(readFileSync(file(t1), 'utf8'), /hello/);
  });
});
