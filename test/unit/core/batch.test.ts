/**
 * The batch run's orchestration on a real folder store. The speech engine here is a scripted
 * stand-in (the real engines have their own tests, and the demo test runs pocketsphinx end to end):
 * it lets each test decide which chunk fails, how long one takes, and when to cancel.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBatch } from '../../../src/core/batch';
import { systemClock } from '../../../src/core/clock';
import type { BatchContext, ChunkInput, ChunkJob, Engine } from '../../../src/core/engine/engine';
import { transcribeChunkByChunk } from '../../../src/core/engine/chunkPipeline';
import type { BatchEvent } from '../../../src/core/events';
import type { GpuHost, HostTimeline } from '../../../src/core/host/host';
import { BucketLayout } from '../../../src/core/layout';
import { Lease } from '../../../src/core/lease';
import { defaultSettings, type Settings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import type { Transcript } from '../../../src/core/transcript';

const HOUR = 3_600_000;

class ScriptedEngine implements Engine {
  readonly name = 'scripted';
  calls: string[] = [];
  constructor(private readonly behaviour: (input: ChunkInput) => Promise<Transcript> | Transcript = () => transcript('hello')) {}
  async check() {}
  async transcribeChunk(input: ChunkInput): Promise<Transcript> {
    this.calls.push(input.job.audioKey);
    return this.behaviour(input);
  }
  transcribeAll(jobs: ChunkJob[], ctx: BatchContext): Promise<void> {
    return transcribeChunkByChunk(this, jobs, ctx);
  }
}

/** Counts prepare/release: the orchestration contract with any host. */
class CountingHost implements GpuHost {
  readonly kind = 'local' as const;
  readonly id = 'test-host';
  readonly hourlyUsd = 0;
  timeline: HostTimeline = {};
  prepared = 0;
  released = 0;
  constructor(private readonly failPrepare?: Error) {}
  async status() {
    return { state: 'running' as const };
  }
  async prepare() {
    this.prepared++;
    this.timeline.startRequested = Date.now();
    if (this.failPrepare) throw this.failPrepare;
    this.timeline.ready = Date.now();
    return { startedByUs: false };
  }
  chunkStarted() {
    this.timeline.firstChunk ??= Date.now();
  }
  chunkFinished() {
    this.timeline.lastChunk = Date.now();
  }
  async release() {
    this.released++;
  }
}

function transcript(text: string): Transcript {
  return {
    segments: [{ text: ` ${text}`, start: 0, end: 1, is_final: true, words: [{ word: ` ${text}`, start: 0, end: 1, probability: 0.9 }] }],
    language: 'en',
    language_probability: 1,
    duration: 5,
  };
}

describe('runBatch (folder store)', function () {
  let dir: string;
  let store: FolderStore;
  let settings: Settings;
  let layout: BucketLayout;
  const old = Date.now() - 5 * HOUR;

  async function putAudio(userId: string, sessionId: string, chunk: number, body: Buffer | string = 'not really audio') {
    await store.put(layout.audioKey({ userId, sessionId }, chunk, 'wav'), body);
    const f = path.join(dir, ...layout.audioKey({ userId, sessionId }, chunk, 'wav').split('/'));
    const t = new Date(old + chunk * 1000);
    (await import('node:fs')).utimesSync(f, t, t);
  }

  beforeEach(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-batch-'));
    store = new FolderStore(dir);
    settings = defaultSettings();
    settings.store = dir;
    layout = new BucketLayout(settings.layout);
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a skipped report and never touches the host when nothing is pending', async function () {
    await putAudio('u1', 's1', 1);
    await store.put(layout.transcriptKey({ userId: 'u1', sessionId: 's1' }, 1), JSON.stringify(transcript('x')));
    const host = new CountingHost();
    const { report, reportKeys } = await runBatch({ store, settings, clock: systemClock, host, engine: new ScriptedEngine() });
    assert.equal(report.status, 'skipped');
    assert.equal(host.prepared, 0);
    assert.equal(host.released, 0);
    assert.ok(reportKeys && (await store.head(reportKeys.json)) && (await store.head(reportKeys.html)));
  });

  it('transcribes every pending chunk, oldest session first, and a second run does nothing', async function () {
    await putAudio('u2', 'newer', 1);
    await putAudio('u1', 'older', 1);
    await putAudio('u1', 'older', 2);
    // make "newer" newer
    const f = path.join(dir, ...layout.audioKey({ userId: 'u2', sessionId: 'newer' }, 1, 'wav').split('/'));
    const t = new Date(old + HOUR);
    (await import('node:fs')).utimesSync(f, t, t);
    const engine = new ScriptedEngine();
    const settings1 = { ...settings, run: { ...settings.run, concurrency: 1 } };
    const host = new CountingHost();
    const first = await runBatch({ store, settings: settings1, clock: systemClock, host, engine });
    assert.equal(first.report.status, 'success');
    assert.deepEqual(engine.calls, [
      layout.audioKey({ userId: 'u1', sessionId: 'older' }, 1, 'wav'),
      layout.audioKey({ userId: 'u1', sessionId: 'older' }, 2, 'wav'),
      layout.audioKey({ userId: 'u2', sessionId: 'newer' }, 1, 'wav'),
    ]);
    assert.equal(first.report.transcription.chunksTranscribed, 3);
    assert.equal(host.prepared, 1);
    assert.equal(host.released, 1);
    const written = JSON.parse((await store.get(layout.transcriptKey({ userId: 'u1', sessionId: 'older' }, 2))).toString());
    assert.equal(written.segments[0].text, ' hello');
    assert.equal(written.batch.engine, 'scripted');

    const engine2 = new ScriptedEngine();
    const second = await runBatch({ store, settings, clock: systemClock, host, engine: engine2 });
    assert.equal(second.report.status, 'skipped');
    assert.deepEqual(engine2.calls, []);
    assert.equal(host.prepared, 1, 'the second run did not touch the host');
  });

  it('records a bad chunk with its error and goes on with the rest (partial)', async function () {
    await putAudio('u1', 's1', 1);
    await putAudio('u1', 's1', 2, Buffer.alloc(0)); // empty upload
    await putAudio('u1', 's1', 3, 'BAD');
    const engine = new ScriptedEngine((i) => {
      if (i.audio.toString() === 'BAD') throw new Error('engine choked');
      return transcript('ok');
    });
    const host = new CountingHost();
    const { report } = await runBatch({ store, settings, clock: systemClock, host, engine });
    assert.equal(report.status, 'partial');
    assert.equal(report.transcription.chunksTranscribed, 1);
    assert.equal(report.transcription.chunksFailed, 2);
    assert.match(report.errors.map((e) => e.message).join('\n'), /empty audio file/);
    assert.match(report.errors.map((e) => e.message).join('\n'), /engine choked/);
    assert.deepEqual(report.sessions[0].failedChunks, ['002', '003']);
    assert.equal(host.released, 1);
  });

  it('never overwrites a transcript that appeared while the run was going', async function () {
    await putAudio('u1', 's1', 1);
    const key = layout.transcriptKey({ userId: 'u1', sessionId: 's1' }, 1);
    const engine = new ScriptedEngine(async () => {
      await store.put(key, '{"realtime":true}'); // the realtime path wins the race
      return transcript('batch');
    });
    const { report } = await runBatch({ store, settings, clock: systemClock, host: new CountingHost(), engine });
    assert.equal((await store.get(key)).toString(), '{"realtime":true}');
    assert.equal(report.transcription.chunksSkipped, 1);
  });

  it('cancelling keeps finished transcripts, still releases the host and writes the report', async function () {
    for (let i = 1; i <= 6; i++) await putAudio('u1', 's1', i);
    const controller = new AbortController();
    let n = 0;
    const engine = new ScriptedEngine(async () => {
      if (++n === 3) controller.abort();
      return transcript('x');
    });
    const host = new CountingHost();
    const s = { ...settings, run: { ...settings.run, concurrency: 1 } };
    const { report, reportKeys } = await runBatch({ store, settings: s, clock: systemClock, host, engine, signal: controller.signal });
    assert.equal(report.cancelled, true);
    assert.equal(report.status, 'partial');
    assert.equal(host.released, 1);
    assert.ok(reportKeys);
    const done = readdirSync(path.join(dir, 'users/u1/audio/sessions/s1/layers/layer-0-raw-transcription'));
    assert.ok(done.length >= 2 && done.length < 6, `kept ${done.length} transcripts`);
    // and a re-run finishes the rest
    const again = await runBatch({ store, settings: s, clock: systemClock, host, engine: new ScriptedEngine() });
    assert.equal(again.report.transcription.chunksTranscribed, 6 - done.length);
  });

  it('a host that never gets ready gives a failed report naming the error, and is still released', async function () {
    await putAudio('u1', 's1', 1);
    const host = new CountingHost(new Error('whisperlive is inactive'));
    const { report } = await runBatch({ store, settings, clock: systemClock, host, engine: new ScriptedEngine() });
    assert.equal(report.status, 'failed');
    assert.equal(host.released, 1);
    assert.match(report.errors[0].message, /whisperlive is inactive/);
    assert.equal(report.errors[0].phase, 'host-start');
  });

  it('a second runner is refused while the lease is held, and is told who holds it', async function () {
    await putAudio('u1', 's1', 1);
    const lease = await Lease.acquire({ store, layout, clock: systemClock, runId: 'other-run', holder: 'vscode window on laptop', seconds: 120 });
    const host = new CountingHost();
    const { report } = await runBatch({ store, settings, clock: systemClock, host, engine: new ScriptedEngine() });
    await lease.release();
    assert.equal(report.status, 'failed');
    assert.equal(host.prepared, 0, 'the loser never touches the host');
    assert.match(report.errors[0].message, /vscode window on laptop/);
  });

  it('emits typed events in order', async function () {
    await putAudio('u1', 's1', 1);
    const events: BatchEvent[] = [];
    await runBatch({ store, settings, clock: systemClock, host: new CountingHost(), engine: new ScriptedEngine(), emit: (e) => events.push(e) });
    const kinds = events.filter((e) => e.type !== 'log').map((e) => (e.type === 'run.phase' ? `phase:${e.phase}` : e.type));
    assert.deepEqual(kinds, [
      'phase:scan',
      'scan.done',
      'phase:lease',
      'phase:host-start',
      'phase:transcribe',
      'chunk.started',
      'chunk.done',
      'phase:host-stop',
      'phase:report',
      'phase:done',
      'run.done',
    ]);
  });
});
