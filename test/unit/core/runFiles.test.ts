/** The run files (src/core/runFiles.ts): validated reads, liveness by pid + start time, safe signals. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventsFile, parseEventLine, parseRunState, processStartOf, readRunState, runIsLive, signalRun, stateFileOf } from '../../../src/core/runFiles';

describe('core/runFiles', function () {
  it('the writer records its pid and start time; its state is live until it finishes', function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wb-runfiles-'));
    try {
      const ev = new EventsFile(path.join(dir, 'r.jsonl'), 'file:///x', Date.parse('2026-12-03T12:00:00Z'));
      const st = readRunState(stateFileOf(ev.file))!;
      assert.equal(st.pid, process.pid);
      assert.equal(st.processStart, processStartOf(process.pid));
      assert.ok(st.processStart, 'this OS tells the start time');
      assert.equal(runIsLive(st), true);
      ev.finish(0, Date.parse('2026-12-03T12:01:00Z'));
      const done = readRunState(stateFileOf(ev.file))!;
      assert.equal(done.finishedAt, '2026-12-03T12:01:00.000Z');
      assert.equal(runIsLive(done), false, 'a finished run is not live, though its pid (this process) is');
      assert.equal(signalRun(done, 'SIGTERM'), false, 'and is never signalled');
      assert.match(readFileSync(stateFileOf(ev.file), 'utf8'), /"exitCode": 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pid reused by another process is not the run: not live, never signalled', async function () {
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((r) => other.once('spawn', r));
      const start = processStartOf(other.pid!)!;
      assert.ok(start);
      const theirs = { pid: other.pid!, processStart: start, startedAt: 'x', eventsFile: '/e' };
      assert.equal(runIsLive(theirs), true, 'the same pid and start time is the writer');
      for (const s of [
        { ...theirs, processStart: `${start}0` },
        { ...theirs, processStart: undefined },
      ]) {
        assert.equal(runIsLive(s), false, JSON.stringify(s));
        assert.equal(signalRun(s, 'SIGTERM'), false);
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(other.signalCode, null, 'never signalled');
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a state file of wrong types, not JSON or not an object is no state', function () {
    for (const t of [
      '',
      'null',
      '[]',
      '"x"',
      '{"pid":"1","eventsFile":"/e","startedAt":"x"}',
      '{"pid":0,"eventsFile":"/e","startedAt":"x"}',
      '{"pid":1.5,"eventsFile":"/e","startedAt":"x"}',
      '{"pid":1,"eventsFile":7,"startedAt":"x"}',
      '{"pid":1,"eventsFile":"/e"}',
    ]) {
      assert.equal(parseRunState(t), undefined, t);
    }
    assert.deepEqual(parseRunState('{"pid":12,"eventsFile":"/e","startedAt":"x","runId":{},"exitCode":"0","finishedAt":"y"}'), { pid: 12, eventsFile: '/e', startedAt: 'x', finishedAt: 'y' });
  });

  it('event lines are validated in the fields readers use; bad ones are dropped, not cast', function () {
    for (const l of [
      '{"type":"chunk.done","total":"3"}',
      '{"type":"chunk.failed","total":-1}',
      '{"type":"run.done","status":{}}',
      '{"type":"run.done","status":"ok","reportKey":5}',
      '{"type":"run.phase","phase":null}',
      '{"type":"host.state"}',
      '{"type":7}',
      '[1]',
      'null',
      'error: forged',
      '{"type":"log","message":["x"]}',
    ]) {
      assert.equal(parseEventLine(l), undefined, l);
    }
    assert.deepEqual(parseEventLine('{"type":"chunk.done","total":3,"key":"k"}'), { type: 'chunk.done', total: 3, key: 'k' });
    assert.equal(parseEventLine('{"type":"run.done","status":"partial"}')?.type, 'run.done');
  });
});
