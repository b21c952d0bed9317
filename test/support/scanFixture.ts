/**
 * One bucket layout, written as literal keys the way the recording app writes them (not through
 * BucketLayout, so a formatting bug there cannot hide), used by the scanner tests on a folder
 * (test/unit/core/scan.test.ts) and on moto (test/integration/scanS3.test.ts).
 */
import type { ObjectStore } from '../../src/core/store/objectStore';
import type { PendingJobs, PendingSession } from '../../src/core/scan';
import { inParallel } from './parallel';

export const ODD_SESSIONS = {
  quotes: `it's "quoted" <img src=x onerror=alert(1)>`,
  shell: '$(touch pwned); rm -rf ~ `id`',
  unicode: 'ünïcødé 会话 🎙',
  slash: 'nested/inner',
} as const;

const S = 'users/alice/audio/sessions/';
const B = 'users/bob/audio/sessions/';
const C = 'users/carol/audio/sessions/';
const T = 'layers/layer-0-raw-transcription/';
const transcript = JSON.stringify({ segments: [{ text: ' Hello.', start: 0, end: 1, is_final: true, words: [] }], language: 'en', language_probability: 1, duration: 5 });

/** Every key of the fixture with a small body. Audio sizes vary so totals are checkable. */
export function scanFixtureObjects(): Array<{ key: string; body: string }> {
  const audio = (n: number) => 'a'.repeat(n);
  const o: Array<{ key: string; body: string }> = [];
  const add = (key: string, body: string) => o.push({ key, body });
  // alice: fully transcribed (current layout) -> not pending
  for (const n of ['001', '002', '003']) add(`${S}session_2025-11-09T14_32_10_123Z/chunk-${n}.webm`, audio(10));
  for (const n of ['001', '002', '003']) add(`${S}session_2025-11-09T14_32_10_123Z/${T}chunk-${n}.json`, transcript);
  // alice: 001/002 current, 003 legacy, 004 missing
  for (const n of ['001', '002', '003', '004']) add(`${S}partly done/chunk-${n}.webm`, audio(20));
  add(`${S}partly done/${T}chunk-001.json`, transcript);
  add(`${S}partly done/${T}chunk-002.json`, transcript);
  add(`${S}partly done/transcription-chunk-003.json`, transcript);
  // alice: only legacy transcripts -> done, with the completion marker
  for (const n of ['001', '002']) add(`${S}legacy-only/chunk-${n}.webm`, audio(5));
  for (const n of ['001', '002']) add(`${S}legacy-only/transcription-chunk-${n}.json`, transcript);
  add(`${S}legacy-only/.transcription-complete`, JSON.stringify({ completed: '2025-11-09T15:00:00Z' }));
  // alice: chunk-1000 must sort after chunk-999 (numbers, not strings)
  for (const n of ['001', '999', '1000']) add(`${S}long/chunk-${n}.webm`, audio(7));
  add(`${S}long/${T}chunk-001.json`, transcript);
  // alice: a file with an unknown extension is not audio; a session with only that is no session
  add(`${S}notes-only/chunk-001.txt`, 'notes');
  add(`${S}partly done/chunk-005.txt`, 'not audio');
  // bob: session ids with odd characters, nothing transcribed; one .m4a upload
  add(`${B}${ODD_SESSIONS.quotes}/chunk-001.webm`, audio(3));
  add(`${B}${ODD_SESSIONS.quotes}/chunk-002.webm`, audio(3));
  add(`${B}${ODD_SESSIONS.shell}/chunk-001.m4a`, audio(4));
  add(`${B}${ODD_SESSIONS.unicode}/chunk-001.webm`, audio(6));
  add(`${B}${ODD_SESSIONS.unicode}/${T}chunk-002.json`, transcript); // a transcript without audio changes nothing
  add(`${B}${ODD_SESSIONS.slash}/chunk-001.webm`, audio(2));
  // carol: one pending session (the lock tests name her)
  add(`${C}c1/chunk-001.webm`, audio(9));
  add(`${C}c1/chunk-002.webm`, audio(9));
  add(`${C}c1/${T}chunk-001.json`, transcript);
  // not under users/: ignored by the scan
  add('batch-reports/batch-2025-11-09-1500.json', '{}');
  add('README.txt', 'hello');
  return o;
}

/** What the scan must find pending, by "<user>/<session>" -> missing chunks (default settings, no lock, outside grace). */
export const EXPECTED_PENDING: Record<string, string[]> = {
  'alice/partly done': ['004'],
  'alice/long': ['999', '1000'],
  [`bob/${ODD_SESSIONS.quotes}`]: ['001', '002'],
  [`bob/${ODD_SESSIONS.shell}`]: ['001'],
  [`bob/${ODD_SESSIONS.unicode}`]: ['001'],
  [`bob/${ODD_SESSIONS.slash}`]: ['001'],
  'carol/c1': ['002'],
};

/** Sessions with audio (pending or not). */
export const EXPECTED_TOTAL_SESSIONS = 9;

export async function writeFixture(store: ObjectStore, objects = scanFixtureObjects()): Promise<void> {
  await inParallel(objects, 16, (o) => store.put(o.key, o.body));
}

export function pendingMap(doc: PendingJobs): Record<string, string[]> {
  return Object.fromEntries(doc.sessions.map((s) => [`${s.userId}/${s.sessionId}`, s.missingChunks]));
}

/** The scan document without what legitimately differs between stores and runs (times, store name, request counts). */
export function comparable(doc: PendingJobs): unknown {
  const session = (s: PendingSession & { reason?: string; detail?: string }) => ({
    ...s,
    createdAt: undefined,
    newestChunkAt: undefined,
    ageHours: undefined,
    detail: s.detail === undefined ? undefined : s.detail.replace(/\d+ min old/, 'N min old').replace(/ since \S+/, ''),
    chunks: s.chunks.map((c) => ({ ...c, lastModified: undefined })),
  });
  const byPath = (a: { sessionPath: string }, b: { sessionPath: string }) => (a.sessionPath < b.sessionPath ? -1 : a.sessionPath > b.sessionPath ? 1 : 0);
  return JSON.parse(
    JSON.stringify({
      ...doc,
      timestamp: undefined,
      store: undefined,
      stats: { keys: doc.stats.keys },
      lock: doc.lock && { ...doc.lock, since: undefined },
      // Order among sessions comes from LastModified (second precision on S3): compare as sets.
      sessions: [...doc.sessions].sort(byPath).map(session),
      deferredSessions: [...doc.deferredSessions].sort(byPath).map(session),
    }),
  );
}

/** Every key and etag in the store: a scan must leave this unchanged. */
export async function snapshot(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) out.push(`${o.key} ${o.size} ${o.etag ?? ''}`);
  return out;
}

/** A clock frozen at `now` (the scan only reads now()). */
export function frozenClock(now: number) {
  return { now: () => now, setTimeout: () => undefined, clearTimeout: () => undefined };
}
