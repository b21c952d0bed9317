import * as assert from 'node:assert/strict';
import { adaptiveDecision, backlogOf, estimateRunSeconds } from '../../../src/core/adaptive';

const P = { ageTargetHours: 6, pendingAudioMinutes: 60, scanMinutes: 5, bootSecondsEstimate: 180, realtimeFactorEstimate: 0.1 };
const H = 3600;

describe('adaptive schedule decision', function () {
  it('does not start for nothing, nor for young work under the audio threshold', function () {
    assert.equal(adaptiveDecision({ chunks: 0, oldestAgeSeconds: 0, audioSeconds: 0 }, P).start, false);
    const d = adaptiveDecision({ chunks: 3, oldestAgeSeconds: 2 * H, audioSeconds: 15 }, P);
    assert.equal(d.start, false);
    assert.match(d.reason, /waiting: 3 chunk/);
  });

  it('starts when waiting one more scan would let the oldest chunk pass the age target before the run is done', function () {
    const run = estimateRunSeconds({ chunks: 10, oldestAgeSeconds: 0, audioSeconds: 600 }, P); // 180 + 60
    assert.equal(run, 240);
    const edge = 6 * H - 300 - run;
    assert.equal(adaptiveDecision({ chunks: 10, oldestAgeSeconds: edge - 1, audioSeconds: 600 }, P).start, false);
    const d = adaptiveDecision({ chunks: 10, oldestAgeSeconds: edge, audioSeconds: 600 }, P);
    assert.equal(d.start, true);
    assert.equal(d.trigger, 'age');
  });

  it('starts on enough pending audio whatever its age', function () {
    const d = adaptiveDecision({ chunks: 720, oldestAgeSeconds: 60, audioSeconds: 3600 }, P);
    assert.deepEqual([d.start, d.trigger], [true, 'audio']);
  });

  it("backlog: only the scan's pending sessions (deferred ones cannot be helped), oldest missing chunk", function () {
    const now = Date.parse('2026-12-03T12:00:00Z');
    const chunk = (n: number, agoH: number) => ({ chunk: n, key: `k${n}`, size: 1, ext: 'webm', lastModified: now - agoH * H * 1000 });
    const b = backlogOf({ sessions: [{ missingChunks: ['002', '003'], chunks: [chunk(1, 9), chunk(2, 4), chunk(3, 3)] } as never] }, now, 5);
    assert.deepEqual(b, { chunks: 2, oldestAgeSeconds: 4 * H, audioSeconds: 10 }, 'chunk 1 has a transcript: its age does not count');
  });
});
