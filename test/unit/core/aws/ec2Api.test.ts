/** How SDK errors become actionable Ec2Errors (the host retries, waits or gives up by `kind`). */
import * as assert from 'node:assert/strict';
import { Ec2Error, ec2ErrorKind, toEc2Error } from '../../../../src/core/aws/ec2Api';
import { sdkError } from '../../../support/fakeEc2';

describe('EC2 error mapping', function () {
  it('classifies service and network errors', function () {
    const cases: Array<[unknown, string]> = [
      [sdkError('InsufficientInstanceCapacity', 'no capacity', 500), 'capacity'],
      [sdkError('RequestLimitExceeded', 'slow down', 503), 'throttled'],
      [sdkError('Throttling'), 'throttled'],
      [sdkError('IncorrectInstanceState'), 'state'],
      [sdkError('InvalidInstanceID.NotFound'), 'not-found'],
      [sdkError('InvalidInstanceID.Malformed'), 'not-found'],
      [sdkError('UnauthorizedOperation', 'You are not authorized', 403), 'denied'],
      [sdkError('AccessDeniedException', 'denied', 400), 'denied'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'network'],
      [sdkError('InternalError', 'oops', 500), 'network'],
      [sdkError('SomethingElse'), 'other'],
    ];
    for (const [e, kind] of cases) assert.equal(ec2ErrorKind(e), kind, String((e as Error).name));
  });

  it('says what to do: capacity plainly, denial with the IAM action, missing with the settings', function () {
    const cap = toEc2Error(sdkError('InsufficientInstanceCapacity', 'x', 500), 'ec2:StartInstances', 'i-1');
    assert.ok(cap instanceof Ec2Error && cap.retryable);
    assert.match(cap.message, /no spare capacity .* \(InsufficientInstanceCapacity\): ec2:StartInstances on i-1/);
    const denied = toEc2Error(sdkError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403), 'ec2:StopInstances', 'i-1');
    assert.equal(denied.code, 'Credentials');
    assert.equal(denied.retryable, false);
    assert.match(denied.hint!, /Allow "ec2:StopInstances"/);
    const missing = toEc2Error(sdkError('InvalidInstanceID.NotFound'), 'ec2:StartInstances', 'i-1');
    assert.equal(missing.code, 'NotFound');
    assert.match(missing.hint!, /host.instanceId and aws.region/);
    assert.equal(toEc2Error(missing, 'other', 'i-2'), missing, 'already mapped errors pass through');
    // no credentials at all: say so and how to get them, and do not retry
    const none = toEc2Error(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'ec2:DescribeInstances', 'i-1');
    assert.equal(none.code, 'Credentials');
    assert.equal(none.retryable, false);
    assert.match(none.message, /No AWS credentials found for the default credential chain \(while trying to call ec2:DescribeInstances on i-1\)/);
    assert.match(none.hint!, /aws\.profile|aws configure|AWS_ACCESS_KEY_ID/);
    const expired = toEc2Error(sdkError('ExpiredToken', 'The security token included in the request is expired', 400), 'ec2:StopInstances', 'i-1', 'work-sso');
    assert.equal(expired.kind, 'denied', 'a stop does not retry an expired token for minutes');
    assert.match(expired.message, /profile "work-sso" have expired/);
    assert.match(expired.hint!, /aws sso login --profile work-sso/);
  });
});
