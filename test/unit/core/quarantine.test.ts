/** Failure records read as hostile: planted names, keys outside the layout and bodies that are not ours (folder store). */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../../src/core/clock';
import { BucketLayout } from '../../../src/core/layout';
import { failuresPrefix, lastFailure, readChunkFailures, recordChunkFailure, releaseQuarantine } from '../../../src/core/quarantine';
import { defaultSettings } from '../../../src/core/settings';
import { FolderStore } from '../../../src/core/store/folderStore';
import { WbError } from '../../../src/core/errors';

describe('quarantine records', function () {
  let dir: string;
  let store: FolderStore;
  const layout = new BucketLayout(defaultSettings().layout);
  const chunk = layout.audioKey({ userId: 'u', sessionId: 's' }, 1, 'webm');
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-quarantine-'));
    store = new FolderStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('count one create-only record per run; a second write of the same run changes nothing', async function () {
    await recordChunkFailure(store, layout, chunk, { runId: 'r1', clock: systemClock, error: 'decode failed: x' });
    await recordChunkFailure(store, layout, chunk, { runId: 'r1', clock: systemClock, error: 'another text' });
    await recordChunkFailure(store, layout, chunk, { runId: 'r2/../x', clock: systemClock, error: 'decode failed: y' });
    const f = (await readChunkFailures(store, layout)).get(chunk)!;
    assert.equal(f.count, 2);
    const at = `${failuresPrefix(layout)}${chunk}/`;
    assert.ok(
      f.keys.every((k) => k.startsWith(`${at}fail-`) && !k.slice(at.length).includes('/')),
      'a run id never adds a folder',
    );
  });

  it('ignore planted records: other names, keys that are no chunk of the layout; a body that is not ours gives no error text', async function () {
    const p = failuresPrefix(layout);
    await store.put(`${p}${chunk}/evil.json`, '{}');
    await store.put(`${p}${chunk}/fail-.json`, '{}');
    await store.put(`${p}users/u/not-a-chunk.txt/fail-r1.json`, '{}');
    await store.put(`${p}elsewhere/fail-r1.json`, '{}');
    assert.equal((await readChunkFailures(store, layout)).size, 0);
    await store.put(`${p}${chunk}/fail-r1.json`, '["not", "an object"]');
    await store.put(`${p}${chunk}/fail-r2.json`, 'x'.repeat(20_000));
    const f = (await readChunkFailures(store, layout)).get(chunk)!;
    assert.equal(f.count, 2);
    // a body over 16 KB is not read: the error is ours, naming the record (store/cappedRead.ts), never its bytes
    assert.deepEqual(await lastFailure(store, f), { error: `The failure record "${p}${chunk}/fail-r2.json" is larger than 16 KB: not one whisper-batch wrote` });
    await store.put(`${p}${chunk}/fail-r3.json`, JSON.stringify({ error: 42, at: '2999-99-99' }));
    assert.deepEqual(await lastFailure(store, (await readChunkFailures(store, layout)).get(chunk)!), { error: undefined, at: undefined });
  });

  it('release deletes only the named chunk records, and says so when there are none', async function () {
    const other = layout.audioKey({ userId: 'u', sessionId: 't' }, 2, 'webm');
    for (const k of [chunk, other]) await recordChunkFailure(store, layout, k, { runId: 'r1', clock: systemClock, error: 'e' });
    assert.deepEqual(await releaseQuarantine(store, layout, { userId: 'u', sessionId: 's' }), [chunk]);
    assert.deepEqual([...(await readChunkFailures(store, layout)).keys()], [other]);
    await assert.rejects(releaseQuarantine(store, layout, { userId: 'u', sessionId: 's' }), (e: unknown) => e instanceof WbError && e.code === 'Usage');
    assert.deepEqual(await releaseQuarantine(store, layout, { all: true }), [other]);
  });
});
