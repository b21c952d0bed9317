import * as assert from 'node:assert/strict';
import { BucketLayout, pad, reportId, sessionKey } from '../../../src/core/layout';
import { defaultSettings, resolveSettings } from '../../../src/core/settings';

const ODD_IDS = [
  'session_2025-11-09T14_32_10_123Z',
  'with space',
  `it's "quoted"`,
  '<img src=x onerror=alert(1)>',
  '$(touch pwned); rm -rf ~ `id`',
  'ünïcødé 会话 🎙',
  'a/b/c', // "/" inside an id: keys are matched from their known ends
  'chunk-001.webm', // an id that looks like a chunk
  'transcription-chunk-001.json',
];
/** Line breaks in an id: `.` in a regex does not match them, so they need the `s` flag. */
const LINE_BREAK_IDS = ['line\nbreak', 'carriage\rreturn', 'line\u2028separator', 'para\u2029separator', '\n', 'esc\x1b[2Jclear'];
const CHUNKS = [1, 42, 999, 1000, 12345];

describe('BucketLayout', function () {
  const layout = new BucketLayout(defaultSettings().layout);
  const ref = { userId: 'u1', sessionId: 'session_2025-11-09T14_32_10_123Z' };

  it('formats the keys the recording app writes (docs/BUCKET-LAYOUT.md)', function () {
    assert.equal(layout.usersPrefix, 'users/');
    assert.equal(layout.userPrefix('u1'), 'users/u1/');
    assert.equal(layout.userSessionsPrefix('u1'), 'users/u1/audio/sessions/');
    assert.equal(layout.sessionPrefix(ref), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/');
    assert.equal(layout.audioKey(ref, 1), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/chunk-001.webm');
    assert.equal(layout.audioKey(ref, 7, 'm4a'), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/chunk-007.m4a');
    assert.equal(layout.transcriptKey(ref, 3), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/layers/layer-0-raw-transcription/chunk-003.json');
    assert.equal(layout.legacyTranscriptKey(ref, 3), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/transcription-chunk-003.json');
    assert.equal(layout.completeMarkerKey(ref), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/.transcription-complete');
    assert.equal(layout.lockKey, 'batch-lock.json');
    assert.equal(layout.leaseKey, 'batch-reports/.lease.json');
  });

  it('pads chunk numbers to 3 digits and keeps all digits above 999', function () {
    assert.deepEqual([1, 10, 999, 1000, 12345].map(pad), ['001', '010', '999', '1000', '12345']);
    assert.equal(layout.chunkName(1000), 'chunk-1000');
    assert.equal(layout.audioKey(ref, 1000), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/chunk-1000.webm');
    assert.equal(layout.transcriptKey(ref, 1000), 'users/u1/audio/sessions/session_2025-11-09T14_32_10_123Z/layers/layer-0-raw-transcription/chunk-1000.json');
  });

  it('parses ids with \\n, \\r, U+2028/2029 like any other id', function () {
    for (const sessionId of LINE_BREAK_IDS) {
      for (const userId of ['u1', 'user\nwith break']) {
        const r = { userId, sessionId };
        assert.deepEqual(layout.parse(layout.audioKey(r, 2)), { kind: 'audio', ...r, chunk: 2, ext: 'webm' }, JSON.stringify(sessionId));
        assert.deepEqual(layout.parse(layout.transcriptKey(r, 2)), { kind: 'transcript', ...r, chunk: 2, legacy: false });
        assert.deepEqual(layout.parse(layout.legacyTranscriptKey(r, 2)), { kind: 'transcript', ...r, chunk: 2, legacy: true });
        assert.deepEqual(layout.parse(layout.completeMarkerKey(r)), { kind: 'complete', ...r });
      }
    }
  });

  it('parses what it formats, for odd session ids and large chunk numbers', function () {
    for (const sessionId of ODD_IDS) {
      const r = { userId: 'user-ü 1', sessionId };
      for (const chunk of CHUNKS) {
        assert.deepEqual(layout.parse(layout.audioKey(r, chunk)), { kind: 'audio', ...r, chunk, ext: 'webm' }, `${sessionId} ${chunk}`);
        assert.deepEqual(layout.parse(layout.audioKey(r, chunk, 'mp3')), { kind: 'audio', ...r, chunk, ext: 'mp3' });
        assert.deepEqual(layout.parse(layout.transcriptKey(r, chunk)), { kind: 'transcript', ...r, chunk, legacy: false }, `${sessionId} ${chunk}`);
        assert.deepEqual(layout.parse(layout.legacyTranscriptKey(r, chunk)), { kind: 'transcript', ...r, chunk, legacy: true }, `${sessionId} ${chunk}`);
      }
      assert.deepEqual(layout.parse(layout.completeMarkerKey(r)), { kind: 'complete', ...r });
    }
  });

  it('parses literal keys: chunk-1000 is the number 1000, both transcript locations are transcripts of the same chunk', function () {
    assert.deepEqual(layout.parse('users/u/audio/sessions/s/chunk-1000.webm'), { kind: 'audio', userId: 'u', sessionId: 's', chunk: 1000, ext: 'webm' });
    const current = layout.parse('users/u/audio/sessions/s/layers/layer-0-raw-transcription/chunk-007.json');
    const legacy = layout.parse('users/u/audio/sessions/s/transcription-chunk-007.json');
    assert.deepEqual(current, { kind: 'transcript', userId: 'u', sessionId: 's', chunk: 7, legacy: false });
    assert.deepEqual(legacy, { kind: 'transcript', userId: 'u', sessionId: 's', chunk: 7, legacy: true });
  });

  it('knows every audio extension seen in the wild, in any case, and nothing else', function () {
    for (const ext of ['webm', 'aac', 'm4a', 'mp3', 'wav', 'ogg', 'flac', 'mp4', 'mov', 'm4v', 'avi', 'WEBM', 'Mp3']) {
      assert.equal(layout.parse(`users/u/audio/sessions/s/chunk-001.${ext}`).kind, 'audio', ext);
    }
    for (const ext of ['txt', 'json', 'webm.part', 'exe']) {
      const p = layout.parse(`users/u/audio/sessions/s/chunk-001.${ext}`);
      assert.notEqual(p.kind, 'audio', ext);
      assert.notEqual(p.kind, 'transcript', ext);
    }
  });

  it('does not take audio or legacy names inside the transcript folder for audio', function () {
    assert.equal(layout.parse('users/u/audio/sessions/s/layers/layer-0-raw-transcription/chunk-001.webm').kind, 'session-other');
    assert.equal(layout.parse('users/u/audio/sessions/s/layers/layer-0-raw-transcription/transcription-chunk-001.json').kind, 'session-other');
  });

  it('other files of a session are session-other; keys outside the layout are other', function () {
    assert.deepEqual(layout.parse('users/u/audio/sessions/s/notes.txt'), { kind: 'session-other', userId: 'u', sessionId: 's' });
    for (const k of [
      'batch-lock.json',
      'batch-reports/batch-2025-11-09-1500.json',
      'users/',
      'users/u',
      'users/u/',
      'users/u/photos/x.jpg',
      'users/u/audio/sessions/',
      'users/u/audio/sessions/s',
      'Users/u/audio/sessions/s/chunk-001.webm',
      'users//audio/sessions/s/chunk-001.webm',
    ]) {
      assert.deepEqual(layout.parse(k), { kind: 'other' }, k);
    }
  });

  it('follows a custom layout, with regex characters in names taken literally', function () {
    const custom = new BucketLayout(
      resolveSettings({
        layout: {
          usersPrefix: 'data/tenants/',
          sessionsDir: 'rec/sess',
          chunkPrefix: 'part.',
          audioExtensions: ['.WAV', 'opus'],
          transcriptDir: 'out+text',
          legacyTranscriptPrefix: 'old(1)-',
          completeMarker: 'DONE',
        },
      }).layout,
    );
    const r = { userId: 't', sessionId: 's' };
    assert.equal(custom.audioKey(r, 2, 'wav'), 'data/tenants/t/rec/sess/s/part.002.wav');
    assert.deepEqual(custom.parse('data/tenants/t/rec/sess/s/part.002.wav'), { kind: 'audio', ...r, chunk: 2, ext: 'wav' });
    assert.deepEqual(custom.parse('data/tenants/t/rec/sess/s/part.002.opus'), { kind: 'audio', ...r, chunk: 2, ext: 'opus' });
    assert.equal(custom.parse('data/tenants/t/rec/sess/s/partX002.wav').kind, 'session-other', '"." is not a wildcard');
    assert.equal(custom.parse('data/tenants/t/rec/sess/s/part.002.webm').kind, 'session-other', 'webm is not in this list');
    assert.deepEqual(custom.parse(custom.transcriptKey(r, 2)), { kind: 'transcript', ...r, chunk: 2, legacy: false });
    assert.equal(custom.transcriptKey(r, 2), 'data/tenants/t/rec/sess/s/out+text/part.002.json');
    assert.deepEqual(custom.parse('data/tenants/t/rec/sess/s/old(1)-002.json'), { kind: 'transcript', ...r, chunk: 2, legacy: true });
    assert.deepEqual(custom.parse('data/tenants/t/rec/sess/s/DONE'), { kind: 'complete', ...r });
    assert.deepEqual(custom.parse('users/t/audio/sessions/s/chunk-001.webm'), { kind: 'other' });
  });

  it('works with users at the bucket root (empty users prefix)', function () {
    const root = new BucketLayout(resolveSettings({ 'layout.usersPrefix': '' }).layout);
    assert.equal(root.audioKey({ userId: 'u', sessionId: 's' }, 1), 'u/audio/sessions/s/chunk-001.webm');
    assert.deepEqual(root.parse('u/audio/sessions/s/chunk-001.webm'), { kind: 'audio', userId: 'u', sessionId: 's', chunk: 1, ext: 'webm' });
    assert.deepEqual(root.parse('batch-lock.json'), { kind: 'other' });
  });

  it('names reports by UTC start minute and recognises them', function () {
    const t = Date.parse('2025-11-09T15:04:59.999Z');
    assert.equal(reportId(t), 'batch-2025-11-09-1504');
    assert.equal(layout.reportKey(t, 'json'), 'batch-reports/batch-2025-11-09-1504.json');
    assert.equal(layout.reportKey(t, 'html', '-2'), 'batch-reports/batch-2025-11-09-1504-2.html');
    assert.equal(layout.isReportKey('batch-reports/batch-2025-11-09-1504.json'), true);
    assert.equal(layout.isReportKey('batch-reports/batch-2025-11-09-1504-2.json'), true);
    assert.equal(layout.isReportKey('batch-reports/batch-2025-11-09-1504.html'), false);
    assert.equal(layout.isReportKey('batch-reports/.lease.json'), false);
    assert.equal(layout.isReportKey('other/batch-2025-11-09-1504.json'), false);
  });

  it('sessionKey joins user and session', function () {
    assert.equal(sessionKey({ userId: 'u', sessionId: 'a/b' }), 'u/a/b');
  });
});
