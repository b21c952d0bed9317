import * as assert from 'node:assert/strict';
import { chartShape } from '../../../../webviews/report/chartShape';

describe('webviews/report/chartShape', function () {
  it('one run is drawn as points, not a bar across the chart', function () {
    const s = chartShape(1, 'runs');
    assert.equal(s.bar.type, 'line');
    assert.equal((s.bar as { showLine?: boolean }).showLine, false);
    assert.ok(s.line.pointRadius >= 4);
  });

  it('several runs are bars of a bounded width', function () {
    const s = chartShape(3, 'runs');
    assert.equal(s.bar.type, 'bar');
    assert.ok((s.bar as { maxBarThickness?: number }).maxBarThickness! <= 64);
  });

  it('the success-rate and cost lines are straight between runs (not smoothed)', function () {
    for (const n of [1, 2, 30]) {
      const l = chartShape(n, 'days').line as Record<string, unknown>;
      assert.equal(l.tension, 0);
      assert.equal(l.cubicInterpolationMode, undefined);
    }
  });
});
