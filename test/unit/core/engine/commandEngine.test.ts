/**
 * The pocketsphinx output parser, on output captured from Debian's pocketsphinx_continuous 0.8
 * (test/fixtures/pocketsphinx/time-yes-output.txt), and the engine's requirements.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CommandEngine, parsePocketsphinx, parseTranscriptJson } from '../../../../src/core/engine/commandEngine';
import { WbError } from '../../../../src/core/errors';

const captured = readFileSync(path.resolve(__dirname, '../../../../../test/fixtures/pocketsphinx/time-yes-output.txt'), 'utf8');

describe('commandEngine: parsePocketsphinx', function () {
  it('makes one segment per utterance with the words, in the app transcript shape', function () {
    const segs = parsePocketsphinx(captured);
    assert.equal(segs.length, 3);
    assert.deepEqual(
      segs.map((s) => s.text),
      [' the quick brown fox jumped over the lazy dog', ' please call still in and ask her to bring these things from the store', " the meeting will start at nine o'clock on monday morning"],
    );
    const first = segs[0];
    assert.equal(first.is_final, true);
    assert.equal(first.start, 0.8);
    assert.equal(first.end, 3.95);
    assert.deepEqual(first.words[0], { word: ' the', start: 0.8, end: 0.96, probability: 0.215 });
    assert.deepEqual(first.words.at(-1), { word: ' dog', start: 3.46, end: 3.95, probability: 1 });
  });

  it('drops <s>, </s>, <sil>; strips alternates like and(2); clamps posteriors above 1', function () {
    const words = parsePocketsphinx(captured).flatMap((s) => s.words);
    assert.ok(
      words.every((w) => !/[<>()[\]]/.test(w.word)),
      words.map((w) => w.word).join(''),
    );
    assert.ok(
      words.some((w) => w.word === ' and'),
      'and(2) -> and',
    );
    assert.ok(
      words.some((w) => w.word === ' will'),
      'will(2) -> will',
    );
    assert.ok(words.every((w) => w.probability >= 0 && w.probability <= 1));
    assert.ok(words.every((w) => w.start <= w.end));
    assert.equal(words.length, 9 + 14 + 10);
  });

  it('handles nothing recognised, filler-only utterances and other filler tokens', function () {
    assert.deepEqual(parsePocketsphinx(''), []);
    assert.deepEqual(parsePocketsphinx('\n\n'), []);
    // Shaped like the captured output; [NOISE] and ++BREATH++ fillers written by hand (the en-us
    // model has them in its filler dictionary but the captured speech produced none).
    const out = [
      '',
      '<s> 0.000 0.100 1.000000',
      '<sil> 0.110 0.500 0.900000',
      '</s> 0.510 0.900 1.000000',
      'hello there',
      '<s> 1.000 1.100 1.0',
      '[NOISE] 1.110 1.200 0.5',
      'hello 1.210 1.500 0.97',
      '++BREATH++ 1.510 1.600 0.4',
      'there(2) 1.610 2.000 0.000123',
      '</s> 2.010 2.300 1.0',
    ].join('\n');
    const segs = parsePocketsphinx(out);
    assert.equal(segs.length, 1);
    assert.deepEqual(segs[0], {
      text: ' hello there',
      start: 1.21,
      end: 2,
      is_final: true,
      words: [
        { word: ' hello', start: 1.21, end: 1.5, probability: 0.97 },
        { word: ' there', start: 1.61, end: 2, probability: 0 },
      ],
    });
  });
});

describe('commandEngine: other programs', function () {
  it('reads a transcript JSON printed by a user program', function () {
    const t = parseTranscriptJson(
      JSON.stringify({ segments: [{ text: ' Hi.', start: '0.5', end: 1.2, words: [{ word: ' Hi.', start: 0.5, end: 1.2, probability: 0.9 }] }], language: 'de' }),
      'my-asr',
    );
    assert.equal(t.language, 'de');
    assert.deepEqual(t.segments[0], { text: ' Hi.', start: 0.5, end: 1.2, is_final: true, words: [{ word: ' Hi.', start: 0.5, end: 1.2, probability: 0.9 }] });
    assert.throws(
      () => parseTranscriptJson('hello', 'my-asr'),
      (e: unknown) => e instanceof WbError && e.code === 'Engine' && /my-asr/.test(e.message),
    );
    assert.throws(
      () => parseTranscriptJson('{"text":"x"}', 'my-asr'),
      (e: unknown) => e instanceof WbError && /segments/.test(e.message),
    );
  });

  it('names the Debian packages of what pocketsphinx needs', function () {
    const e = new CommandEngine({ command: 'pocketsphinx' });
    assert.equal(e.name, 'pocketsphinx');
    const req = e.requirements();
    assert.equal(req.ffmpeg, 'ffmpeg');
    assert.equal(req.pocketsphinx_continuous, 'pocketsphinx');
    assert.equal(req['/usr/share/pocketsphinx/model/en-us/en-us.lm.bin'], 'pocketsphinx-en-us');
    assert.deepEqual(Object.keys(new CommandEngine({ command: '/opt/asr/run' }).requirements()), ['ffmpeg']);
  });

  it('check() fails with EngineMissing for a program that is not there', async function () {
    await assert.rejects(new CommandEngine({ command: '/nonexistent/asr-program' }).check(), (e: unknown) => e instanceof WbError && e.code === 'EngineMissing' && /asr-program/.test(e.message));
  });
});
