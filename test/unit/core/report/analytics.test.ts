/** Analytics in the report: time per chunk (mean, p95), real-time factor, cost per audio hour beside Amazon Transcribe, success by session; no $ for this machine. */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MANAGED_TRANSCRIBE, percentile, runAnalytics } from '../../../../src/core/report/analytics';
import { buildReport, type RunRecord } from '../../../../src/core/report/build';
import { renderReportHtml } from '../../../../src/core/report/html';
import { listReports, writeReport } from '../../../../src/core/report/reportStore';
import { BucketLayout } from '../../../../src/core/layout';
import { defaultSettings } from '../../../../src/core/settings';
import { FolderStore } from '../../../../src/core/store/folderStore';
import type { ChunkOutcome } from '../../../../src/core/engine/engine';

const T0 = Date.parse('2026-12-03T02:00:05Z');
const outcome = (sessionId: string, chunk: number, ok: boolean, seconds: number, audioSeconds = 30): ChunkOutcome => ({
  job: { userId: 'u', sessionId, chunk, audioKey: `a/${sessionId}/${chunk}`, transcriptKey: `t/${sessionId}/${chunk}`, size: 1 },
  ok,
  seconds,
  audioSeconds: ok ? audioSeconds : undefined,
  error: ok ? undefined : 'bad',
});

function record(kind: 'local' | 'ec2'): RunRecord {
  // 20 chunks of 30 s: 19 take 1 s, one takes 10 s; one more chunk fails.
  const outcomes = [...Array.from({ length: 20 }, (_, i) => outcome(i < 10 ? 's1' : 's2', i + 1, true, i === 7 ? 10 : 1)), outcome('s2', 99, false, 0.5)];
  const tl = { startRequested: T0, ready: T0 + 120_000, firstChunk: T0 + 121_000, lastChunk: T0 + 300_000, stopRequested: T0 + 301_000, stopped: T0 + 320_000 };
  return {
    runId: 'r1',
    store: 's3://b',
    startMs: T0,
    endMs: T0 + 330_000,
    jobsFound: 21,
    outcomes,
    errors: [],
    cancelled: false,
    fatal: false,
    host:
      kind === 'ec2'
        ? { kind, id: 'i-0abc', touched: true, startedByUs: true, hourlyUsd: 0.526, timeline: tl }
        : { kind, id: 'localhost', touched: true, startedByUs: false, hourlyUsd: 0, timeline: tl },
    engine: { name: 'faster-whisper', model: 'small.en' },
    nextScheduledRun: null,
  };
}

describe('report analytics', function () {
  it('p95 is the nearest rank; the mean and p95 are of the transcribed chunks; the real-time factor is their time over their audio', function () {
    assert.equal(percentile([], 95), null);
    assert.equal(percentile([3], 95), 3);
    assert.equal(
      percentile(
        [...Array(100).keys()].map((i) => i + 1),
        95,
      ),
      95,
    );
    assert.equal(percentile([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10], 95), 1);
    assert.equal(percentile([1, 1, 1, 1, 1, 1, 1, 1, 1, 10], 95), 10);
    const r = buildReport(record('ec2'));
    const a = r.analytics!;
    assert.deepEqual(a.chunkSeconds, { count: 20, mean: 1.45, p95: 1 });
    assert.equal(a.realtimeFactor, Math.round((29 / 600) * 10000) / 10000);
    assert.deepEqual(
      r.sessions.map((s) => [s.sessionId, s.successRate]),
      [
        ['s1', 100],
        ['s2', 90.9],
      ],
    );
  });

  it("on the GPU: cost per audio hour beside Amazon Transcribe batch's $0.024 per minute ($1.44 per audio hour)", function () {
    const r = buildReport(record('ec2'));
    const c = r.analytics!.cost!;
    assert.equal(MANAGED_TRANSCRIBE.usdPerMinute, 0.024);
    assert.equal(c.managedPerAudioHourUSD, 1.44);
    assert.equal(c.managedForThisRunUSD, 0.24, '10 minutes of audio at $0.024');
    assert.equal(c.gpuPerAudioHourUSD, Math.round((r.gpu.costUSD / (600 / 3600)) * 10000) / 10000);
    const page = renderReportHtml(r);
    assert.match(page, /<h2>Analytics<\/h2>/);
    assert.match(page, /Time per chunk \(mean\)<\/dt><dd>1\.45 s/);
    assert.match(page, /Time per chunk \(p95\)<\/dt><dd>1\.00 s/);
    assert.match(page, /Amazon Transcribe batch per audio hour<\/dt><dd>\$1\.44<small>\$0\.240 for this run&#39;s audio/);
    assert.match(page, /<th scope="col" class="num">Success<\/th>/);
    assert.match(page, /<td class="num">90\.9%<\/td>/);
  });

  it('on this machine: the analytics without any $ figure, in the JSON and the HTML', function () {
    const r = buildReport(record('local'));
    assert.equal(r.analytics!.cost, null);
    assert.equal(r.analytics!.chunkSeconds.count, 20);
    const page = renderReportHtml(r);
    assert.match(page, /Real-time factor/);
    assert.ok(!page.includes('$'), 'no dollar figure on the page of a local run');
    assert.equal(runAnalytics({ chunks: [], host: 'local', costUSD: 0, audioSeconds: 0 }).realtimeFactor, null);
  });

  it('the reports listing carries checked analytics for the trends; a hostile report cannot slip in text or negative numbers', async function () {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-analytics-'));
    try {
      const store = new FolderStore(dir);
      const layout = new BucketLayout(defaultSettings().layout);
      const ec2 = buildReport(record('ec2'));
      await writeReport(store, layout, ec2, T0);
      const local = buildReport(record('local'));
      await writeReport(store, layout, local, T0 + 60_000);
      const hostile = { ...buildReport(record('ec2')), analytics: { chunkSeconds: { mean: '<b>1</b>', p95: -5 }, realtimeFactor: 'NaN' } };
      await store.put(layout.reportKey(T0 + 120_000, 'json'), JSON.stringify(hostile));
      const [h, l, e] = await listReports(store, layout);
      assert.deepEqual([e.host, e.meanChunkSeconds, e.p95ChunkSeconds, e.realtimeFactor, e.audioSeconds], ['ec2', 1.45, 1, ec2.analytics!.realtimeFactor, 600]);
      assert.equal(e.costPerAudioHourUSD, ec2.transcription.costPerAudioHourUSD);
      assert.deepEqual([l.host, l.costPerAudioHourUSD], ['local', null]);
      assert.deepEqual([h.meanChunkSeconds, h.p95ChunkSeconds, h.realtimeFactor], [null, null, null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
