/**
 * Poison chunks and transcripts that are not transcripts, through the CLI as a user runs it
 * (dist/cli.js in a child process), on a real folder store with the real engine: faster-whisper
 * (tiny.en on CPU, the engine venv `whisper-batch setup-engine` makes; the demo test makes it too)
 * running the shipped instance script on real Chromium chunks. Nothing here is faked. @integration
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localEngineState } from '../../src/core/engine/engineEnv';
import { BucketLayout } from '../../src/core/layout';
import type { BatchReport } from '../../src/core/report/model';
import type { PendingJobs } from '../../src/core/scan';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const RECORDING = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'chromium-recording');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, WHISPER_BATCH_HOME: path.join(os.tmpdir(), 'wb-poison-home') }, maxBuffer: 64 << 20, timeout: 600_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('poison chunks and invalid transcripts on a folder store, with real faster-whisper, through the CLI @integration', function () {
  this.timeout(600_000);
  let dir: string;
  let store: FolderStore;
  let flags: string[];
  const layout = new BucketLayout(defaultSettings().layout);
  const rec = { userId: 'alice', sessionId: 'session_2025-11-09T14_32_10_000Z' };
  const bad = { userId: 'bob', sessionId: 'broken\u001b[2J <b>' };
  const planted = new Map<string, string>();

  before(async function () {
    const state = localEngineState(defaultSettings());
    assert.ok(state.ready, `this test needs the engine venv: ${state.ready ? '' : state.why}`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-poison-'));
    store = new FolderStore(dir);
    for (let n = 1; n <= 4; n++) await store.put(layout.audioKey(rec, n, 'webm'), readFileSync(path.join(RECORDING, `chunk-00${n}.webm`)));
    await store.put(layout.audioKey(bad, 1, 'webm'), Buffer.from('this is not audio at all'));
    // Transcripts of chunks 2-4 exist but are not transcripts: JSON of another shape, not JSON, empty.
    planted.set(layout.transcriptKey(rec, 2), '{"hello":"world"}');
    planted.set(layout.transcriptKey(rec, 3), '{"segments": [ {"text": "cut off');
    planted.set(layout.transcriptKey(rec, 4), '');
    for (const [k, v] of planted) await store.put(k, v);
    const old = new Date(Date.now() - 3_600_000);
    for await (const o of store.list('')) utimesSync(path.join(dir, ...o.key.split('/')), old, old);
    flags = ['--store', dir, '--set', 'engine.kind=faster-whisper', '--set', 'run.quarantineAfterFailures=2'];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async () => {
    const r = await cli(['run', '--yes', '--json', ...flags]);
    return { ...r, report: JSON.parse(r.stdout) as BatchReport };
  };
  const kept = async () => {
    for (const [k, v] of planted) assert.equal((await store.get(k)).toString(), v, `${k} was not touched`);
  };

  it('first run: transcribes the good chunk with faster-whisper, fails the corrupt one (1 of 2), names the three invalid transcripts and keeps them', async function () {
    const { code, report, stderr } = await run();
    assert.equal(code, 1, stderr);
    assert.equal(report.transcription.engine, 'faster-whisper');
    assert.equal(report.transcription.chunksFound, 2);
    assert.equal(report.transcription.chunksTranscribed, 1);
    const t1 = JSON.parse((await store.get(layout.transcriptKey(rec, 1))).toString());
    assert.equal(t1.batch.engine, 'faster-whisper');
    assert.equal(report.errors.length, 1);
    // Not WebM at all: the instance script finds no EBML header (a chunk fault, counted toward quarantine).
    assert.match(report.errors[0].message, /^WebM chunk has no header.*\(failed 1 of 2 runs in a row before it is quarantined\)$/);
    assert.deepEqual(
      report.invalidTranscripts?.map((t) => [t.chunk, t.problem.replace(/ \(.*/, '')]),
      [
        ['002', 'not a transcript: no "segments" list'],
        ['003', 'not JSON'],
        ['004', 'empty'],
      ],
    );
    assert.equal(report.scanning.invalidTranscripts, 3);
    await kept();
  });

  it('second run: the corrupt chunk is quarantined (named in the report and its page); the invalid transcripts are still kept', async function () {
    const { report } = await run();
    assert.equal(report.transcription.chunksFound, 1);
    assert.match(report.errors[0].message, /quarantined: it failed 2 runs in a row/);
    assert.deepEqual(
      report.quarantine?.map((q) => [q.userId, q.sessionId, q.chunk, q.failures, q.newInThisRun]),
      [[bad.userId, bad.sessionId, '001', 2, true]],
    );
    const page = (await store.get(`batch-reports/${report.reportId}.html`)).toString();
    assert.match(page, /Quarantined chunks \(1\)/);
    assert.match(page, /broken\\x1b\[2J &lt;b&gt;/);
    // alice's session has no work left, so (scan.verifyTranscripts = work) only the empty transcript, seen in the listing, is named.
    assert.deepEqual(
      report.invalidTranscripts?.map((t) => t.chunk),
      ['004'],
    );
    assert.match(page, /Invalid transcripts \(1\)/);
    await kept();
  });

  it('then nothing is work: scan names the quarantined chunk and the invalid transcripts (escaped); a run is skipped without touching the host', async function () {
    const s = await cli(['scan', ...flags]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /quarantined bob \/ broken\\x1b\[2J <b> chunk 001: failed 2 runs in a row \(last: WebM chunk has no header/);
    assert.match(s.stdout, /invalid transcript alice \/ session_2025-11-09T14_32_10_000Z chunk 004: .*chunk-004\.json is empty \(0 bytes\)\. .*Delete it to have the chunk transcribed again/);
    assert.match(s.stdout, /2 sessions scanned, 0 with 0 chunks to transcribe, 1 chunk quarantined, 1 invalid transcript$/m);
    assert.ok(!s.stdout.includes('\u001b'), 'no raw escape sequence reaches the terminal');
    // scan.verifyTranscripts = all reads every transcript: all three are named.
    const all = await cli(['scan', ...flags, '--set', 'scan.verifyTranscripts=all']);
    assert.match(all.stdout, /invalid transcript alice \/ session_2025-11-09T14_32_10_000Z chunk 003: .*chunk-003\.json is not JSON \(/);
    assert.match(all.stdout, /chunk 002: .*chunk-002\.json is not a transcript: no "segments" list/);
    assert.match(all.stdout, /1 chunk quarantined, 3 invalid transcripts$/m);
    const doc = JSON.parse((await cli(['scan', '--json', ...flags, '--set', 'scan.verifyTranscripts=all'])).stdout) as PendingJobs;
    assert.equal(doc.totalMissingChunks, 0);
    assert.equal(doc.totalQuarantinedChunks, 1);
    assert.equal(doc.totalInvalidTranscripts, 3);
    const { code, report } = await run();
    assert.equal(code, 0);
    assert.equal(report.status, 'skipped');
    assert.equal(report.gpu.startTime, null, 'the host was not prepared');
  });

  it('release makes it pending again (exit 0, says what it released); a release of nothing quarantined is a usage error', async function () {
    const r = await cli(['release', bad.userId, bad.sessionId, ...flags]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /released 1 chunk: the next run retries it/);
    const doc = JSON.parse((await cli(['scan', '--json', ...flags])).stdout) as PendingJobs;
    assert.equal(doc.totalQuarantinedChunks, 0);
    assert.deepEqual(
      doc.sessions.map((s) => [s.sessionId, s.missingChunks, s.priorFailures]),
      [[bad.sessionId, ['001'], undefined]],
    );
    const again = await cli(['release', bad.userId, bad.sessionId, ...flags]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no failure records/);
  });
});
