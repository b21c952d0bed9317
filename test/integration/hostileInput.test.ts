/**
 * Hostile bucket input through the real CLI (bundled dist/cli.js in a child process) on a real
 * folder store: what an attacker with write access to the bucket (or the store folder) can plant.
 * The speech program is a stand-in user program (engine.command) that prints a fixed transcript,
 * because what is under test is everything around it; ffmpeg decodes real WAV audio.
 * Build first: `node esbuild.mjs`.
 */
import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, CLI, ...args],
      {
        env: {
          ...process.env,
          WHISPER_BATCH_HOME: path.join(os.tmpdir(), 'wb-hostile-home'),
          WHISPER_BATCH_CONFIG: '/nonexistent/config.json',
          XDG_CACHE_HOME: '/nonexistent/cache' /* no engine venv: auto is pocketsphinx */,
          ...env,
        },
        maxBuffer: 64 << 20,
        timeout: 300_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** 0.3 s of 16 kHz mono silence as a WAV file: real audio ffmpeg decodes. */
export function silentWav(seconds = 0.3): Buffer {
  const samples = Math.round(16000 * seconds);
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  return b;
}

/** Characters that must never reach a terminal from bucket text. */
const UNSAFE_OUT = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

describe('hostile bucket input through the CLI @integration', function () {
  this.timeout(300_000);
  const layout = new BucketLayout(defaultSettings().layout);
  const old = new Date(Date.now() - 3 * 3_600_000);
  let dir: string;
  let asr: string;
  let base: string[];

  const put = (key: string, body: Buffer | string) => {
    const f = path.join(dir, ...key.split('/'));
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, body);
    utimesSync(f, old, old);
  };
  const file = (key: string) => path.join(dir, ...key.split('/'));

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node esbuild.mjs\` first`);
  });
  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-hostile-'));
    const bin = mkdtempSync(path.join(os.tmpdir(), 'wb-hostile-asr-'));
    asr = path.join(bin, 'asr');
    writeFileSync(asr, `#!${process.execPath}\nprocess.stdout.write(JSON.stringify({segments:[{text:' hello',start:0,end:0.3,words:[]}],language:'en',duration:0.3}));\n`);
    chmodSync(asr, 0o755);
    base = ['--set', `engine.command=${asr}`, '--engine', 'pocketsphinx', '--store', dir];
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.dirname(asr), { recursive: true, force: true });
  });

  it('ids with ESC/CSI/OSC, bidi marks and line breaks: scanned and transcribed like any other id; no control character and no forged line reaches stderr', async function () {
    const refs = [
      { userId: 'u1', sessionId: 'title\x1b]0;pwned\x07clear\x1b[2J\x1b[31mred' },
      { userId: 'u1', sessionId: 'bidi\u202eevil.exe\u2066x\u2069' },
      { userId: 'u\nerror: forged by a user id', sessionId: 'line\nerror: forged by a session id\rcr\u2028ls\u2029ps' },
      { userId: 'u2', sessionId: '[details](command:workbench.action.openSettings?%22x%22) $(zap)' },
    ];
    for (const r of refs) put(layout.audioKey(r, 1, 'wav'), silentWav());

    const s = await cli([...base, 'scan', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const doc = JSON.parse(s.stdout);
    assert.equal(doc.totalMissingChunks, refs.length, s.stdout);
    assert.deepEqual(doc.sessions.map((x: any) => x.sessionId).sort(), refs.map((r) => r.sessionId).sort());

    const human = await cli([...base, 'scan']);
    assert.equal(human.code, 0, human.stderr);
    const r = await cli([...base, 'run', '--yes', '-v']);
    assert.equal(r.code, 0, r.stderr);
    // the scan table is human output on stdout; logs on stderr: neither may carry a control character
    for (const out of [human.stdout, human.stderr, r.stdout, r.stderr]) {
      assert.doesNotMatch(out, UNSAFE_OUT, JSON.stringify(out));
      assert.ok(!out.split('\n').some((l) => /^(error|warning):/.test(l)), out);
    }
    assert.match(human.stdout, /title\\x1b\]0;pwned\\x07clear/);
    for (const ref of refs) assert.ok(existsSync(file(layout.transcriptKey(ref, 1))), `transcript of ${JSON.stringify(ref)}`);

    const list = await cli([...base, 'reports']);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, UNSAFE_OUT);
  });

  it('reports --id of a report with wrong types: a clear error naming the field, no crash; the listing leaves it out', async function () {
    const id = 'batch-2026-11-30-0009';
    put(`batch-reports/${id}.json`, JSON.stringify({ reportId: id, status: 42, transcription: { chunksTranscribed: 'many' }, gpu: [], errors: 'none' }));
    const r = await cli([...base, 'reports', '--id', id]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Not a batch report: "batch-reports\/batch-2026-11-30-0009\.json" \(/);
    assert.doesNotMatch(r.stderr, /is not a function|TypeError|at .*\.js:\d+/);
    const list = await cli([...base, 'reports', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  it('planted links (<session>/layers, batch-reports -> outside): run writes no transcript, report or lease outside the store, and says so (exit 1)', async function () {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'wb-hostile-outside-'));
    try {
      const trap = { userId: 'u1', sessionId: 'trap' };
      const fine = { userId: 'u1', sessionId: 'fine' };
      put(layout.audioKey(trap, 1, 'wav'), silentWav());
      put(layout.audioKey(fine, 1, 'wav'), silentWav());
      symlinkSync(outside, file(layout.sessionPrefix(trap) + 'layers'));
      const r1 = await cli([...base, 'run', '--yes']);
      assert.equal(r1.code, 1, r1.stderr);
      assert.match(r1.stderr, /link out of the store folder/);
      assert.ok(existsSync(file(layout.transcriptKey(fine, 1))), 'the other session is transcribed');
      assert.equal(readdirSync(file('batch-reports')).filter((f) => f.endsWith('.json')).length, 1, 'the report is written inside');
      assert.deepEqual(readdirSync(outside, { recursive: true }), []);

      rmSync(file('batch-reports'), { recursive: true });
      symlinkSync(outside, file('batch-reports'));
      const r2 = await cli([...base, 'run', '--yes']);
      assert.equal(r2.code, 1, r2.stderr);
      assert.match(r2.stderr, /link out of the store folder/);
      assert.deepEqual(readdirSync(outside, { recursive: true }), []);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a config file that is null, a list or text is exit 2 naming the file; a UTF-8 byte order mark is fine', async function () {
    const cfg = path.join(dir, 'config.json');
    for (const body of ['null', '[]', '"s3://x"', '42']) {
      writeFileSync(cfg, body);
      const r = await cli(['--config', cfg, '--store', dir, 'scan', '--json']);
      assert.equal(r.code, 2, `${body}: ${r.stderr}`);
      assert.match(r.stderr, /Cannot read config file .*config\.json: it holds .*not a JSON object of settings/, body);
      assert.doesNotMatch(r.stderr, /TypeError|Cannot convert/);
    }
    writeFileSync(cfg, '\uFEFF' + JSON.stringify({ scan: { gracePeriodMinutes: 5 } }));
    const ok = await cli(['--config', cfg, '--store', dir, 'settings']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).scan.gracePeriodMinutes, 5);
    const hex = await cli(['--store', dir, '--concurrency', '0x10', 'scan']);
    assert.equal(hex.code, 2);
    assert.match(hex.stderr, /run\.concurrency = "0x10": must be a (whole )?number/);
  });

  /** The report the last run wrote (there is one run per test here). */
  const lastReport = () => {
    const names = readdirSync(file('batch-reports')).filter((f) => /^batch-.*\.json$/.test(f));
    assert.equal(names.length, 1, String(names));
    return JSON.parse(readFileSync(path.join(file('batch-reports'), names[0]), 'utf8'));
  };

  it('a chunk whose bytes are an HLS playlist (a local file outside the store, a URL of a local listener) fails alone, naming what was found; nothing else is read; the rest goes on', async function () {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'wb-hostile-outside-'));
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const secret = path.join(outside, 'secret.mp3');
      const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-y', secret]);
      assert.equal(made.status, 0, String(made.stderr));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/seg.ts`;
      const playlist = (...entries: string[]) => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n${entries.map((e) => `#EXTINF:1,\n${e}\n`).join('')}#EXT-X-ENDLIST\n`;
      const webm = { userId: 'u1', sessionId: 'playlist-webm' };
      const m4a = { userId: 'u1', sessionId: 'playlist-m4a' };
      const fine = { userId: 'u1', sessionId: 'fine' };
      put(layout.audioKey(webm, 1, 'webm'), playlist(url, secret));
      // the mp4 family goes to ffmpeg as a temp file: probed, a playlist there read the local file
      put(layout.audioKey(m4a, 1, 'm4a'), playlist(secret, url));
      put(layout.audioKey(fine, 1, 'wav'), silentWav());
      const r = await cli([...base, 'run', '--yes']);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(existsSync(file(layout.transcriptKey(fine, 1))), 'the rest of the batch goes on');
      assert.ok(!existsSync(file(layout.transcriptKey(webm, 1))), 'no transcript of the playlist');
      assert.ok(!existsSync(file(layout.transcriptKey(m4a, 1))), 'no transcript of the local file the playlist names');
      const errors = lastReport().errors.map((e: { message: string }) => e.message);
      assert.equal(errors.length, 2, JSON.stringify(errors));
      assert.ok(
        errors.some((m: string) => /chunk-001\.webm": found an HLS playlist \(#EXTM3U\) where WebM\/Matroska was expected/.test(m)),
        JSON.stringify(errors),
      );
      assert.ok(
        errors.some((m: string) => /chunk-001\.m4a": found an HLS playlist \(#EXTM3U\) where MP4\/QuickTime was expected/.test(m)),
        JSON.stringify(errors),
      );
      assert.match(r.stderr, /found an HLS playlist/);
      assert.deepEqual(requests, [], 'the listener saw no request');
    } finally {
      server.close();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a 3 GiB sparse chunk through a full local run: fails alone naming the chunk and run.maxChunkMegabytes; peak RSS of the CLI < 400 MB', async function () {
    const huge = { userId: 'u1', sessionId: 'huge' };
    const fine = { userId: 'u1', sessionId: 'fine' };
    put(layout.audioKey(huge, 1, 'wav'), silentWav());
    truncateSync(file(layout.audioKey(huge, 1, 'wav')), 3 * 1024 ** 3);
    utimesSync(file(layout.audioKey(huge, 1, 'wav')), old, old);
    put(layout.audioKey(fine, 1, 'wav'), silentWav());
    // The CLI process reports its own peak RSS (getrusage) as it exits.
    const rssFile = path.join(path.dirname(asr), 'maxrss');
    const preload = path.join(path.dirname(asr), 'maxrss.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
    const r = await cli([...base, 'run', '--yes'], {}, ['--require', preload]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(existsSync(file(layout.transcriptKey(fine, 1))), 'the rest of the batch goes on');
    assert.ok(!existsSync(file(layout.transcriptKey(huge, 1))));
    const errors = lastReport().errors.map((e: { message: string }) => e.message);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0], /chunk "users\/u1\/.*huge\/chunk-001\.wav" is 3072 MB, above the chunk-size cap of 512 MB.*run\.maxChunkMegabytes/);
    const peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    console.log(`      peak RSS of the CLI: ${peakMb.toFixed(0)} MB`);
    assert.ok(peakMb > 20 && peakMb < 400, `peak RSS ${peakMb} MB`);
  });

  it('a small WebM that decodes to hours (1.3 MB, 2 h): decoding stops at run.maxChunkMinutes and it fails alone, named with the setting; the rest goes on', async function () {
    const long = { userId: 'u1', sessionId: 'long' };
    const fine = { userId: 'u1', sessionId: 'fine' };
    const f = file(layout.audioKey(long, 1, 'webm'));
    mkdirSync(path.dirname(f), { recursive: true });
    const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '7200', '-c:a', 'flac', '-f', 'matroska', '-y', f]);
    assert.equal(made.status, 0, String(made.stderr));
    utimesSync(f, old, old);
    put(layout.audioKey(fine, 1, 'wav'), silentWav());
    const t0 = Date.now();
    const r = await cli(['--set', 'run.maxChunkMinutes=1', ...base, 'run', '--yes']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - t0 < 60_000, 'decoding stopped at the bound');
    assert.ok(existsSync(file(layout.transcriptKey(fine, 1))), 'the rest of the batch goes on');
    assert.ok(!existsSync(file(layout.transcriptKey(long, 1))));
    const errors = lastReport().errors.map((e: { message: string }) => e.message);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0], /^"users\/u1\/.*long\/chunk-001\.webm" decodes to more than 1 min of audio \(run\.maxChunkMinutes\)\. .*\(failed 1 of 3 runs in a row before it is quarantined\)$/);
  });
});
