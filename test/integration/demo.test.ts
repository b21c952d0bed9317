/**
 * The embedded default end to end, as README's first command runs it: a sample bucket of real
 * speech (flite, cut like Chromium's MediaRecorder), scanned and transcribed by pocketsphinx on this
 * machine, with a report; then a second run transcribes nothing and writes no transcript.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr }),
    );
  });
}
function transcripts(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/layer-0-raw-transcription|transcription-chunk-/.test(p)) out.set(p, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return out;
}

describe('demo: the whole flow on the embedded default @integration', function () {
  this.timeout(900_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-demo-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a sample bucket, transcribes what is missing with pocketsphinx, writes the report', async function () {
    const r = await cli(['demo', '--dir', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.ok(rep.transcription.chunksFound > 0);
    assert.ok(rep.transcription.chunksTranscribed > 0, r.stderr);
    assert.notEqual(rep.status, 'failed');
    assert.match(r.stderr, /report: /);
    const json = JSON.parse(readFileSync(path.join(dir, rep.reportKeys.json), 'utf8'));
    assert.equal(json.reportId, rep.reportId);
    // Real words came out of real speech.
    const written = [...transcripts(dir).keys()].filter((p) => p.includes('layer-0')).map((p) => JSON.parse(readFileSync(p, 'utf8')));
    const words = written.flatMap((t) => t.segments.flatMap((s: any) => s.words.map((w: any) => w.word.trim().toLowerCase())));
    assert.ok(words.length > 20, `got ${words.length} words`);
    assert.ok(written.some((t) => t.segments.length && typeof t.segments[0].start === 'number' && t.segments[0].is_final === true));
  });

  it('a second run right after transcribes nothing and writes no transcript', async function () {
    const before = transcripts(dir);
    const r = await cli(['run', '--store', dir, '--yes', '--json']);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.transcription.chunksTranscribed, 0);
    assert.ok(['skipped', 'failed', 'partial'].includes(rep.status));
    const after = transcripts(dir);
    assert.deepEqual([...after.entries()], [...before.entries()], 'no transcript written or touched');
  });
});
