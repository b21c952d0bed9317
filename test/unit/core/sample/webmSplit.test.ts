/**
 * The sample bucket's splitter against the truth: joined back together, the real Chromium chunks
 * (test/fixtures/chromium-recording) are one WebM; cut with the styles Chromium used at each
 * boundary, it must give back Chromium's chunks byte for byte.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { splitLikeMediaRecorder } from '../../../../src/core/sample/webmSplit';
import { standaloneChunk } from '../../../../src/core/decode';

const DIR = path.resolve(__dirname, '../../../../../test/fixtures/chromium-recording');
const chunks = [1, 2, 3, 4, 5, 6, 7].map((n) => readFileSync(path.join(DIR, `chunk-00${n}.webm`)));
const whole = Buffer.concat(chunks);

describe('sample: splitLikeMediaRecorder', function () {
  it('reproduces the real Chromium chunks exactly (0xA3 cuts, then 0x1F cuts)', function () {
    const parts = splitLikeMediaRecorder(whole, { cut: (i) => (i < 2 ? 'block-id' : 'cluster-id') });
    assert.equal(parts.length, chunks.length);
    parts.forEach((p, i) => assert.deepEqual(p, chunks[i], `chunk ${i + 1}`));
  });

  it('clean cuts start every later chunk with a Cluster; all styles tile the input', function () {
    for (const cut of ['clean', 'block-id', 'cluster-id'] as const) {
      const parts = splitLikeMediaRecorder(whole, { cut });
      assert.deepEqual(Buffer.concat(parts), whole, cut);
      if (cut === 'clean') for (const p of parts.slice(1)) assert.equal(p.readUInt32BE(0), 0x1f43b675);
      if (cut === 'block-id') for (const p of parts.slice(0, -1)) assert.equal(p.at(-1), 0xa3);
      if (cut === 'cluster-id') for (const p of parts.slice(0, -1)) assert.equal(p.at(-1), 0x1f);
      // Whatever the cut, decode's mending puts the same stream back together.
      const bodies = parts.map((p, i) => standaloneChunk(p, parts[0], parts[i + 1]).subarray(146));
      assert.deepEqual(Buffer.concat(bodies), whole.subarray(146), cut);
    }
  });

  it('rewrites known Cluster sizes to unknown, as live muxers write them', function () {
    // Give the first Cluster a known size (as ffmpeg writes it) and check that the split undoes it.
    const at = 146;
    const clusterEnd = whole.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), at + 4); // Cluster 2
    const body = whole.subarray(at + 12, clusterEnd);
    const size = Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0]); // 8-byte vint
    size.writeUIntBE(body.length, 2, 6);
    const known = Buffer.concat([whole.subarray(0, at), Buffer.from([0x1f, 0x43, 0xb6, 0x75]), size, body, whole.subarray(clusterEnd)]);
    assert.equal(known.length, whole.length);
    assert.notDeepEqual(known, whole);
    const parts = splitLikeMediaRecorder(known, { cut: 'clean' });
    assert.deepEqual(Buffer.concat(parts), whole);
    assert.deepEqual(Buffer.concat(splitLikeMediaRecorder(known, { cut: 'clean', unknownSizeClusters: false })), known);
  });

  it('refuses what is not a WebM with Clusters', function () {
    assert.throws(() => splitLikeMediaRecorder(Buffer.from('hello')));
    assert.throws(() => splitLikeMediaRecorder(chunks[0].subarray(0, 146)));
  });
});
