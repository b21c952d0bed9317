#!/usr/bin/env node
// Known English speech for the Chromium fake microphone: one flite sentence per 5 s slot
// (0.8 s of silence first), so chunk N of a 5000 ms timeslice recording holds sentence N.
//
// usage: node scripts/make-speech.mjs SENTENCES.txt OUTDIR [--slot 5.0] [--lead 0.8]
// writes OUTDIR/speech-48k.wav (48 kHz mono s16) and OUTDIR/timeline.tsv (slot, start, end, text)
// Needs Debian packages: flite ffmpeg. flite's `rms` voice is the one pocketsphinx recognises well.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const sentencesFile = resolve(args[0] ?? 'test/fixtures/chromium-recording/sentences.txt');
const outDir = resolve(args[1] ?? 'out/speech');
const slot = opt('--slot', 5.0);
const lead = opt('--lead', 0.8);
const RATE = 48000;

const sentences = readFileSync(sentencesFile, 'utf8')
  .split('\n')
  .map((s) => s.trim())
  .filter(Boolean);
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'speech-'));
try {
  const total = new Int16Array(Math.round(sentences.length * slot * RATE));
  const timeline = [];
  sentences.forEach((text, i) => {
    const raw = join(tmp, `s${i}.wav`);
    // Argument arrays only: the sentence never passes through a shell.
    execFileSync('flite', ['-voice', 'rms', '-t', text, '-o', raw]);
    const pcm = execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-i', raw, '-ar', String(RATE), '-ac', '1', '-f', 's16le', 'pipe:1'], { maxBuffer: 64 << 20 });
    const all = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
    const speech = trimSilence(all);
    const room = Math.round((slot - lead - 0.05) * RATE);
    if (speech.length > room) throw new Error(`sentence ${i + 1} is ${(speech.length / RATE).toFixed(2)} s: too long for a ${slot} s slot`);
    const at = Math.round((i * slot + lead) * RATE);
    total.set(speech, at);
    timeline.push([i + 1, (at / RATE).toFixed(3), ((at + speech.length) / RATE).toFixed(3), text].join('\t'));
  });
  writeFileSync(join(outDir, 'speech-48k.wav'), wav(total, RATE));
  writeFileSync(join(outDir, 'timeline.tsv'), timeline.join('\n') + '\n');
  console.log(timeline.join('\n'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// Drops leading/trailing samples under 0.5 % of full scale (flite pads with near silence).
function trimSilence(s) {
  const thr = 164;
  let a = 0,
    b = s.length;
  while (a < b && Math.abs(s[a]) < thr) a++;
  while (b > a && Math.abs(s[b - 1]) < thr) b--;
  return s.subarray(a, b);
}

function wav(samples, rate) {
  const h = Buffer.alloc(44);
  const bytes = samples.length * 2;
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + bytes, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(bytes, 40);
  return Buffer.concat([h, Buffer.from(samples.buffer, samples.byteOffset, bytes)]);
}
