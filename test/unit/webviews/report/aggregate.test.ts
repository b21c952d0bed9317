import * as assert from 'node:assert/strict';
import type { ReportSummary } from '../../../../src/core/report/model';
import { perDay, perRun } from '../../../../webviews/report/aggregate';
import { dateTime, humanDuration, offset, pct, usd } from '../../../../webviews/report/format';

const run = (timestamp: string, chunksTranscribed: number, chunksFailed: number, runtimeSeconds: number, costUSD: number): ReportSummary => ({
  reportId: `batch-${timestamp}`,
  key: `batch-reports/batch-${timestamp}.json`,
  timestamp,
  status: chunksFailed ? 'partial' : chunksTranscribed ? 'success' : 'skipped',
  chunksTranscribed,
  chunksFailed,
  runtimeSeconds,
  costUSD,
});

describe('webviews/report/aggregate', function () {
  // Newest first, as listReports returns them; two runs on the 24th, one skipped on the 25th.
  const reports = [run('2026-11-25T08:30:00.000Z', 0, 0, 0, 0), run('2026-11-24T20:30:00.000Z', 30, 10, 600, 0.0877), run('2026-11-24T08:30:00.000Z', 50, 0, 1200, 0.1753)];

  it('gives one point per run, oldest first, with no success rate for a run that had nothing to do', function () {
    const points = perRun(reports);
    assert.deepEqual(
      points.map((p) => p.label),
      ['2026-11-24 08:30', '2026-11-24 20:30', '2026-11-25 08:30'],
    );
    assert.deepEqual(
      points.map((p) => p.successRate),
      [100, 75, null],
    );
    assert.deepEqual(
      points.map((p) => p.gpuMinutes),
      [20, 10, 0],
    );
  });

  it('sums runs per UTC day', function () {
    const days = perDay(reports);
    assert.deepEqual(
      days.map((d) => [d.label, d.runs, d.transcribed, d.failed, d.gpuMinutes]),
      [
        ['2026-11-24', 2, 80, 10, 30],
        ['2026-11-25', 1, 0, 0, 0],
      ],
    );
    assert.equal(days[0].successRate, (100 * 80) / 90);
    assert.equal(Math.round(days[0].cost * 1e4) / 1e4, 0.263);
  });

  it('formats like the core report', function () {
    assert.equal(humanDuration(3725), '1h 2m 5s');
    assert.equal(humanDuration(512), '8m 32s');
    assert.equal(usd(0.1594), '$0.159');
    assert.equal(usd(12.5), '$12.50');
    assert.equal(usd(null), '—');
    assert.equal(pct(98.765), '98.8%');
    assert.equal(pct(100), '100%');
    assert.equal(dateTime('2026-11-25T10:30:05.000Z', true), '2026-11-25 10:30:05');
    assert.equal(dateTime('<b>not a time</b>'), '<b>not a time</b>', 'unparsable text is returned as text (the page sets it with textContent)');
    assert.equal(offset('2026-11-25T10:30:00Z', '2026-11-25T10:33:38Z'), '+3m 38s');
    assert.equal(offset(null, '2026-11-25T10:33:38Z'), '');
  });
});
