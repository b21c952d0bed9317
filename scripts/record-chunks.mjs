#!/usr/bin/env node
// Records real MediaRecorder chunks with headless Chromium, the WAV playing as the fake microphone,
// exactly as the recording web app produces them (audio/webm;codecs=opus, one blob per timeslice).
//
// usage: node scripts/record-chunks.mjs SPEECH.wav OUTDIR [--timeslice 5000] [--duration 31000]
// writes OUTDIR/chunk-001.webm ... and OUTDIR/record-log.json
// Needs Debian package: chromium (CHROMIUM=/path overrides /usr/bin/chromium). No npm dependency.
//
// How: a node http server on 127.0.0.1 (a secure context, so getUserMedia works) serves one page;
// the page records and POSTs every `dataavailable` blob back; Chromium is killed by its pid.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
if (args.length < 2) {
  console.error('usage: node scripts/record-chunks.mjs SPEECH.wav OUTDIR [--timeslice 5000] [--duration 31000]');
  process.exit(2);
}
const wavPath = resolve(args[0]);
const outDir = resolve(args[1]);
const timeslice = opt('--timeslice', 5000);
const duration = opt('--duration', 31000);
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
// A missing capture file makes Chromium record silence without any error: refuse it up front.
if (!existsSync(wavPath)) {
  console.error(`no such WAV: ${wavPath}`);
  process.exit(2);
}
if (!existsSync(chromium)) {
  console.error(`no Chromium at ${chromium}: apt-get install chromium`);
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const page = `<!doctype html><meta charset="utf-8"><title>record</title><script>
(async () => {
  const post = (path, body) => fetch(path, { method: 'POST', body });
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const rec = new MediaRecorder(stream, { mimeType: 'audio/webm;codecs=opus' });
    const t0 = performance.now();
    let n = 0, queue = Promise.resolve();
    // Blobs are posted one after the other so that they arrive in order.
    rec.ondataavailable = (e) => {
      const i = ++n, at = (performance.now() - t0).toFixed(0);
      queue = queue.then(() => post('/chunk?n=' + i + '&at=' + at, e.data));
    };
    rec.onstop = () => { queue = queue.then(() => post('/done', JSON.stringify({ chunks: n, mimeType: rec.mimeType,
      settings: stream.getAudioTracks()[0].getSettings() }))); };
    rec.start(${timeslice});
    setTimeout(() => rec.stop(), ${duration});
  } catch (e) { post('/done', JSON.stringify({ error: String(e) })); }
})();
</script>`;

const log = [];
let resolveDone;
const done = new Promise((r) => (resolveDone = r));

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    if (url.pathname === '/chunk') {
      const n = Number(url.searchParams.get('n'));
      if (!Number.isInteger(n) || n < 1) {
        res.writeHead(400);
        return res.end();
      }
      const name = `chunk-${String(n).padStart(3, '0')}.webm`;
      writeFileSync(join(outDir, name), body);
      log.push({ chunk: name, bytes: body.length, atMs: Number(url.searchParams.get('at')) });
      console.log(`${name}: ${body.length} bytes at ${url.searchParams.get('at')} ms`);
    } else if (url.pathname === '/done') {
      resolveDone(JSON.parse(body.toString('utf8')));
    }
    res.writeHead(204);
    res.end();
  });
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const profile = mkdtempSync(join(tmpdir(), 'record-profile-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    // %noloop: play the file once, then silence.
    `--use-file-for-fake-audio-capture=${wavPath}%noloop`,
    '--autoplay-policy=no-user-gesture-required',
  ];
  const child = spawn(chromium, [...flags, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderrTail = '';
  child.stderr.on('data', (d) => {
    stderrTail = (stderrTail + d).slice(-4000);
  });
  let finished = false;
  child.on('exit', (code) => {
    if (!finished) {
      console.error(`chromium exited early (${code}):\n${stderrTail}`);
      process.exitCode = 1;
      finish();
    }
  });
  const timeout = setTimeout(() => resolveDone({ error: `timeout; chromium stderr:\n${stderrTail}` }), duration + 60_000);
  function finish() {
    finished = true;
    clearTimeout(timeout);
    if (child.exitCode === null) child.kill('SIGTERM');
    server.close();
    // Give Chromium a moment to let go of its profile before removing it.
    setTimeout(() => rmSync(profile, { recursive: true, force: true }), 500);
  }
  const result = await done;
  if (finished) return;
  writeFileSync(
    join(outDir, 'record-log.json'),
    JSON.stringify({ timeslice, duration, chromiumFlags: flags.filter((f) => !f.startsWith('--user-data-dir')).map((f) => f.replace(wavPath, 'SPEECH.wav')), result, chunks: log }, null, 2) + '\n',
  );
  if (result.error) {
    console.error('recording failed:', result.error);
    process.exitCode = 1;
  } else console.log(`recorded ${result.chunks} chunks (${result.mimeType})`);
  finish();
});
