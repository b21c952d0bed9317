/**
 * Batch orchestration overhead: the real runBatch and Ec2Host, with EC2 and the instance's side
 * faked (test/support/fakeEc2 + fakeRemoteRunner: moto has no state transitions and runs no SSM
 * commands) and simulated boot and transcription times on a fake clock, over an in-memory store (bench/memoryStore.ts).
 *
 *   billed   = EC2 time from `running` to `stopping` (at least 60 s, as EC2 bills)
 *   overhead = billed - (simulated OS boot to ready + ideal transcription time)
 *
 * so overhead is what our orchestration adds: polls noticing `running` and readiness, the gap
 * before the first chunk, downloads not overlapped with transcription, the stop after the last.
 */
import { runBatch } from '../src/core/batch';
import { sleep } from '../src/core/clock';
import type { ChunkInput, Engine } from '../src/core/engine/engine';
import { perChunkEngine } from '../src/core/engine/chunkPipeline';
import { Ec2Host } from '../src/core/host/ec2Host';
import { defaultSettings } from '../src/core/settings';
import type { Transcript } from '../src/core/transcript';
import { FakeEc2, GPU_ID } from '../test/support/fakeEc2';
import { FakeRemoteRunner } from '../test/support/fakeRemoteRunner';
import { fakeClock } from '../test/support/fakeClock';
import { MemoryStore } from './memoryStore';

export interface BatchBenchOptions {
  chunks: number;
  /** pending -> running. */
  startSeconds: number;
  /** running -> SSM agent online and the unit active. */
  osBootSeconds: number;
  /** Simulated transcription time of one chunk. */
  chunkSeconds: number;
  concurrency: number;
}

export interface BatchRow {
  chunks: number;
  concurrency: number;
  pollSeconds: number;
  billedSeconds: number;
  necessarySeconds: number;
  overheadSeconds: number;
  readyNoticedAfterSeconds: number;
  firstChunkAfterReadySeconds: number;
  stopAfterLastChunkSeconds: number;
  status: string;
  wallMs: number;
}

export async function batchBench(o: BatchBenchOptions): Promise<BatchRow> {
  const wall = performance.now();
  {
    const clock = fakeClock(Date.parse('2026-11-25T08:00:00Z'));
    const store = new MemoryStore(() => clock.now());
    // Pending chunks written an hour before "now", so the grace period does not defer them.
    const sessions = Math.max(1, Math.ceil(o.chunks / 10));
    for (let i = 0; i < o.chunks; i++) {
      const s = i % sessions;
      await store.put(`users/bench/audio/sessions/session-${s}/chunk-${String(Math.floor(i / sessions) + 1).padStart(3, '0')}.wav`, Buffer.alloc(64));
    }
    await clock.tick(3_600_000);

    const settings = defaultSettings();
    settings.host.kind = 'ec2';
    settings.host.instanceId = GPU_ID;
    settings.run.concurrency = o.concurrency;
    settings.scan.gracePeriodMinutes = 1;
    const ec2 = new FakeEc2({ clock, startDelayMs: o.startSeconds * 1000, stopDelayMs: 30_000 });
    let runningAt: number | undefined;
    ec2.onState((s) => {
      if (s === 'running') runningAt = clock.now();
    });
    const remote = new FakeRemoteRunner({ clock, ec2 });
    // The OS boot in time rather than in polls: the agent answers osBootSeconds after `running`.
    const reachable = remote.isReachable.bind(remote);
    remote.isReachable = async () => (runningAt !== undefined && clock.now() - runningAt >= o.osBootSeconds * 1000 ? reachable() : false);
    const host = new Ec2Host({ ec2, remote, clock, settings });
    const engine: Engine = perChunkEngine({
      name: 'simulated',
      model: 'none',
      check: async () => undefined,
      transcribeChunk: async (input: ChunkInput): Promise<Transcript> => {
        await sleep(clock, o.chunkSeconds * 1000, input.signal);
        return { segments: [], language: 'en', language_probability: 1, duration: 5 };
      },
    });
    const { report } = await clock.drive(runBatch({ store, settings, clock, host, engine, runId: 'bench' }), { stepMs: 100 });
    const at = (state: string) => ec2.history.find((h) => h.state === state)?.at;
    const running = at('running')!;
    const stopping = at('stopping') ?? at('stopped')!;
    const billed = Math.max(60, (stopping - running) / 1000);
    const necessary = o.osBootSeconds + Math.ceil(o.chunks / o.concurrency) * o.chunkSeconds;
    const tl = host.timeline;
    return {
      chunks: o.chunks,
      concurrency: o.concurrency,
      pollSeconds: settings.host.pollSeconds,
      billedSeconds: round1(billed),
      necessarySeconds: round1(necessary),
      overheadSeconds: round1(billed - necessary),
      readyNoticedAfterSeconds: round1((tl.ready! - running) / 1000 - o.osBootSeconds),
      firstChunkAfterReadySeconds: round1((tl.firstChunk! - tl.ready!) / 1000),
      stopAfterLastChunkSeconds: round1((stopping - tl.lastChunk!) / 1000),
      status: report.status,
      wallMs: Math.round(performance.now() - wall),
    };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
