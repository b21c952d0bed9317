import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { Lease, readLease } from '../../../src/core/lease';
import { BucketLayout } from '../../../src/core/layout';
import { buildReport } from '../../../src/core/report/build';
import { renderReportHtml } from '../../../src/core/report/html';
import { currentOrigin } from '../../../src/core/localOrigin';
import { describeOrigin, parseOrigin } from '../../../src/core/runOrigin';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import { mkdtempSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fakeClock } from '../../support/fakeClock';

describe('core/runOrigin: who started a run and why', function () {
  it('describes each kind for people, with user@host, pid and trigger', function () {
    assert.equal(describeOrigin({ kind: 'cli', user: 'alice', host: 'laptop', trigger: 'manual', pid: 12 }), 'CLI alice@laptop pid 12, manual');
    assert.equal(describeOrigin({ kind: 'vscode', user: 'alice', host: 'laptop', trigger: 'scheduled', window: 'notes', pid: 9 }), 'VS Code window "notes", alice@laptop pid 9, scheduled');
    assert.equal(describeOrigin({ kind: 'timer', user: 'svc', host: 'srv', trigger: 'adaptive', pid: 3 }), 'timer svc@srv pid 3, adaptive');
    const here = currentOrigin('cli', 'manual');
    assert.deepEqual(here, { kind: 'cli', user: os.userInfo().username, host: os.hostname(), trigger: 'manual', pid: process.pid });
  });

  it('reads a stored origin field by field: wrong types, unknown kinds and huge strings are no origin', function () {
    const good = { kind: 'vscode', user: 'a', host: 'h', trigger: 'manual', window: 'w', pid: 5 };
    assert.deepEqual(parseOrigin(good), good);
    for (const bad of [null, 'cli', [], { ...good, kind: 'cron' }, { ...good, trigger: 'x' }, { ...good, pid: '5' }, { ...good, pid: -1 }, { ...good, user: 7 }, { ...good, host: 'h'.repeat(500) }]) {
      assert.equal(parseOrigin(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
    assert.deepEqual(parseOrigin({ ...good, window: 42 }), { kind: 'vscode', user: 'a', host: 'h', trigger: 'manual', pid: 5 }, 'a bad optional field is dropped');
  });

  it('the lease holder carries it, and a second runner reads it back', async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-origin-'));
    try {
      const store = new FolderStore(dir);
      const layout = new BucketLayout(defaultSettings().layout);
      const clock = fakeClock();
      const origin = { kind: 'timer' as const, user: 'svc', host: 'srv', trigger: 'scheduled' as const, pid: 77 };
      const lease = await Lease.acquire({ store, layout, clock, runId: 'r1', holder: describeOrigin(origin), origin, seconds: 60 });
      const seen = await readLease(store, layout, clock);
      assert.deepEqual(seen?.origin, origin);
      assert.equal(seen?.holder, 'timer svc@srv pid 77, scheduled');
      await lease.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the report records it and its page shows it', function () {
    const origin = { kind: 'vscode' as const, user: 'alice', host: 'laptop', trigger: 'manual' as const, window: 'notes <b>', pid: 9 };
    const r = buildReport({
      runId: 'r',
      store: 'folder',
      startMs: 0,
      endMs: 1000,
      jobsFound: 0,
      outcomes: [],
      errors: [],
      cancelled: false,
      host: { kind: 'local', id: 'localhost', touched: false, startedByUs: false, hourlyUsd: 0, timeline: {} },
      engine: { name: 'x' },
      nextScheduledRun: null,
      fatal: false,
      origin,
    });
    assert.deepEqual(r.origin, origin);
    const page = renderReportHtml(r);
    assert.match(page, /<dt>Started by<\/dt><dd>VS Code window &quot;notes &lt;b&gt;&quot;, alice@laptop pid 9, manual/);
  });
});
