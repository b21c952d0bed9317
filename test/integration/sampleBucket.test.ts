/**
 * The demo's sample bucket, made for real (flite + ffmpeg) and scanned by the real scanner over a
 * FolderStore: every case comes out as it should (pending, partly done, done with legacy names,
 * still recording = deferred, m4a, odd session id), the chunks are cut the way Chromium cuts them,
 * and each one decodes alone to real, recognisable speech.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeToWav, standaloneChunk } from '../../src/core/decode';
import { CommandEngine } from '../../src/core/engine/commandEngine';
import { BucketLayout } from '../../src/core/layout';
import { createSampleBucket, type SampleBucket } from '../../src/core/sample/sampleBucket';
import { scan, jobsOf, type PendingJobs } from '../../src/core/scan';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import { transcriptText } from '../../src/core/transcript';
import { fakeClock } from '../support/fakeClock';
import { wordErrors } from '../support/wer';

describe('sample bucket: made with flite + ffmpeg, read by the scanner @integration', function () {
  // Real flite, ffmpeg and pocketsphinx: ~20 s of CPU, minutes on a loaded CI machine.
  this.timeout(400_000);
  const settings = defaultSettings();
  const layout = new BucketLayout(settings.layout);
  const clock = fakeClock(); // "now" for both the file times and the scan
  let dir: string;
  let sample: SampleBucket;
  let doc: PendingJobs;
  let store: FolderStore;
  const logs: string[] = [];

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-sample-test-'));
    sample = await createSampleBucket(dir, { clock, log: (m) => logs.push(m) });
    store = new FolderStore(dir);
    doc = await scan({ store, settings, clock });
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const find = (state: string) => sample.sessions.filter((s) => s.state === state);

  it('has three users and every kind of session', function () {
    assert.deepEqual([...new Set(sample.sessions.map((s) => s.userId))], ['alice', 'bob', 'carol']);
    assert.deepEqual(sample.sessions.map((s) => s.state).sort(), ['done-legacy', 'partial', 'pending', 'pending', 'pending', 'recording']);
    assert.ok(
      sample.sessions.some((s) => /["<>$`]/.test(s.sessionId) || /[&%$]/.test(s.sessionId)),
      'an odd session id',
    );
    assert.ok(sample.sessions.some((s) => s.ext === 'm4a'));
    assert.ok(logs.length >= sample.sessions.length);
  });

  it('the scanner sees what was meant: pending, partly done, done (legacy names), recording (deferred)', function () {
    assert.equal(doc.totalSessions, 6);
    const pendingIds = doc.sessions.map((s) => `${s.userId}/${s.sessionId}`).sort();
    const expected = [...find('pending'), ...find('partial')].map((s) => `${s.userId}/${s.sessionId}`).sort();
    assert.deepEqual(pendingIds, expected);
    const partial = find('partial')[0];
    const p = doc.sessions.find((s) => s.sessionId === partial.sessionId)!;
    assert.deepEqual(p.transcriptionChunks, ['001', '002']);
    assert.deepEqual(p.missingChunks, ['003']);
    const done = find('done-legacy')[0];
    assert.ok(!doc.sessions.some((s) => s.sessionId === done.sessionId) && !doc.deferredSessions.some((s) => s.sessionId === done.sessionId));
    assert.deepEqual(
      doc.deferredSessions.map((s) => [s.sessionId, s.reason]),
      find('recording').map((s) => [s.sessionId, 'recording']),
    );
    const odd = sample.sessions.find((s) => /\$\(/.test(s.sessionId))!;
    assert.deepEqual(doc.sessions.find((s) => s.sessionId === odd.sessionId)!.missingChunks, ['001', '002']);
    // Oldest first, and the age comes from the file times the sample set.
    assert.equal(doc.sessions[0].userId, 'alice');
    assert.ok(doc.sessions[0].ageHours > 40, `age ${doc.sessions[0].ageHours} h`);
    assert.equal(doc.totalMissingChunks, 4 + 1 + 2 + 1);
  });

  it('the done session carries legacy transcripts in the app format and the completion marker', function () {
    const done = find('done-legacy')[0];
    for (let n = 1; n <= done.chunks; n++) {
      const t = JSON.parse(readFileSync(path.join(dir, ...layout.legacyTranscriptKey(done, n).split('/')), 'utf8'));
      assert.equal(t.language, 'en');
      assert.equal(t.segments[0].is_final, true);
      assert.equal(transcriptText(t).toLowerCase().replace(/\.$/, ''), done.text[n - 1]);
      assert.ok(t.segments[0].words.every((w: any) => typeof w.start === 'number' && w.end > w.start && w.word.startsWith(' ')));
    }
    const marker = JSON.parse(readFileSync(path.join(dir, ...layout.completeMarkerKey(done).split('/')), 'utf8'));
    assert.ok(!isNaN(Date.parse(marker.completed)));
  });

  it('webm chunks are cut like Chromium: header only in chunk 1, each chunk ends inside the next element', function () {
    const s = find('pending')[0];
    assert.equal(s.chunks, 4);
    const bytes = Array.from({ length: s.chunks }, (_, i) => readFileSync(path.join(dir, ...layout.audioKey(s, i + 1).split('/'))));
    assert.equal(bytes[0].readUInt32BE(0), 0x1a45dfa3);
    for (const b of bytes.slice(1)) assert.notEqual(b.readUInt32BE(0), 0x1a45dfa3);
    // Both of Chromium's cut styles: a SimpleBlock id 0xA3, then the first byte of a Cluster id.
    assert.equal(bytes[0].at(-1), 0xa3);
    assert.equal(bytes[1].at(-1), 0x1f);
    assert.deepEqual([...bytes[2].subarray(0, 3)], [0x43, 0xb6, 0x75]);
    // The recording app uploads chunks every ~5 s: file times follow each other.
    const times = Array.from({ length: s.chunks }, (_, i) => statSync(path.join(dir, ...layout.audioKey(s, i + 1).split('/'))).mtimeMs);
    for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i] - times[i - 1] - 4980) < 50, `mtime step ${times[i] - times[i - 1]}`);
  });

  it('every pending chunk decodes alone, and pocketsphinx hears the sentences in them', async function () {
    const engine = new CommandEngine({ command: 'pocketsphinx' });
    let errors = 0;
    let words = 0;
    const jobs = jobsOf(doc, layout);
    // Two at a time, like the batch's default concurrency.
    const worker = async () => {
      for (let j = jobs.shift(); j; j = jobs.shift()) {
        const ext = j.audioKey.slice(j.audioKey.lastIndexOf('.') + 1);
        const audio = await store.get(j.audioKey);
        const input = ext === 'webm' ? standaloneChunk(audio, j.firstChunkKey ? await store.get(j.firstChunkKey) : undefined, j.nextChunkKey ? await store.get(j.nextChunkKey) : undefined) : audio;
        const wav = await decodeToWav(input, ext, new AbortController().signal, { label: j.audioKey });
        assert.ok(wav.durationSeconds > 4.5 && wav.durationSeconds < 5.2, `${j.audioKey}: ${wav.durationSeconds} s`);
        const t = await engine.transcribeChunk({ job: j, audio: input, ext, signal: new AbortController().signal });
        const ref = sample.sessions.find((s) => s.userId === j.userId && s.sessionId === j.sessionId)!.text[j.chunk - 1];
        const r = wordErrors(ref, transcriptText(t));
        errors += r.errors;
        words += r.refWords;
      }
    };
    await Promise.all([worker(), worker()]);
    assert.ok(words > 50);
    assert.ok(errors / words < 0.3, `WER ${((100 * errors) / words).toFixed(1)} % over the sample's pending chunks`);
  });

  it('reuse keeps a sample bucket already there', async function () {
    const again = await createSampleBucket(dir, { clock, reuse: true });
    assert.equal(again.reused, true);
    assert.deepEqual(again.sessions, JSON.parse(JSON.stringify(sample.sessions)));
  });
});
