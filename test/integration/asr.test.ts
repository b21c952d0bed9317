/**
 * Real speech recognition on a real browser recording: every chunk of the committed Chromium 156
 * MediaRecorder recording (test/fixtures/chromium-recording), each decoded ALONE (header from
 * chunk 1, boundary frame from the next chunk), through the command engine with Debian's
 * pocketsphinx. The words must match the known sentences (chunk N holds sentence N).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { standaloneChunk } from '../../src/core/decode';
import { CommandEngine } from '../../src/core/engine/commandEngine';
import type { ChunkJob } from '../../src/core/engine/engine';
import { CancelledError } from '../../src/core/errors';
import { transcriptText, type Transcript } from '../../src/core/transcript';
import { wordErrors } from '../support/wer';

const DIR = path.resolve(__dirname, '../../../test/fixtures/chromium-recording');
const sentences = readFileSync(path.join(DIR, 'sentences.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim());
const chunks = [1, 2, 3, 4, 5, 6, 7].map((n) => readFileSync(path.join(DIR, `chunk-00${n}.webm`)));

function job(n: number): ChunkJob {
  const key = `users/test/audio/sessions/chromium-recording/chunk-00${n}.webm`;
  return { userId: 'test', sessionId: 'chromium-recording', chunk: n, audioKey: key, transcriptKey: `t/${n}.json`, size: chunks[n - 1].length };
}

describe('speech recognition: pocketsphinx on real Chromium chunks, each decoded alone @integration', function () {
  this.timeout(400_000);
  const engine = new CommandEngine({ command: 'pocketsphinx' });
  const results: Transcript[] = [];

  before(async function () {
    await engine.check();
    // Two at a time, like the batch's default concurrency.
    const order = chunks.map((_, i) => i);
    const worker = async () => {
      for (let i = order.shift(); i !== undefined; i = order.shift()) {
        const audio = standaloneChunk(chunks[i], chunks[0], chunks[i + 1]);
        results[i] = await engine.transcribeChunk({ job: job(i + 1), audio, ext: 'webm', signal: new AbortController().signal });
      }
    };
    await Promise.all([worker(), worker()]);
  });

  it('recognises the known sentences: word error rate under 20 % over the recording', function () {
    let errors = 0;
    let words = 0;
    const lines: string[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const ref = sentences[i] ?? '';
      const hyp = transcriptText(results[i]);
      const r = wordErrors(ref, hyp);
      errors += r.errors;
      words += r.refWords;
      lines.push(`chunk ${i + 1}: ${r.errors}/${r.refWords} "${hyp}"`);
    }
    const wer = errors / words;
    if (process.env.WB_VERBOSE) console.log(`WER ${(wer * 100).toFixed(1)} %\n${lines.join('\n')}`);
    assert.equal(words, 67);
    assert.ok(wer < 0.2, `WER ${(wer * 100).toFixed(1)} %\n${lines.join('\n')}`);
    // Each sentence on its own is recognised too (not just on average).
    for (let i = 0; i < sentences.length; i++) assert.ok(wordErrors(sentences[i], transcriptText(results[i])).wer < 0.4, lines[i]);
  });

  it('writes transcripts in the app format, times within the chunk, and where the chunk starts', function () {
    results.forEach((t, i) => {
      assert.equal(t.language, 'en');
      assert.ok(t.duration > (i < 6 ? 4.9 : 0.5) && t.duration < 5.1, `duration ${t.duration}`);
      assert.ok(Math.abs(t.batch!.offsetSeconds! - 5.04 * i) < 0.2, `offset ${t.batch!.offsetSeconds}`);
      for (const s of t.segments) {
        assert.equal(s.is_final, true);
        assert.match(s.text, /^ \S/);
        assert.ok(s.start >= 0 && s.start <= s.end && s.end <= t.duration + 0.05, `segment ${s.start}-${s.end} in ${t.duration}`);
        for (const w of s.words) {
          assert.match(w.word, /^ [a-z']+$/);
          assert.ok(w.start >= s.start && w.end <= s.end && w.probability >= 0 && w.probability <= 1);
        }
      }
    });
    // The speech sits where the recording put it: 0.8 s into each 5 s slot (give or take the slot drift).
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(results[i].segments[0].words[0].start - 0.8) < 0.35, `chunk ${i + 1} first word at ${results[i].segments[0].words[0].start}`);
    assert.equal(transcriptText(results[6]), '', 'the last 0.8 s is silence');
  });

  it('cancels a running chunk with CancelledError', async function () {
    const ac = new AbortController();
    const p = engine.transcribeChunk({ job: job(2), audio: standaloneChunk(chunks[1], chunks[0], chunks[2]), ext: 'webm', signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
  });
});
