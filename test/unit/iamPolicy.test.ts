/**
 * docs/iam-policy.json lists exactly the AWS actions the source calls: every SDK command, paginator
 * and waiter found in src/ maps (table below) to an action the policy allows, and the policy allows
 * nothing else. A new AWS call without a table row and a policy line fails here.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** SDK operation (command name without "Command", paginator or waiter) -> IAM actions it needs. */
const ACTIONS: Record<string, string[]> = {
  // S3 (presigned GET/PUT URLs are signed with our identity: they need the same actions)
  ListObjectsV2: ['s3:ListBucket'],
  paginateListObjectsV2: ['s3:ListBucket'],
  GetObject: ['s3:GetObject'],
  HeadObject: ['s3:GetObject'],
  PutObject: ['s3:PutObject'],
  DeleteObject: ['s3:DeleteObject'],
  CopyObject: ['s3:GetObject', 's3:PutObject'],
  // EC2
  DescribeInstances: ['ec2:DescribeInstances'],
  waitUntilInstanceRunning: ['ec2:DescribeInstances'],
  waitUntilInstanceStopped: ['ec2:DescribeInstances'],
  StartInstances: ['ec2:StartInstances'],
  StopInstances: ['ec2:StopInstances'],
  DescribeInstanceAttribute: ['ec2:DescribeInstanceAttribute'],
  CreateTags: ['ec2:CreateTags'],
  DeleteTags: ['ec2:DeleteTags'],
  // SSM
  SendCommand: ['ssm:SendCommand'],
  GetCommandInvocation: ['ssm:GetCommandInvocation'],
  waitUntilCommandExecuted: ['ssm:GetCommandInvocation'],
  CancelCommand: ['ssm:CancelCommand'],
  DescribeInstanceInformation: ['ssm:DescribeInstanceInformation'],
  // SNS (notify.snsTopicArn)
  Publish: ['sns:Publish'],
  // STS GetCallerIdentity needs no permission
  GetCallerIdentity: [],
};

interface Use {
  op: string;
  where: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const f = path.join(dir, name);
    if (statSync(f).isDirectory()) return sourceFiles(f);
    return /\.(ts|tsx|mts|cts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [f] : [];
  });
}

/** Every AWS operation the source sends: `new XCommand(` (also `new sdk.XCommand(`), paginateX, waitUntilX. */
export function awsCallsIn(text: string, file: string): Use[] {
  const uses: Use[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    for (const m of line.matchAll(/\bnew\s+(?:[A-Za-z_$][\w$]*\.)?([A-Z][\w$]*)Command\s*\(/g)) uses.push({ op: m[1], where });
    for (const m of line.matchAll(/\b(paginate[A-Z][\w$]*|waitUntil[A-Z][\w$]*)\b/g)) uses.push({ op: m[1], where });
  });
  return uses;
}

function policyActions(): Set<string> {
  const policy = JSON.parse(readFileSync(path.join(ROOT, 'docs/iam-policy.json'), 'utf8'));
  const out = new Set<string>();
  for (const st of policy.Statement) {
    assert.equal(st.Effect, 'Allow', `statement ${st.Sid} allows`);
    for (const a of [].concat(st.Action)) out.add(a);
  }
  return out;
}

describe('IAM policy (docs/iam-policy.json)', function () {
  const uses = sourceFiles(path.join(ROOT, 'src')).flatMap((f) => awsCallsIn(readFileSync(f, 'utf8'), path.relative(ROOT, f)));

  it('finds the AWS calls the source makes (the scanner itself works)', function () {
    const ops = new Set(uses.map((u) => u.op));
    for (const op of ['StartInstances', 'StopInstances', 'DescribeInstances', 'CreateTags', 'DeleteTags', 'waitUntilInstanceStopped']) assert.ok(ops.has(op), `found ${op}`);
    assert.deepEqual(
      awsCallsIn('await c.send(new sdk.GetObjectCommand({}));\nconst p = paginateListObjectsV2(cfg, in);\n// RemoteCommand is ours: cmd: RemoteCommand', 'x.ts').map((u) => u.op),
      ['GetObject', 'paginateListObjectsV2'],
    );
  });

  it('maps every AWS call in src/ to an action the policy allows', function () {
    const allowed = policyActions();
    const problems: string[] = [];
    for (const u of uses) {
      const need = ACTIONS[u.op];
      if (!need) problems.push(`${u.where}: ${u.op} is not in the table of test/unit/iamPolicy.test.ts: add its IAM action(s) there and to docs/iam-policy.json`);
      else for (const a of need) if (!allowed.has(a)) problems.push(`${u.where}: ${u.op} needs ${a}, which docs/iam-policy.json does not allow`);
    }
    assert.deepEqual(problems, []);
  });

  it('allows nothing the source does not call', function () {
    const needed = new Set(uses.flatMap((u) => ACTIONS[u.op] ?? []));
    const extra = [...policyActions()].filter((a) => !needed.has(a));
    assert.deepEqual(extra, [], 'actions in the policy that no source file calls');
  });

  it('scopes start/stop/tagging and SendCommand to the ManagedBy tag, and S3 to the bucket', function () {
    const policy = JSON.parse(readFileSync(path.join(ROOT, 'docs/iam-policy.json'), 'utf8'));
    for (const st of policy.Statement) {
      const actions: string[] = [].concat(st.Action);
      assert.ok(!actions.some((a) => a.includes('*')), `${st.Sid}: no wildcard actions`);
      if (actions.some((a) => /^ec2:(Start|Stop|CreateTags|DeleteTags|DescribeInstanceAttribute)/.test(a))) {
        assert.equal(st.Condition?.StringEquals?.['aws:ResourceTag/ManagedBy'], 'BatchTranscription', `${st.Sid}: tag condition`);
      }
      if (actions.some((a) => a.startsWith('ec2:CreateTags') || a.startsWith('ec2:DeleteTags'))) {
        assert.deepEqual(st.Condition['ForAllValues:StringEquals']['aws:TagKeys'], ['WhisperBatchRun', 'WhisperBatchStarted'], 'only our ownership tags');
      }
      if (actions.some((a) => a.startsWith('s3:'))) {
        for (const r of [].concat(st.Resource) as string[]) assert.match(r, /^arn:aws:s3:::YOUR-BUCKET(\/|$)/, `${st.Sid}: scoped to the bucket`);
      }
      if (actions.includes('sns:Publish')) assert.match(String(st.Resource), /^arn:aws:sns:YOUR-REGION:YOUR-ACCOUNT-ID:YOUR-TOPIC$/, `${st.Sid}: one topic, not every topic`);
      if (actions.includes('ssm:SendCommand')) {
        const r = String(st.Resource);
        assert.ok(r.endsWith('document/AWS-RunShellScript') || st.Condition?.StringEquals?.['ssm:resourceTag/ManagedBy'] === 'BatchTranscription', `${st.Sid}: SendCommand scoped`);
      }
    }
  });

  it('its S3 resources cover every key the default layout reads, writes and deletes, and nothing is granted outside them', function () {
    const policy = JSON.parse(readFileSync(path.join(ROOT, 'docs/iam-policy.json'), 'utf8'));
    const glob = (pattern: string) =>
      new RegExp(
        '^' +
          pattern
            .split('*')
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*') +
          '$',
      );
    const allows = (action: string, arn: string) =>
      policy.Statement.some(
        (st: { Action: string | string[]; Resource: string | string[] }) => ([] as string[]).concat(st.Action).includes(action) && ([] as string[]).concat(st.Resource).some((r) => glob(r).test(arn)),
      );
    const { BucketLayout } = require('../../src/core/layout') as typeof import('../../src/core/layout');
    const { defaultSettings } = require('../../src/core/settings') as typeof import('../../src/core/settings');
    const layout = new BucketLayout(defaultSettings().layout);
    const session = { userId: 'u-1', sessionId: 'session_2025-11-09T14_32_10_123Z' };
    const obj = (key: string) => `arn:aws:s3:::YOUR-BUCKET/${key}`;
    const report = layout.reportKey(Date.parse('2026-11-30T00:09:00Z'), 'json');
    const { snapshotKey } = require('../../src/core/pendingJobsFile') as typeof import('../../src/core/pendingJobsFile');
    const pendingJobs = defaultSettings().layout.pendingJobsKey;
    const need: Array<[string, string]> = [
      ['s3:GetObject', obj(layout.audioKey(session, 1000, 'webm'))], // audio (and presigned GETs for the instance)
      ['s3:GetObject', obj(layout.transcriptKey(session, 1))],
      ['s3:GetObject', obj(layout.legacyTranscriptKey(session, 1))],
      ['s3:GetObject', obj(layout.lockKey)], // the realtime path's lock (HEAD)
      ['s3:GetObject', obj(layout.leaseKey)],
      ['s3:GetObject', obj(report)],
      ['s3:PutObject', obj(layout.transcriptKey(session, 1000))], // create-only transcript (and presigned PUTs)
      ['s3:PutObject', obj(layout.leaseKey)],
      ['s3:PutObject', obj(report)],
      ['s3:DeleteObject', obj(layout.leaseKey)],
      ['s3:DeleteObject', obj(report)], // retention (whisper-batch cleanup, the timer)
      ['s3:DeleteObject', obj(layout.reportKey(Date.parse('2026-11-30T00:09:00Z'), 'html'))],
      // the pending-jobs document where the design's consumers read it, its archived snapshots, and their retention
      ['s3:PutObject', obj(pendingJobs)],
      ['s3:PutObject', obj(snapshotKey(pendingJobs, 'batch-2026-11-30-0009'))],
      ['s3:DeleteObject', obj(snapshotKey(pendingJobs, 'batch-2026-11-30-0009'))],
      ['s3:ListBucket', 'arn:aws:s3:::YOUR-BUCKET'],
    ];
    assert.deepEqual(
      need.filter(([a, arn]) => !allows(a, arn)).map(([a, arn]) => `${a} on ${arn}`),
      [],
      'keys the product uses that the policy does not allow',
    );
    // and it cannot touch what it has no business with: the realtime lock is never written or deleted, audio never deleted
    assert.equal(allows('s3:PutObject', obj(layout.lockKey)), false, 'never writes batch-lock.json');
    assert.equal(allows('s3:DeleteObject', obj(layout.lockKey)), false);
    assert.equal(allows('s3:DeleteObject', obj(layout.audioKey(session, 1, 'webm'))), false, 'never deletes audio');
    assert.equal(allows('s3:DeleteObject', obj(layout.transcriptKey(session, 1))), false, 'never deletes transcripts');
    assert.equal(allows('s3:DeleteObject', obj(pendingJobs)), false, 'never deletes the current pending-jobs document (only old snapshots)');
  });
});
