/**
 * The one table of accepted audio formats (src/core/audioFormats.ts) against the instance script's
 * (FORMATS in transcribe_batch.py, read from the file: the two cannot drift), and what
 * describeBytes names for error messages.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AUDIO_FORMATS, demuxerOf, describeBytes, mismatch } from '../../../src/core/audioFormats';
import { defaultSettings } from '../../../src/core/settings';

const SCRIPT = path.resolve(__dirname, '../../../../src/core/remote/scripts/transcribe_batch.py');

/** FORMATS = {"webm": "matroska", ...} as the script spells it (a dict literal over several lines). */
function scriptFormats(): Record<string, string> {
  const text = readFileSync(SCRIPT, 'utf8');
  const m = /^FORMATS = \{([^}]*)\}/m.exec(text);
  assert.ok(m, 'FORMATS = {...} is in transcribe_batch.py');
  const out: Record<string, string> = {};
  for (const pair of m[1].matchAll(/"([^"]+)"\s*:\s*"([^"]+)"/g)) out[pair[1]] = pair[2];
  // every entry was a "k": "v" pair (nothing else hides in the literal)
  assert.equal(m[1].replace(/"[^"]+"\s*:\s*"[^"]+"/g, '').replace(/[\s,]/g, ''), '', m[1]);
  return out;
}

describe('audio formats: one table, pinned demuxers', function () {
  it('is the same table as the instance script (extension -> demuxer, read from transcribe_batch.py)', function () {
    assert.deepEqual({ ...AUDIO_FORMATS }, scriptFormats());
  });

  it('knows every default audio extension of the layout; nothing else has a demuxer', function () {
    for (const ext of defaultSettings().layout.audioExtensions) assert.ok(demuxerOf(ext), ext);
    assert.equal(demuxerOf('.WEBM'), 'matroska');
    for (const ext of ['m3u8', 'hls', 'concat', 'txt', 'constructor', '__proto__', '']) assert.equal(demuxerOf(ext), undefined, ext);
  });

  it('names what the first bytes are, and says when they are not what the extension says', function () {
    const cases: Array<[Buffer, string | undefined]> = [
      [Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 1, 2]), 'matroska'],
      [Buffer.from('OggS\0\x02'), 'ogg'],
      [Buffer.from('fLaC\0\0\0\x22'), 'flac'],
      [Buffer.from('RIFF\x24\0\0\0WAVEfmt '), 'wav'],
      [Buffer.from('RIFF\x24\0\0\0AVI LIST'), 'avi'],
      [Buffer.from('\0\0\0\x20ftypM4A '), 'mov'],
      [Buffer.from('ID3\x04\0'), 'mp3'],
      [Buffer.from([0xff, 0xfb, 0x90, 0x64]), 'mp3'],
      [Buffer.from([0xff, 0xf1, 0x50, 0x80]), 'aac'],
    ];
    for (const [b, demuxer] of cases) assert.equal(describeBytes(b)?.demuxer, demuxer, b.toString('hex'));
    assert.match(describeBytes(Buffer.from('#EXTM3U\n#EXTINF:1,\n/etc/x.mp3\n'))!.what, /HLS playlist/);
    assert.match(describeBytes(Buffer.from('\uFEFFffconcat version 1.0\nfile /etc/x.mp3\n'))!.what, /ffconcat/);
    assert.equal(describeBytes(Buffer.from('hello world\n'))!.what, 'text');
    assert.match(describeBytes(Buffer.from([0x1f, 0x43, 0xb6, 0x75, 1]))!.what, /Cluster without the WebM header/);
    assert.equal(describeBytes(Buffer.from([0x00, 0x9c, 0x13, 0xfe, 0x80])), undefined);

    assert.equal(mismatch(Buffer.from('OggS\0'), 'ogg'), undefined);
    assert.equal(mismatch(Buffer.from([0x00, 0x9c, 0x13]), 'webm'), undefined, 'unrecognised: the decoder has the word');
    assert.equal(mismatch(Buffer.from('#EXTM3U\n'), 'webm'), 'found an HLS playlist (#EXTM3U) where WebM/Matroska was expected');
    assert.equal(mismatch(Buffer.from('OggS\0'), 'wav'), 'found Ogg audio where WAV was expected');
  });
});
