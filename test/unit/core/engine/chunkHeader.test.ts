/**
 * A later WebM chunk decodes only with chunk 1's header. When chunk 1 is another format (an .ogg
 * chunk-001), is garbage, or is missing, the error says what was found and what was expected, not
 * ffmpeg's "Invalid data" or a hint about a missing header. Real folder store, real scan, real
 * Chromium chunks, real ffmpeg (the engine decodes with decodeToWav, then returns a fixed transcript).
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBatch } from '../../../../src/core/batch';
import { systemClock } from '../../../../src/core/clock';
import { decodeToWav } from '../../../../src/core/decode';
import { perChunkEngine } from '../../../../src/core/engine/chunkPipeline';
import type { GpuHost } from '../../../../src/core/host/host';
import { BucketLayout } from '../../../../src/core/layout';
import { defaultSettings } from '../../../../src/core/settings';
import { FolderStore } from '../../../../src/core/store/folderStore';

const DIR = path.resolve(__dirname, '../../../../../test/fixtures/chromium-recording');
const chunk = (n: number) => readFileSync(path.join(DIR, `chunk-00${n}.webm`));

describe('a later WebM chunk whose chunk 1 is not WebM, or missing (real ffmpeg)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-header-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('names what chunk 1 is and what was expected; a good session decodes', async function () {
    const settings = defaultSettings();
    const layout = new BucketLayout(settings.layout);
    const old = new Date(Date.now() - 3_600_000);
    const put = (key: string, body: Buffer | string) => {
      const f = path.join(dir, ...key.split('/'));
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, body);
      utimesSync(f, old, old);
    };
    const ogg = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus', '-f', 'ogg', 'pipe:1']);
    const s = (sessionId: string) => ({ userId: 'u', sessionId });
    put(layout.audioKey(s('ogg-first'), 1, 'ogg'), ogg);
    put(layout.audioKey(s('ogg-first'), 2, 'webm'), chunk(2));
    put(layout.audioKey(s('garbage-first'), 1, 'webm'), 'not a recording at all\n'.repeat(10));
    put(layout.audioKey(s('garbage-first'), 2, 'webm'), chunk(2));
    put(layout.audioKey(s('no-first'), 2, 'webm'), chunk(2));
    put(layout.audioKey(s('good'), 1, 'webm'), chunk(1));
    put(layout.audioKey(s('good'), 2, 'webm'), chunk(2));
    const engine = perChunkEngine({
      name: 'decode-then-fixed',
      async check() {},
      async transcribeChunk(input) {
        const d = await decodeToWav(input.audio, input.ext, input.signal, { label: input.job.audioKey, maxSeconds: input.maxSeconds });
        return { segments: [], language: 'en', language_probability: 1, duration: d.durationSeconds };
      },
    });
    const host = {
      kind: 'local',
      id: 'here',
      hourlyUsd: 0,
      timeline: {},
      chunkStarted: () => {},
      chunkFinished: () => {},
      status: async () => ({ state: 'running' }),
      prepare: async () => ({ startedByUs: false }),
      release: async () => {},
    } as unknown as GpuHost;
    const { report } = await runBatch({ store: new FolderStore(dir), settings, clock: systemClock, host, engine });
    const errors = Object.fromEntries(report.errors.map((e) => [`${e.sessionId}/${e.chunk}`, e.message]));
    assert.deepEqual(Object.keys(errors).sort(), ['garbage-first/001', 'garbage-first/002', 'no-first/002', 'ogg-first/002'], JSON.stringify(errors));
    assert.match(
      errors['ogg-first/002'],
      /^"users\/u\/.*ogg-first\/chunk-002\.webm" is a WebM chunk without its header \(a later chunk of a recording\), and chunk 1 "users\/u\/.*ogg-first\/chunk-001\.ogg" is not WebM: found Ogg audio where a WebM file \(beginning with the EBML header\) was expected\./,
    );
    assert.match(errors['garbage-first/002'], /and chunk 1 ".*garbage-first\/chunk-001\.webm" is not WebM: found text where a WebM file/);
    assert.match(errors['garbage-first/001'], /^Cannot decode ".*garbage-first\/chunk-001\.webm": found text where WebM\/Matroska was expected/);
    assert.match(errors['no-first/002'], /is a WebM chunk without its header \(a later chunk of a recording\), and its session has no chunk 1 to take the header from/);
    for (const m of Object.values(errors)) assert.doesNotMatch(m, /Invalid data|lack the header/, m);
    assert.equal(report.transcription.chunksTranscribed, 3, 'ogg-first/001, good/001, good/002');
  });
});
