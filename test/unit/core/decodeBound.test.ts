/**
 * Decoded audio is bounded (run.maxChunkMinutes): a 1.3 MB WebM (FLAC in Matroska, 2 h of
 * silence) decodes to hours. Real ffmpeg: decoding stops just past the bound and the chunk fails
 * alone, named with the setting; memory and temp files stay at the bound.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeToWav } from '../../../src/core/decode';
import { WbError } from '../../../src/core/errors';
import { decodeToPcm } from '../../../src/core/pcm';

describe('decoded audio is bounded by duration (real ffmpeg)', function () {
  this.timeout(120_000);
  const never = new AbortController().signal;
  let tmp: string;
  let twoHours: Buffer;

  before(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-bound-'));
    const f = path.join(tmp, 'long.webm');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '7200', '-c:a', 'flac', '-f', 'matroska', '-y', f]);
    assert.equal(made.status, 0, String(made.stderr));
    twoHours = readFileSync(f);
    assert.ok(twoHours.length < 2 << 20, `${twoHours.length} bytes`);
  });
  after(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  const named = (e: unknown) => {
    assert.ok(e instanceof WbError, String(e));
    assert.equal(e.code, 'TooLarge');
    assert.equal(e.message, '"u/s/chunk-001.webm" decodes to more than 1 min of audio (run.maxChunkMinutes)');
    assert.match(e.hint ?? '', /raise run\.maxChunkMinutes/);
    return true;
  };

  it('decodeToWav to a file (pocketsphinx, engine.command): stops past the bound, the file stays that small', async function () {
    const out = path.join(tmp, 'out.wav');
    const t0 = Date.now();
    await assert.rejects(decodeToWav(twoHours, 'webm', never, { label: 'u/s/chunk-001.webm', outFile: out, maxSeconds: 60 }), named);
    assert.ok(statSync(out).size < 62 * 32000 + 44, `${statSync(out).size} bytes written`);
    assert.ok(Date.now() - t0 < 30_000);
  });

  it('decodeToWav in memory (the Listen view) and decodeToPcm (WhisperLive): the same', async function () {
    await assert.rejects(decodeToWav(twoHours, 'webm', never, { label: 'u/s/chunk-001.webm', maxSeconds: 60 }), named);
    await assert.rejects(decodeToPcm(twoHours, 'webm', { label: 'u/s/chunk-001.webm', maxSeconds: 60 }), named);
  });

  it('audio within the bound decodes whole', async function () {
    const f = path.join(tmp, 'short.webm');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '90', '-c:a', 'flac', '-f', 'matroska', '-y', f]);
    assert.equal(made.status, 0, String(made.stderr));
    const r = await decodeToWav(readFileSync(f), 'webm', never, { maxSeconds: 90 });
    assert.ok(Math.abs(r.durationSeconds - 90) < 0.1, String(r.durationSeconds));
    const p = await decodeToPcm(readFileSync(f), 'webm', { maxSeconds: 90 });
    assert.ok(Math.abs(p.seconds - 90) < 0.1, String(p.seconds));
  });
});
