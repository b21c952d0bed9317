/**
 * Bucket layouts for the listing benchmarks, generated deterministically (a seeded PRNG) as the
 * recording app would write them, with the answer a correct scan must give counted on the way.
 * `skewed` is the default (an independent measurement found the scan slow on such a bucket, issue
 * 12); `uniform` is the project's earlier grid (bench/bucket.ts); `tiny-users` and `few-huge` are
 * the two extremes of users per key. Keys are ASCII, so JavaScript's sort is S3's order.
 */
import { bucketCounts, bucketObjects, specForKeys } from './bucket';

export type LayoutName = 'skewed' | 'uniform' | 'tiny-users' | 'few-huge';
export const LAYOUTS: LayoutName[] = ['skewed', 'uniform', 'tiny-users', 'few-huge'];

export interface LayoutCounts {
  keys: number;
  sessions: number;
  pendingSessions: number;
  missingChunks: number;
  users: number;
}

export interface BenchObject {
  key: string;
  size: number;
}

/** What each layout is, for docs/PERFORMANCE.md and the bench's log. */
export const LAYOUT_TRAITS: Record<LayoutName, string> = {
  skewed:
    '3 heavy users hold 55% of the sessions; the other users have 1 session (60%) or 2-11; session ids 90-120 characters; 1-9 chunks per session with gaps (20% of sessions skip a number) and duplicates (10%: one number as .webm and .m4a); 60% transcribed with the completion marker, 10% in the legacy layout, 15% half transcribed, 15% not at all; non-audio files in 30% of sessions (metadata.json, waveform.png) and a profile.json in 20% of user folders',
  uniform:
    'the earlier grid (bench/bucket.ts): about sqrt(sessions/2) users with equal session counts, 4 chunks each, short ids (~35 characters); 80% transcribed, 10% missing the last two transcripts, 10% legacy',
  'tiny-users': 'every user has exactly one session (as many users as sessions), otherwise like skewed (long ids, 1-9 chunks, gaps, duplicates, non-audio files)',
  'few-huge': '4 users share all sessions equally, otherwise like skewed',
};

function rng(seed: number): () => number {
  // mulberry32: small, fast, deterministic.
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const T = 'layers/layer-0-raw-transcription/';

/** Every object of the layout, users in any order (callers sort when they need key order), and the counts. */
export function* layoutObjects(name: LayoutName, targetKeys: number, counts?: LayoutCounts): Generator<BenchObject> {
  const c: LayoutCounts = counts ?? { keys: 0, sessions: 0, pendingSessions: 0, missingChunks: 0, users: 0 };
  if (name === 'uniform') {
    const spec = specForKeys(targetKeys);
    const k = bucketCounts(spec);
    Object.assign(c, { keys: k.keys, sessions: k.sessions, pendingSessions: k.pendingSessions, missingChunks: k.missingChunks, users: spec.users });
    for (const o of bucketObjects(spec)) yield { key: o.key, size: o.body.length };
    return;
  }
  const r = rng(12);
  const hex = (n: number) => Array.from({ length: n }, () => B36[Math.floor(r() * 16)]).join('');
  const sessions = Math.max(1, Math.round(targetKeys / 10.3)); // ~10.3 keys per session on average
  // Sessions per user, in generation order.
  const users: number[] = [];
  if (name === 'skewed') {
    const heavy = Math.round((sessions * 0.55) / 3);
    users.push(heavy, heavy, heavy);
    let light = sessions - 3 * heavy;
    while (light > 0) {
      const n = Math.min(light, r() < 0.6 ? 1 : 2 + Math.floor(r() * 10));
      users.push(n);
      light -= n;
    }
  } else if (name === 'tiny-users') {
    for (let i = 0; i < sessions; i++) users.push(1);
  } else {
    for (let i = 0; i < 4; i++) users.push(Math.round(sessions / 4));
  }
  c.users = users.length;
  for (const n of users) {
    const user = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    const base = `users/${user}/`;
    if (r() < 0.2) {
      c.keys++;
      yield { key: `${base}profile.json`, size: 200 };
    }
    for (let s = 0; s < n; s++) {
      const day = 1 + Math.floor(r() * 28);
      const stamp = `session_2025-11-${String(day).padStart(2, '0')}T${String(Math.floor(r() * 24)).padStart(2, '0')}_${String(Math.floor(r() * 60)).padStart(2, '0')}_${String(Math.floor(r() * 60)).padStart(2, '0')}_${String(Math.floor(r() * 1000)).padStart(3, '0')}Z_`;
      const len = 90 + Math.floor(r() * 31);
      let id = stamp;
      while (id.length < len) id += B36[Math.floor(r() * 36)];
      const sb = `${base}audio/sessions/${id}/`;
      const chunks = 1 + Math.floor(r() * 9);
      const skip = r() < 0.2 && chunks > 1 ? 2 + Math.floor(r() * (chunks - 1)) : 0;
      const nums: number[] = [];
      for (let i = 1; nums.length < chunks; i++) if (i !== skip) nums.push(i);
      const dup = r() < 0.1 ? nums[Math.floor(r() * nums.length)] : 0;
      const state = r();
      const kind = state < 0.6 ? 'done' : state < 0.7 ? 'legacy' : state < 0.85 ? 'half' : 'none';
      const done = (i: number) => kind === 'done' || kind === 'legacy' || (kind === 'half' && i < Math.ceil(nums.length / 2));
      const files: BenchObject[] = [];
      nums.forEach((num, i) => {
        const nn = String(num).padStart(3, '0');
        files.push({ key: `${sb}chunk-${nn}.webm`, size: 20_000 + Math.floor(r() * 400_000) });
        if (num === dup) files.push({ key: `${sb}chunk-${nn}.m4a`, size: 10_000 + Math.floor(r() * 400_000) });
        if (done(i)) files.push({ key: kind === 'legacy' ? `${sb}transcription-chunk-${nn}.json` : `${sb}${T}chunk-${nn}.json`, size: 900 });
      });
      if (kind === 'done') files.push({ key: `${sb}.transcription-complete`, size: 36 });
      if (r() < 0.3) files.push({ key: `${sb}${r() < 0.5 ? 'metadata.json' : 'waveform.png'}`, size: 500 });
      const missing = nums.filter((_, i) => !done(i)).length;
      c.sessions++;
      if (missing) {
        c.pendingSessions++;
        c.missingChunks += missing;
      }
      c.keys += files.length;
      yield* files;
    }
  }
}

const TRANSCRIPT = JSON.stringify({ text: ' bench', segments: [{ start: 0, end: 1, text: ' bench', words: [{ word: ' bench', start: 0, end: 1 }] }] });

/**
 * What a transcript of the layout holds when read (the scan reads transcripts to check them,
 * scan.verifyTranscripts): a valid one, padded with spaces to `size` bytes when given.
 */
export function transcriptBody(size = 0): string {
  return TRANSCRIPT + ' '.repeat(Math.max(0, size - TRANSCRIPT.length));
}

/** A transcript key of the layouts (current or legacy). */
export const isTranscriptKey = (key: string): boolean => key.endsWith('.json') && (key.includes(`/${T}chunk-`) || key.includes('/transcription-chunk-'));

/** The counts alone (one pass over the generator, nothing kept). */
export function layoutCounts(name: LayoutName, targetKeys: number): LayoutCounts {
  const c: LayoutCounts = { keys: 0, sessions: 0, pendingSessions: 0, missingChunks: 0, users: 0 };
  for (const _ of layoutObjects(name, targetKeys, c));
  return c;
}

export function parseLayout(s: string): LayoutName {
  if (!(LAYOUTS as string[]).includes(s)) throw new Error(`unknown layout ${s}: one of ${LAYOUTS.join(', ')}`);
  return s as LayoutName;
}
