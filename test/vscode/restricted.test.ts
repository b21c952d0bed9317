/**
 * Restricted mode: the harness opens a workspace that is NOT trusted (--untrusted) and whose
 * .vscode/settings.json points the store at another folder. The extension must ignore that
 * machine-scoped setting and start no run.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { makeFixtureBucket } from './fixtureBucket';
import { activateExtension, setSetting, until } from './helpers';

describe('Whisper Batch in an untrusted workspace', function () {
  it('runs in restricted mode', async function () {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('ignores the store the workspace sets, and shows the user-level one', async function () {
    const api = await activateExtension();
    // scripts/test-vscode.mjs wrote .vscode/settings.json with another store; VS Code must not hand it over.
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, '.vscode', 'settings.json');
    const wanted = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(file)).toString('utf8'))['whisperBatch.store'];
    assert.ok(wanted, 'the workspace tries to set whisperBatch.store');
    assert.equal(vscode.workspace.getConfiguration('whisperBatch').get('store'), '');
    assert.notEqual(api.settings().store, wanted);
    assert.equal(api.configured(), false);
    const bucket = await makeFixtureBucket();
    await setSetting('store', bucket.dir);
    await until(() => api.pending.model.totals?.missingChunks === bucket.missing, 'the scan of the user-level store');
    assert.equal(api.settings().store, bucket.dir);
  });

  it('starts no run, not by command, not on schedule', async function () {
    const api = await activateExtension();
    const result = await vscode.commands.executeCommand('whisperBatch.runBatch', { yes: true });
    assert.equal(result, undefined);
    assert.equal(api.runs.live().length, 0);
    await assert.rejects(api.runs.start('manual'), /untrusted workspace/);
    await setSetting('schedule.enabled', true);
    await until(() => api.settings().schedule.enabled, 'the setting');
    assert.equal(api.schedule.nextRunAt(), undefined, 'no scheduled run in restricted mode');
    assert.match(String(api.pending.view.message), /Restricted mode/);
  });
});
