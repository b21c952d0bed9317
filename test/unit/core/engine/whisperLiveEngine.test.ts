import * as assert from 'node:assert/strict';
import { SegmentCollector } from '../../../../src/core/engine/whisperLiveEngine';

describe('SegmentCollector', function () {
  it('keeps each completed segment once, the newest version winning', function () {
    const c = new SegmentCollector();
    c.add([{ start: '0.000', end: '1.500', text: ' Hel', completed: false }]);
    c.add([
      { start: '0.000', end: '1.840', text: ' Hello there.', completed: true },
      { start: '1.840', end: '2.500', text: ' How', completed: false },
    ]);
    c.add([
      { start: '0.000', end: '1.840', text: ' Hello there.', completed: true },
      { start: '1.840', end: '3.100', text: ' How are you?', completed: true },
    ]);
    assert.deepEqual(c.segments(), [
      { start: 0, end: 1.84, text: ' Hello there.' },
      { start: 1.84, end: 3.1, text: ' How are you?' },
    ]);
    assert.equal(c.progress, 3.1);
  });

  it('keeps the last open segment when it follows the completed ones, and only the newest one', function () {
    const c = new SegmentCollector();
    c.add([
      { start: '0.000', end: '1.000', text: ' One.', completed: true },
      { start: '1.000', end: '1.500', text: ' Tw', completed: false },
    ]);
    c.add([
      { start: '0.000', end: '1.000', text: ' One.', completed: true },
      { start: '1.000', end: '2.000', text: ' Two', completed: false },
    ]);
    assert.deepEqual(
      c.segments().map((s) => s.text),
      [' One.', ' Two'],
    );
  });

  it('drops an open segment overlapped by completed ones and ignores malformed entries', function () {
    const c = new SegmentCollector();
    c.add([
      { start: '0.000', end: '2.000', text: ' Done.', completed: true },
      { start: '1.000', end: '2.500', text: ' stale', completed: false },
      { start: 'x', end: '3', text: ' bad', completed: true },
    ]);
    assert.deepEqual(
      c.segments().map((s) => s.text),
      [' Done.'],
    );
  });

  it("counts a change only when the transcript changes, not when the server repeats itself (the engine's settle rule)", function () {
    const c = new SegmentCollector();
    const open = [{ start: '0.800', end: '3.900', text: ' The quick brown fox', completed: false }];
    c.add(open);
    assert.equal(c.version, 1);
    c.add(open);
    c.add([...open]);
    assert.equal(c.version, 1, 'a repeat is no change');
    c.add([{ start: '0.800', end: '3.900', text: ' The quick brown fox.', completed: true }]);
    assert.equal(c.version, 2);
  });
});
