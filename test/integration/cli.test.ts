/**
 * The CLI as a user runs it: the bundled dist/cli.js in a child process, on a real folder store
 * (and the demo on real speech with pocketsphinx). Build first: `node esbuild.mjs`.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import { startWebhookReceiver } from '../support/webhookReceiver';
import { freePort } from '../support/moto';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { ...process.env, WHISPER_BATCH_HOME: path.join(os.tmpdir(), 'wb-cli-home'), XDG_CACHE_HOME: '/nonexistent/cache' /* no engine venv: auto is pocketsphinx */, ...env },
        maxBuffer: 64 << 20,
        timeout: 600_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('whisper-batch CLI @integration', function () {
  this.timeout(600_000);
  let dir: string;
  const layout = new BucketLayout(defaultSettings().layout);
  const old = new Date(Date.now() - 3 * 3_600_000);

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`node esbuild.mjs\` first`);
  });
  beforeEach(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-cli-'));
    const store = new FolderStore(dir);
    const put = async (key: string, body: string) => {
      await store.put(key, body);
      utimesSync(path.join(dir, ...key.split('/')), old, old);
    };
    const odd = { userId: 'u1', sessionId: `s 'x' <img src=x onerror=alert(1)> $(touch pwned)` };
    await put(layout.audioKey(odd, 1, 'webm'), 'audio');
    await put(layout.audioKey(odd, 2, 'webm'), 'audio');
    await put(layout.transcriptKey(odd, 1), '{}');
    await put(layout.audioKey({ userId: 'u2', sessionId: 'legacy' }, 1000, 'webm'), 'audio');
    await put(layout.legacyTranscriptKey({ userId: 'u2', sessionId: 'legacy' }, 1000), '{}');
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('scan --json prints the pending-jobs document with the seed fields and writes nothing', async function () {
    const before = listAll(dir);
    const r = await cli(['scan', '--store', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    for (const f of ['timestamp', 'totalSessions', 'sessionsWithMissingChunks', 'totalMissingChunks', 'estimatedGpuTime', 'estimatedCost', 'sessions', 'deferredSessions']) assert.ok(f in doc, f);
    assert.equal(doc.totalSessions, 2);
    assert.equal(doc.totalMissingChunks, 1);
    const s = doc.sessions[0];
    for (const f of ['sessionId', 'userId', 'sessionPath', 'audioChunks', 'transcriptionChunks', 'missingChunks', 'totalAudioSize', 'createdAt', 'ageHours']) assert.ok(f in s, f);
    assert.deepEqual(s.missingChunks, ['002']);
    // the seed's types, not only the names
    assert.match(doc.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    for (const f of ['totalSessions', 'sessionsWithMissingChunks', 'totalMissingChunks']) assert.equal(typeof doc[f], 'number', f);
    assert.equal(doc.sessionsWithMissingChunks, 1);
    assert.match(doc.estimatedGpuTime, /^\d+ minutes?$/);
    assert.match(doc.estimatedCost, /^\$\d+\.\d{3}$/);
    assert.deepEqual(s.audioChunks, ['001', '002']);
    assert.deepEqual(s.transcriptionChunks, ['001']);
    assert.equal(s.userId, 'u1');
    assert.ok([`users/u1/audio/sessions/${s.sessionId}`, `users/u1/audio/sessions/${s.sessionId}/`].includes(s.sessionPath), s.sessionPath);
    assert.equal(typeof s.totalAudioSize, 'number');
    assert.ok(!Number.isNaN(Date.parse(s.createdAt)), s.createdAt);
    assert.ok(typeof s.ageHours === 'number' && s.ageHours >= 2.9 && s.ageHours < 4, String(s.ageHours));
    // chunk-1000 with a legacy transcript counts as done: the legacy session is not pending
    assert.ok(!doc.sessions.some((x: { sessionId: string }) => x.sessionId === 'legacy'));
    assert.equal(s.sessionId, `s 'x' <img src=x onerror=alert(1)> $(touch pwned)`);
    assert.deepEqual(listAll(dir), before, 'a scan writes nothing');
    assert.equal(existsSync(path.join(process.cwd(), 'pwned')), false);
  });

  it('demo --dir never deletes a folder it did not make (exit 2, folder untouched)', async function () {
    const before = listAll(dir);
    const r = await cli(['demo', '--dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is not empty and is not a sample bucket made by the demo; it was left untouched/);
    assert.deepEqual(listAll(dir), before);
  });

  it('run --dry-run shows the plan and starts nothing', async function () {
    const before = listAll(dir);
    const r = await cli(['run', '--store', dir, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.chunks, 1);
    assert.deepEqual(listAll(dir), before);
  });

  it('every report records who started the run and why: --origin/--trigger, CLI by default (also with --events); reports and status show it', async function () {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'wb-cli-origin-'));
    try {
      const timer = await cli(['run', '--store', empty, '--yes', '--json', '--origin', 'timer', '--trigger', 'scheduled']);
      assert.equal(timer.code, 0, timer.stderr);
      const t = JSON.parse(timer.stdout).origin;
      assert.deepEqual({ kind: t.kind, trigger: t.trigger, host: t.host }, { kind: 'timer', trigger: 'scheduled', host: os.hostname() });
      assert.equal(t.user, os.userInfo().username);
      assert.equal(typeof t.pid, 'number');
      const events = path.join(empty, 'x.jsonl');
      const plain = await cli(['run', '--store', empty, '--yes', '--json', '--events', events]);
      assert.equal(plain.code, 0, plain.stderr);
      const o = JSON.parse(plain.stdout).origin;
      assert.equal(o.kind, 'cli', 'an --events run is not VS Code unless it says so');
      assert.equal(o.trigger, 'manual');
      const fired = await cli(['run', '--store', empty, '--yes', '--json', '--scheduled', '--origin', 'timer']);
      assert.equal(JSON.parse(fired.stdout).origin.trigger, 'scheduled', 'a --scheduled firing (the systemd unit) is scheduled');
      const bad = await cli(['run', '--store', empty, '--yes', '--origin', 'cron']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--origin.*cron.*(cli, vscode, timer|Allowed choices)/s);
      const list = await cli(['reports', '--store', empty]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`timer ${os.userInfo().username}@${os.hostname()} pid \\d+, scheduled`));
      assert.match(list.stdout, new RegExp(`CLI ${os.userInfo().username}@${os.hostname()} pid \\d+, manual`));
      const st = await cli(['status', '--store', empty]);
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stdout, /last report: .* started by (CLI|timer) \S+ pid \d+, (manual|scheduled)\n/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('run without --yes and without a terminal refuses with exit code 2', async function () {
    const r = await cli(['run', '--store', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--yes/);
  });

  it('a wrong setting gives exit code 2 and names the setting, the value and what is allowed', async function () {
    const r = await cli(['scan', '--store', dir, '--set', 'scan.gracePeriodMinutes=-3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /scan\.gracePeriodMinutes = "-3": must be from 0 to 1440/);
    const e = await cli(['scan', '--store', dir], { WHISPER_BATCH_HOST_KIND: 'gpu' });
    assert.equal(e.code, 2);
    assert.match(e.stderr, /host\.kind = "gpu": must be one of local, ec2/);
  });

  it('a missing store folder is a settings error (exit 2) naming the folder', async function () {
    const nope = path.join(dir, 'nope');
    for (const cmd of ['scan', 'run', 'status', 'reports']) {
      const r = await cli([cmd, '--store', nope]);
      assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`store folder "${nope.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" does not exist`));
    }
  });

  it('a failed run posts one notice to the webhook of WHISPER_BATCH_WEBHOOK_URL; the URL is in no output or report', async function () {
    const rx = await startWebhookReceiver();
    try {
      const r = await cli(['run', '--store', dir, '--yes', '--json'], { WHISPER_BATCH_WEBHOOK_URL: rx.url });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(JSON.parse(r.stdout).status, 'failed');
      assert.equal(rx.received.length, 1, r.stderr);
      const text: string = JSON.parse(rx.received[0].body).text;
      assert.match(text, /FAILED on /);
      assert.ok(text.includes('&lt;img src=x onerror=alert(1)&gt;') && !/[<>]/.test(text), text);
      assert.ok(!r.stderr.includes('SECRET') && !r.stdout.includes('SECRET'), 'the URL is not printed');
      for (const f of listAll(dir)) assert.ok(!readFileSync(path.join(dir, f), 'utf8').includes('SECRET'), `${f} holds no URL`);
      assert.ok(!/names no setting/.test(r.stderr), 'the variable is known');
      // notify.onFailedRun=false: nothing is sent
      const quiet = await cli(['run', '--store', dir, '--yes', '--json', '--set', 'notify.onFailedRun=false'], { WHISPER_BATCH_WEBHOOK_URL: rx.url });
      assert.equal(quiet.code, 1, quiet.stderr);
      assert.equal(rx.received.length, 1);
    } finally {
      await rx.close();
    }
  });

  it('a run that throws before its report (bucket unreachable at the scan) posts a notice naming what failed, and its exit message says so', async function () {
    const rx = await startWebhookReceiver();
    try {
      // Nothing listens on that port: the scan's first listing fails; no report can be written either.
      const dead = `http://127.0.0.1:${await freePort()}`;
      const env = { WHISPER_BATCH_WEBHOOK_URL: rx.url, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_MAX_ATTEMPTS: '1' };
      const r = await cli(['run', '--store', 's3://unreachable-bucket', '--endpoint', dead, '--set', 'aws.forcePathStyle=true', '--yes', '--scheduled', '--origin', 'timer'], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /whisper-batch: the run failed before its report was written \(scan\): /);
      assert.equal(rx.received.length, 1, r.stderr);
      const text: string = JSON.parse(rx.received[0].body).text;
      assert.match(text, /FAILED and wrote no report: scan failed/);
      assert.match(text, /\nwhat failed: \S/);
      assert.match(text, /\nstarted by: timer \S+ pid \d+, scheduled/);
      assert.ok(!r.stderr.includes('SECRET') && !r.stdout.includes('SECRET'), 'the URL is not printed');
      // A dry run or a usage error is said to whoever typed it: no notice.
      assert.equal((await cli(['run', '--store', 's3://unreachable-bucket', '--endpoint', dead, '--set', 'aws.forcePathStyle=true', '--dry-run'], env)).code, 1);
      assert.equal((await cli(['run', '--store', dir, '--session', 'no-such-session', '--yes'], env)).code, 2);
      assert.equal(rx.received.length, 1, 'no notice for a dry run or a usage error');
    } finally {
      await rx.close();
    }
  });

  it('a run whose report cannot be written exits 1 and posts a notice with the error that stopped it', async function () {
    const rx = await startWebhookReceiver();
    try {
      // The reports prefix is a file: the lease cannot be taken and the report cannot be written.
      writeFileSync(path.join(dir, 'batch-reports'), 'not a folder');
      const r = await cli(['run', '--store', dir, '--yes'], { WHISPER_BATCH_WEBHOOK_URL: rx.url });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /error: run batch-\S+ wrote no report: /);
      assert.equal(rx.received.length, 1, r.stderr);
      const text: string = JSON.parse(rx.received[0].body).text;
      assert.match(text, /run batch-\S+ on \S+ FAILED and wrote no report: writing the report failed/);
      assert.match(text, /\nfirst error of the run: lease: /);
    } finally {
      await rx.close();
    }
  });

  it("simulate --json (no store needed): the design's two figures within 15%, and the adaptive schedule keeps every chunk under 6 h for less than the fixed 2 h timer", async function () {
    // No store folder at all (a fresh machine): the replay reads none.
    const r = await cli(['simulate', '--json'], { WHISPER_BATCH_HOME: path.join(dir, 'no-home'), HOME: path.join(dir, 'no-home') });
    assert.equal(r.code, 0, r.stderr);
    const sim = JSON.parse(r.stdout);
    assert.deepEqual(
      sim.designCheck.map((c: { policy: string }) => c.policy),
      ['every 5 min', 'fixed 2 h'],
    );
    for (const c of sim.designCheck) assert.ok(Math.abs(c.deviationPct) <= 15, `${c.policy}: ${c.simulatedUsdPerDay} vs ${c.designUsdPerDay}`);
    const by = (p: string) => sim.results.find((x: { policy: string }) => x.policy === p);
    const adaptive = by('adaptive 6 h');
    assert.ok(adaptive.maxPendingAgeMinutes < 360, `max age ${adaptive.maxPendingAgeMinutes} min`);
    assert.ok(adaptive.costPerDayUsd < by('fixed 2 h').costPerDayUsd);
  });

  it('next sets, shows and clears the session the next run takes first (an object in the store)', async function () {
    const set = await cli(['next', 'u9', 'evil\x1b[31m', '--store', dir, '--json']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).next.sessionId, 'evil\x1b[31m');
    assert.ok(existsSync(path.join(dir, 'batch-reports', '.next.json')));
    const shown = await cli(['next', '--store', dir]);
    assert.match(shown.stdout, /^next: u9 \/ evil\\x1b\[31m \(set \d{4}-/);
    assert.ok(!shown.stdout.includes('\x1b'), 'printed plain');
    const cleared = await cli(['next', '--clear', '--store', dir, '--json']);
    assert.deepEqual(JSON.parse(cleared.stdout), { next: null });
    assert.equal((await cli(['next', 'u9', '--store', dir])).code, 2, 'a user without a session is a usage error');
  });

  it('cleanup --dry-run lists the reports older than retention.reportDays and deletes nothing; cleanup deletes them', async function () {
    const store = new FolderStore(dir);
    const at = (key: string, daysAgo: number) => {
      const t = new Date(Date.now() - daysAgo * 86_400_000);
      utimesSync(path.join(dir, ...key.split('/')), t, t);
    };
    const oldKeys = [layout.reportKey(Date.now() - 45 * 86_400_000, 'json'), layout.reportKey(Date.now() - 45 * 86_400_000, 'html')];
    const newKey = layout.reportKey(Date.now() - 2 * 86_400_000, 'json');
    for (const k of [...oldKeys, newKey]) await store.put(k, '{}');
    for (const k of oldKeys) at(k, 45);
    at(newKey, 2);
    const before = listAll(dir);
    const dry = await cli(['cleanup', '--store', dir, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.deepEqual([...plan.wouldDelete].sort(), [...oldKeys].sort());
    assert.equal(plan.kept, 1);
    assert.equal(plan.reportDays, 30);
    assert.deepEqual(listAll(dir), before, 'a dry run deletes nothing');
    const text = await cli(['cleanup', '--store', dir, '--dry-run']);
    assert.match(text.stdout, /dry run: 2 report files would be deleted \(older than 30 days/);
    const real = await cli(['cleanup', '--store', dir, '--json']);
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual([...JSON.parse(real.stdout).deleted].sort(), [...oldKeys].sort());
    assert.deepEqual(
      listAll(dir),
      before.filter((f) => !oldKeys.includes(f.split(path.sep).join('/'))),
    );
    assert.ok(existsSync(path.join(dir, newKey)));
  });

  it("scheduled runs (the timer's --scheduled, the extension's --trigger scheduled) save batch-data/pending-jobs.json and archive the document each run worked from; cleanup lists old snapshots", async function () {
    const file = path.join(dir, 'batch-data', 'pending-jobs.json');
    const timer = await cli(['run', '--store', dir, '--yes', '--json', '--scheduled', '--engine', 'pocketsphinx']);
    assert.equal(timer.code, 1, timer.stderr); // the "audio" bytes fail to decode: partial
    const r1 = JSON.parse(timer.stdout);
    const now = JSON.parse(readFileSync(file, 'utf8'));
    // After the run: what is still pending (the chunk that failed), in the design's fields, without the per-chunk detail.
    assert.equal(now.totalMissingChunks, 1);
    for (const f of ['sessionId', 'userId', 'sessionPath', 'audioChunks', 'transcriptionChunks', 'missingChunks', 'totalAudioSize', 'createdAt', 'ageHours']) assert.ok(f in now.sessions[0], f);
    assert.equal(now.sessions[0].chunks, undefined, "without the scan's per-chunk detail");
    const snap1 = path.join(dir, 'batch-data', 'archive', `pending-jobs-${r1.reportId}.json`);
    assert.equal(JSON.parse(readFileSync(snap1, 'utf8')).totalMissingChunks, r1.transcription.chunksFound, 'the document the run worked from');
    // The extension's runner passes --origin vscode --trigger scheduled|adaptive (no --scheduled).
    const ext = await cli(['run', '--store', dir, '--yes', '--json', '--origin', 'vscode', '--trigger', 'adaptive', '--engine', 'pocketsphinx']);
    const r2 = JSON.parse(ext.stdout);
    assert.notEqual(r2.reportId, r1.reportId);
    assert.ok(existsSync(path.join(dir, 'batch-data', 'archive', `pending-jobs-${r2.reportId}.json`)), ext.stderr);
    assert.ok(Date.parse(JSON.parse(readFileSync(file, 'utf8')).timestamp) >= Date.parse(now.timestamp), 'replaced by the newer scan');
    // 45 days later (mtime and name), the first snapshot is old for retention.pendingJobsDays
    const oldSnap = path.join(dir, 'batch-data', 'archive', 'pending-jobs-batch-2026-01-01-0000.json');
    writeFileSync(oldSnap, '{}');
    const t = new Date(Date.now() - 45 * 86_400_000);
    utimesSync(oldSnap, t, t);
    const dry = await cli(['cleanup', '--store', dir, '--dry-run', '--json']);
    const plan = JSON.parse(dry.stdout);
    assert.deepEqual(plan.snapshots.wouldDelete, ['batch-data/archive/pending-jobs-batch-2026-01-01-0000.json']);
    assert.equal(plan.snapshots.kept, 2);
    assert.equal(plan.pendingJobsDays, 30);
    const text = await cli(['cleanup', '--store', dir, '--dry-run']);
    assert.match(text.stdout, /dry run: 1 pending-jobs snapshot would be deleted \(older than 30 days/);
    assert.ok(existsSync(oldSnap), 'a dry run deletes nothing');
    await cli(['cleanup', '--store', dir]);
    assert.ok(!existsSync(oldSnap) && existsSync(snap1) && existsSync(file));
  });

  it('run --yes transcribes with pocketsphinx, records the bad chunk, and a second run does nothing', async function () {
    // "audio" bytes are not audio: the run must name the chunk and go on; the exit code says partial/failed.
    const r = await cli(['run', '--store', dir, '--yes', '--json', '--engine', 'pocketsphinx']);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.transcription.chunksFound, 1);
    assert.equal(rep.transcription.chunksFailed, 1);
    assert.equal(rep.status, 'failed');
    assert.equal(r.code, 1);
    assert.match(rep.errors[0].message, /chunk-002|decode|audio/i);
    assert.ok(existsSync(path.join(dir, rep.reportKeys.json)));
    const html = readFileSync(path.join(dir, rep.reportKeys.html), 'utf8');
    assert.ok(!html.includes('<img src=x'), 'the HTML report escapes session ids');
    assert.ok(!r.stderr.includes('\x1b['), 'no colour codes when stderr is not a terminal (cron logs)');
    // a second run: the same bad chunk fails again, no transcript is written, nothing else changes
    const transcripts = () => listAll(dir).filter((f) => f.endsWith('.json') && !f.startsWith('batch-reports'));
    const before = transcripts();
    assert.ok(!existsSync(path.join(dir, 'batch-data')), 'a manual run saves no pending-jobs document');
    const again = await cli(['run', '--store', dir, '--yes', '--json', '--engine', 'pocketsphinx']);
    const rep2 = JSON.parse(again.stdout);
    assert.equal(rep2.transcription.chunksFound, 1);
    assert.equal(rep2.transcription.chunksTranscribed, 0);
    assert.deepEqual(transcripts(), before, 'no transcript written by the second run');
    assert.equal(
      readFileSync(path.join(dir, layout.transcriptKey({ userId: 'u1', sessionId: `s 'x' <img src=x onerror=alert(1)> $(touch pwned)` }, 1)), 'utf8'),
      '{}',
      'the existing transcript is untouched',
    );
  });
});

function listAll(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
