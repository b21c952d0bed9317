/**
 * ensureDebianPackages. Program lookup is real in the first test; apt-get is never really run here
 * (it would change the machine): the install path goes through a fake `run` that records the
 * commands and makes the "installed" programs appear, behind the same ToolcheckDeps seam.
 */
import * as assert from 'node:assert/strict';
import { ensureDebianPackages, locateProgram, _resetAptUpdate, type ToolcheckDeps } from '../../../src/core/toolcheck';
import { WbError } from '../../../src/core/errors';

function fakeSystem(present: string[], root: boolean, provides: Record<string, string[]> = {}) {
  const have = new Set(present);
  const runs: string[][] = [];
  const deps: ToolcheckDeps = {
    locate: async (w) => (have.has(w) ? (w.startsWith('/') ? w : `/usr/bin/${w}`) : undefined),
    isRoot: () => root,
    run: async (program, args) => {
      runs.push([program, ...args]);
      if (args.includes('install')) for (const p of args.filter((a) => provides[a])) provides[p].forEach((x) => have.add(x));
    },
  };
  return { deps, runs };
}

describe('toolcheck: ensureDebianPackages', function () {
  beforeEach(function () {
    _resetAptUpdate();
  });

  it('finds real programs on PATH and real files', async function () {
    const found = await ensureDebianPackages({ node: 'nodejs', '/bin/sh': 'dash' }, { install: false });
    assert.equal(found['/bin/sh'], '/bin/sh');
    assert.match(found.node, /node$/);
    assert.equal(await locateProgram('surely-no-such-program-xyz'), undefined);
  });

  it('missing and not root: EngineMissing with the exact apt-get command, packages once each', async function () {
    const { deps, runs } = fakeSystem(['ffmpeg', 'apt-get'], false);
    await assert.rejects(
      ensureDebianPackages({ ffmpeg: 'ffmpeg', pocketsphinx_continuous: 'pocketsphinx', '/m/en-us.lm.bin': 'pocketsphinx-en-us', '/m/dict': 'pocketsphinx-en-us' }, { install: true, deps }),
      (e: unknown) => {
        assert.ok(e instanceof WbError);
        assert.equal(e.code, 'EngineMissing');
        assert.match(e.message, /pocketsphinx_continuous \(package pocketsphinx\)/);
        assert.equal(e.hint, 'Install with: sudo apt-get install -y pocketsphinx pocketsphinx-en-us');
        return true;
      },
    );
    assert.deepEqual(runs, [], 'nothing run without root');
  });

  it('root with apt-get and install allowed: updates once, installs only what is missing', async function () {
    const { deps, runs } = fakeSystem(['ffmpeg', 'apt-get'], true, { flite: ['flite'] });
    const found = await ensureDebianPackages({ ffmpeg: 'ffmpeg', flite: 'flite' }, { install: true, deps, log: () => undefined });
    assert.equal(found.flite, '/usr/bin/flite');
    assert.deepEqual(runs, [
      ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'update'],
      ['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'flite'],
    ]);
    // A second check in the same process does not update again.
    const second = fakeSystem(['apt-get'], true, { ffmpeg: ['ffmpeg'] });
    await ensureDebianPackages({ ffmpeg: 'ffmpeg' }, { install: true, deps: second.deps });
    assert.deepEqual(second.runs, [['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'ffmpeg']]);
  });

  it('install not allowed, or no apt-get: no command runs, the error says what to run', async function () {
    for (const [present, install] of [
      [['apt-get'], false],
      [[], true],
    ] as const) {
      const { deps, runs } = fakeSystem([...present], true);
      await assert.rejects(ensureDebianPackages({ flite: 'flite' }, { install, deps }), (e: unknown) => e instanceof WbError && e.hint === 'Install with: apt-get install -y flite');
      assert.deepEqual(runs, []);
    }
  });

  it('an install that fails, or that does not provide the program, is reported', async function () {
    const failing = fakeSystem(['apt-get'], true);
    failing.deps.run = async (_p, args) => {
      if (args.includes('install')) throw new Error('E: Unable to locate package flite');
    };
    await assert.rejects(
      ensureDebianPackages({ flite: 'flite' }, { install: true, deps: failing.deps }),
      (e: unknown) => e instanceof WbError && e.code === 'EngineMissing' && /Unable to locate package/.test(e.message) && /apt-get install -y flite/.test(e.hint!),
    );
    const useless = fakeSystem(['apt-get'], true, {});
    await assert.rejects(ensureDebianPackages({ flite: 'flite' }, { install: true, deps: useless.deps }), (e: unknown) => e instanceof WbError && /Missing flite/.test(e.message));
  });
});
