import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alertStateKey, parseAlertState, readAlertState } from '../../../src/core/alertState';
import { BucketLayout } from '../../../src/core/layout';
import { checkMonitoring } from '../../../src/core/monitorCheck';
import { ageText, evaluateMonitoring, monitoringLines, newAlerts, oldestPendingAgeHours } from '../../../src/core/monitoring';
import type { BatchReport, ReportSummary } from '../../../src/core/report/model';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import { fakeClock, T0 } from '../../support/fakeClock';
import { makeReport } from '../../support/reportBuilders';

const M = defaultSettings().monitor;
const H = 3_600_000;
const r = (over: Partial<ReportSummary>, hoursAgo = 1): ReportSummary => ({
  reportId: `batch-${hoursAgo}`,
  key: `batch-reports/batch-${hoursAgo}.json`,
  timestamp: new Date(T0 - hoursAgo * H).toISOString(),
  status: 'success',
  chunksTranscribed: 100,
  chunksFailed: 0,
  costUSD: 0.05,
  runtimeSeconds: 600,
  ...over,
});
const state = (reports: ReportSummary[], age: number | null = 1) => Object.fromEntries(evaluateMonitoring(reports, age, M, T0).metrics.map((m) => [m.id, m.state]));

describe('monitoring targets (design defaults as settings)', function () {
  it('all ok for healthy runs; unknown without runs or scan', function () {
    assert.deepEqual(state([r({}), r({}, 3)]), { successRate: 'ok', gpuRuntime: 'ok', costPerDay: 'ok', pendingAge: 'ok' });
    assert.deepEqual(state([], null), { successRate: 'unknown', gpuRuntime: 'unknown', costPerDay: 'ok', pendingAge: 'unknown' });
  });

  it('success rate: under 95% warns; under 90% alerts only for 3 runs in a row (skipped runs do not count)', function () {
    const low = (h: number) => r({ chunksTranscribed: 89, chunksFailed: 11, status: 'partial' }, h);
    assert.equal(state([r({ chunksTranscribed: 94, chunksFailed: 6 })]).successRate, 'warn');
    assert.equal(state([r({ chunksTranscribed: 95, chunksFailed: 5 })]).successRate, 'ok', '95% is not under 95%');
    assert.equal(state([low(1), low(2)]).successRate, 'warn');
    assert.equal(state([low(1), low(2), r({}, 3)]).successRate, 'warn', 'a good run breaks the streak');
    assert.equal(state([low(1), r({ status: 'skipped', chunksTranscribed: 0 }, 2), low(3), low(4)]).successRate, 'alert');
    assert.equal(state([r({ chunksTranscribed: 90, chunksFailed: 10 }, 1), low(2), low(3)]).successRate, 'warn', 'exactly 90% is not under 90%');
  });

  it('GPU runtime: over 15 min warns, over 30 min alerts (the last run)', function () {
    assert.equal(state([r({ runtimeSeconds: 15 * 60 })]).gpuRuntime, 'ok');
    assert.equal(state([r({ runtimeSeconds: 15 * 60 + 1 })]).gpuRuntime, 'warn');
    assert.equal(state([r({ runtimeSeconds: 30 * 60 + 1 })]).gpuRuntime, 'alert');
    assert.equal(state([r({ runtimeSeconds: 60 }), r({ runtimeSeconds: 40 * 60 }, 2)]).gpuRuntime, 'ok', 'an older long run is history');
  });

  it('cost: the last 24 h, over $0.50 warns, over $1.00 alerts', function () {
    assert.equal(state([r({ costUSD: 0.3 }), r({ costUSD: 0.2 }, 2)]).costPerDay, 'ok');
    assert.equal(state([r({ costUSD: 0.3 }), r({ costUSD: 0.21 }, 2)]).costPerDay, 'warn');
    assert.equal(state([r({ costUSD: 0.6 }), r({ costUSD: 0.41 }, 23)]).costPerDay, 'alert');
    assert.equal(state([r({ costUSD: 0.6 }), r({ costUSD: 0.41 }, 25)]).costPerDay, 'warn', 'a run 25 h ago is not today');
  });

  it('pending age: over 6 h warns, over 24 h alerts; from the oldest chunk without a transcript', function () {
    assert.equal(state([r({})], 6).pendingAge, 'ok');
    assert.equal(state([r({})], 6.1).pendingAge, 'warn');
    assert.equal(state([r({})], 24.1).pendingAge, 'alert');
    const c = (n: number, hAgo: number) => ({ chunk: n, key: `k${n}`, size: 1, ext: 'webm', lastModified: T0 - hAgo * H });
    const doc = { sessions: [{ missingChunks: ['002'], ageHours: 50, chunks: [c(1, 50), c(2, 30)] }], deferredSessions: [{ missingChunks: ['001'], ageHours: 2, chunks: [c(1, 2)] }] } as never;
    assert.equal(oldestPendingAgeHours(doc, T0), 30, 'chunk 1 has a transcript: the session age (50 h) is not the pending age');
    assert.equal(oldestPendingAgeHours({ sessions: [], deferredSessions: [] }, T0), 0);
    assert.equal(oldestPendingAgeHours(undefined, T0), null);
    const detail = (age: number) => evaluateMonitoring([r({})], age, M, T0).metrics.find((m) => m.id === 'pendingAge')!.detail;
    assert.equal(detail(5.25), '5.3 h');
    assert.equal(detail(318.4), '13.3 d (318 h)', 'past two days the age reads in days');
    assert.equal(ageText(47.9), '47.9 h');
  });

  it('thresholds are settings', function () {
    const strict = { ...M, gpuMinutesAlert: 5 };
    assert.equal(evaluateMonitoring([r({ runtimeSeconds: 6 * 60 })], 1, strict, T0).alerts[0].id, 'gpuRuntime');
  });

  it('a breach is new once: while it lasts it is not new again; after recovery it is', function () {
    const mon = evaluateMonitoring([r({ runtimeSeconds: 40 * 60 })], 1, M, T0);
    assert.deepEqual(
      newAlerts(mon, []).map((a) => a.id),
      ['gpuRuntime'],
    );
    assert.deepEqual(newAlerts(mon, ['gpuRuntime']), []);
    assert.match(monitoringLines(mon).join('\n'), /ALERT GPU runtime per run: last run batch-1: 40\.0 min/);
  });

  describe('check after a run, with the state in a real folder store', function () {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'wb-mon-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reports the new alert once across runners, again after it cleared', async function () {
      const store = new FolderStore(dir);
      const settings = defaultSettings();
      const layout = new BucketLayout(settings.layout);
      const clock = fakeClock();
      const put = async (name: string, runtime: number) => {
        const base = makeReport();
        const rep: BatchReport = { ...base, reportId: name, timestamp: new Date(clock.now() - 60_000).toISOString(), status: 'success', gpu: { ...base.gpu, costUSD: 0.01, runtimeSeconds: runtime } };
        await store.put(`${layout.reportsPrefix}${name}.json`, JSON.stringify(rep));
      };
      await put('batch-2026-11-25-0950', 45 * 60);
      const first = await checkMonitoring({ store, layout, settings, clock, pending: undefined });
      assert.deepEqual(
        first.fresh.map((m) => m.id),
        ['gpuRuntime'],
      );
      assert.deepEqual((await readAlertState(store, layout)).alerting, ['gpuRuntime']);
      const second = await checkMonitoring({ store, layout, settings, clock, pending: undefined });
      assert.deepEqual(second.fresh, [], 'another runner checking after it says nothing new');
      await clock.tick(20 * 60_000);
      await put('batch-2026-11-25-1010', 5 * 60);
      assert.deepEqual((await checkMonitoring({ store, layout, settings, clock, pending: undefined })).fresh, []);
      assert.deepEqual((await readAlertState(store, layout)).alerting, []);
      await clock.tick(20 * 60_000);
      await put('batch-2026-11-25-1030', 50 * 60);
      assert.deepEqual(
        (await checkMonitoring({ store, layout, settings, clock, pending: undefined })).fresh.map((m) => m.id),
        ['gpuRuntime'],
      );
      assert.equal(alertStateKey(layout), 'batch-reports/.alert-state.json');
    });

    it('the state object is hostile: unknown ids and garbage read as none', function () {
      assert.deepEqual(parseAlertState('{"alerting":["gpuRuntime","__proto__",{"x":1}],"updatedAt":"nope"}'), { alerting: ['gpuRuntime'], updatedAt: null });
      assert.deepEqual(parseAlertState('not json'), { alerting: [], updatedAt: null });
      assert.deepEqual(parseAlertState('null'), { alerting: [], updatedAt: null });
    });
  });
});
