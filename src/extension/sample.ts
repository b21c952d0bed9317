/**
 * "Try it on a local sample bucket": the core's sample maker (real speech cut like MediaRecorder
 * chunks) writes into the extension's global storage, and whisperBatch.store points at it.
 * This is the one import of the sample module, to adjust if it moves.
 */
import * as path from 'node:path';
import type { Clock } from '../core/clock';
import type { LayoutSettings } from '../core/layout';
import { createSampleBucket } from '../core/sample/sampleBucket';

export function sampleDir(globalStorage: string): string {
  return path.join(globalStorage, 'sample-bucket');
}

export async function makeSample(globalStorage: string, layout: LayoutSettings, clock: Clock, log: (m: string) => void): Promise<string> {
  const dir = sampleDir(globalStorage);
  await createSampleBucket(dir, { clock, log, layout, reuse: true });
  return dir;
}
