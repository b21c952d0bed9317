import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SETTINGS_SCHEMA } from '../../../src/core/settings';
import { configurationContribution, restrictedConfigurations } from '../../../src/extension/configContribution';

const root = path.resolve(__dirname, '../../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('extension/configContribution', function () {
  it('package.json contributes.configuration is what SETTINGS_SCHEMA generates (run node scripts/gen-config.mjs)', function () {
    assert.deepEqual(pkg.contributes.configuration, JSON.parse(JSON.stringify(configurationContribution())));
  });

  it('package.json restricted-mode list is the machine-only settings', function () {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, restrictedConfigurations());
    assert.ok(restrictedConfigurations().includes('whisperBatch.store'));
    assert.ok(restrictedConfigurations().includes('whisperBatch.aws.profile'));
    assert.ok(!restrictedConfigurations().includes('whisperBatch.scan.gracePeriodMinutes'));
  });

  it('covers every setting, machine scope for machine-only ones, with their bounds and patterns', function () {
    const props = configurationContribution().properties;
    assert.equal(Object.keys(props).length, Object.keys(SETTINGS_SCHEMA).length);
    assert.equal(props['whisperBatch.store'].scope, 'machine');
    assert.equal(props['whisperBatch.engine.model'].scope, 'window');
    assert.equal(props['whisperBatch.scan.listConcurrency'].type, 'integer');
    assert.equal(props['whisperBatch.scan.listConcurrency'].minimum, 1);
    assert.deepEqual(props['whisperBatch.host.kind'].enum, ['local', 'ec2']);
    assert.equal(props['whisperBatch.layout.audioExtensions'].type, 'array');
    const re = new RegExp(props['whisperBatch.host.instanceId'].pattern!);
    assert.ok(re.test('i-0123456789abcdef0') && re.test('') && !re.test('i-xyz'));
  });

  it('declares a command for every command id the menus use, all in the "Whisper Batch" category', function () {
    const ids = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Whisper Batch');
    for (const list of Object.values(pkg.contributes.menus) as Array<Array<{ command: string }>>) for (const m of list) assert.ok(ids.has(m.command), m.command);
  });

  it('offers the run, GPU, report, schedule, log and AWS commands, and a welcome view with the sample and AWS buttons while nothing is configured', function () {
    const ids = pkg.contributes.commands.map((c: { command: string }) => c.command);
    for (const c of ['scan', 'runBatch', 'stopGpu', 'refresh', 'openReports', 'toggleSchedule', 'showLog', 'configureAws', 'cancelRun']) assert.ok(ids.includes(`whisperBatch.${c}`), c);
    const welcome = pkg.contributes.viewsWelcome.find((w: { view: string; when: string }) => w.view === 'whisperBatch.pending' && w.when === '!whisperBatch.configured');
    assert.ok(welcome, 'a welcome view for the Pending view while not configured');
    const buttons = [...welcome.contents.matchAll(/^\[([^\]]+)\]\(command:([\w.]+)\)$/gm)].map((m) => m[2]);
    assert.deepEqual(buttons, ['whisperBatch.trySample', 'whisperBatch.configureAws'], 'two buttons (a link alone on its line)');
  });

  it('activates once start-up has finished (the timed runner and the GPU watch need no view), never with "*", and earlier on its views and commands', function () {
    const events: string[] = pkg.activationEvents;
    assert.ok(events.includes('onStartupFinished'), 'activated after start-up without a view opened');
    assert.ok(!events.includes('*'), 'not before start-up has finished');
    for (const e of events) assert.match(e, /^(onStartupFinished|onView:whisperBatch\.|onCommand:whisperBatch\.|onWebviewPanel:whisperBatch\.)$|^(onView|onCommand|onWebviewPanel):whisperBatch\./);
    for (const v of pkg.contributes.views.whisperBatch) assert.ok(events.includes(`onView:${v.id}`), v.id);
    const menusOnly = new Set(['whisperBatch.transcribeSession', 'whisperBatch.copyKey', 'whisperBatch.copyPath', 'whisperBatch.openSessionReport', 'whisperBatch.openTranscript']);
    for (const c of pkg.contributes.commands) if (!menusOnly.has(c.command)) assert.ok(events.includes(`onCommand:${c.command}`), c.command);
  });
  it('menus: Open Transcript on every session of the tree; Copy S3 Key on an S3 store, Copy Path on a folder; Stop GPU and the SSH passphrase only on EC2; the schedule entry names the state it switches to', function () {
    const menus = pkg.contributes.menus;
    const item = (cmd: string) => menus['view/item/context'].filter((m: { command: string }) => m.command === cmd).map((m: { when: string }) => m.when);
    assert.ok(
      item('whisperBatch.openTranscript').some((w: string) => /viewItem =~ \/\^session:\//.test(w)),
      'on pending and deferred sessions alike',
    );
    assert.deepEqual(
      item('whisperBatch.copyKey').map((w: string) => /storeKind == s3/.test(w)),
      [true],
    );
    assert.deepEqual(
      item('whisperBatch.copyPath').map((w: string) => /storeKind == folder/.test(w)),
      [true],
    );
    const palette = (cmd: string) => menus.commandPalette.find((m: { command: string }) => m.command === cmd)?.when;
    assert.match(palette('whisperBatch.stopGpu'), /hostKind == ec2/);
    assert.match(palette('whisperBatch.setSshPassphrase'), /hostKind == ec2/);
    const title = (cmd: string) => menus['view/title'].filter((m: { command: string }) => m.command === cmd);
    assert.ok(title('whisperBatch.stopGpu').every((m: { when: string }) => /hostKind == ec2/.test(m.when)));
    assert.match(title('whisperBatch.scheduleOn')[0].when, /!whisperBatch\.scheduleEnabled/);
    assert.match(title('whisperBatch.scheduleOff')[0].when, /(^|[^!])whisperBatch\.scheduleEnabled/);
    assert.deepEqual(title('whisperBatch.toggleSchedule'), []);
  });
});
