/**
 * Which metrics were in alert at the last check, kept in the store (`<reportsPrefix>.alert-state.json`)
 * so that every runner (CLI timer, any VS Code window) notifies once per new breach, not once each.
 * The object is read as hostile: only known metric ids survive, anything else reads as "none".
 */
import { WbError } from './errors';
import type { BucketLayout } from './layout';
import type { MetricId } from './monitoring';
import { isTooLarge, readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';

const IDS: readonly MetricId[] = ['successRate', 'gpuRuntime', 'costPerDay', 'pendingAge'];

export interface AlertState {
  alerting: MetricId[];
  updatedAt: string | null;
  /** Why the object was not read (above its cap): it reads as "none", and the next check replaces it. */
  problem?: string;
}

export const alertStateKey = (layout: BucketLayout) => `${layout.reportsPrefix}.alert-state.json`;

export async function readAlertState(store: ObjectStore, layout: BucketLayout): Promise<AlertState> {
  let raw: Buffer;
  try {
    raw = await readCapped(store, alertStateKey(layout), 'alertState');
  } catch (e) {
    if (e instanceof WbError && e.code === 'NotFound') return { alerting: [], updatedAt: null };
    if (isTooLarge(e)) return { alerting: [], updatedAt: null, problem: e.message };
    throw e;
  }
  return parseAlertState(raw.toString('utf8'));
}

export function parseAlertState(text: string): AlertState {
  try {
    const v = JSON.parse(text) as { alerting?: unknown; updatedAt?: unknown };
    const alerting = Array.isArray(v?.alerting) ? IDS.filter((id) => (v.alerting as unknown[]).includes(id)) : [];
    return { alerting, updatedAt: typeof v?.updatedAt === 'string' && !isNaN(Date.parse(v.updatedAt)) ? v.updatedAt : null };
  } catch {
    return { alerting: [], updatedAt: null };
  }
}

export async function writeAlertState(store: ObjectStore, layout: BucketLayout, s: AlertState): Promise<void> {
  await store.put(alertStateKey(layout), JSON.stringify(s, null, 2), { contentType: 'application/json' });
}
