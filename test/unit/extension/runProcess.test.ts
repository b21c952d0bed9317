/**
 * Runs as separate processes. The CLI here is a stand-in (a small node script written by the test)
 * that speaks the real CLI's file protocol: JSON events per line + <events>.state.json; the real
 * CLI is exercised by the in-editor tests (test/vscode).
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { systemClock } from '../../../src/core/clock';
import { processStartOf } from '../../../src/core/runFiles';
import { defaultSettings } from '../../../src/core/settings';
import { RunTracker, cancelRun, runArgs, startDetachedRun, type TrackedRun } from '../../../src/extension/runProcess';

// The stand-in writes its state through the real writer's identity function (src/core/runFiles.ts).
const RUN_FILES = JSON.stringify(path.join(__dirname, '../../../src/core/runFiles.js'));
const FAKE_CLI = `
const fs = require('fs');
const { processStartOf } = require(${RUN_FILES});
const a = process.argv.slice(2);
const events = a[a.indexOf('--events') + 1];
const config = JSON.parse(fs.readFileSync(a[a.indexOf('--config') + 1], 'utf8'));
const mode = config.store; // the test picks the behaviour through the store setting
fs.writeFileSync(events + '.state.json', JSON.stringify({ pid: process.pid, processStart: processStartOf(process.pid), runId: 'run-1', startedAt: new Date().toISOString(), eventsFile: events }));
const emit = (e) => fs.appendFileSync(events, JSON.stringify({ ...e, time: Date.now() }) + '\\n');
emit({ type: 'run.phase', phase: 'transcribe' });
if (mode === 'cancel') {
  emit({ type: 'chunk.started', key: 'k1', sessionId: 's <1>', index: 1, total: 3 });
  process.on('SIGTERM', () => { emit({ type: 'run.done', status: 'partial' }); process.exit(1); });
  setInterval(() => {}, 1000);
} else {
  setTimeout(() => {
    emit({ type: 'chunk.done', key: 'k1', sessionId: 's', index: 1, total: 2, seconds: 1 });
    emit({ type: 'chunk.failed', key: 'k2', sessionId: 's', index: 2, total: 2, error: 'bad audio' });
    fs.appendFileSync(events, '{"type":"log","level":"info","mess'); // a line cut in half by the poll
    setTimeout(() => { fs.appendFileSync(events, 'age":"half","time":1}\\n'); emit({ type: 'run.done', status: 'partial', reportKey: 'batch-reports/x.json' }); }, 300);
  }, 300);
}
`;

async function until(cond: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('extension/runProcess', function () {
  this.timeout(20_000);
  let dir: string;
  let cli: string;
  const trackers: RunTracker[] = [];
  const track = () => {
    const t = new RunTracker({ dir: path.join(dir, 'runs'), clock: systemClock, pollMs: 50 });
    trackers.push(t);
    return t;
  };

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wb-runs-'));
    cli = path.join(dir, 'fake-cli.js');
    writeFileSync(cli, FAKE_CLI);
  });
  afterEach(function () {
    for (const t of trackers.splice(0)) t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes settings as a file and data as argument array entries (no shell)', function () {
    assert.deepEqual(runArgs('/x/cli.js', '/r/a.settings.json', '/r/a.jsonl', ['s "1" $(x)']), [
      '/x/cli.js',
      'run',
      '--yes',
      '--config',
      '/r/a.settings.json',
      '--events',
      '/r/a.jsonl',
      '--origin',
      'vscode',
      '--trigger',
      'manual',
      '--session',
      's "1" $(x)',
    ]);
    assert.deepEqual(runArgs('/x/cli.js', '/c', '/e', [], { trigger: 'scheduled', window: 'my $(x) notes' }).slice(5), [
      '--events',
      '/e',
      '--origin',
      'vscode',
      '--trigger',
      'scheduled',
      '--window',
      'my $(x) notes',
    ]);
  });

  it('starts a detached run and follows its events to the end, across a line split between polls', async function () {
    const settings = { ...defaultSettings(), store: 'normal' };
    const t = track();
    const seen: string[] = [];
    t.onEvent(({ event }) => seen.push(event.type));
    const ended: TrackedRun[] = [];
    t.onRunEnded((r) => ended.push(r));
    t.start();
    const state = await startDetachedRun({ node: process.execPath, cliPath: cli, settings, dir: path.join(dir, 'runs'), now: Date.now() });
    assert.ok(state.pid > 0);
    assert.equal(JSON.parse(readFileSync(state.eventsFile.replace(/\.jsonl$/, '.settings.json'), 'utf8')).store, 'normal');
    await until(() => ended.length === 1, 'the run to end');
    const r = ended[0];
    assert.equal(r.status, 'partial');
    assert.equal(r.done, 2);
    assert.equal(r.failed, 1);
    assert.equal(r.total, 2);
    assert.equal(r.reportKey, 'batch-reports/x.json');
    assert.equal(r.state.runId, 'run-1');
    assert.deepEqual(seen, ['run.phase', 'chunk.done', 'chunk.failed', 'log', 'run.done']);
    assert.deepEqual(t.live, []);
  });

  it('another window discovers the live run, and cancelling it (SIGTERM) ends it with its last events', async function () {
    const settings = { ...defaultSettings(), store: 'cancel' };
    const first = track();
    first.start();
    const state = await startDetachedRun({ node: process.execPath, cliPath: cli, settings, dir: path.join(dir, 'runs'), now: Date.now() });
    await until(() => first.live.length === 1 && first.live[0].total === 3, 'the first window to see the run');
    const other = track();
    const ended: TrackedRun[] = [];
    other.onRunEnded((r) => ended.push(r));
    await other.poll();
    assert.equal(other.live.length, 1, 'a second window sees the run in progress');
    assert.equal(other.live[0].total, 3, 'and replays its events so far');
    other.start();
    assert.equal(cancelRun(state), true);
    await until(() => ended.length === 1, 'the cancelled run to end');
    assert.equal(ended[0].status, 'partial');
    // A window opened later does not treat the finished run as news.
    const late = track();
    let started = 0;
    late.onRunStarted(() => started++);
    await late.poll();
    assert.equal(started, 0);
    assert.ok(existsSync(state.eventsFile));
  });

  it('a crashed run whose pid another process has now: not live in any window, and Cancel never signals that process', async function () {
    // An unrelated process holds the pid the crashed run had (as after a reboot or pid wrap).
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => other.once('spawn', r));
      const runs = path.join(dir, 'runs');
      const events = path.join(runs, 'crashed.jsonl');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(runs, { recursive: true });
      writeFileSync(events, '{"type":"run.phase","phase":"transcribe","time":1}\n');
      // The crashed run's own identity was another start time; an older CLI wrote none at all.
      const crashed = { pid: other.pid!, processStart: 'linux:1', runId: 'run-dead', startedAt: '2026-12-01T00:00:00.000Z', eventsFile: events };
      for (const state of [crashed, { ...crashed, processStart: undefined }]) {
        writeFileSync(`${events}.state.json`, JSON.stringify(state));
        const t = track();
        let started = 0;
        t.onRunStarted(() => started++);
        await t.poll();
        assert.equal(started, 0, `not a live run: ${JSON.stringify(state)}`);
        assert.deepEqual(t.live, []);
        assert.equal(cancelRun(state), false, 'Cancel refuses');
      }
      assert.equal(other.exitCode, null);
      assert.equal(other.signalCode, null, 'the unrelated process was never signalled');
      assert.ok(processStartOf(other.pid!), 'it is alive (and its start time readable)');
    } finally {
      other.kill('SIGKILL');
    }
  });
});
