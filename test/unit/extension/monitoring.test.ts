import * as assert from 'node:assert/strict';
import type { ReportSummary } from '../../../src/core/report/model';
import { missedTargets } from '../../../src/extension/monitoring';

const r = (over: Partial<ReportSummary>): ReportSummary => ({ reportId: 'batch-2026-11-25-1000', key: 'k', timestamp: '2026-11-25T10:00:00.000Z', status: 'success', chunksTranscribed: 10, chunksFailed: 0, costUSD: 0.1, runtimeSeconds: 600, ...over });

describe('extension/monitoring', function () {
  it('is quiet when every target is met', function () {
    assert.deepEqual(missedTargets([r({}), r({ status: 'skipped', chunksTranscribed: 0 })], undefined), []);
  });

  it('names each missed target', function () {
    assert.match(missedTargets([r({ status: 'failed' })], undefined).join(), /last run failed/);
    assert.match(missedTargets([r({ runtimeSeconds: 40 * 60 })], undefined).join(), /GPU ran 40 min/);
    assert.match(missedTargets([r({ costUSD: 0.6 }), r({ costUSD: 0.6 })], undefined).join(), /\$1\.20/);
    const bad = r({ chunksTranscribed: 8, chunksFailed: 2, status: 'partial' });
    assert.deepEqual(missedTargets([bad, bad], undefined), []);
    assert.match(missedTargets([bad, bad, bad], undefined).join(), /3 runs in a row/);
    const pending = { sessions: [{ ageHours: 30 }] } as any;
    assert.match(missedTargets([r({})], pending).join(), /waited 30 h/);
  });
});
