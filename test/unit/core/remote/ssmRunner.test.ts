/**
 * SsmRunner with a fake SsmApi: SSM command execution cannot run here (moto's SendCommand runs
 * nothing and always says Success), so the fake scripts GetCommandInvocation answers. Where a test
 * needs to know what the command text DOES, it runs the exact text with this machine's sh, as the
 * SSM agent's AWS-RunShellScript would.
 */
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, WbError } from '../../../../src/core/errors';
import { encodeJob } from '../../../../src/core/engine/remoteFasterWhisper';
import { shellQuote, type RemoteCommand } from '../../../../src/core/remote/remoteRunner';
import { SsmRunner, type SsmApi, type SsmInvocation, type SsmSendCommandInput } from '../../../../src/core/remote/ssmRunner';
import { fakeClock, type TestClock } from '../../../support/fakeClock';

class FakeSsm implements SsmApi {
  readonly sent: SsmSendCommandInput[] = [];
  readonly polls: number[] = [];
  readonly cancelled: string[] = [];
  ping: string | undefined = 'Online';
  /** Answers of GetCommandInvocation in order; the last one repeats. An Error is thrown. */
  answers: Array<SsmInvocation | Error> = [{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n', StandardErrorContent: '' }];

  constructor(private readonly clock: TestClock) {}

  async sendCommand(input: SsmSendCommandInput) {
    this.sent.push(structuredClone(input));
    return { commandId: `cmd-${this.sent.length}` };
  }
  async getCommandInvocation(commandId: string, instanceId: string) {
    assert.strictEqual(instanceId, 'i-0123456789abcdef0');
    assert.strictEqual(commandId, `cmd-${this.sent.length}`);
    this.polls.push(this.clock.now());
    const a = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (a instanceof Error) throw a;
    return a;
  }
  async cancelCommand(commandId: string) {
    this.cancelled.push(commandId);
  }
  async pingStatus(instanceId: string) {
    assert.strictEqual(instanceId, 'i-0123456789abcdef0');
    return this.ping;
  }
}

const notYet = () => Object.assign(new Error('no invocation yet'), { name: 'InvocationDoesNotExist' });

describe('SsmRunner', function () {
  let clock: TestClock;
  let ssm: FakeSsm;
  let runner: SsmRunner;

  beforeEach(function () {
    clock = fakeClock();
    ssm = new FakeSsm(clock);
    runner = new SsmRunner({ instanceId: 'i-0123456789abcdef0', ssm, clock, pollMs: 1000 });
  });

  it('sends AWS-RunShellScript with fixed program text and quoted arguments, nothing else', async function () {
    const r = await clock.drive(runner.run({ program: 'systemctl', args: ['is-active', 'whisperlive'], timeoutSeconds: 30 }, {}));
    assert.deepStrictEqual(ssm.sent, [
      {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-0123456789abcdef0'],
        Parameters: { commands: [`systemctl 'is-active' 'whisperlive'`], executionTimeout: ['30'] },
        TimeoutSeconds: 60,
        Comment: 'whisper-batch',
      },
    ]);
    assert.deepStrictEqual(r, { exitCode: 0, stdout: 'ok\n', stderr: '' });
  });

  it('keeps a hostile session id inert: inside single quotes for sh, inside base64 for the job', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-ssm-'));
    try {
      const marker = path.join(tmp, 'pwned');
      const hostile = `x'; touch ${marker}; echo '$(touch ${marker}) \`touch ${marker}\` "$HOME" \\ \n ü`;
      // A bash script that prints its first argument: the text SSM would run, run here by sh.
      const cmd: RemoteCommand = { program: 'printf "%s" "$1"', args: [hostile], interpreter: 'bash', timeoutSeconds: 30 };
      await clock.drive(runner.run(cmd, {}));
      const text = ssm.sent[0].Parameters.commands[0];
      assert.ok(text.endsWith(` 'bash' -s ${shellQuote(hostile)}`), text);
      for (const sh of ['sh', 'bash']) {
        const out = execFileSync(sh, ['-c', text], { encoding: 'utf8' });
        assert.strictEqual(out, hostile);
      }
      assert.strictEqual(existsSync(marker), false);

      // The engine's command: the session id is not in the text at all, only in the base64 job.
      const job: RemoteCommand = { program: 'print(1)', args: [encodeJob({ jobs: [{ sessionId: hostile }] })], interpreter: 'python3', interpreterPath: '/opt/venv/bin/python3', timeoutSeconds: 60 };
      await clock.drive(runner.run(job, {}));
      const jobText = ssm.sent[1].Parameters.commands[0];
      assert.doesNotMatch(jobText, /touch|pwned|\$\(/);
      assert.match(
        jobText,
        /^printf '%s' '[A-Za-z0-9+/=]+' \| base64 -d \| '\/opt\/venv\/bin\/python3' -c 'import sys,zlib;exec\(compile\(zlib\.decompress\(sys\.stdin\.buffer\.read\(\)\),"<inline>","exec"\)\)' 'z:[A-Za-z0-9+/=]+'$/,
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses an interpreter path that is not a plain absolute path', async function () {
    await assert.rejects(
      runner.run({ program: 'print(1)', args: [], interpreter: 'python3', interpreterPath: '/opt/$(reboot)/python3', timeoutSeconds: 5 }, {}),
      (e: unknown) => e instanceof WbError && e.code === 'Config',
    );
    assert.strictEqual(ssm.sent.length, 0);
  });

  it('polls GetCommandInvocation on the clock until the command ends, and hands over the output once', async function () {
    ssm.answers = [
      notYet(),
      { Status: 'Pending', ResponseCode: -1 },
      { Status: 'InProgress', ResponseCode: -1 },
      { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3, StandardOutputContent: 'inactive\n', StandardErrorContent: 'oops' },
    ];
    const outputs: string[] = [];
    const t0 = clock.now();
    const r = await clock.drive(runner.run({ program: 'systemctl', args: ['is-active', 'x'], timeoutSeconds: 30 }, { onOutput: (s) => outputs.push(s) }), { stepMs: 250 });
    assert.deepStrictEqual(
      ssm.polls.map((t) => t - t0),
      [1000, 2000, 3000, 4000],
    );
    assert.deepStrictEqual(r, { exitCode: 3, stdout: 'inactive\n', stderr: 'oops' });
    assert.deepStrictEqual(outputs, ['inactive\n']);
  });

  it('flags output cut at 24,000 characters', async function () {
    ssm.answers = [{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'x'.repeat(24_000) }];
    const r = await clock.drive(runner.run({ program: 'true', args: [], timeoutSeconds: 30 }, {}));
    assert.strictEqual(r.truncated, true);
    ssm.answers = [{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'short\n---Output truncated---' }];
    assert.strictEqual((await clock.drive(runner.run({ program: 'true', args: [], timeoutSeconds: 30 }, {}))).truncated, true);
    ssm.answers = [{ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'y'.repeat(23_999) }];
    assert.strictEqual((await clock.drive(runner.run({ program: 'true', args: [], timeoutSeconds: 30 }, {}))).truncated, undefined);
  });

  it('gives up after the command timeout plus delivery and grace, and cancels the command', async function () {
    ssm.answers = [{ Status: 'InProgress', ResponseCode: -1 }];
    const t0 = clock.now();
    const p = runner.run({ program: 'sleep', args: ['9999'], timeoutSeconds: 100 }, {});
    await assert.rejects(clock.drive(p, { stepMs: 1000 }), (e: unknown) => e instanceof WbError && e.code === 'Host' && /did not finish within 100 s \(last status: InProgress\)/.test(e.message));
    const waited = clock.now() - t0;
    assert.ok(waited >= 220_000 && waited <= 222_000, `waited ${waited} ms`); // 100 s + 60 s delivery + 60 s grace
    assert.deepStrictEqual(ssm.cancelled, ['cmd-1']);
  });

  it('throws when the command never ran (undeliverable: no exit code)', async function () {
    ssm.answers = [{ Status: 'Failed', StatusDetails: 'Undeliverable', ResponseCode: -1 }];
    await assert.rejects(clock.drive(runner.run({ program: 'true', args: [], timeoutSeconds: 30 }, {})), /ended Failed \(Undeliverable\) without an exit code/);
  });

  it('cancels the SSM command when the run is aborted', async function () {
    ssm.answers = [{ Status: 'InProgress', ResponseCode: -1 }];
    const ac = new AbortController();
    const p = runner.run({ program: 'sleep', args: ['60'], timeoutSeconds: 60 }, { signal: ac.signal });
    await clock.tick(3500);
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
    assert.deepStrictEqual(ssm.cancelled, ['cmd-1']);
  });

  it('is reachable only when the agent pings Online', async function () {
    assert.strictEqual(await runner.isReachable(), true);
    ssm.ping = 'ConnectionLost';
    assert.strictEqual(await runner.isReachable(), false);
    ssm.ping = undefined;
    assert.strictEqual(await runner.isReachable(), false);
  });
});
