import * as assert from 'node:assert/strict';
import { buildReport, type RunRecord } from '../../../../src/core/report/build';
import type { ChunkOutcome } from '../../../../src/core/engine/engine';

const T0 = Date.parse('2025-11-10T02:00:05Z');
function outcome(sessionId: string, chunk: number, ok: boolean, extra: Partial<ChunkOutcome> = {}): ChunkOutcome {
  return {
    job: { userId: 'u', sessionId, chunk, audioKey: `a/${chunk}`, transcriptKey: `t/${chunk}`, size: 1 },
    ok,
    seconds: 2,
    audioSeconds: ok ? 5 : undefined,
    error: ok ? undefined : 'bad',
    ...extra,
  };
}
function record(p: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: 'r1',
    store: 's3://b',
    startMs: T0,
    endMs: T0 + 512_000,
    jobsFound: 0,
    outcomes: [],
    errors: [],
    cancelled: false,
    fatal: false,
    host: { kind: 'ec2', id: 'i-0abc', touched: false, startedByUs: false, hourlyUsd: 0.526, timeline: {} },
    engine: { name: 'remote-faster-whisper', model: 'small.en' },
    nextScheduledRun: null,
    ...p,
  };
}

describe('buildReport', function () {
  it('skipped when nothing was pending: no GPU time, no cost', function () {
    const r = buildReport(record());
    assert.equal(r.status, 'skipped');
    assert.equal(r.reportId, 'batch-2025-11-10-0200');
    assert.equal(r.gpu.costUSD, 0);
    assert.equal(r.execution.durationHuman, '8m 32s');
  });

  it('GPU cost from real timestamps: boot to stop when this run started it (60 s minimum billing)', function () {
    const tl = { startRequested: T0 + 5_000, running: T0 + 60_000, ready: T0 + 180_000, firstChunk: T0 + 181_000, lastChunk: T0 + 480_000, stopRequested: T0 + 481_000, stopped: T0 + 505_000 };
    const outcomes = [outcome('s1', 1, true), outcome('s1', 2, true), outcome('s2', 1, false)];
    const r = buildReport(record({ jobsFound: 3, outcomes, host: { kind: 'ec2', id: 'i-0abc', touched: true, startedByUs: true, hourlyUsd: 0.526, timeline: tl } }));
    assert.equal(r.gpu.runtimeSeconds, 500);
    assert.equal(r.gpu.costUSD, Math.round((500 / 3600) * 0.526 * 10000) / 10000);
    assert.equal(r.gpu.started, true);
    assert.equal(r.status, 'partial');
    assert.equal(r.transcription.successRate, 66.7);
    assert.equal(r.transcription.audioSeconds, 10);
    assert.ok(r.transcription.costPerAudioHourUSD! > 0);
    assert.deepEqual(
      r.sessions.map((s) => [s.sessionId, s.status, s.chunkNumbers, s.failedChunks]),
      [
        ['s1', 'success', ['001', '002'], []],
        ['s2', 'failed', [], ['001']],
      ],
    );
    const short = buildReport(
      record({
        jobsFound: 1,
        outcomes: [outcome('s', 1, true)],
        host: { kind: 'ec2', id: 'i', touched: true, startedByUs: true, hourlyUsd: 0.526, timeline: { startRequested: T0, stopped: T0 + 20_000 } },
      }),
    );
    assert.equal(short.gpu.costUSD, Math.round((60 / 3600) * 0.526 * 10000) / 10000, 'EC2 bills at least 60 s');
  });

  it('an already running GPU is charged only for the time this run used it, and marked left running', function () {
    const tl = { ready: T0 + 1_000, lastChunk: T0 + 61_000 };
    const r = buildReport(record({ jobsFound: 1, outcomes: [outcome('s', 1, true)], host: { kind: 'ec2', id: 'i', touched: true, startedByUs: false, hourlyUsd: 0.526, timeline: tl } }));
    assert.equal(r.gpu.started, false);
    assert.equal(r.gpu.alreadyRunning, true);
    assert.equal(r.gpu.runtimeSeconds, 60);
  });

  it('failed when a fatal error happened or nothing got transcribed', function () {
    assert.equal(buildReport(record({ jobsFound: 2, fatal: true, errors: [{ phase: 'host-ready', message: 'x' }] })).status, 'failed');
    assert.equal(buildReport(record({ jobsFound: 1, outcomes: [outcome('s', 1, false)] })).status, 'failed');
    assert.equal(buildReport(record({ jobsFound: 1, outcomes: [outcome('s', 1, true)] })).status, 'success');
  });
});
