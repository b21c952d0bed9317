import * as assert from 'node:assert/strict';
import { gpuCostUsd, humanDuration, usd } from '../../../src/core/cost';

describe('cost', function () {
  it('bills GPU time per second with EC2 minimum of 60 s per start, at the hourly rate', function () {
    assert.equal(gpuCostUsd(3600, 0.526), 0.526);
    assert.equal(gpuCostUsd(1800, 0.526), 0.263);
    assert.equal(gpuCostUsd(10, 0.526), gpuCostUsd(60, 0.526), 'under a minute is billed as a minute');
    assert.equal(gpuCostUsd(60, 0.526), 0.0088);
    assert.equal(gpuCostUsd(60.2, 3600), 61, 'a started second is billed');
  });

  it('costs nothing when the GPU did not run (or the times are missing)', function () {
    assert.equal(gpuCostUsd(0, 0.526), 0);
    assert.equal(gpuCostUsd(-5, 0.526), 0);
    assert.equal(gpuCostUsd(Number.NaN, 0.526), 0);
  });

  it('formats durations and amounts for people', function () {
    assert.equal(humanDuration(7), '7s');
    assert.equal(humanDuration(512), '8m 32s');
    assert.equal(humanDuration(3725), '1h 2m 5s');
    assert.equal(humanDuration(-3), '0s');
    assert.equal(usd(0.0088), '$0.009');
    assert.equal(usd(12.624), '$12.62');
  });
});
