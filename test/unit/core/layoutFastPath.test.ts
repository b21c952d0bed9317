/** The scan's per-key shortcut (parseInSession) must give exactly what parse() gives, or defer to it. */
import * as assert from 'node:assert/strict';
import { BucketLayout } from '../../../src/core/layout';
import { resolveSettings } from '../../../src/core/settings';

describe('BucketLayout.parseInSession', function () {
  const names = [
    'chunk-001.webm',
    'chunk-001.WEBM',
    'chunk-1000.m4a',
    'chunk-001.json',
    'chunk-01x.webm',
    'chunk-.webm',
    'chunk-001.we-bm',
    'chunk-001.',
    'chunk-001.txt',
    'chunk-002.webm.part',
    'transcription-chunk-003.json',
    'transcription-chunk-003.json.bak',
    'transcription-chunk-.json',
    '.transcription-complete',
    '.transcription-complete2',
    'notes.txt',
    'chunk-001.webm ',
    'layers/layer-0-raw-transcription/chunk-002.json',
    'layers/layer-0-raw-transcription/chunk-002.webm',
    'layers/layer-0-raw-transcription/other.txt',
    'layers/layer-0-raw-transcription/x/chunk-001.json',
    'layers/other/chunk-001.json',
    'sub/chunk-001.webm',
    'sub/.transcription-complete',
  ];
  for (const custom of [false, true]) {
    it(`agrees with parse() on every file name${custom ? ' (custom layout)' : ''}`, function () {
      const settings = resolveSettings(
        custom ? { layout: { chunkPrefix: 'part_', transcriptDir: 'tx', legacyTranscriptPrefix: 'old-', completeMarker: 'DONE', audioExtensions: ['ogg', 'webm'] } } : {},
      );
      const layout = new BucketLayout(settings.layout);
      const all = custom ? [...names, 'part_007.ogg', 'tx/part_007.json', 'old-007.json', 'DONE', 'tx/DONE'] : names;
      let decided = 0;
      for (const sessionId of ['plain', 'with space', 'ü 🎙 会话', '$(x) "q" <b>', 'a/b']) {
        const ref = { userId: 'u 1', sessionId };
        const prefix = layout.sessionPrefix(ref);
        for (const name of all) {
          const key = prefix + name;
          const fast = layout.parseInSession(key, ref, prefix.length);
          if (fast === undefined) continue;
          decided++;
          assert.deepEqual(fast, layout.parse(key), JSON.stringify(key));
        }
      }
      assert.ok(decided > all.length * 2, `decided ${decided}`);
    });
  }
});
