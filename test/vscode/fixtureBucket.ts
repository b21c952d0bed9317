/**
 * A bucket folder for the in-editor tests, written through the real FolderStore and BucketLayout:
 * real Chromium MediaRecorder chunks (test/fixtures/chromium-recording), some already transcribed
 * (current and legacy layout), one session still recording, and a session id holding HTML.
 */
import { promises as fs, readFileSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';

export const HOSTILE_SESSION = '<img src=x onerror=alert(1)>';
export const OLD_SESSION = 'session_2026-11-20T09_00_00_000Z';

const CHUNKS = path.resolve(__dirname, '../../../test/fixtures/chromium-recording');
const chunk = (n: number) => readFileSync(path.join(CHUNKS, `chunk-00${n}.webm`));
const transcript = JSON.stringify({ segments: [{ text: ' done', start: 0, end: 1, is_final: true, words: [] }], language: 'en', language_probability: 1, duration: 1 });

export interface FixtureBucket {
  dir: string;
  /** Chunks without transcript outside the grace period. */
  missing: number;
}

/** In a new temporary folder, or in `at` (scripts/test-vscode.mjs makes the start-up suite's bucket before the editor starts). */
export async function makeFixtureBucket(at?: string): Promise<FixtureBucket> {
  const dir = at ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'wb-vscode-bucket-')));
  // The folder store writes only inside a root that exists (it never makes its own root).
  if (at) await fs.mkdir(at, { recursive: true });
  const store = new FolderStore(dir);
  const layout = new BucketLayout(defaultSettings().layout);
  const old = (Date.now() - 2 * 86_400_000) / 1000;
  const put = async (key: string, body: Buffer | string, age = old) => {
    await store.put(key, body);
    utimesSync(path.join(dir, ...key.split('/')), age, age);
  };
  const alice = { userId: 'alice', sessionId: OLD_SESSION };
  for (const n of [1, 2, 3]) await put(layout.audioKey(alice, n), chunk(n));
  const aliceDone = { userId: 'alice', sessionId: 'session_2026-11-21T10_00_00_000Z' };
  await put(layout.audioKey(aliceDone, 1), chunk(1));
  await put(layout.transcriptKey(aliceDone, 1), transcript);
  const bob = { userId: 'bob', sessionId: HOSTILE_SESSION };
  await put(layout.audioKey(bob, 1), chunk(1), old + 3600);
  await put(layout.audioKey(bob, 2), chunk(2), old + 3600);
  await put(layout.legacyTranscriptKey(bob, 1), transcript, old + 3600);
  const bobLive = { userId: 'bob', sessionId: 'session_live' };
  await put(layout.audioKey(bobLive, 1), chunk(1), Date.now() / 1000);
  return { dir, missing: 4 };
}
