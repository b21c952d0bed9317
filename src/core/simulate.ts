/**
 * The cost simulator: replays a day's recordings (arrival pattern, chunk lengths) against a GPU
 * that boots, loads the model, transcribes oldest first and is billed per second with EC2's 60 s
 * minimum, under a schedule policy. Deterministic (recordings are placed at the pattern's quantiles)
 * so its figures are reproducible; every parameter is injected. The assumptions are in docs/COST.md.
 */
import { billedSeconds } from './cost';
import { adaptiveDecision, type AdaptiveParams } from './adaptive';

export interface Workload {
  recordingsPerDay: number;
  /** 24 weights, one per hour of the day (UTC): when recordings start. */
  hourlyPattern: number[];
  chunksPerRecording: number;
  /** Audio seconds per chunk; a chunk is uploaded when it is recorded. */
  chunkSeconds: number;
  /** Start request to ready (billed). */
  bootSeconds: number;
  /** Per run on the instance: model load before the first chunk (billed). */
  modelLoadSeconds: number;
  /** Transcription seconds per audio second. */
  realtimeFactor: number;
  /** A session is picked up only this long after its newest chunk (scan.gracePeriodMinutes). */
  gracePeriodMinutes: number;
  hourlyUsd: number;
}

export type Policy = { kind: 'always-on'; name: string; scanMinutes: number } | { kind: 'interval'; name: string; minutes: number } | ({ kind: 'adaptive'; name: string } & AdaptiveParams);

export interface PolicyResult {
  policy: string;
  kind: Policy['kind'];
  costPerDayUsd: number;
  gpuStartsPerDay: number;
  gpuHoursPerDay: number;
  /** From a chunk's upload to its transcript, over the chunks uploaded in the measured days. */
  meanPendingAgeMinutes: number;
  maxPendingAgeMinutes: number;
  chunksPerDay: number;
}

export interface Simulation {
  days: number;
  workload: Workload;
  results: PolicyResult[];
}

/** The workload the design's own figures imply (see docs/COST.md for how it was derived). */
export function designWorkload(hourlyUsd = 0.526): Workload {
  return {
    recordingsPerDay: 288,
    hourlyPattern: Array.from({ length: 24 }, () => 1),
    chunksPerRecording: 2,
    chunkSeconds: 20,
    bootSeconds: 100,
    modelLoadSeconds: 15,
    realtimeFactor: 0.1,
    gracePeriodMinutes: 15,
    hourlyUsd,
  };
}

/** The design's two schedules, always-on for scale, and the adaptive one from its parameters. */
export function standardPolicies(adaptive: AdaptiveParams): Policy[] {
  return [
    { kind: 'always-on', name: 'always on', scanMinutes: 1 },
    { kind: 'interval', name: 'every 5 min', minutes: 5 },
    { kind: 'interval', name: 'fixed 2 h', minutes: 120 },
    { kind: 'adaptive', name: `adaptive ${adaptive.ageTargetHours} h`, ...adaptive },
  ];
}

const DAY = 86_400;

interface Chunk {
  upload: number;
  session: number;
  done: number;
}

/** Recording start times (s) of one day at the quantiles of the hourly pattern. */
export function arrivals(w: Pick<Workload, 'recordingsPerDay' | 'hourlyPattern'>): number[] {
  const weights = w.hourlyPattern.length === 24 ? w.hourlyPattern.map((x) => Math.max(0, x)) : Array.from({ length: 24 }, () => 1);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const out: number[] = [];
  for (let i = 0; i < w.recordingsPerDay; i++) {
    let q = ((i + 0.5) / w.recordingsPerDay) * total;
    let h = 0;
    while (h < 23 && q > weights[h]) q -= weights[h++];
    out.push((h + (weights[h] ? q / weights[h] : 0)) * 3600);
  }
  return out;
}

/**
 * Simulates day 0 as warm-up, then `days` measured days, then a tail until every chunk of the
 * measured days is done. Cost and starts count runs that start in the measured days.
 */
export function simulate(w: Workload, policies: Policy[], days = 7): Simulation {
  return { days, workload: w, results: policies.map((p) => simulateOne(w, p, days)) };
}

function simulateOne(w: Workload, p: Policy, days: number): PolicyResult {
  const day = arrivals(w);
  const chunks: Chunk[] = [];
  const sessionStart: number[] = [];
  for (let d = 0; d <= days + 1; d++) {
    for (const start of day) {
      const s = sessionStart.length;
      sessionStart.push(d * DAY + start);
      for (let j = 1; j <= w.chunksPerRecording; j++) chunks.push({ upload: d * DAY + start + j * w.chunkSeconds, session: s, done: NaN });
    }
  }
  chunks.sort((a, b) => a.upload - b.upload);
  const from = DAY;
  const to = (days + 1) * DAY;
  const end = (days + 3) * DAY;
  const tick = p.kind === 'interval' ? p.minutes * 60 : p.scanMinutes * 60;
  const transcribe = w.chunkSeconds * w.realtimeFactor;
  const grace = w.gracePeriodMinutes * 60;
  let next = 0; // first chunk not yet taken (chunks are taken oldest first, but grace can skip some)
  const taken = new Uint8Array(chunks.length);
  let busyUntil = 0;
  let billed = 0;
  let starts = 0;
  for (let t = 0; t < end; t += tick) {
    if (t < busyUntil) continue; // the run lease: one run at a time, a tick during a run does nothing
    while (next < chunks.length && taken[next]) next++;
    // What a scan at t finds: uploaded, untranscribed, in a session quiet for the grace period.
    const eligible: number[] = [];
    for (let i = next; i < chunks.length && chunks[i].upload <= t; i++) {
      if (!taken[i] && newestUploadAt(sessionStart[chunks[i].session], w, t) <= t - grace) eligible.push(i);
    }
    if (!eligible.length) continue;
    if (p.kind === 'adaptive') {
      const b = { chunks: eligible.length, oldestAgeSeconds: t - chunks[eligible[0]].upload, audioSeconds: eligible.length * w.chunkSeconds };
      if (!adaptiveDecision(b, p).start) continue;
    }
    let clock = p.kind === 'always-on' ? t : t + w.bootSeconds + w.modelLoadSeconds;
    for (const i of eligible) {
      clock += transcribe;
      chunks[i].done = clock;
      taken[i] = 1;
    }
    busyUntil = clock;
    if (p.kind !== 'always-on' && t >= from && t < to) {
      starts++;
      billed += billedSeconds(clock - t);
    }
  }
  if (p.kind === 'always-on') billed = days * DAY;
  let n = 0;
  let sum = 0;
  let max = 0;
  for (const c of chunks) {
    if (c.upload < from || c.upload >= to) continue;
    const age = (Number.isFinite(c.done) ? c.done : end) - c.upload;
    n++;
    sum += age;
    max = Math.max(max, age);
  }
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    policy: p.name,
    kind: p.kind,
    costPerDayUsd: Math.round(((billed / 3600) * w.hourlyUsd * 1000) / days) / 1000,
    gpuStartsPerDay: r2(starts / days),
    gpuHoursPerDay: r2(billed / 3600 / days),
    meanPendingAgeMinutes: r2(n ? sum / n / 60 : 0),
    maxPendingAgeMinutes: r2(max / 60),
    chunksPerDay: r2(n / days),
  };
}

/** Upload time of the newest chunk of a recording that is there at t (a recording still going defers its session). */
function newestUploadAt(start: number, w: Workload, t: number): number {
  const n = Math.min(w.chunksPerRecording, Math.floor((t - start) / w.chunkSeconds));
  return start + n * w.chunkSeconds;
}

/** The table the CLI prints. */
export function simulationTable(sim: Simulation): string {
  const head = ['policy', 'cost/day', 'GPU starts/day', 'GPU h/day', 'mean age', 'max age'];
  const m = (x: number) => (x >= 120 ? `${(x / 60).toFixed(1)} h` : `${x.toFixed(1)} min`);
  const rows = sim.results.map((r) => [r.policy, `$${r.costPerDayUsd.toFixed(2)}`, r.gpuStartsPerDay.toFixed(1), r.gpuHoursPerDay.toFixed(2), m(r.meanPendingAgeMinutes), m(r.maxPendingAgeMinutes)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** The design document's figures for its own workload (seed, "Cost Analysis"). */
export const DESIGN_FIGURES: Record<string, number> = { 'every 5 min': 5.05, 'fixed 2 h': 0.35 };

/** How far each simulated figure is from the design's, in percent of the design's. */
export function designCheck(sim: Simulation): Array<{ policy: string; designUsdPerDay: number; simulatedUsdPerDay: number; deviationPct: number }> {
  return sim.results
    .filter((r) => DESIGN_FIGURES[r.policy] !== undefined)
    .map((r) => ({
      policy: r.policy,
      designUsdPerDay: DESIGN_FIGURES[r.policy],
      simulatedUsdPerDay: r.costPerDayUsd,
      deviationPct: Math.round(((r.costPerDayUsd - DESIGN_FIGURES[r.policy]) / DESIGN_FIGURES[r.policy]) * 1000) / 10,
    }));
}

/** A workload from a JSON file's fields over `base`; every value is checked (a typo must not simulate nonsense). */
export function workloadFrom(raw: unknown, base: Workload): Workload {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the workload must be a JSON object');
  const out: Workload = { ...base, hourlyPattern: [...base.hourlyPattern] };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(base, k)) throw new Error(`unknown workload field "${k}" (known: ${Object.keys(base).join(', ')})`);
    if (k === 'hourlyPattern') {
      if (!Array.isArray(v) || v.length !== 24 || !v.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x)) || !v.some((x) => x > 0))
        throw new Error('hourlyPattern must be 24 numbers >= 0, not all 0');
      out.hourlyPattern = v as number[];
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${k} must be a number >= 0`);
      (out as unknown as Record<string, number>)[k] = v;
    }
  }
  if (out.chunkSeconds <= 0 || !Number.isInteger(out.chunksPerRecording) || out.chunksPerRecording < 1) throw new Error('chunkSeconds must be > 0 and chunksPerRecording a whole number >= 1');
  if (!Number.isInteger(out.recordingsPerDay) || out.recordingsPerDay > 100_000) throw new Error('recordingsPerDay must be a whole number up to 100000');
  return out;
}
