/**
 * standaloneChunk and decodeToWav on a real Chromium 156 MediaRecorder recording
 * (test/fixtures/chromium-recording): chunks 1-2 end with 0xA3 (a SimpleBlock id whose block goes on
 * in the next chunk), chunks 3-6 end with 0x1F (the first byte of the next Cluster id). Real ffmpeg.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeToWav, standaloneChunk, webmStartSeconds } from '../../../src/core/decode';
import { WbError, CancelledError } from '../../../src/core/errors';

const DIR = path.resolve(__dirname, '../../../../test/fixtures/chromium-recording');
const chunks = [1, 2, 3, 4, 5, 6, 7].map((n) => readFileSync(path.join(DIR, `chunk-00${n}.webm`)));
const CLUSTER = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);
const HEADER_BYTES = 146; // EBML + Segment + Info + Tracks of Chromium 156 (ebml-dump of chunk-001)

/** Where chunk n's own Cluster begins, found the simple way (independent of src/core/webm.ts). */
function clusterAt(n: number): number {
  const c = chunks[n - 1];
  const i = c.indexOf(CLUSTER);
  return i >= 0 ? i : -1;
}

function seeded(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}

const never = new AbortController().signal;

describe('decode: standaloneChunk on real Chromium chunks', function () {
  it('the fixture has both cut styles (so these tests mean something)', function () {
    assert.equal(chunks[0].readUInt32BE(0), 0x1a45dfa3);
    assert.equal(chunks[0].indexOf(CLUSTER), HEADER_BYTES);
    assert.equal(chunks[0].at(-1), 0xa3);
    assert.equal(chunks[1].at(-1), 0xa3);
    for (const n of [3, 4, 5, 6]) assert.equal(chunks[n - 1].at(-1), 0x1f, `chunk ${n} ends with 0x1F`);
    for (const n of [4, 5, 6, 7]) assert.deepEqual([...chunks[n - 1].subarray(0, 3)], [0x43, 0xb6, 0x75], `chunk ${n} starts inside the Cluster id`);
  });

  it('chunk 1: keeps its header, drops the trailing 0xA3, appends the boundary block from chunk 2', function () {
    const alone = standaloneChunk(chunks[0]);
    assert.deepEqual(alone, chunks[0].subarray(0, -1));
    const withNext = standaloneChunk(chunks[0], chunks[0], chunks[1]);
    const frag = clusterAt(2);
    assert.ok(frag > 0 && frag < 100, `chunk 2 starts with a short fragment (${frag} bytes)`);
    assert.deepEqual(withNext, Buffer.concat([chunks[0], chunks[1].subarray(0, frag)]));
  });

  it('chunk 2: header of chunk 1 + chunk 2 from its Cluster, boundary block (0xA3 + fragment) from chunk 3', function () {
    const out = standaloneChunk(chunks[1], chunks[0], chunks[2]);
    const own = clusterAt(2);
    const frag = clusterAt(3);
    assert.ok(frag > 100, 'chunk 3 starts with the rest of a speech frame');
    assert.deepEqual(out.subarray(0, HEADER_BYTES), chunks[0].subarray(0, HEADER_BYTES));
    assert.deepEqual(out, Buffer.concat([chunks[0].subarray(0, HEADER_BYTES), chunks[1].subarray(own), chunks[2].subarray(0, frag)]));
    // Without the next chunk the dangling 0xA3 goes.
    assert.deepEqual(standaloneChunk(chunks[1], chunks[0]), Buffer.concat([chunks[0].subarray(0, HEADER_BYTES), chunks[1].subarray(own, -1)]));
  });

  it('chunk 3: ends with 0x1F (next Cluster id): dropped, nothing borrowed from chunk 4', function () {
    const out = standaloneChunk(chunks[2], chunks[0], chunks[3]);
    assert.deepEqual(out, Buffer.concat([chunks[0].subarray(0, HEADER_BYTES), chunks[2].subarray(clusterAt(3), -1)]));
  });

  it('chunks 4-7 start inside the Cluster id: the missing 0x1F is put back', function () {
    for (const n of [4, 5, 6, 7]) {
      const out = standaloneChunk(chunks[n - 1], chunks[0], chunks[n]);
      const body = n < 7 ? chunks[n - 1].subarray(0, -1) : chunks[n - 1];
      assert.deepEqual(out, Buffer.concat([chunks[0].subarray(0, HEADER_BYTES), Buffer.from([0x1f]), body]), `chunk ${n}`);
    }
  });

  it('the standalone chunks tile the recording exactly: every byte once, in order', function () {
    const bodies = chunks.map((c, i) => standaloneChunk(c, chunks[0], chunks[i + 1]).subarray(HEADER_BYTES));
    assert.deepEqual(Buffer.concat(bodies), Buffer.concat(chunks).subarray(HEADER_BYTES));
  });

  it('anything else passes through unchanged: garbage, empty, no header, a WAV, a complete file', function () {
    for (let seed = 1; seed <= 50; seed++) {
      const g = seeded(1 + ((seed * 37) % 3000), seed);
      assert.equal(standaloneChunk(g, chunks[0], chunks[2]), g);
      assert.equal(standaloneChunk(g, g, g), g);
    }
    const empty = Buffer.alloc(0);
    assert.equal(standaloneChunk(empty, chunks[0]), empty);
    assert.equal(standaloneChunk(chunks[1]), chunks[1], 'no header to add');
    assert.equal(standaloneChunk(chunks[1], seeded(200, 3)), chunks[1], 'a header that is not WebM');
    const wav = Buffer.concat([Buffer.from('RIFF....WAVEfmt '), seeded(100, 9)]);
    assert.equal(standaloneChunk(wav, chunks[0], chunks[1]), wav);
    // A next chunk that starts a new recording (its own header) lends nothing.
    assert.deepEqual(standaloneChunk(chunks[1], chunks[0], chunks[0]), standaloneChunk(chunks[1], chunks[0]));
    const whole = Buffer.concat(chunks);
    assert.equal(standaloneChunk(whole, chunks[0]), whole, 'a complete recording is already decodable');
    // Garbage right after a real Cluster start, and a Cluster id in garbage, do not throw either.
    assert.doesNotThrow(() => standaloneChunk(Buffer.concat([CLUSTER, seeded(500, 4)]), chunks[0], seeded(40, 5)));
    assert.doesNotThrow(() => standaloneChunk(Buffer.concat([chunks[1].subarray(0, 40), seeded(500, 6)]), chunks[0], chunks[2]));
  });

  it('never throws on damaged real chunks (cut anywhere, bytes flipped)', function () {
    let x = 42;
    const rnd = (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
    for (let k = 0; k < 300; k++) {
      const c = chunks[rnd(chunks.length)];
      const a = rnd(c.length);
      const piece = Buffer.from(c.subarray(a, a + rnd(c.length - a + 1)));
      if (piece.length && k % 2) piece[rnd(piece.length)] ^= 1 << rnd(8);
      const next = chunks[rnd(chunks.length)].subarray(0, rnd(2000));
      assert.doesNotThrow(() => standaloneChunk(piece, chunks[0], next), `case ${k}`);
      assert.doesNotThrow(() => standaloneChunk(piece, piece, piece), `case ${k}`);
    }
  });

  it('knows where each chunk starts in the recording (Cluster timecode)', function () {
    const starts = chunks.map((c, i) => webmStartSeconds(standaloneChunk(c, chunks[0], chunks[i + 1])));
    assert.equal(starts[0], 0);
    starts.forEach((s, i) => assert.ok(Math.abs(s! - 5.04 * i) < 0.2, `chunk ${i + 1} starts at ${s}`));
  });
});

describe('decode: decodeToWav (real ffmpeg)', function () {
  this.timeout(60_000);
  let tmp: string;
  before(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-decode-test-'));
  });
  after(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('decodes every fixture chunk on its own to a 16 kHz mono WAV with a 44-byte header', async function () {
    for (let i = 0; i < chunks.length; i++) {
      const r = await decodeToWav(standaloneChunk(chunks[i], chunks[0], chunks[i + 1]), 'webm', never, { label: `chunk-00${i + 1}.webm` });
      const wav = r.wav as Buffer;
      assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
      assert.equal(wav.toString('ascii', 36, 40), 'data', 'plain 44-byte header (pocketsphinx skips exactly 44 bytes)');
      assert.equal(wav.readUInt32LE(40), wav.length - 44);
      assert.equal(wav.readUInt32LE(4), wav.length - 8);
      assert.equal(wav.readUInt16LE(22), 1, 'mono');
      assert.equal(wav.readUInt32LE(24), 16000);
      assert.equal(wav.readUInt16LE(34), 16, 's16');
      assert.ok(Math.abs(r.durationSeconds - (wav.length - 44) / 32000) < 1e-9);
      if (i < 6) assert.ok(r.durationSeconds > 4.9 && r.durationSeconds < 5.1, `chunk ${i + 1}: ${r.durationSeconds} s`);
      else assert.ok(r.durationSeconds > 0.5 && r.durationSeconds < 1.2, `last chunk: ${r.durationSeconds} s`);
      assert.ok(Math.abs(r.startTimeSeconds - 5.04 * i) < 0.2, `chunk ${i + 1} starts at ${r.startTimeSeconds}`);
    }
  });

  it('writes to a file when asked (the form pocketsphinx reads)', async function () {
    const out = path.join(tmp, 'c3.wav');
    const r = await decodeToWav(standaloneChunk(chunks[2], chunks[0], chunks[3]), 'webm', never, { outFile: out });
    assert.equal(r.wav, out);
    const wav = readFileSync(out);
    assert.equal(wav.toString('ascii', 36, 40), 'data');
    assert.equal(wav.length, 44 + Math.round(r.durationSeconds * 32000));
  });

  it('reads formats that need a seekable file (m4a) through a temp file, and removes it', async function () {
    const m4a = path.join(tmp, 'x.m4a');
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'aac', '-y', m4a]);
    assert.equal(made.status, 0, String(made.stderr));
    const before = new Set(
      require('node:fs')
        .readdirSync(os.tmpdir())
        .filter((n: string) => n.startsWith('wb-decode-')),
    );
    const r = await decodeToWav(readFileSync(m4a), 'm4a', never);
    assert.ok(Math.abs(r.durationSeconds - 2) < 0.1, `${r.durationSeconds}`);
    const after = require('node:fs')
      .readdirSync(os.tmpdir())
      .filter((n: string) => n.startsWith('wb-decode-') && !before.has(n));
    assert.deepEqual(after, [], 'temp folder removed');
  });

  it('a later chunk without the header fails with WbError(Decode) naming the chunk', async function () {
    await assert.rejects(decodeToWav(chunks[1], 'webm', never, { label: 'users/u/audio/sessions/s/chunk-002.webm' }), (e: unknown) => {
      assert.ok(e instanceof WbError);
      assert.equal(e.code, 'Decode');
      assert.match(e.message, /chunk-002\.webm/);
      assert.match(e.message, /Invalid data/);
      return true;
    });
  });

  it("corrupt, empty and non-audio input give WbError(Decode) with ffmpeg's reason", async function () {
    const bad: Array<[Buffer, string, RegExp]> = [
      [seeded(4000, 11), 'webm', /Invalid data/],
      [Buffer.alloc(0), 'webm', /empty/],
      [Buffer.from('not audio at all, just text\n'.repeat(20)), 'mp3', /Invalid data|could not find|not/i],
      [seeded(4000, 12), 'm4a', /moov atom not found|Invalid data/],
    ];
    for (const [bytes, ext, why] of bad) {
      await assert.rejects(decodeToWav(bytes, ext, never, { label: `bad.${ext}` }), (e: unknown) => {
        assert.ok(e instanceof WbError, String(e));
        assert.equal(e.code, 'Decode');
        assert.match(e.message, /bad\./);
        assert.match(e.message, why);
        return true;
      });
    }
  });

  it('cancels: kills ffmpeg and rejects with CancelledError', async function () {
    // 10 minutes of noise as WAV: far longer to decode than the abort delay.
    const secs = 600;
    const big = Buffer.alloc(44 + secs * 48000 * 2);
    big.write('RIFF', 0);
    big.writeUInt32LE(big.length - 8, 4);
    big.write('WAVEfmt ', 8);
    big.writeUInt32LE(16, 16);
    big.writeUInt16LE(1, 20);
    big.writeUInt16LE(1, 22);
    big.writeUInt32LE(48000, 24);
    big.writeUInt32LE(96000, 28);
    big.writeUInt16LE(2, 32);
    big.writeUInt16LE(16, 34);
    big.write('data', 36);
    big.writeUInt32LE(big.length - 44, 40);
    seeded(big.length - 44, 7).copy(big, 44);
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(decodeToWav(big, 'wav', ac.signal, { outFile: path.join(tmp, 'never.wav') }), (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - t0 < 3000, 'returned promptly');
    await new Promise((r) => setTimeout(r, 200));
    const children = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'comm=']).stdout.toString();
    assert.doesNotMatch(children, /ffmpeg/, 'ffmpeg was killed');
    // Already aborted: nothing runs.
    await assert.rejects(decodeToWav(chunks[0], 'webm', ac.signal), (e: unknown) => e instanceof CancelledError);
    assert.ok(existsSync(tmp));
  });
});
