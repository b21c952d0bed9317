import * as assert from 'node:assert/strict';
import { isFromReportView, sanitizeViewState } from '../../../../src/core/report/protocol';

describe('report/protocol', function () {
  it('accepts the messages the page may send', function () {
    assert.ok(isFromReportView({ type: 'ready' }));
    assert.ok(isFromReportView({ type: 'ready', selectedKey: 'batch-reports/batch-2026-11-25-1030.json' }));
    assert.ok(isFromReportView({ type: 'open', key: 'batch-reports/a.json' }));
    assert.ok(isFromReportView({ type: 'refresh' }));
  });

  it('rejects anything else', function () {
    for (const m of [null, undefined, 'ready', 42, [], {}, { type: 'open' }, { type: 'open', key: 7 }, { type: 'open', key: '' }, { type: 'open', key: 'x'.repeat(2000) }, { type: 'ready', selectedKey: 3 }, { type: 'runBatch' }, { type: '__proto__' }]) {
      assert.equal(isFromReportView(m), false, JSON.stringify(m) ?? String(m));
    }
  });

  it('keeps only known, well-typed fields of a restored state', function () {
    assert.deepEqual(sanitizeViewState({ selectedKey: 'k', tab: 'trends', filter: 'u', sortKey: 'userId', sortDesc: true, extra: 1 }), { selectedKey: 'k', tab: 'trends', filter: 'u', sortKey: 'userId', sortDesc: true });
    assert.deepEqual(sanitizeViewState({ selectedKey: 5, tab: 'evil', filter: 'x'.repeat(600), sortDesc: 'yes' }), {});
    assert.deepEqual(sanitizeViewState(undefined), {});
  });
});
