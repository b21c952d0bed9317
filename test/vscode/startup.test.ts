/**
 * Start-up without any view: scripts/test-vscode.mjs starts code-server with user settings that
 * turn scheduled runs on (first run due at once) for a folder bucket with work, and opens no view
 * of ours. The extension must activate on its own (onStartupFinished), the timed runner must run the
 * real CLI, and the report and transcripts must land in the bucket; then an EC2 host (moto) is
 * watched from there, still with no view open.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WhisperBatchApi } from '../../src/extension/activate';
import { releaseMoto, startMoto } from '../support/moto';
import { OLD_SESSION } from './fixtureBucket';
import { EXT_ID, setSetting, until } from './helpers';

describe('Whisper Batch from start-up, no view opened', function () {
  const bucket = process.env.WB_STARTUP_BUCKET!;
  let api: WhisperBatchApi;

  it('activates on its own after start-up (nobody calls activate(), no view shown)', async function () {
    assert.ok(bucket && fs.existsSync(bucket), `WB_STARTUP_BUCKET is a folder (${bucket})`);
    const ext = vscode.extensions.getExtension<WhisperBatchApi>(EXT_ID)!;
    await until(() => ext.isActive, 'the extension to activate on start-up finished', 90_000);
    api = ext.exports;
    assert.equal(api.settings().schedule.enabled, true, 'scheduled runs are on from the user settings');
    assert.equal(api.settings().store, bucket, 'the store from the machine settings');
    assert.equal(api.pending.view.visible, false, 'the Pending view was never shown');
  });

  it('runs the due scheduled run: transcripts and a report in the bucket, the view still closed', async function () {
    this.timeout(200_000);
    const reports = path.join(bucket, 'batch-reports');
    const json = () => (fs.existsSync(reports) ? fs.readdirSync(reports).filter((f) => /^batch-.*\.json$/.test(f)) : []);
    await until(() => json().length > 0 && api.runs.live().length === 0, 'the report of the scheduled run', 120_000);
    const report = JSON.parse(fs.readFileSync(path.join(reports, json()[0]), 'utf8'));
    assert.equal(report.status, 'success', `report status (${json()[0]})`);
    const t = path.join(bucket, 'users', 'alice', 'audio', 'sessions', OLD_SESSION, 'layers', 'layer-0-raw-transcription', 'chunk-001.json');
    assert.ok(JSON.parse(fs.readFileSync(t, 'utf8')).segments.length > 0, 'a real transcript was written');
    // The window follows the run it started: the rescan and the next run an interval later.
    await until(() => api.pending.model.totals?.missingChunks === 0, 'the rescan after the run');
    const next = await until(() => api.schedule.nextRunAt(), 'the next run time');
    assert.ok(next - Date.now() > 110 * 60_000, `the next run an interval later (${new Date(next).toISOString()})`);
    assert.equal(api.pending.view.visible, false, 'the Pending view was never shown');
  });

  it('watches an EC2 host with no view open: the status bar knows the GPU runs with no batch', async function () {
    const moto = await startMoto();
    try {
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
      await setSetting('schedule.enabled', undefined);
      const { EC2Client, RunInstancesCommand } = require('@aws-sdk/client-ec2');
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const tags = [{ ResourceType: 'instance', Tags: [{ Key: 'ManagedBy', Value: 'BatchTranscription' }] }];
      const out = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: 'g4dn.xlarge', TagSpecifications: tags }));
      await setSetting('aws.endpoint', moto.endpoint);
      await setSetting('host.instanceId', out.Instances[0].InstanceId);
      await setSetting('host.kind', 'ec2');
      await until(() => api.status.presentation().state === 'idle', `GPU idle (state ${api.status.presentation().state}: ${api.status.facts().hostError ?? ''})`);
      assert.equal(api.status.facts().hostState, 'running');
      assert.equal(api.pending.view.visible, false, 'the Pending view was never shown');
    } finally {
      for (const k of ['host.kind', 'host.instanceId', 'aws.endpoint']) await setSetting(k, undefined);
      await releaseMoto();
    }
  });
});
