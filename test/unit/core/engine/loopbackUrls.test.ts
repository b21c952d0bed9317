/**
 * The loopback stand-in for presigned URLs (src/core/engine/loopbackUrls.ts) over real HTTP on a real
 * folder store with a sparse 3 GiB chunk (cheap on disk): the script's Range reads cost only their
 * range, and a whole object above the cap is refused (413), never read. Memory is process RSS.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { serveStoreOnLoopback, type UrlSigner } from '../../../../src/core/engine/loopbackUrls';
import { FolderStore } from '../../../../src/core/store/folderStore';

describe('loopback presigned-URL stand-in (real HTTP, folder store, sparse 3 GiB chunk)', function () {
  this.timeout(60_000);
  let dir: string;
  let signer: UrlSigner | undefined;
  const big = 'users/u/audio/sessions/s/chunk-001.webm';
  const small = 'users/u/audio/sessions/s/chunk-002.webm';

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-loopback-'));
    mkdirSync(path.join(dir, 'users/u/audio/sessions/s'), { recursive: true });
    writeFileSync(path.join(dir, big), Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    truncateSync(path.join(dir, big), 3 * 1024 ** 3);
    writeFileSync(path.join(dir, small), Buffer.alloc(1000, 0x42));
  });
  afterEach(async function () {
    await signer?.close();
    signer = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a leading Range of a 3 GiB chunk reads only the range; the whole of it is refused with 413 (above the cap), never read', async function () {
    signer = await serveStoreOnLoopback(new FolderStore(dir), { maxBytes: 512 * 1048576 });
    const rss0 = process.memoryUsage().rss;
    const ranged = await fetch(signer.presignGet(big), { headers: { Range: 'bytes=0-65535' } });
    assert.equal(ranged.status, 206);
    const head = Buffer.from(await ranged.arrayBuffer());
    assert.equal(head.length, 65536);
    assert.deepEqual([...head.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]);
    const whole = await fetch(signer.presignGet(big));
    assert.equal(whole.status, 413);
    assert.match(await whole.text(), /EntityTooLarge/);
    assert.ok(process.memoryUsage().rss - rss0 < 256 * 1048576, `RSS grew by ${Math.round((process.memoryUsage().rss - rss0) / 1048576)} MB`);
    // Under the cap: served whole, and a range past the object's end is just the object.
    assert.equal((await (await fetch(signer.presignGet(small))).arrayBuffer()).byteLength, 1000);
    assert.equal((await (await fetch(signer.presignGet(small), { headers: { Range: 'bytes=0-65535' } })).arrayBuffer()).byteLength, 1000);
    // Other ranges are not something the script asks for.
    assert.equal((await fetch(signer.presignGet(small), { headers: { Range: 'bytes=10-20' } })).status, 416);
  });
});
