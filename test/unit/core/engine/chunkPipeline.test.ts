/**
 * The per-chunk pipeline's transcript write on a real folder store: the `batch` field is the
 * pipeline's (engine, model, run), but the chunk's start in the recording is the engine's to know
 * (pocketsphinx reads it from the WebM Cluster timecode) and is kept (docs/TRANSCRIPT.md).
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../../../src/core/clock';
import { transcribeChunkByChunk } from '../../../../src/core/engine/chunkPipeline';
import type { ChunkOutcome } from '../../../../src/core/engine/engine';
import { BucketLayout } from '../../../../src/core/layout';
import { defaultSettings } from '../../../../src/core/settings';
import { FolderStore } from '../../../../src/core/store/folderStore';

describe('transcribeChunkByChunk (folder store)', function () {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wb-pipeline-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the pipeline's batch field and keeps the engine's offsetSeconds; none when the engine gave none", async function () {
    const layout = new BucketLayout(defaultSettings().layout);
    const store = new FolderStore(dir);
    const ref = { userId: 'u', sessionId: 's' };
    const jobs = [2, 3].map((chunk) => ({ userId: 'u', sessionId: 's', chunk, audioKey: layout.audioKey(ref, chunk, 'wav'), transcriptKey: layout.transcriptKey(ref, chunk), size: 4 }));
    for (const j of jobs) await store.put(j.audioKey, 'RIFF');
    const outcomes: ChunkOutcome[] = [];
    const engine = {
      name: 'stand-in',
      model: 'm',
      async transcribeChunk({ job }: { job: { chunk: number } }) {
        return { segments: [], language: 'en', language_probability: 1, duration: 5, batch: job.chunk === 2 ? { engine: 'x', createdAt: 'x', offsetSeconds: 5.04 } : undefined };
      },
    };
    await transcribeChunkByChunk(engine, jobs, {
      store,
      layout,
      signal: new AbortController().signal,
      concurrency: 1,
      emit: () => undefined,
      onOutcome: (o) => outcomes.push(o),
      runId: 'run-1',
      clock: systemClock,
      maxChunkBytes: 1 << 20,
      maxChunkSeconds: 3600,
    });
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true],
    );
    const batch = async (n: number) => JSON.parse((await store.get(layout.transcriptKey(ref, n), undefined, { maxBytes: 1 << 20 })).toString()).batch;
    const b2 = await batch(2);
    assert.deepEqual([b2.engine, b2.model, b2.offsetSeconds, b2.runId], ['stand-in', 'm', 5.04, 'run-1']);
    assert.equal('offsetSeconds' in (await batch(3)), false);
  });
});
