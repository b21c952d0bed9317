import * as assert from 'node:assert/strict';
import { promises as fs, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../../src/core/clock';
import { BucketLayout } from '../../../src/core/layout';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import type { ObjectStore } from '../../../src/core/store/objectStore';
import { PendingModel } from '../../../src/extension/pendingModel';
import { Scanner } from '../../../src/extension/scanner';

describe('extension/scanner', function () {
  let dir: string;
  let store: FolderStore;
  const settings = { ...defaultSettings(), store: 'x', scan: { ...defaultSettings().scan, gracePeriodMinutes: 0 } };
  const layout = new BucketLayout(settings.layout);
  const log = { info: () => undefined, error: () => undefined };

  beforeEach(async function () {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wb-scanner-'));
    store = new FolderStore(dir);
    await put(1);
  });
  /** A chunk an hour old (a chunk written just now could read as newer than the clock: a live session). */
  async function put(n: number): Promise<void> {
    const key = layout.audioKey({ userId: 'u', sessionId: 's' }, n);
    await store.put(key, 'a');
    const t = (Date.now() - 3_600_000) / 1000;
    utimesSync(path.join(dir, ...key.split('/')), t, t);
  }
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  /** The real folder store, with every listing held until released (a scan in flight). */
  function gated(): { store: ObjectStore; release: () => void } {
    let open: (() => void)[] = [];
    let released = false;
    const s: ObjectStore = Object.create(store);
    // The scan reads pages (listBatches); list goes through it too.
    s.listBatches = (prefix, opts) =>
      (async function* () {
        if (!released) await new Promise<void>((r) => open.push(r));
        yield* store.listBatches(prefix, opts);
      })();
    return { store: s, release: () => ((released = true), open.forEach((r) => r()), (open = [])) };
  }

  it('a request during a scan gets the next scan, shared by every request made meanwhile (never more than one scan deep)', async function () {
    const g = gated();
    const model = new PendingModel();
    const scanner = new Scanner({ configured: true, current: settings, store: () => g.store }, model, systemClock, log);
    const first = scanner.scan();
    await new Promise((r) => setImmediate(r));
    // Work the first scan may have listed before: a second chunk.
    await put(2);
    const second = scanner.scan();
    const third = scanner.scan();
    assert.equal(second, third, 'one next scan for both');
    g.release();
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.equal(a!.totalMissingChunks >= 1, true);
    assert.equal(b!.totalMissingChunks, 2, 'the later requests see the change');
    assert.equal(c, b);
    assert.equal(model.scanCount, 2, 'two scans, not three');
    assert.equal(model.totals?.missingChunks, 2);
  });

  it('not configured: no scan; a failed scan puts its message in the model and rejects', async function () {
    const model = new PendingModel();
    assert.equal(await new Scanner({ configured: false, current: settings, store: () => store }, model, systemClock, log).scan(), undefined);
    const broken: ObjectStore = Object.create(store);
    broken.listBatches = () =>
      (async function* () {
        throw new Error('listing refused');
      })();
    await assert.rejects(new Scanner({ configured: true, current: settings, store: () => broken }, model, systemClock, log).scan(), /listing refused/);
    assert.match(model.lastError ?? '', /listing refused/);
  });
});
