/**
 * Real Whisper, timed (`npm run bench -- --only whisper`; docs/PERFORMANCE.md, "Transcription"):
 *
 *   product  `node dist/cli.js run --store <folder> --yes` with engine faster-whisper on the local
 *            host: scan, the shipped script (loopback URLs, WebM repair, ffmpeg, create-only PUTs),
 *            report, on a fresh copy of the real Chromium recording every round;
 *   bare     bench/bare_faster_whisper.py: faster-whisper alone in a loop over the same chunks made
 *            decodable on their own (standaloneChunk), same Python, model and options;
 *   plain    the bare loop with WhisperModel.transcribe instead of BatchedInferencePipeline.
 *
 * All three in every round, the order rotated (a machine shared with other work drifts), so the
 * ratios come from one run. Wall times include each process's start and the model load: a user
 * waits for those too.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { standaloneChunk } from '../src/core/decode';
import { managedVenvDir, venvPython } from '../src/core/engine/engineEnv';
import { BucketLayout } from '../src/core/layout';
import { defaultSettings } from '../src/core/settings';

export interface WhisperBenchOptions {
  root: string;
  /** Copies of the 7-chunk recording (sessions) per round. */
  sessions: number;
  rounds: number;
  model: string;
  device: string;
  /** Python with faster-whisper (default: the engine venv `whisper-batch setup-engine` makes). */
  python?: string;
  log: (m: string) => void;
}

export interface WhisperRound {
  order: string[];
  productSeconds: number;
  /** Inside the product: the script's model load and the sum of its per-chunk times (from --events). */
  productLoadSeconds: number;
  productChunkSeconds: number;
  bareSeconds: number;
  bareLoadSeconds: number;
  bareTranscribeSeconds: number;
  bareDecodeSeconds: number;
  plainSeconds: number;
  plainTranscribeSeconds: number;
}

export interface WhisperFigures {
  model: string;
  device: string;
  computeType: string;
  chunks: number;
  audioSeconds: number;
  rounds: WhisperRound[];
  /** Medians over the rounds. */
  productSeconds: number;
  bareSeconds: number;
  /** product / bare, the median of the per-round ratios (target <= 1.10). */
  ratio: number;
  batchedRtf: number;
  plainRtf: number;
  /** plain transcribe time / batched transcribe time. */
  batchedSpeedup: number;
  productWords: number;
  bareWords: number;
}

const REC = 'test/fixtures/chromium-recording';

export async function whisperBench(o: WhisperBenchOptions): Promise<WhisperFigures> {
  const python = o.python ?? venvPython(managedVenvDir());
  const cli = path.join(o.root, 'dist', 'cli.js');
  const rec = (n: number) => readFileSync(path.join(o.root, REC, `chunk-00${n}.webm`));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-bench-whisper-'));
  try {
    // The bare loop's input: every chunk made decodable alone, as the product's script does it.
    const alone = path.join(tmp, 'standalone');
    mkdirSync(alone);
    const files: string[] = [];
    for (let s = 1; s <= o.sessions; s++)
      for (let n = 1; n <= 7; n++) {
        const f = path.join(alone, `s${s}-chunk-00${n}.webm`);
        writeFileSync(f, standaloneChunk(rec(n), rec(1), n < 7 ? rec(n + 1) : undefined));
        files.push(f);
      }
    const bareOpts = { model: o.model, device: o.device, beam_size: 5, batch_size: 8, vad_filter: true, language: 'en' };
    const layout = new BucketLayout(defaultSettings().layout);
    const rounds: WhisperRound[] = [];
    let computeType = '?';
    let audioSeconds = 0;
    let productWords = 0;
    let bareWords = 0;

    for (let r = 0; r < o.rounds; r++) {
      const kinds = ['product', 'bare', 'plain'];
      const order = [...kinds.slice(r % 3), ...kinds.slice(0, r % 3)];
      const row: Partial<WhisperRound> = { order };
      for (const kind of order) {
        if (kind === 'product') {
          // A fresh store each round: every chunk pending, files an hour old (not a live recording).
          const store = path.join(tmp, `store-${r}`);
          const old = new Date(Date.now() - 3_600_000);
          for (let s = 1; s <= o.sessions; s++)
            for (let n = 1; n <= 7; n++) {
              const f = path.join(store, ...layout.audioKey({ userId: 'bench', sessionId: `recording-${s}` }, n).split('/'));
              mkdirSync(path.dirname(f), { recursive: true });
              writeFileSync(f, rec(n));
              utimesSync(f, old, old);
            }
          const events = path.join(tmp, `events-${r}.jsonl`);
          const args = [cli, 'run', '--store', store, '--yes', '--events', events, '--set', 'engine.kind=faster-whisper', '--set', `engine.model=${o.model}`, '--set', `engine.device=${o.device}`];
          if (o.python) args.push('--set', `engine.pythonPath=${o.python}`);
          const t0 = performance.now();
          await run(process.execPath, args);
          row.productSeconds = (performance.now() - t0) / 1000;
          const ev = readFileSync(events, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l));
          const done = ev.filter((e) => e.type === 'chunk.done');
          if (done.length !== 7 * o.sessions) throw new Error(`the product transcribed ${done.length} of ${7 * o.sessions} chunks`);
          row.productChunkSeconds = done.reduce((a, e) => a + e.seconds, 0);
          const load = ev.find((e) => e.type === 'log' && / loaded in [\d.]+ s/.test(e.message));
          row.productLoadSeconds = load ? Number(/ loaded in ([\d.]+) s/.exec(load.message)![1]) : NaN;
          productWords = countWords(store);
        } else {
          const t0 = performance.now();
          const out = await run(python, [path.join(o.root, 'bench', 'bare_faster_whisper.py'), JSON.stringify({ ...bareOpts, pipeline: kind === 'bare' ? 'batched' : 'plain' }), ...files]);
          const seconds = (performance.now() - t0) / 1000;
          const j = JSON.parse(out.trim().split('\n').pop()!);
          computeType = `${j.device} ${j.computeType}`;
          audioSeconds = j.audioSeconds;
          if (kind === 'bare') {
            Object.assign(row, { bareSeconds: seconds, bareLoadSeconds: j.loadSeconds, bareTranscribeSeconds: j.transcribeSeconds, bareDecodeSeconds: j.decodeSeconds });
            bareWords = j.words;
          } else Object.assign(row, { plainSeconds: seconds, plainTranscribeSeconds: j.transcribeSeconds });
        }
      }
      const done = row as WhisperRound;
      o.log(
        `whisper round ${r + 1}/${o.rounds} (${order.join(', ')}): product ${done.productSeconds.toFixed(2)} s, bare ${done.bareSeconds.toFixed(2)} s (ratio ${(done.productSeconds / done.bareSeconds).toFixed(3)}), plain ${done.plainSeconds.toFixed(2)} s`,
      );
      rounds.push(done);
    }
    const med = (f: (r: WhisperRound) => number) => median(rounds.map(f));
    const batchedT = med((r) => r.bareTranscribeSeconds);
    const plainT = med((r) => r.plainTranscribeSeconds);
    return {
      model: o.model,
      device: o.device,
      computeType,
      chunks: files.length,
      audioSeconds: round3(audioSeconds),
      rounds: rounds.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round3(v) : v])) as unknown as WhisperRound),
      productSeconds: round3(med((r) => r.productSeconds)),
      bareSeconds: round3(med((r) => r.bareSeconds)),
      ratio: round3(med((r) => r.productSeconds / r.bareSeconds)),
      batchedRtf: round3(batchedT / audioSeconds),
      plainRtf: round3(plainT / audioSeconds),
      batchedSpeedup: round3(plainT / batchedT),
      productWords,
      bareWords,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Words in the transcripts the product wrote (a check that both sides did the same work). */
function countWords(store: string): number {
  let words = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes('layer-0-raw-transcription') && p.endsWith('.json')) {
        const t = JSON.parse(readFileSync(p, 'utf8'));
        if (t.batch?.engine !== 'faster-whisper') throw new Error(`${p}: engine ${t.batch?.engine}`);
        for (const s of t.segments) words += s.words.length;
      }
    }
  };
  walk(store);
  return words;
}

function run(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(program, args, { maxBuffer: 64 << 20, env: { ...process.env, HF_HUB_DISABLE_TELEMETRY: '1' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${path.basename(program)} ${args[0]}: ${err.message}\n${stderr.slice(-2000)}`)) : resolve(stdout),
    ),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
