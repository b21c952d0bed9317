import * as assert from 'node:assert/strict';
import { settingOfProblem, validate } from '../../../src/extension/settingsValidation';

describe('extension/settingsValidation', function () {
  it('names the wrong setting and keeps the good ones', function () {
    const r = validate({ 'host.kind': 'gpu', 'scan.gracePeriodMinutes': 5 });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /^whisperBatch\.host\.kind = "gpu": must be one of local, ec2/);
    assert.equal(r.settings.scan.gracePeriodMinutes, 5);
    assert.equal(r.settings.host.kind, 'local');
    assert.equal(settingOfProblem(r.problems[0]), 'whisperBatch.host.kind');
  });

  it('reports cross-setting problems with the full name and falls back to defaults', function () {
    const r = validate({ 'host.kind': 'ec2' });
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /whisperBatch\.host\.instanceId is empty/);
    assert.equal(settingOfProblem(r.problems[0]), 'whisperBatch.host.instanceId');
    assert.equal(r.settings.host.kind, 'local');
  });

  it('accepts valid values without problems', function () {
    const r = validate({ store: '/tmp/bucket', 'host.kind': 'ec2', 'host.instanceId': 'i-0123456789abcdef0' });
    assert.deepEqual(r.problems, []);
    assert.equal(r.settings.host.instanceId, 'i-0123456789abcdef0');
  });
});
