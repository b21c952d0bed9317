/**
 * What the workbench offers, as a user sees it: the harness types into the real command palette and
 * right-clicks a real tree row in Chromium (test/vscode-host `ui`), so the
 * `when` clauses and context keys decide, not a re-read of package.json. On this machine with a
 * folder store, commands that cannot apply are not offered (Stop GPU, the SSH passphrase) and a
 * chunk's row has "Copy Path"; with an EC2 host (moto) over SSH and an S3 store (moto), the same
 * places offer Stop GPU, the passphrase and "Copy S3 Key". (Modal dialogs cannot be read here: a
 * workbench running extension tests refuses every modal, "DialogService: refused to show dialog in
 * tests", so the run confirmation's severity is a unit test, test/unit/extension/runConfirm.test.ts.)
 * Needs code-server (the harness); skipped under Electron.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WhisperBatchApi } from '../../src/extension/activate';
import type { PendingNode, SessionNode, UserNode } from '../../src/extension/pendingModel';
import { releaseMoto, startMoto } from '../support/moto';
import { createMotoBucket } from '../support/motoBucket';
import { makeFixtureBucket } from './fixtureBucket';
import { activateExtension, askUi, setSetting, until, type UiAnswer } from './helpers';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wb-menus-'));
let n = 0;
async function ui(action: 'palette' | 'tree-menu', arg = ''): Promise<UiAnswer> {
  const a = await askUi(path.join(out, `ui-${++n}.json`), action, arg);
  assert.ok(a, `the harness answered ${action} "${arg}"`);
  assert.equal(a.error, undefined, `${action} "${arg}": ${a.error}`);
  return a;
}

/** The palette's entries for a query that names one command exactly. */
async function offered(title: string): Promise<boolean> {
  const { items } = await ui('palette', title);
  return items!.includes(title);
}

/** Expands the tree down to the first chunk of the first session and right-clicks its row. */
async function chunkMenu(api: WhisperBatchApi): Promise<string[]> {
  const user = (api.pending.tree.getChildren() as UserNode[])[0];
  const session = (api.pending.tree.getChildren(user) as SessionNode[])[0];
  const chunk = (api.pending.tree.getChildren(session) as PendingNode[])[0];
  await vscode.commands.executeCommand('whisperBatch.pending.focus');
  // Open the session (reveal shows a row; it does not open its parents' children by itself here).
  await api.pending.view.reveal(session, { expand: true, select: false, focus: false });
  await api.pending.view.reveal(chunk, { select: true, focus: true });
  const label = String(api.pending.tree.getTreeItem(chunk).label);
  const { items } = await ui('tree-menu', label);
  return items!;
}

describe('What the workbench offers (palette, tree menus) fits the host and the store', function () {
  let api: WhisperBatchApi;

  before(async function () {
    if (!('VSCODE_HOST_SCREENSHOT' in process.env)) this.skip(); // needs the code-server harness
    api = await activateExtension();
    const bucket = await makeFixtureBucket();
    await setSetting('store', bucket.dir);
    await until(() => api.pending.model.totals?.missingChunks === bucket.missing, 'the first scan');
  });

  // Kept when a test failed: the harness leaves a shot of the page next to a failed answer.
  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(() => (failed ? console.log(`      kept ${out}`) : fs.rmSync(out, { recursive: true, force: true })));

  it('this machine, a folder store: no Stop GPU or SSH passphrase in the palette; a chunk has Copy Path, not Copy S3 Key', async function () {
    assert.equal(api.settings().host.kind, 'local');
    assert.ok(!api.settings().store.startsWith('s3://'));
    // The control: the palette is read (and would list these two if their clauses allowed it).
    assert.ok(await offered('Whisper Batch: Scan Now'), 'Scan Now is offered');
    assert.ok(await offered('Whisper Batch: Turn Scheduled Runs On'), 'the schedule entry names the state it switches to');
    assert.equal(await offered('Whisper Batch: Turn Scheduled Runs Off'), false);
    assert.equal(await offered('Whisper Batch: Stop GPU'), false, 'no GPU to stop on this machine');
    assert.equal(await offered('Whisper Batch: Set SSH Key Passphrase'), false, 'no SSH on this machine');
    assert.equal(await offered('Whisper Batch: Cancel Run'), false, 'no run to cancel');
    const menu = await chunkMenu(api);
    assert.ok(menu.includes('Copy Path'), `Copy Path in ${JSON.stringify(menu)}`);
    assert.ok(!menu.includes('Copy S3 Key'), `no Copy S3 Key in ${JSON.stringify(menu)}`);
    assert.ok(menu.includes('Listen'), `Listen in ${JSON.stringify(menu)}`);
  });

  it('an EC2 host over SSH (moto) and an S3 store (moto): Stop GPU and the SSH passphrase are offered, a chunk has Copy S3 Key', async function () {
    const moto = await startMoto();
    const mb = await createMotoBucket(moto, 'menus');
    try {
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
      const { PutObjectCommand } = await import('@aws-sdk/client-s3');
      const body = fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/chromium-recording/chunk-001.webm'));
      await mb.client.send(new PutObjectCommand({ Bucket: mb.bucket, Key: 'users/dana/audio/sessions/session_2026-11-20T09_00_00_000Z/chunk-001.webm', Body: body }));
      const { EC2Client, RunInstancesCommand } = await import('@aws-sdk/client-ec2');
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const tags = [{ ResourceType: 'instance' as const, Tags: [{ Key: 'ManagedBy', Value: 'BatchTranscription' }] }];
      const inst = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: 'g4dn.xlarge', TagSpecifications: tags }));
      await setSetting('scan.gracePeriodMinutes', 0);
      await setSetting('aws.endpoint', moto.endpoint);
      await setSetting('aws.forcePathStyle', true);
      await setSetting('aws.region', 'us-east-1');
      await setSetting('host.instanceId', inst.Instances![0].InstanceId);
      await setSetting('host.sshHost', 'gpu.example.invalid');
      await setSetting('host.transport', 'ssh');
      await setSetting('host.kind', 'ec2');
      await setSetting('store', `s3://${mb.bucket}`);
      await until(() => api.settings().store === `s3://${mb.bucket}` && api.pending.model.totals?.missingChunks === 1, `the scan of the S3 bucket (${api.pending.model.lastError ?? ''})`);
      assert.ok(await offered('Whisper Batch: Stop GPU'), 'Stop GPU is offered for an EC2 host');
      assert.ok(await offered('Whisper Batch: Set SSH Key Passphrase'), 'the SSH passphrase is offered for SSH');
      const menu = await chunkMenu(api);
      assert.ok(menu.includes('Copy S3 Key'), `Copy S3 Key in ${JSON.stringify(menu)}`);
      assert.ok(!menu.includes('Copy Path'), `no Copy Path in ${JSON.stringify(menu)}`);
      // SSM, the default transport: no SSH passphrase to set.
      await setSetting('host.transport', undefined);
      await until(() => api.settings().host.transport === 'ssm', 'transport ssm');
      assert.equal(await offered('Whisper Batch: Set SSH Key Passphrase'), false, 'no SSH passphrase with SSM');
      assert.ok(await offered('Whisper Batch: Stop GPU'));
    } finally {
      for (const k of ['store', 'host.kind', 'host.transport', 'host.sshHost', 'host.instanceId', 'aws.region', 'aws.forcePathStyle', 'aws.endpoint', 'scan.gracePeriodMinutes'])
        await setSetting(k, undefined);
      await mb.dispose();
      await releaseMoto();
    }
  });
});
