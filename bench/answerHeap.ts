/**
 * What a scan's answer holds in the heap: SESSIONS pending sessions of 5 chunks each in the
 * in-memory store, scanned twice in separate processes, once keeping the document and once
 * dropping it; the difference of the heap after gc() is the document. Usage (after `npx tsc -p .`):
 *   node --expose-gc out/bench/answerHeap.js [sessions]
 * To compare with another commit, build it in another worktree and run its out/bench/answerHeap.js
 * (copy this file there first if the commit predates it).
 */
import { execFileSync } from 'node:child_process';
import { scan } from '../src/core/scan';
import { resolveSettings } from '../src/core/settings';
import { MemoryStore } from './memoryStore';

const T = 1.7e12;

async function child(sessions: number, keep: boolean): Promise<void> {
  const store = new MemoryStore(() => T);
  for (let s = 0; s < sessions; s++)
    for (let c = 1; c <= 5; c++) await store.put(`users/u${s % 50}/audio/sessions/session_2025-11-09T14_32_10_${String(s).padStart(6, '0')}Z/chunk-${String(c).padStart(3, '0')}.webm`, 'x');
  const held: unknown[] = [];
  // In a function of its own: nothing but `held` may reach the document once it returns.
  const once = async () => {
    const doc = await scan({ store, settings: resolveSettings({}), clock: { now: () => T + 86_400_000, setTimeout: () => undefined, clearTimeout: () => undefined } });
    if (doc.sessions.length !== sessions) throw new Error(`expected ${sessions} pending sessions, found ${doc.sessions.length}`);
    if (keep) held.push(doc);
  };
  await once();
  await new Promise((r) => setTimeout(r, 10));
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) gc();
  process.stdout.write(String(process.memoryUsage().heapUsed));
}

function main(): void {
  const sessions = Number(process.argv[2] ?? 27_000);
  if (process.argv[3] === '--child') {
    void child(sessions, process.argv[4] === 'keep');
    return;
  }
  const run = (mode: string) => Number(execFileSync(process.execPath, ['--expose-gc', __filename, String(sessions), '--child', mode], { encoding: 'utf8' }));
  const kept = run('keep');
  const dropped = run('drop');
  console.log(`${sessions} pending sessions x 5 chunks: the scan document holds ${((kept - dropped) / 1e6).toFixed(1)} MB of heap`);
}

main();
