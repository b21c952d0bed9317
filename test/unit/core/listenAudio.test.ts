import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BucketLayout } from '../../../src/core/layout';
import { loadListenAudio } from '../../../src/core/listenAudio';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';

const CHUNKS = path.resolve(__dirname, '../../../../test/fixtures/chromium-recording');

describe('core/listenAudio (real ffmpeg, real Chromium chunks)', function () {
  this.timeout(60_000);
  it("one WAV of the session's chunks in order; words on its clock (chunk offset + time within the chunk); missing chunks still play", async function () {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-listen-'));
    try {
      const store = new FolderStore(dir);
      const layout = new BucketLayout(defaultSettings().layout);
      const ref = { userId: 'u', sessionId: 's' };
      for (const n of [1, 2, 3]) await store.put(layout.audioKey(ref, n), readFileSync(path.join(CHUNKS, `chunk-00${n}.webm`)));
      const t = (w: string, start: number) => JSON.stringify({ segments: [{ text: ` ${w}`, start, end: start + 0.5, words: [{ word: ` ${w}`, start, end: start + 0.5 }] }] });
      await store.put(layout.transcriptKey(ref, 1), t('first', 1));
      await store.put(layout.transcriptKey(ref, 2), t('second', 0.25));
      const a = await loadListenAudio(store, layout, ref);
      assert.deepEqual(
        a.chunks.map((c) => [c.name, c.state]),
        [
          ['chunk-001', 'transcribed'],
          ['chunk-002', 'transcribed'],
          ['chunk-003', 'missing'],
        ],
      );
      const d1 = a.chunks[0].duration;
      assert.ok(d1 > 4.5 && d1 < 5.5, `chunk 1 is about 5 s: ${d1}`);
      assert.deepEqual(
        a.words.map((w) => [w.text, Math.round(w.start * 1000) / 1000, w.chunk]),
        [
          ['first', 1, 0],
          ['second', Math.round((d1 + 0.25) * 1000) / 1000, 1],
        ],
      );
      const seconds = (a.wav.length - 44) / 32000;
      const total = a.chunks.reduce((n, c) => n + c.duration, 0);
      assert.ok(Math.abs(seconds - total) < 0.01 && total > 14, `the WAV holds every chunk: ${seconds} s`);
      assert.equal(a.wav.toString('ascii', 0, 4), 'RIFF');
      const one = await loadListenAudio(store, layout, ref, { chunk: 2 });
      assert.deepEqual(
        one.words.map((w) => w.start),
        [0.25],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
