/**
 * Local decoding with the demuxer pinned (src/core/decode.ts, src/core/pcm.ts), real ffmpeg: a chunk
 * whose bytes are an HLS playlist or an ffconcat script naming a local file outside the store and a
 * URL of a listener this test runs is not read as one. Probed (before), ffmpeg read the local file
 * through the temp-file path and the "chunk" decoded to that file's audio.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeToWav } from '../../../src/core/decode';
import { WbError } from '../../../src/core/errors';
import { decodeToPcm } from '../../../src/core/pcm';

describe('pinned demuxer: a chunk that is a playlist reads nothing else (real ffmpeg)', function () {
  this.timeout(60_000);
  const never = new AbortController().signal;
  let outside: string;
  let server: Server;
  let port: number;
  let requests: string[];

  before(async function () {
    outside = mkdtempSync(path.join(os.tmpdir(), 'wb-outside-'));
    // A real audio file outside any store: what a playlist would smuggle into a transcript.
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-y', path.join(outside, 'secret.mp3')]);
    assert.equal(made.status, 0, String(made.stderr));
    requests = [];
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(function () {
    server.close();
    rmSync(outside, { recursive: true, force: true });
  });

  const hostile = () => [
    Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n${path.join(outside, 'secret.mp3')}\n#EXT-X-ENDLIST\n`),
    Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\nhttp://127.0.0.1:${port}/seg.ts\n#EXT-X-ENDLIST\n`),
    Buffer.from(`ffconcat version 1.0\nfile '${path.join(outside, 'secret.mp3')}'\n`),
  ];

  it('decodeToWav (pipe and temp-file paths): fails naming what was found and what was expected; no other file or URL is read', async function () {
    for (const ext of ['webm', 'wav', 'm4a', 'mp4']) {
      for (const bytes of hostile()) {
        await assert.rejects(decodeToWav(bytes, ext, never, { label: `u/s/chunk-002.${ext}` }), (e: unknown) => {
          assert.ok(e instanceof WbError, String(e));
          assert.equal(e.code, 'Decode');
          assert.match(e.message, new RegExp(`^Cannot decode "u/s/chunk-002\\.${ext}": found an (HLS playlist|ffconcat script).* where .* was expected$`));
          return true;
        });
      }
    }
    assert.deepEqual(requests, []);
  });

  it('decodeToPcm (the WhisperLive path): the same', async function () {
    for (const ext of ['webm', 'wav', 'mp3', 'm4a']) {
      for (const bytes of hostile()) {
        await assert.rejects(decodeToPcm(bytes, ext), (e: unknown) => {
          assert.ok(e instanceof WbError, String(e));
          assert.equal(e.code, 'Decode');
          assert.match(e.message, /found an (HLS playlist|ffconcat script)/);
          return true;
        });
      }
    }
    assert.deepEqual(requests, []);
  });

  it('an extension outside the table is refused before ffmpeg runs', async function () {
    await assert.rejects(decodeToWav(Buffer.from('x'), 'm3u8', never, { label: 'a.m3u8' }), /"\.m3u8" is not an audio format whisper-batch reads/);
    await assert.rejects(decodeToPcm(Buffer.from('x'), 'm3u8'), /"\.m3u8" is not an audio format/);
  });

  it('real audio of the right format still decodes on both paths', async function () {
    const mp3 = spawnSync('ffmpeg', ['-v', 'error', '-i', path.join(outside, 'secret.mp3'), '-f', 'mp3', 'pipe:1']).stdout;
    const wav = await decodeToWav(mp3, 'mp3', never);
    assert.ok(Math.abs(wav.durationSeconds - 1) < 0.1, String(wav.durationSeconds));
    const pcm = await decodeToPcm(mp3, 'mp3');
    assert.ok(Math.abs(pcm.seconds - 1) < 0.1, String(pcm.seconds));
  });
});
