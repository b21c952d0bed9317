/** S3's key order (UTF-8 bytes) against JavaScript's (UTF-16 units), and the StartAfter below a range start. */
import * as assert from 'node:assert/strict';
import { compareKeys, startAfterFor } from '../../../../src/core/store/keyOrder';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const sign = (n: number) => Math.sign(n);

describe('keyOrder', function () {
  const keys = ['', 'a', 'a/', 'a.', 'a-b/', 'a/b', 'ab', 'A', '\u0000', 'é', '\u{E000}x', '\u{FFFD}', '🎙x', '🎙', 'ü/会话 🎙', 'x\ny', 'x\u2028', 'a+b', 'a%2B', '\u{10FFFF}'];

  it('orders as S3 does (UTF-8 bytes), also where UTF-16 disagrees (U+E000..U+FFFF against astral characters)', function () {
    assert.ok('🎙' < '\u{E000}', 'JavaScript puts the astral character first');
    assert.ok(compareKeys('🎙', '\u{E000}') > 0, 'S3 puts it last');
    for (const a of keys) for (const b of keys) assert.equal(sign(compareKeys(a, b)), sign(utf8Order(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  });

  it('gives a StartAfter below the range start and above what comes before it', function () {
    for (const from of ['users/u2/', 'users/u/audio/sessions/ü 🎙/', 'x\u{E000}', 'a\u0000', 'b🎙']) {
      const s = startAfterFor(from)!;
      assert.ok(compareKeys(s, from) < 0, JSON.stringify(from));
    }
    // The folder just before "users/u2/" in S3 order ("users/u2.x/", '.' < '/') stays below it.
    assert.ok(compareKeys('users/u2.x/chunk-001.webm', startAfterFor('users/u2/')!) < 0);
    assert.ok(compareKeys('users/u2-x/chunk-001.webm', startAfterFor('users/u2/')!) < 0);
    assert.equal(startAfterFor(''), undefined);
  });
});
