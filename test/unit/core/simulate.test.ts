import * as assert from 'node:assert/strict';
import { arrivals, designCheck, designWorkload, simulate, standardPolicies, workloadFrom } from '../../../src/core/simulate';

const ADAPTIVE = { ageTargetHours: 6, pendingAudioMinutes: 60, scanMinutes: 5, bootSecondsEstimate: 180, realtimeFactorEstimate: 0.1 };

describe('cost simulator', function () {
  const sim = simulate(designWorkload(), standardPolicies(ADAPTIVE), 7);
  const by = (name: string) => sim.results.find((r) => r.policy === name)!;

  it("reproduces the design's figures for its own workload within 15% ($5.05/day every 5 min, $0.35/day every 2 h)", function () {
    for (const c of designCheck(sim)) assert.ok(Math.abs(c.deviationPct) <= 15, `${c.policy}: ${c.simulatedUsdPerDay} vs ${c.designUsdPerDay}`);
    assert.equal(designCheck(sim).length, 2);
    assert.equal(by('every 5 min').gpuStartsPerDay, 288, "the design's 288 starts a day");
  });

  it('the adaptive schedule keeps every chunk under 6 h and costs less than the fixed 2 h timer', function () {
    const a = by('adaptive 6 h');
    assert.ok(a.maxPendingAgeMinutes < 360, `max age ${a.maxPendingAgeMinutes} min`);
    assert.ok(a.costPerDayUsd < by('fixed 2 h').costPerDayUsd, `${a.costPerDayUsd} vs ${by('fixed 2 h').costPerDayUsd}`);
    assert.equal(a.chunksPerDay, 576, 'every chunk transcribed');
  });

  it('always on costs 24 h a day and waits only the grace period', function () {
    const a = by('always on');
    assert.equal(a.costPerDayUsd, Math.round(24 * 0.526 * 1000) / 1000);
    assert.ok(a.maxPendingAgeMinutes < 15 + 2, String(a.maxPendingAgeMinutes));
  });

  it("bills EC2's 60 s minimum per start", function () {
    const w = { ...designWorkload(), recordingsPerDay: 1, chunksPerRecording: 1, bootSeconds: 5, modelLoadSeconds: 0 };
    const r = simulate(w, [{ kind: 'interval', name: 'i', minutes: 5 }], 3).results[0];
    assert.equal(r.gpuStartsPerDay, 1);
    assert.equal(r.gpuHoursPerDay, Math.round((60 / 3600) * 100) / 100);
    assert.equal(r.costPerDayUsd, Math.round((60 / 3600) * 0.526 * 1000) / 1000);
  });

  it('places recordings by the daily pattern, deterministically', function () {
    const pattern = Array.from({ length: 24 }, (_, h) => (h >= 8 && h < 20 ? 1 : 0));
    const t = arrivals({ recordingsPerDay: 12, hourlyPattern: pattern });
    assert.equal(t.length, 12);
    assert.ok(t.every((x) => x >= 8 * 3600 && x < 20 * 3600));
    assert.deepEqual(t, arrivals({ recordingsPerDay: 12, hourlyPattern: pattern }));
  });

  it('a workload file is checked field by field', function () {
    assert.equal(workloadFrom({ recordingsPerDay: 10 }, designWorkload()).recordingsPerDay, 10);
    assert.throws(() => workloadFrom({ recordingsPerDy: 10 }, designWorkload()), /unknown workload field "recordingsPerDy"/);
    assert.throws(() => workloadFrom({ chunkSeconds: -1 }, designWorkload()), /chunkSeconds must be/);
    assert.throws(() => workloadFrom({ hourlyPattern: [1, 2] }, designWorkload()), /24 numbers/);
    assert.throws(() => workloadFrom([], designWorkload()), /JSON object/);
  });
});
