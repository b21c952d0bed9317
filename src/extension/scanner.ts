/**
 * Scans of the store into the Pending model, coalesced: a request while a scan is in flight (which
 * may have listed before the change the caller knows of) gets the next scan, shared by every request
 * made meanwhile, so requests never pile up more than one scan deep.
 */
import type { Clock } from '../core/clock';
import { describeError } from '../core/errors';
import { scan, type PendingJobs } from '../core/scan';
import type { PendingModel } from './pendingModel';
import type { SettingsState } from './settingsState';
import { plural } from '../core/plural';

/** What a scan needs of the settings and the log (plain objects in the unit tests). */
export type ScanSettings = Pick<SettingsState, 'configured' | 'current' | 'store'>;
export interface ScanLog {
  info(message: string): void;
  error(message: string): void;
}

export class Scanner {
  private scanning: Promise<PendingJobs | undefined> | undefined;
  private nextScan: Promise<PendingJobs | undefined> | undefined;

  constructor(
    private readonly settings: ScanSettings,
    private readonly model: PendingModel,
    private readonly clock: Clock,
    private readonly log: ScanLog,
  ) {}

  /** A full scan; the answer always reflects the store as it was when asked. */
  scan(): Promise<PendingJobs | undefined> {
    if (!this.settings.configured) return Promise.resolve(undefined);
    if (!this.scanning) {
      this.scanning = this.doScan().finally(() => (this.scanning = undefined));
      return this.scanning;
    }
    this.nextScan ??= this.scanning
      .catch(() => undefined)
      .then(() => {
        this.nextScan = undefined;
        return this.scan();
      });
    return this.nextScan;
  }

  private async doScan(): Promise<PendingJobs | undefined> {
    try {
      const doc = await scan({ store: this.settings.store(), settings: this.settings.current, clock: this.clock });
      this.model.setScan(doc, this.clock.now());
      this.log.info(
        `scan: ${plural(doc.totalMissingChunks, 'missing chunk')} in ${plural(doc.sessionsWithMissingChunks, 'session')}, ${doc.deferredSessions.length} deferred, ${plural(doc.stats.keys, 'key')} in ${doc.stats.durationMs} ms`,
      );
      return doc;
    } catch (e) {
      const msg = describeError(e);
      this.model.setError(msg);
      this.log.error(`scan failed: ${msg}`);
      throw e;
    }
  }
}
