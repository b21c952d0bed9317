/**
 * The benchmark bucket: U users x S sessions x C chunks with a realistic mix, generated as literal
 * keys the way the recording app writes them (deterministic, so every store gets the same bucket).
 * Mix per session (by index): 80% fully transcribed (current layout, with the completion marker),
 * 10% with the last chunks missing a transcript, 10% transcribed in the legacy layout.
 */
import { PutObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface BucketSpec {
  users: number;
  sessionsPerUser: number;
  chunksPerSession: number;
}

export interface BucketObject {
  key: string;
  body: string;
}

const T = 'layers/layer-0-raw-transcription/';
const TRANSCRIPT = JSON.stringify({ segments: [{ text: ' Hello.', start: 0, end: 1, is_final: true, words: [] }], language: 'en', language_probability: 1, duration: 5 });

export function userId(u: number): string {
  return `user-${String(u).padStart(5, '0')}`;
}

export function sessionId(u: number, s: number): string {
  const day = String(1 + (s % 28)).padStart(2, '0');
  return `session_2025-11-${day}T14_32_${String(s % 60).padStart(2, '0')}_${String(u % 1000).padStart(3, '0')}Z-${s}`;
}

/** Every object of a session, in key order within the session prefix (the order does not matter for a put). */
export function* sessionObjects(spec: BucketSpec, u: number, s: number): Generator<BucketObject> {
  const base = `users/${userId(u)}/audio/sessions/${sessionId(u, s)}/`;
  const kind = s % 10 === 7 ? 'missing' : s % 10 === 3 ? 'legacy' : 'done';
  const C = spec.chunksPerSession;
  for (let c = 1; c <= C; c++) {
    const n = String(c).padStart(3, '0');
    yield { key: `${base}chunk-${n}.webm`, body: 'x'.repeat(16) };
    if (kind === 'legacy') yield { key: `${base}transcription-chunk-${n}.json`, body: TRANSCRIPT };
    else if (kind === 'done' || c <= C - 2) yield { key: `${base}${T}chunk-${n}.json`, body: TRANSCRIPT };
  }
  if (kind === 'done') yield { key: `${base}.transcription-complete`, body: '{"completed":"2025-11-09T15:00:00Z"}' };
}

export function* bucketObjects(spec: BucketSpec): Generator<BucketObject> {
  for (let u = 0; u < spec.users; u++) for (let s = 0; s < spec.sessionsPerUser; s++) yield* sessionObjects(spec, u, s);
}

/** Counts without materialising: keys, sessions, sessions with a missing transcript, missing chunks. */
export function bucketCounts(spec: BucketSpec): { keys: number; sessions: number; pendingSessions: number; missingChunks: number } {
  let keys = 0;
  let pendingSessions = 0;
  const perUser = { keys: 0, pending: 0 };
  for (let s = 0; s < spec.sessionsPerUser; s++) {
    for (const _ of sessionObjects(spec, 0, s)) perUser.keys++;
    if (s % 10 === 7 && spec.chunksPerSession > 0) perUser.pending++;
  }
  keys = perUser.keys * spec.users;
  pendingSessions = perUser.pending * spec.users;
  return { keys, sessions: spec.users * spec.sessionsPerUser, pendingSessions, missingChunks: pendingSessions * Math.min(2, spec.chunksPerSession) };
}

/** A spec of about `keys` keys with many users (parallel listing has prefixes to spread over). */
export function specForKeys(keys: number, chunksPerSession = 4): BucketSpec {
  const perSession = bucketCounts({ users: 1, sessionsPerUser: 10, chunksPerSession }).keys / 10;
  const sessions = Math.max(1, Math.round(keys / perSession));
  const users = Math.max(1, Math.round(Math.sqrt(sessions / 2)));
  return { users, sessionsPerUser: Math.max(1, Math.round(sessions / users)), chunksPerSession };
}

export const MARKER_KEY = 'bench-bucket.json';

/**
 * Fills the bucket (bounded parallel PutObject) unless a marker for the same spec says a previous
 * run already did: filling runs at only a few hundred objects/s on the local emulators.
 */
export async function fillBucket(
  client: S3Client,
  bucket: string,
  spec: BucketSpec,
  opts: { concurrency?: number; log?: (m: string) => void } = {},
): Promise<{ reused: boolean; seconds: number; objects: number }> {
  const want = JSON.stringify(spec);
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: MARKER_KEY }));
    if (head.Metadata?.spec === Buffer.from(want).toString('base64')) return { reused: true, seconds: 0, objects: 0 };
  } catch {
    /* no marker: fill */
  }
  const t0 = performance.now();
  const it = bucketObjects(spec);
  let n = 0;
  const total = bucketCounts(spec).keys;
  let lastLog = t0;
  const worker = async () => {
    for (;;) {
      const next = it.next();
      if (next.done) return;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: next.value.key, Body: next.value.body }));
      n++;
      if (opts.log && performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        opts.log(`filling ${bucket}: ${n}/${total} objects`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: MARKER_KEY, Body: want, Metadata: { spec: Buffer.from(want).toString('base64') } }));
  return { reused: false, seconds: (performance.now() - t0) / 1000, objects: n };
}
