/**
 * SshRunner (node-ssh) against a real SSH server on loopback (test/support/sshServer.ts: ssh2's
 * Server running each command with this machine's sh; no sshd can be assumed on CI), and the
 * remote-faster-whisper engine over it against moto, with the stand-in faster_whisper. @integration
 */
import { openRuntime, SSH_PASSPHRASE_ENV } from '../../src/core/runtime';
import { systemClock } from '../../src/core/clock';
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChunkOutcome } from '../../src/core/engine/engine';
import { RemoteFasterWhisperEngine } from '../../src/core/engine/remoteFasterWhisper';
import { WbError } from '../../src/core/errors';
import { BucketLayout } from '../../src/core/layout';
import { SshRunner } from '../../src/core/remote/sshRunner';
import { defaultSettings } from '../../src/core/settings';
import { makeLocalVenv } from '../support/localShellRunner';
import { createMotoBucket } from '../support/motoBucket';
import { releaseMoto, startMoto } from '../support/moto';
import { startSshServer, type TestSshServer } from '../support/sshServer';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FAKE_FW = path.join(ROOT, 'test', 'fixtures', 'fake_faster_whisper');
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

describe('SshRunner over a real SSH connection @integration', function () {
  this.timeout(120_000);
  let server: TestSshServer;
  let tmp: string;
  let keyPath: string;
  const runners: SshRunner[] = [];
  const runner = (o: Partial<ConstructorParameters<typeof SshRunner>[0]> = {}) => {
    const r = new SshRunner({ host: '127.0.0.1', user: 'ubuntu', keyPath, port: server.port, ...o });
    runners.push(r);
    return r;
  };

  before(async function () {
    server = await startSshServer({ passphrase: 'correct horse', env: { PYTHONPATH: FAKE_FW, PYTHONDONTWRITEBYTECODE: '1' } });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-ssh-'));
    keyPath = path.join(tmp, 'id_ed25519');
    writeFileSync(keyPath, server.clientKey, { mode: 0o600 });
  });

  after(async function () {
    for (const r of runners) await r.dispose();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs a script from stdin with a hostile argument kept as data, streams output and returns the exit code', async function () {
    const marker = path.join(tmp, 'pwned');
    const hostile = `$(touch ${marker}) '; touch ${marker}; ' \`touch ${marker}\` ü`;
    const chunks: string[] = [];
    const r = await runner({ passphrase: 'correct horse' }).run(
      { program: 'import sys\nprint(sys.argv[1])\nsys.stdout.flush()\nprint("second")\nsys.exit(3)\n', args: [hostile], interpreter: 'python3', interpreterPath: PYTHON, timeoutSeconds: 30 },
      { onOutput: (s) => chunks.push(s) },
    );
    assert.strictEqual(r.exitCode, 3);
    assert.strictEqual(r.stdout, `${hostile}\nsecond\n`);
    assert.strictEqual(chunks.join(''), r.stdout);
    assert.strictEqual(existsSync(marker), false);
    assert.ok(!server.commands.at(-1)!.includes('import sys'), 'the script went on stdin, not in the command');
  });

  it('runs a plain program with quoted arguments', async function () {
    const r = await runner({ passphrase: 'correct horse' }).run({ program: 'printf', args: ['%s|', 'a b', "it's"], timeoutSeconds: 30 }, {});
    assert.deepStrictEqual(r, { exitCode: 0, stdout: "a b|it's|", stderr: '' });
  });

  it('kills a command that runs past its timeout', async function () {
    const t0 = Date.now();
    await assert.rejects(
      runner({ passphrase: 'correct horse' }).run({ program: 'sleep', args: ['30'], timeoutSeconds: 1 }, {}),
      (e: unknown) => e instanceof WbError && /did not finish within 1 s/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('is reachable with the right key and passphrase only', async function () {
    assert.strictEqual(await runner({ passphrase: 'correct horse' }).isReachable(), true);
    assert.strictEqual(await runner({ passphrase: 'wrong' }).isReachable(), false);
    assert.strictEqual(await runner({ passphrase: 'correct horse', port: 1 }).isReachable(), false);
    await assert.rejects(
      runner({ keyPath: path.join(tmp, 'missing') }).run({ program: 'true', args: [], timeoutSeconds: 5 }, {}),
      (e: unknown) => e instanceof WbError && e.code === 'Config' && /Cannot read the SSH key/.test(e.message),
    );
  });

  it('gets the passphrase from the runtime (the CLI reads it from WHISPER_BATCH_SSH_PASSPHRASE), never from settings', async function () {
    const settings = defaultSettings();
    settings.store = tmp;
    Object.assign(settings.host, { kind: 'ec2', instanceId: 'i-0123456789abcdef0', transport: 'ssh', sshHost: '127.0.0.1', sshPort: server.port, sshKeyPath: keyPath });
    assert.ok(!JSON.stringify(settings).includes('correct horse'));
    for (const [passphrase, reachable] of [
      ['correct horse', true],
      [undefined, false],
    ] as const) {
      const rt = await openRuntime(settings, { clock: systemClock, engine: false, sshPassphrase: passphrase });
      try {
        assert.strictEqual(rt.remote?.transport, 'ssh');
        assert.strictEqual(await rt.remote!.isReachable(), reachable, `passphrase ${passphrase ? 'given' : 'missing'}`);
      } finally {
        await rt.dispose();
      }
    }
    assert.strictEqual(SSH_PASSPHRASE_ENV, 'WHISPER_BATCH_SSH_PASSPHRASE');
  });

  it('carries the whole remote-faster-whisper batch (script on stdin, presigned moto URLs, ffmpeg)', async function () {
    const b = await createMotoBucket(await startMoto(), 'wb-ssh-engine');
    const venv = makeLocalVenv();
    try {
      const store = b.store();
      const settings = defaultSettings();
      settings.host.venvPath = venv.venvPath;
      const layout = new BucketLayout(settings.layout);
      const ref = { userId: 'u', sessionId: `over ssh $(reboot)` };
      const chunks = path.join(ROOT, 'test', 'fixtures', 'chunks', 'chromium156');
      for (const n of [1, 2]) await store.put(layout.audioKey(ref, n), readFileSync(path.join(chunks, `chunk-00${n}.webm`)));
      const jobs = [1, 2].map((chunk) => ({
        userId: 'u',
        sessionId: ref.sessionId,
        chunk,
        audioKey: layout.audioKey(ref, chunk),
        transcriptKey: layout.transcriptKey(ref, chunk),
        size: 1,
        firstChunkKey: layout.audioKey(ref, 1),
        nextChunkKey: chunk === 1 ? layout.audioKey(ref, 2) : undefined,
      }));
      const outcomes: ChunkOutcome[] = [];
      const engine = new RemoteFasterWhisperEngine({ runner: runner({ passphrase: 'correct horse' }), settings });
      await engine.transcribeAll(jobs, {
        store,
        layout,
        signal: new AbortController().signal,
        concurrency: 2,
        runId: 'ssh-run',
        clock: systemClock,
        maxChunkBytes: 512 * 1048576,
        maxChunkSeconds: 1800,
        emit: () => {},
        onOutcome: (o) => outcomes.push(o),
      });
      assert.deepStrictEqual(
        outcomes.map((o) => [o.job.chunk, o.ok, o.written, o.audioSeconds]),
        [
          [1, true, true, 5.04],
          [2, true, true, 4.98],
        ],
      );
      assert.strictEqual(JSON.parse((await store.get(jobs[1].transcriptKey)).toString('utf8')).batch.offsetSeconds, 5.04);
    } finally {
      venv.dispose();
      await b.dispose();
      await releaseMoto();
    }
  });
});
