import * as assert from 'node:assert/strict';
import { runConfirmation, sessionConfirmation } from '../../../src/extension/runConfirm';

const doc = { totalMissingChunks: 12, sessionsWithMissingChunks: 3, estimatedGpuTime: '5 minutes', estimatedCost: '$0.05', deferredSessions: [] as never[] };
const ec2 = { host: { kind: 'ec2', instanceId: 'i-0abc' } } as never;
const local = { host: { kind: 'local', instanceId: '' } } as never;

describe('extension/runConfirm', function () {
  it('the Run Batch Now confirmation gives the pending count, the GPU and the estimated time and cost', function () {
    const c = runConfirmation(doc, ec2);
    assert.equal(c.message, 'Transcribe 12 chunks in 3 sessions?');
    assert.match(c.detail, /^On the GPU i-0abc: estimated 5 minutes, about \$0\.05 of GPU time/);
    assert.match(c.detail, /goes on if this window closes/);
    assert.equal(c.severity, 'warning', 'it costs money: a warning');
  });

  it('says there is no GPU cost on the local host, and names deferred sessions', function () {
    const c = runConfirmation({ ...doc, totalMissingChunks: 1, sessionsWithMissingChunks: 1, deferredSessions: [{}, {}] as never[] }, local);
    assert.equal(c.message, 'Transcribe 1 chunk in 1 session?');
    assert.match(c.detail, /^On this machine: estimated 5 minutes, no GPU cost\. 2 sessions recording live or locked wait for a later run\./);
    assert.doesNotMatch(c.detail, /\$/);
    assert.equal(c.severity, 'info', 'a free run on this machine is a question, not a warning');
  });

  it('the session confirmation names the session and the GPU it may start', function () {
    const c = sessionConfirmation({ sessionId: '<img src=x>', missing: 2 }, ec2);
    assert.equal(c.message, 'Transcribe 2 chunks of "<img src=x>" now?');
    assert.match(c.detail, /starts the GPU i-0abc if it is stopped, and stops it after/);
  });
});
