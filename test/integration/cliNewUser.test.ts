/**
 * What a new user hit with the CLI (issue 9), each through the real program: the bundled
 * dist/cli.js in a child process, on real folder stores; EC2 against a moto server (real SDK calls,
 * read-only: `run --dry-run` must change nothing); systemd units checked by systemd-analyze.
 * Build first: `node esbuild.mjs`. @integration
 */
import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import { makeReport } from '../support/reportBuilders';
import { motoCredentials, releaseMoto, startMoto, type MotoServer } from '../support/moto';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const layout = new BucketLayout(defaultSettings().layout);
const old = new Date(Date.now() - 3 * 3_600_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  // No WHISPER_BATCH_* from the caller's shell: each test says which it sets.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHISPER_BATCH_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd,
        env: { ...base, WHISPER_BATCH_HOME: path.join(os.tmpdir(), 'wb-cli-home'), XDG_CACHE_HOME: '/nonexistent/cache' /* no engine venv: auto is pocketsphinx */, ...env },
        maxBuffer: 64 << 20,
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('whisper-batch CLI for a new user (issue 9) @integration', function () {
  this.timeout(180_000);
  let tmp: string;
  let dir: string;
  const alice = { userId: 'alice', sessionId: 'session_2025-11-09T14_32_10_000Z' };
  const alice2 = { userId: 'alice', sessionId: 'session_2025-11-09T15_00_00_000Z' };
  const bob = { userId: 'bob', sessionId: 'standup' };

  async function put(store: FolderStore, root: string, key: string, body: string) {
    await store.put(key, body);
    utimesSync(path.join(root, ...key.split('/')), old, old);
  }

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node esbuild.mjs\` first`);
  });
  beforeEach(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-cli-new-'));
    dir = path.join(tmp, 'bucket');
    mkdirSync(dir);
    const store = new FolderStore(dir);
    await put(store, dir, layout.audioKey(alice, 1), 'a');
    await put(store, dir, layout.audioKey(alice, 2), 'a');
    // a real transcript: the scan checks the ones of sessions with work (scan.verifyTranscripts)
    await put(store, dir, layout.transcriptKey(alice, 1), JSON.stringify({ segments: [{ start: 0, end: 1, text: 'hello' }] }));
    await put(store, dir, layout.audioKey(alice2, 1), 'a');
    await put(store, dir, layout.audioKey(bob, 1), 'a');
    await put(store, dir, layout.audioKey(bob, 2), 'a');
  });
  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--version prints the package version', async function () {
    const r = await cli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('run --session X that matches no pending session: exit 2 naming X and the closest ids', async function () {
    const typo = 'session_2025-11-09T14_32_10_000';
    for (const extra of [['--dry-run'], ['--yes']]) {
      const r = await cli(['run', '--store', dir, '--session', typo, ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`no pending session "${typo}"\\. Closest pending session ids: "${alice.sessionId}", "${alice2.sessionId}"`));
    }
    assert.ok(!existsSync(path.join(dir, layout.transcriptKey(alice, 2))), 'nothing was transcribed');
    const none = await cli(['run', '--store', path.join(dir, 'users', 'alice', 'audio', 'sessions', alice.sessionId), '--session', 'x', '--dry-run']);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /no pending session "x"\. No session is pending/);
  });

  it('host.kind=ec2 with engine.kind=pocketsphinx (or its old name command) is a settings error naming both settings', async function () {
    for (const extra of [['--dry-run'], ['--yes']]) {
      const r = await cli(['run', '--store', dir, '--host', 'ec2', '--instance', 'i-0123456789abcdef0', '--engine', 'command', ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /host\.kind = "ec2" with engine\.kind = "pocketsphinx"/);
      assert.match(r.stderr, /Set engine\.kind = "faster-whisper"/);
    }
  });

  it('a store where no key matches the layout names the prefix, the ignored keys and layout.usersPrefix', async function () {
    const flat = path.join(tmp, 'flat');
    const store = new FolderStore(flat);
    mkdirSync(flat);
    for (const k of ['recordings/alice/s1/chunk-001.webm', 'recordings/alice/s1/chunk-002.webm', 'recordings/bob/s2/chunk-001.webm']) await put(store, flat, k, 'a');
    const r = await cli(['scan', '--store', flat]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no session found under "users\/": 3 keys elsewhere in the store were ignored \(e\.g\. "recordings\/alice\/s1\/chunk-001\.webm"/);
    assert.match(r.stderr, /set layout\.usersPrefix \(e\.g\. --set layout\.usersPrefix=recordings\/\)/);
    assert.match(r.stdout, /^0 sessions scanned, 0 with 0 chunks to transcribe$/m);
    const j = await cli(['scan', '--store', flat, '--json']);
    assert.deepEqual(JSON.parse(j.stdout).outsideUsersPrefix, {
      usersPrefix: 'users/',
      keys: 3,
      examples: ['recordings/alice/s1/chunk-001.webm', 'recordings/alice/s1/chunk-002.webm', 'recordings/bob/s2/chunk-001.webm'],
      capped: false,
    });
  });

  it('keys under users/ that match no layout rule are counted in the scan document, with examples', async function () {
    const store = new FolderStore(dir);
    await put(store, dir, `${layout.sessionPrefix(bob)}CHUNK-003.WEBM`, 'a');
    await put(store, dir, `${layout.sessionPrefix(bob)}chunk-01a.webm`, 'a');
    await put(store, dir, `${layout.sessionPrefix(bob)}notes.txt`, 'not audio: part of the session, not counted');
    const j = await cli(['scan', '--store', dir, '--json']);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout).unmatchedKeys, { count: 2, examples: [`${layout.sessionPrefix(bob)}CHUNK-003.WEBM`, `${layout.sessionPrefix(bob)}chunk-01a.webm`] });
    const r = await cli(['scan', '--store', dir]);
    assert.match(r.stderr, /warning: 2 keys under "users\/" look like audio but match no layout rule and are not transcribed \(e\.g\. ".*CHUNK-003\.WEBM", ".*chunk-01a\.webm"\)/);
  });

  it('human output (scan table, status, reports) goes to stdout, logs to stderr; real plurals; no GPU words for this machine', async function () {
    const scan = await cli(['scan', '--store', dir]);
    assert.equal(scan.code, 0, scan.stderr);
    const lines = scan.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^USER +SESSION +MISSING +CHUNKS +AGE$/);
    assert.equal(lines.length, 5, scan.stdout);
    // columns aligned: every row's second column starts where the header's does
    const col = lines[0].indexOf('SESSION');
    for (const l of lines.slice(1, 4)) assert.match(l.slice(col), /^(session_|standup)/, l);
    assert.match(scan.stdout, /^alice +session_2025-11-09T14_32_10_000Z +002 +1 of 2 +3\.0 h$/m);
    assert.match(scan.stdout, /^bob +standup +001-002 +2 of 2 +3\.0 h$/m);
    assert.equal(lines[4], '3 sessions scanned, 3 with 4 chunks to transcribe; estimated time 1 minute on this machine');
    assert.doesNotMatch(scan.stderr, /USER|sessions scanned/);

    const single = path.join(tmp, 'single');
    mkdirSync(single);
    await put(new FolderStore(single), single, layout.audioKey(bob, 1), 'a');
    const s1 = await cli(['scan', '--store', single]);
    assert.match(s1.stdout, /^1 session scanned, 1 with 1 chunk to transcribe; estimated time 1 minute on this machine$/m);

    const st = await cli(['status', '--store', dir]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /^host: +this machine \(engine pocketsphinx\)$/m);
    assert.match(st.stdout, /^run lease: +free/m);
    assert.match(st.stdout, /^last report: none$/m);
    assert.equal(st.stderr, '');

    const dry = await cli(['run', '--store', dir, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: 4 chunks to transcribe in 3 sessions with engine pocketsphinx on this machine$/m);
    for (const out of [scan.stdout, scan.stderr, st.stdout, dry.stdout, dry.stderr]) assert.doesNotMatch(out, /GPU/, out);
  });

  it('reports and status order by time, not name (-2, -10 in the same minute), columns aligned; --id nosuch and --limit abc exit 2', async function () {
    const store = new FolderStore(dir);
    const ids = ['batch-2026-11-25-1029', 'batch-2026-11-25-1030', 'batch-2026-11-25-1030-2', 'batch-2026-11-25-1030-10'];
    for (const [i, id] of ids.entries()) {
      const r = makeReport({ reportId: id, timestamp: new Date(Date.parse('2026-11-25T10:29:00Z') + i * 1000).toISOString() }, 1);
      await store.put(`${layout.reportsPrefix}${id}.json`, JSON.stringify(r));
    }
    const list = await cli(['reports', '--store', dir]);
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.trimEnd().split('\n');
    assert.deepEqual(
      rows.map((l) => l.split(/\s+/)[0]),
      [...ids].reverse(),
    );
    const okAt = rows.map((l) => l.indexOf(' ok'));
    assert.ok(
      okAt.every((x) => x === okAt[0] && x > 0),
      `aligned:\n${list.stdout}`,
    );
    const st = await cli(['status', '--store', dir]);
    assert.match(st.stdout, /^last report: batch-2026-11-25-1030-10 /m);

    const no = await cli(['reports', '--store', dir, '--id', 'batch-2026-11-25-1031']);
    assert.equal(no.code, 2, no.stderr);
    assert.match(no.stderr, /no report "batch-2026-11-25-1031" in .*Closest: batch-2026-11-25-1030/);
    const abc = await cli(['reports', '--store', dir, '--limit', 'abc']);
    assert.equal(abc.code, 2, abc.stderr);
    assert.match(abc.stderr, /--limit "abc": must be a whole number of at least 1/);
    const bad = await cli(['reports', '--store', dir, '--id', '../../etc/passwd']);
    assert.equal(bad.code, 2, bad.stderr);
    const one = await cli(['reports', '--store', dir, '--id', 'batch-2026-11-25-1030-2']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^run batch-2026-11-25-1030-2: /m);
  });

  it('a WHISPER_BATCH_* variable that names no setting gets a warning with a did-you-mean', async function () {
    const r = await cli(['scan', '--store', dir], { WHISPER_BATCH_SCAN_GRACE_PERIOD_MINUTE: '5', WHISPER_BATCH_ZZZ: '1', WHISPER_BATCH_RUNS_DIR: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: WHISPER_BATCH_SCAN_GRACE_PERIOD_MINUTE names no setting and is ignored \(did you mean WHISPER_BATCH_SCAN_GRACE_PERIOD_MINUTES\?\)/);
    assert.match(r.stderr, /warning: WHISPER_BATCH_ZZZ names no setting and is ignored\n/);
    assert.doesNotMatch(r.stderr, /RUNS_DIR/, 'a variable the tool reads is no typo');
  });

  it('a report prints its failed chunks sorted by session and chunk number', async function () {
    const store = new FolderStore(dir);
    const err = (sessionId: string, chunk: string) => ({ phase: 'transcribe' as const, message: `decode failed ${sessionId}/${chunk}`, userId: 'u', sessionId, chunk });
    const r = makeReport({ reportId: 'batch-2026-11-25-1030', errors: [err('b', '010'), err('a', '002'), err('b', '009'), err('a', '010')] }, 1);
    await store.put(`${layout.reportsPrefix}batch-2026-11-25-1030.json`, JSON.stringify(r));
    const one = await cli(['reports', '--store', dir, '--id', 'batch-2026-11-25-1030']);
    assert.equal(one.code, 0, one.stderr);
    const order = [...one.stdout.matchAll(/^ {4}transcribe (\S+) chunk (\d+): /gm)].map((m) => `${m[1]}/${m[2]}`);
    assert.deepEqual(order, ['a/002', 'a/010', 'b/009', 'b/010']);
    assert.match(one.stdout, /^ {2}4 errors:$/m);
  });

  describe('schedule', function () {
    it('writes units that run with the same store and config, installs and uninstalls them, and systemd-analyze verify accepts them', async function () {
      ensureSystemdAnalyze(this);
      const units = path.join(tmp, 'units');
      writeFileSync(path.join(tmp, 'config.json'), JSON.stringify({ scan: { gracePeriodMinutes: 5 } }));
      // relative paths, as a user types them: the units must hold absolute ones
      const r = await cli(['schedule', '--store', 'bucket', '--config', 'config.json', '--set', 'run.concurrency=3', '--install', '--unit-dir', units, '--no-systemctl'], {}, tmp);
      assert.equal(r.code, 0, r.stderr);
      const service = readFileSync(path.join(units, 'whisper-batch.service'), 'utf8');
      const exec = /^ExecStart=(.*)$/m.exec(service)![1];
      assert.equal(exec, `${process.execPath} ${CLI} run --yes --scheduled --origin timer --config ${path.join(tmp, 'config.json')} --store ${dir} --set run.concurrency=3`);
      assert.ok(existsSync(path.join(units, 'whisper-batch.timer')));

      const v = spawnSync('systemd-analyze', ['verify', path.join(units, 'whisper-batch.service'), path.join(units, 'whisper-batch.timer')], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr);
      // verify exits 0 on lines it ignores; any complaint about our files is a failure
      assert.doesNotMatch(v.stderr, /whisper-batch\.(service|timer)/, v.stderr);

      // The unit's command line, run from elsewhere, sees the same store and settings.
      const args = exec
        .split(' ')
        .slice(2)
        .filter((a) => a !== '--yes');
      const plan = await cli([...args, '--dry-run', '--json'], {}, os.tmpdir());
      assert.equal(plan.code, 0, plan.stderr);
      assert.equal(JSON.parse(plan.stdout).chunks, 4);

      const printed = await cli(['schedule', '--store', dir]);
      assert.match(printed.stdout, new RegExp(`^ExecStart=\\S+ \\S+ run --yes --scheduled --origin timer --store ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));

      const u = await cli(['schedule', '--uninstall', '--unit-dir', units, '--no-systemctl']);
      assert.equal(u.code, 0, u.stderr);
      assert.ok(!existsSync(path.join(units, 'whisper-batch.service')) && !existsSync(path.join(units, 'whisper-batch.timer')));
    });
    it('--install and --uninstall run systemctl daemon-reload, enable --now / disable --now the timer (systemctl faked)', async function () {
      // FAKE: systemctl is a stub on PATH that records its arguments: no systemd runs as PID 1 here.
      const bin = path.join(tmp, 'bin');
      const calls = path.join(tmp, 'systemctl.calls');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
      const units = path.join(tmp, 'units');
      const env = { PATH: `${bin}:${process.env.PATH}` };
      const i = await cli(['schedule', '--store', dir, '--install', '--unit-dir', units], env);
      assert.equal(i.code, 0, i.stderr);
      assert.match(i.stdout, /enabled whisper-batch\.timer/);
      const u = await cli(['schedule', '--uninstall', '--unit-dir', units], env);
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), ['daemon-reload', 'enable --now whisper-batch.timer', 'disable --now whisper-batch.timer', 'daemon-reload']);
      assert.ok(!existsSync(path.join(units, 'whisper-batch.timer')));
    });
  });

  describe('run --dry-run on EC2 (moto): read-only checks, and what it would do', function () {
    let moto: MotoServer;
    let ec2: EC2Client;
    const env = () => ({
      AWS_ACCESS_KEY_ID: motoCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: motoCredentials.secretAccessKey,
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    });
    const gpuArgs = (id: string) => ['run', '--store', dir, '--host', 'ec2', '--instance', id, '--engine', 'faster-whisper', '--endpoint', moto.endpoint, '--region', 'us-east-1', '--dry-run'];

    before(async function () {
      moto = await startMoto();
      ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: motoCredentials });
    });
    after(async function () {
      ec2?.destroy();
      await releaseMoto();
    });

    async function launch(tags: Record<string, string>): Promise<string> {
      const out = await ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-12c6146b',
          InstanceType: 'g4dn.xlarge',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
        }),
      );
      const id = out.Instances![0].InstanceId!;
      await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
      return id;
    }
    const stateOf = async (id: string) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name;

    it('a stopped, tagged instance: every check ok, says it would start, transcribe and stop it, and starts nothing', async function () {
      const id = await launch({ ManagedBy: 'BatchTranscription' });
      const r = await cli(gpuArgs(id), env());
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^read-only checks of the GPU host \(us-east-1\):$/m);
      assert.match(r.stdout, /^ {2}ok {6}AWS credentials \(the default credential chain\): EC2 accepted them$/m);
      assert.match(r.stdout, new RegExp(`^  ok {6}instance ${id} exists \\(g4dn\\.xlarge\\)$`, 'm'));
      assert.match(r.stdout, /^ {2}ok {6}tag ManagedBy=BatchTranscription/m);
      assert.match(r.stdout, /^ {2}ok {6}state: stopped$/m);
      assert.match(r.stdout, new RegExp(`^would: start ${id}, wait until it is ready \\(at most 15 minutes\\)$`, 'm'));
      assert.match(r.stdout, /^would: transcribe 4 chunks in 3 sessions with faster-whisper$/m);
      assert.match(r.stdout, new RegExp(`^would: stop ${id} `, 'm'));
      assert.match(r.stdout, /^nothing was started or written$/m);
      assert.equal(await stateOf(id), 'stopped', 'a dry run starts nothing');
      const j = await cli([...gpuArgs(id), '--json'], env());
      const plan = JSON.parse(j.stdout);
      assert.deepEqual(
        plan.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]),
        [
          ['credentials', true],
          ['instance', true],
          ['tag', true],
          ['state', true],
        ],
      );
      assert.equal(plan.host.wouldStart, true);
    });

    it('no usable AWS credentials: the credentials check fails (exit 2) and says how to log in', async function () {
      const r = await cli(gpuArgs('i-0123456789abcdef0'), {
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: '',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stdout, /^ {2}FAILED {2}AWS credentials \(the default credential chain\): EC2 DescribeInstances failed: No AWS credentials found/m);
      assert.match(r.stdout, /a check failed: nothing would run/);
    });

    it('a wrong tag or an instance that does not exist fails its check with exit 2, naming the setting', async function () {
      const id = await launch({ ManagedBy: 'someone-else' });
      const r = await cli(gpuArgs(id), env());
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stdout, /^ {2}FAILED {2}tag ManagedBy=BatchTranscription missing \(it is "someone-else"\): a run would refuse to start or stop it \(host\.tagKey, host\.tagValue\)$/m);
      assert.match(r.stdout, /a check failed: nothing would run/);
      assert.equal(await stateOf(id), 'stopped');
      const gone = await cli(gpuArgs('i-0123456789abcdef0'), env());
      assert.equal(gone.code, 2, gone.stderr);
      assert.match(gone.stdout, /FAILED {2}instance i-0123456789abcdef0 does not exist in us-east-1 \(host\.instanceId, aws\.region\)/);
    });
  });
});

/** systemd-analyze comes with Debian's systemd package: installed when missing and root, else the test is skipped saying why. */
function ensureSystemdAnalyze(ctx: Mocha.Context): void {
  if (spawnSync('systemd-analyze', ['--version']).status === 0) return;
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=900', 'update', '-qq'], { stdio: 'ignore' });
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=900', 'install', '-y', '-qq', '--no-install-recommends', 'systemd'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (spawnSync('systemd-analyze', ['--version']).status === 0) return;
  }
  console.log("      (skipped: systemd-analyze is missing and Debian's systemd package could not be installed: not root, or apt failed)");
  ctx.skip();
}
