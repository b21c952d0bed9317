import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BucketLayout } from '../../../src/core/layout';
import { defaultSettings } from '../../../src/core/settings';
import { sessionLabel, sessionTime } from '../../../src/core/sessionLabel';
import { clockTime, failuresOf, loadSessionTranscript, parseTranscript, renderTranscript } from '../../../src/core/sessionTranscript';
import { FolderStore } from '../../../src/core/store/folderStore';

describe('core/sessionLabel', function () {
  it("reads the recording app's id as a local date and time, in the given zone", function () {
    assert.equal(sessionTime('session_2025-11-09T14_32_10_123Z'), Date.parse('2025-11-09T14:32:10.123Z'));
    assert.equal(sessionLabel('session_2025-11-09T14_32_10_123Z', { locale: 'en-GB', timeZone: 'Europe/Berlin' }), 'Sun, 9 Nov 2025, 15:32:10');
    assert.equal(sessionLabel('session_2025-11-09T14_32_10Z', { locale: 'en-GB', timeZone: 'UTC' }), 'Sun, 9 Nov 2025, 14:32:10');
  });

  it('keeps any other id as it is (not a date, or not the form)', function () {
    for (const id of ['session_2025-02-30T10_00_00_000Z', 'session_live', '<img src=x onerror=alert(1)>', 'session_2025-11-09T14_32_10_123Z\n', ''])
      assert.equal(sessionLabel(id), id, JSON.stringify(id));
  });
});

describe('core/sessionTranscript', function () {
  let dir: string;
  let store: FolderStore;
  const layout = new BucketLayout(defaultSettings().layout);
  const seg = (text: string, start: number, end: number) => ({ text, start, end, words: [{ word: text.trim(), start, end }] });

  beforeEach(async function () {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-transcript-'));
    store = new FolderStore(dir);
  });
  afterEach(async function () {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lists every chunk in number order with segment times; missing and failed chunks marked in place; bucket text made plain', async function () {
    const ref = { userId: 'u\u202e1', sessionId: 'session_2025-11-09T14_32_10_123Z' };
    // Written out of order, chunk 10 after chunk 2 (numbers, not names).
    await store.put(layout.audioKey(ref, 10), Buffer.from('a'));
    await store.put(layout.audioKey(ref, 2), Buffer.from('a'));
    await store.put(layout.audioKey(ref, 1), Buffer.from('a'));
    await store.put(layout.audioKey(ref, 3), Buffer.from('a'));
    await store.put(layout.transcriptKey(ref, 10), JSON.stringify({ segments: [seg(' ten', 0, 2.5)], duration: 3 }));
    await store.put(layout.transcriptKey(ref, 1), JSON.stringify({ segments: [seg(' hello\u001b[31m', 0, 1.25), seg(' world', 61, 62)], duration: 62 }));
    await store.put(layout.transcriptKey(ref, 3), '{"segments": "nope"}');
    const t = await loadSessionTranscript(store, layout, ref);
    assert.deepEqual(
      t.chunks.map((c) => [c.chunk, c.state]),
      [
        [1, 'transcribed'],
        [2, 'missing'],
        [3, 'failed'],
        [10, 'transcribed'],
      ],
    );
    assert.deepEqual(t.chunks[0].segments[0].words, [{ word: 'hello\\x1b[31m', start: 0, end: 1.25 }]);
    const text = renderTranscript(t, { chunkName: (n) => layout.chunkName(n), locale: 'en-GB', timeZone: 'UTC' });
    assert.equal(
      text,
      [
        'Sun, 9 Nov 2025, 14:32:10',
        'Session: session_2025-11-09T14_32_10_123Z',
        'User:    u\\u202e1',
        'Chunks:  4 chunks, 2 transcribed, 1 missing, 1 failed',
        'Times are within each chunk.',
        '',
        'chunk-001  1:02.0',
        '  [0:00.0 - 0:01.3] hello\\x1b[31m',
        '  [1:01.0 - 1:02.0] world',
        '',
        'chunk-002  MISSING: no transcript yet',
        '',
        'chunk-003  FAILED: unreadable transcript (no "segments" list)',
        '',
        'chunk-010  0:03.0',
        '  [0:00.0 - 0:02.5] ten',
        '',
      ].join('\n'),
    );
  });

  it("marks in place the chunks a run failed on (from its report), with the run's error as plain text", async function () {
    const ref = { userId: 'u', sessionId: 's' };
    for (const n of [1, 2, 3]) await store.put(layout.audioKey(ref, n), Buffer.from('a'));
    await store.put(layout.transcriptKey(ref, 1), JSON.stringify({ segments: [seg(' one', 0, 1)] }));
    const report = {
      sessions: [
        { userId: 'u', sessionId: 's', failedChunks: ['002', '../9'] },
        { userId: 'other', sessionId: 's', failedChunks: ['003'] },
      ],
      errors: [{ phase: 'transcribe', userId: 'u', sessionId: 's', chunk: '002', message: 'ffmpeg: Invalid data <b>\u202e' }],
    } as unknown as Parameters<typeof failuresOf>[0];
    const failures = failuresOf(report, ref);
    assert.deepEqual([...failures.keys()], [2]);
    const text = renderTranscript(await loadSessionTranscript(store, layout, ref), { chunkName: (n) => layout.chunkName(n), failures: { run: 'the run of 2026-11-25 10:32', chunks: failures } });
    assert.match(text, /Chunks: {2}3 chunks, 1 transcribed, 1 missing, 1 failed\n/);
    assert.match(text, /\nchunk-002 {2}FAILED in the run of 2026-11-25 10:32: ffmpeg: Invalid data <b>\\u202e\n/);
    assert.match(text, /\nchunk-003 {2}MISSING: no transcript yet\n/);
  });

  it('a legacy transcript counts, the current layout wins over it; a session marked complete says so', async function () {
    const ref = { userId: 'u', sessionId: 's' };
    await store.put(layout.audioKey(ref, 1), Buffer.from('a'));
    await store.put(layout.legacyTranscriptKey(ref, 1), JSON.stringify({ segments: [seg(' old', 0, 1)] }));
    await store.put(layout.transcriptKey(ref, 1), JSON.stringify({ segments: [seg(' new', 0, 1)] }));
    await store.put(layout.completeMarkerKey(ref), '{}');
    const t = await loadSessionTranscript(store, layout, ref);
    assert.equal(t.complete, true);
    assert.deepEqual(
      t.chunks.map((c) => c.segments.map((s) => s.text)),
      [[' new']],
    );
    assert.match(renderTranscript(t, { chunkName: (n) => layout.chunkName(n) }), /1 chunk, 1 transcribed \(session marked complete\)/);
  });

  it('refuses malformed transcript content instead of crashing', function () {
    for (const bad of ['', 'null', '[]', '{"segments":[1]}', '{"segments":[{"text":"x","start":-1,"end":1}]}', '{"segments":[{"text":"x","start":"0","end":1}]}'])
      assert.throws(() => parseTranscript(bad), Error, bad);
    assert.deepEqual(parseTranscript('\uFEFF{"segments":[]}').segments, []);
  });

  it('clock times: m:ss.s, h:mm:ss.s past an hour', function () {
    assert.equal(clockTime(0), '0:00.0');
    // Rounded before it is split: 59.96 s is 1:00.0, never 0:60.0.
    assert.equal(clockTime(59.96), '1:00.0');
    assert.equal(clockTime(3599.97), '1:00:00.0');
    assert.equal(clockTime(3725.5), '1:02:05.5');
  });
});
