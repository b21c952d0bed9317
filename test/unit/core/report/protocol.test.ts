import * as assert from 'node:assert/strict';
import { BucketLayout } from '../../../../src/core/layout';
import { isFromReportView as check, sanitizeViewState } from '../../../../src/core/report/protocol';
import { defaultSettings } from '../../../../src/core/settings';

const layout = new BucketLayout(defaultSettings().layout);
const isFromReportView = (m: unknown) => check(m, (k) => layout.isReportKey(k));

describe('report/protocol', function () {
  it('accepts the messages the page may send', function () {
    assert.ok(isFromReportView({ type: 'ready' }));
    assert.ok(isFromReportView({ type: 'ready', selectedKey: 'batch-reports/batch-2026-11-25-1030.json' }));
    assert.ok(isFromReportView({ type: 'open', key: 'batch-reports/batch-2026-11-25-1030-2.json' }));
    assert.ok(isFromReportView({ type: 'refresh' }));
    assert.ok(isFromReportView({ type: 'openTranscript', key: 'batch-reports/batch-2026-11-25-1030.json', userId: 'u', sessionId: '<img src=x>' }));
  });

  it('openTranscript: a report key of the layout and two bounded strings, nothing else', function () {
    const ok = { type: 'openTranscript', key: 'batch-reports/batch-2026-11-25-1030.json', userId: 'u', sessionId: 's' };
    for (const bad of [
      { ...ok, key: 'users/u/s/chunk-001.webm' },
      { ...ok, userId: 3 },
      { ...ok, sessionId: '' },
      { ...ok, sessionId: 'x'.repeat(2000) },
      { type: 'openTranscript', key: ok.key },
    ])
      assert.equal(isFromReportView(bad), false, JSON.stringify(bad).slice(0, 120));
  });

  it('rejects anything else', function () {
    for (const m of [
      null,
      undefined,
      'ready',
      42,
      [],
      {},
      { type: 'open' },
      { type: 'open', key: 7 },
      { type: 'open', key: '' },
      { type: 'open', key: 'x'.repeat(2000) },
      { type: 'ready', selectedKey: 3 },
      { type: 'runBatch' },
      { type: '__proto__' },
    ]) {
      assert.equal(isFromReportView(m), false, JSON.stringify(m) ?? String(m));
    }
  });

  it('open/ready: only a report key under the reports prefix, never another object of the bucket', function () {
    for (const key of [
      'batch-lock.json',
      'batch-reports/.lease.json',
      'batch-reports/pending-jobs.json',
      'users/u/audio/sessions/s/chunk-001.webm',
      'batch-reports/x/../batch-2026-11-25-1030.json',
      'users/batch-reports/batch-2026-11-25-1030.json',
      'batch-reports/batch-2026-11-25-1030/../../users/u/t.json',
      'batch-reports/batch-2026-11-25-1030\\..\\..\\secret.json',
    ]) {
      assert.equal(isFromReportView({ type: 'open', key }), false, key);
      assert.equal(isFromReportView({ type: 'ready', selectedKey: key }), false, key);
    }
  });

  it('keeps only known, well-typed fields of a restored state', function () {
    assert.deepEqual(sanitizeViewState({ selectedKey: 'k', tab: 'trends', filter: 'u', sortKey: 'userId', sortDesc: true, extra: 1 }), {
      selectedKey: 'k',
      tab: 'trends',
      filter: 'u',
      sortKey: 'userId',
      sortDesc: true,
    });
    assert.deepEqual(sanitizeViewState({ selectedKey: 5, tab: 'evil', filter: 'x'.repeat(600), sortDesc: 'yes' }), {});
    assert.deepEqual(sanitizeViewState(undefined), {});
  });
});
