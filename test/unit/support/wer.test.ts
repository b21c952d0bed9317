import * as assert from 'node:assert/strict';
import { normaliseWords, wordErrors } from '../../support/wer';

describe('test support: word error rate', function () {
  it('normalises case, punctuation and pocketsphinx markers', function () {
    assert.deepEqual(normaliseWords(" The <sil> cat's [NOISE] the(2) HAT."), ['the', "cat's", 'the', 'hat']);
  });

  it('counts substitutions, insertions and deletions', function () {
    assert.deepEqual(wordErrors('a b c d', 'a b c d'), { errors: 0, refWords: 4, wer: 0 });
    assert.deepEqual(wordErrors('a b c d', 'a x c d'), { errors: 1, refWords: 4, wer: 0.25 });
    assert.deepEqual(wordErrors('a b c d', 'a b c d e f'), { errors: 2, refWords: 4, wer: 0.5 });
    assert.deepEqual(wordErrors('a b c d', 'b d'), { errors: 2, refWords: 4, wer: 0.5 });
    assert.equal(wordErrors('a b', '').wer, 1);
    assert.equal(wordErrors('', 'a').wer, 1);
  });
});
