/**
 * The fixture scripts still work, and Chromium still cuts chunks the way decode.ts expects: flite
 * speech -> headless Chromium (fake microphone) -> MediaRecorder chunks (2 s timeslice, 6 s) ->
 * each chunk decoded alone -> pocketsphinx hears the sentence. Real Chromium, real time (~10 s).
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeToWav, standaloneChunk } from '../../src/core/decode';
import { CommandEngine } from '../../src/core/engine/commandEngine';
import { transcriptText } from '../../src/core/transcript';
import { wordErrors } from '../support/wer';

const ROOT = path.resolve(__dirname, '../../..');
const SENTENCE = 'the weather will be cold and windy tomorrow';

function node(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${args[0]} failed: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

describe('fixture scripts: real Chromium MediaRecorder chunks from flite speech @integration', function () {
  this.timeout(300_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-record-test-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('records chunks that decode alone and hold the spoken sentence', async function () {
    writeFileSync(path.join(dir, 'sentences.txt'), SENTENCE + '\n');
    await node(['scripts/make-speech.mjs', path.join(dir, 'sentences.txt'), path.join(dir, 'speech')]);
    assert.ok(existsSync(path.join(dir, 'speech', 'speech-48k.wav')));
    await node(['scripts/record-chunks.mjs', path.join(dir, 'speech', 'speech-48k.wav'), path.join(dir, 'rec'), '--timeslice', '2000', '--duration', '6000']);

    const names = readdirSync(path.join(dir, 'rec'))
      .filter((n) => /^chunk-\d{3}\.webm$/.test(n))
      .sort();
    assert.ok(names.length >= 3 && names.length <= 4, `chunks: ${names.join(' ')}`);
    const chunks = names.map((n) => readFileSync(path.join(dir, 'rec', n)));
    assert.equal(chunks[0].readUInt32BE(0), 0x1a45dfa3, 'chunk 1 has the WebM header');
    for (const c of chunks.slice(1)) assert.notEqual(c.readUInt32BE(0), 0x1a45dfa3, 'later chunks have none');
    const log = JSON.parse(readFileSync(path.join(dir, 'rec', 'record-log.json'), 'utf8'));
    assert.equal(log.result.mimeType, 'audio/webm;codecs=opus');

    let total = 0;
    for (let i = 0; i < chunks.length; i++) {
      const wav = await decodeToWav(standaloneChunk(chunks[i], chunks[0], chunks[i + 1]), 'webm', new AbortController().signal, { label: names[i] });
      total += wav.durationSeconds;
    }
    assert.ok(Math.abs(total - 6) < 0.4, `decoded ${total} s of 6 s`);

    // The fake microphone really played the speech (a missing file would give silence).
    const t = await new CommandEngine({ command: 'pocketsphinx' }).transcribeChunk({
      job: { userId: 'u', sessionId: 's', chunk: 1, audioKey: 'whole.webm', transcriptKey: 't.json', size: 0 },
      audio: Buffer.concat(chunks),
      ext: 'webm',
      signal: new AbortController().signal,
    });
    const r = wordErrors(SENTENCE, transcriptText(t));
    assert.ok(r.wer < 0.4, `heard "${transcriptText(t)}"`);
  });
});
