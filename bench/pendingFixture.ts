/**
 * A scan result with many pending sessions, for the Pending tree benchmark: the real core scan()
 * over a generated listing in which every session has 4 chunks and only the first 2 transcribed.
 */
import { systemClock } from '../src/core/clock';
import { scan, type PendingJobs } from '../src/core/scan';
import { defaultSettings } from '../src/core/settings';
import { GeneratedStore } from './generatedStore';

const T = 'layers/layer-0-raw-transcription/';
// The ids of bench/bucket.ts, not imported from there: that module loads the AWS SDK.
const userId = (u: number) => `user-${String(u).padStart(5, '0')}`;
const sessionId = (u: number, s: number) => `session_2025-11-${String(1 + (s % 28)).padStart(2, '0')}T14_32_${String(s % 60).padStart(2, '0')}_${String(u % 1000).padStart(3, '0')}Z-${s}`;

function* pendingObjects(users: number, sessionsPerUser: number): Generator<{ key: string; size: number }> {
  // Key order: users, then sessions, then keys within a session as S3 sorts them.
  const us = Array.from({ length: users }, (_, u) => userId(u)).sort();
  for (const [u, user] of us.entries()) {
    const ids = Array.from({ length: sessionsPerUser }, (_, s) => sessionId(u, s)).sort();
    for (const id of ids) {
      const base = `users/${user}/audio/sessions/${id}/`;
      const keys = [1, 2, 3, 4].map((c) => `${base}chunk-00${c}.webm`);
      keys.push(`${base}${T}chunk-001.json`, `${base}${T}chunk-002.json`);
      for (const key of keys.sort()) yield { key, size: key.endsWith('.webm') ? 48_000 + (key.length % 7) * 1000 : 200 };
    }
  }
}

/** The real scan of `users` x `sessionsPerUser` sessions, each pending with 2 missing chunks. */
export async function pendingScan(users: number, sessionsPerUser: number): Promise<PendingJobs> {
  const settings = defaultSettings();
  settings.store = 'generated';
  settings.scan.gracePeriodMinutes = 0;
  settings.scan.listConcurrency = 1;
  const doc = await scan({ store: new GeneratedStore(() => pendingObjects(users, sessionsPerUser)), settings, clock: systemClock });
  if (doc.sessionsWithMissingChunks !== users * sessionsPerUser) throw new Error(`fixture: ${doc.sessionsWithMissingChunks} pending sessions, expected ${users * sessionsPerUser}`);
  return doc;
}
