/**
 * A whole batch on the moto S3 server with the real local host and engine: the store is built from
 * settings by openRuntime (the product's wiring), the engine is pocketsphinx on ffmpeg-decoded real
 * Chromium chunks. Nothing here is faked. @integration
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runBatch } from '../../src/core/batch';
import { systemClock } from '../../src/core/clock';
import { BucketLayout } from '../../src/core/layout';
import { releaseQuarantine } from '../../src/core/quarantine';
import { openRuntime, type Runtime } from '../../src/core/runtime';
import { scan } from '../../src/core/scan';
import { defaultSettings, type Settings } from '../../src/core/settings';
import { createMotoBucket, type MotoBucket } from '../support/motoBucket';
import { motoCredentials, releaseMoto, startMoto } from '../support/moto';

const RECORDING = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'chromium-recording');
const chunk = (n: number) => readFileSync(path.join(RECORDING, `chunk-00${n}.webm`));

describe('a whole batch on moto S3 with the local host and pocketsphinx @integration', function () {
  this.timeout(300_000);
  let b: MotoBucket;
  let rt: Runtime;
  let settings: Settings;
  const layout = new BucketLayout(defaultSettings().layout);
  const rec = { userId: 'alice', sessionId: 'session_2025-11-09T14_32_10_000Z' };
  const bad = { userId: 'bob', sessionId: 'broken <b>&' };

  before(async function () {
    const moto = await startMoto();
    b = await createMotoBucket(moto, 'batch-s3');
    settings = defaultSettings();
    settings.store = `s3://${b.bucket}/prod`;
    settings.aws = { ...settings.aws, endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' };
    settings.scan.gracePeriodMinutes = 0;
    settings.engine.kind = 'pocketsphinx';
    rt = await openRuntime(settings, { clock: systemClock, credentials: motoCredentials });
    const store = b.store('prod/');
    for (let n = 1; n <= 4; n++) await store.put(layout.audioKey(rec, n, 'webm'), chunk(n));
    await store.put(layout.transcriptKey(rec, 2), '{"segments":[],"kept":true}');
    await store.put(layout.audioKey(bad, 1, 'webm'), Buffer.from('this is not audio at all'));
  });
  after(async function () {
    await rt?.dispose();
    await b?.dispose();
    await releaseMoto();
  });

  async function transcripts(): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    for await (const o of b.store('prod/').list('users/')) if (o.key.includes('/layers/')) m.set(o.key, `${o.etag} ${o.lastModified}`);
    return m;
  }

  it('transcribes what is missing, fails the corrupt chunk alone with a clear error, keeps the existing transcript', async function () {
    const r = await runBatch({ store: rt.store, settings, clock: systemClock, host: rt.host, engine: rt.engine });
    const rep = r.report;
    assert.equal(rep.status, 'partial', JSON.stringify(rep.errors));
    assert.equal(rep.transcription.chunksFound, 4);
    assert.equal(rep.transcription.chunksTranscribed, 3);
    assert.equal(rep.transcription.chunksFailed, 1);
    assert.equal(rep.errors.length, 1);
    assert.equal(rep.errors[0].sessionId, bad.sessionId);
    console.log(`      (the corrupt chunk's error: ${rep.errors[0].message})`);
    // what was found and what was expected (audioFormats.ts), not ffmpeg's "Invalid data"
    assert.match(rep.errors[0].message, /^Cannot decode "users\/bob\/audio\/sessions\/broken <b>&\/chunk-001\.webm": found text where WebM\/Matroska was expected\. .*re-upload it or delete it/);
    const store = b.store('prod/');
    assert.equal((await store.get(layout.transcriptKey(rec, 2))).toString(), '{"segments":[],"kept":true}');
    const t3 = JSON.parse((await store.get(layout.transcriptKey(rec, 3))).toString());
    assert.ok(
      t3.segments.some((s: { text: string }) => /\w/.test(s.text)),
      'chunk 3 has words',
    );
    assert.ok(r.reportKeys && (await store.head(r.reportKeys.json)) && (await store.head(r.reportKeys.html)), 'report in the bucket');
  });

  it('a second run writes no transcript and fails only the same corrupt chunk again', async function () {
    const before = await transcripts();
    const r = await runBatch({ store: rt.store, settings, clock: systemClock, host: rt.host, engine: rt.engine });
    assert.deepEqual(await transcripts(), before, 'no transcript written or rewritten');
    assert.equal(r.report.transcription.chunksFound, 1);
    assert.equal(r.report.transcription.chunksTranscribed, 0);
    assert.equal(r.report.errors[0].sessionId, bad.sessionId);
    assert.match(r.report.errors[0].message, /failed 2 of 3 runs in a row before it is quarantined/);
  });

  it('the third failure quarantines the corrupt chunk: recorded in the bucket, named in the report (JSON and HTML)', async function () {
    const r = await runBatch({ store: rt.store, settings, clock: systemClock, host: rt.host, engine: rt.engine });
    assert.equal(r.report.transcription.chunksFailed, 1);
    assert.match(r.report.errors[0].message, /quarantined: it failed 3 runs in a row/);
    assert.deepEqual(
      r.report.quarantine?.map((q) => [q.userId, q.sessionId, q.chunk, q.failures, q.newInThisRun]),
      [[bad.userId, bad.sessionId, '001', 3, true]],
    );
    const records: string[] = [];
    for await (const o of b.store('prod/').list('batch-reports/.failures/')) records.push(o.key);
    assert.equal(records.length, 3, records.join(', '));
    assert.ok(records.every((k) => k.startsWith(`batch-reports/.failures/${layout.audioKey(bad, 1, 'webm')}/fail-`)));
    const page = (await b.store('prod/').get(r.reportKeys!.html)).toString();
    assert.match(page, /Quarantined chunks \(1\)/);
    assert.match(page, /broken &lt;b&gt;&amp;/);
  });

  it('a quarantined chunk is not work: the scan names it and counts it, the run touches no host; release makes it pending again', async function () {
    const prepared = rt.host.timeline.startRequested;
    const r = await runBatch({ store: rt.store, settings, clock: systemClock, host: rt.host, engine: rt.engine });
    assert.equal(r.report.status, 'skipped');
    assert.equal(r.report.transcription.chunksFound, 0);
    assert.equal(r.scan!.totalMissingChunks, 0);
    assert.equal(r.scan!.totalQuarantinedChunks, 1);
    assert.deepEqual(
      r.scan!.quarantinedChunks!.map((q) => [q.userId, q.sessionId, q.chunk, q.failures]),
      [[bad.userId, bad.sessionId, '001', 3]],
    );
    assert.match(r.scan!.quarantinedChunks![0].lastError ?? '', /Cannot decode/);
    assert.equal(r.report.scanning.quarantinedChunks, 1);
    assert.equal(r.report.quarantine?.[0].newInThisRun, false);
    assert.equal(rt.host.timeline.startRequested, prepared, 'the host was not prepared');

    assert.deepEqual(await releaseQuarantine(rt.store, layout, { userId: bad.userId, sessionId: bad.sessionId }), [layout.audioKey(bad, 1, 'webm')]);
    const again = await scan({ store: rt.store, settings, clock: systemClock });
    assert.equal(again.totalQuarantinedChunks, 0);
    assert.deepEqual(
      again.sessions.map((s) => [s.sessionId, s.missingChunks]),
      [[bad.sessionId, ['001']]],
    );
  });
});
