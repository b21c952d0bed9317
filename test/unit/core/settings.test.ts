import * as assert from 'node:assert/strict';
import { WbError } from '../../../src/core/errors';
import { SETTINGS_SCHEMA, defaultSettings, describeSettings, resolveSettings, settingsFromEnv, type RawSettings } from '../../../src/core/settings';

/** The Config error's problem lines. */
function problems(...sources: RawSettings[]): string[] {
  try {
    resolveSettings(...sources);
  } catch (e) {
    assert.ok(e instanceof WbError, `expected WbError, got ${e}`);
    assert.equal(e.code, 'Config');
    assert.ok(e.hint);
    return e.message
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^\s+- /, ''));
  }
  assert.fail('expected a Config error');
}

describe('settings', function () {
  describe('defaults', function () {
    it('are the deployment described in docs/BUCKET-LAYOUT.md and docs/WHISPERLIVE.md', function () {
      const s = defaultSettings();
      assert.equal(s.store, '');
      assert.deepEqual(s.aws, { profile: '', region: 'us-east-1', endpoint: '', forcePathStyle: false });
      assert.deepEqual(s.layout, {
        usersPrefix: 'users/',
        sessionsDir: 'audio/sessions',
        chunkPrefix: 'chunk-',
        audioExtensions: ['webm', 'aac', 'm4a', 'mp3', 'wav', 'ogg', 'flac', 'mp4', 'mov', 'm4v', 'avi'],
        transcriptDir: 'layers/layer-0-raw-transcription',
        legacyTranscriptPrefix: 'transcription-chunk-',
        completeMarker: '.transcription-complete',
        lockKey: 'batch-lock.json',
        leaseKey: 'batch-reports/.lease.json',
        reportsPrefix: 'batch-reports/',
        pendingJobsKey: 'batch-data/pending-jobs.json', // the design's batch-data/pending-jobs.json
      });
      assert.equal(s.host.kind, 'local');
      assert.equal(s.host.serviceName, 'whisperlive');
      assert.equal(s.engine.model, 'auto'); // tiny.en on this machine, small.en on the GPU instance
      assert.equal(s.cost.gpuHourlyUsd, 0.526);
      assert.equal(s.scan.gracePeriodMinutes, 15);
    });

    it('resolve with no sources, and every default passes its own validation', function () {
      assert.deepEqual(resolveSettings(), defaultSettings());
      const flat = Object.fromEntries(describeSettings().map((d) => [d.name, d.default]));
      assert.deepEqual(resolveSettings(flat), defaultSettings());
    });

    it('are fresh copies (changing one does not change the next)', function () {
      const a = defaultSettings();
      a.layout.audioExtensions.push('xyz');
      a.scan.gracePeriodMinutes = 1;
      assert.ok(!defaultSettings().layout.audioExtensions.includes('xyz'));
      assert.ok(!resolveSettings().layout.audioExtensions.includes('xyz'));
      assert.equal(defaultSettings().scan.gracePeriodMinutes, 15);
    });
  });

  describe('environment', function () {
    it('reads WHISPER_BATCH_<GROUP>_<NAME> variables, as text, and ignores others', function () {
      const raw = settingsFromEnv({
        WHISPER_BATCH_STORE: 's3://rec-bucket/prefix',
        WHISPER_BATCH_HOST_KIND: 'ec2',
        WHISPER_BATCH_HOST_INSTANCE_ID: 'i-0123456789abcdef0',
        WHISPER_BATCH_SCAN_GRACE_PERIOD_MINUTES: '5',
        WHISPER_BATCH_AWS_FORCE_PATH_STYLE: 'TRUE',
        WHISPER_BATCH_LAYOUT_AUDIO_EXTENSIONS: 'webm, wav',
        WHISPER_BATCH_COST_GPU_HOURLY_USD: '0.75',
        AWS_PROFILE: 'not ours',
        WHISPER_BATCH_NOT_A_SETTING: 'x',
      });
      assert.deepEqual(raw, {
        store: 's3://rec-bucket/prefix',
        'host.kind': 'ec2',
        'host.instanceId': 'i-0123456789abcdef0',
        'scan.gracePeriodMinutes': '5',
        'aws.forcePathStyle': 'TRUE',
        'layout.audioExtensions': 'webm, wav',
        'cost.gpuHourlyUsd': '0.75',
      });
      const s = resolveSettings(raw);
      assert.equal(s.scan.gracePeriodMinutes, 5);
      assert.equal(s.aws.forcePathStyle, true);
      assert.deepEqual(s.layout.audioExtensions, ['webm', 'wav']);
      assert.equal(s.cost.gpuHourlyUsd, 0.75);
      assert.equal(s.host.kind, 'ec2');
    });

    it('gives every setting its own variable name', function () {
      const names = Object.keys(SETTINGS_SCHEMA);
      const env = Object.fromEntries(
        names.map((n, i) => [
          `WHISPER_BATCH_${n
            .replace(/([a-z])([A-Z])/g, '$1_$2')
            .replace(/\./g, '_')
            .toUpperCase()}`,
          String(i),
        ]),
      );
      assert.equal(Object.keys(env).length, names.length);
      assert.deepEqual(Object.keys(settingsFromEnv(env)).sort(), [...names].sort());
    });
  });

  describe('sources', function () {
    it('accept nested objects, dotted names and a mix, with the same result', function () {
      const nested = resolveSettings({ host: { kind: 'ec2', instanceId: 'i-0123456789abcdef0' }, scan: { listConcurrency: 8 } });
      const dotted = resolveSettings({ 'host.kind': 'ec2', 'host.instanceId': 'i-0123456789abcdef0', 'scan.listConcurrency': 8 });
      const mixed = resolveSettings({ host: { kind: 'ec2' }, 'host.instanceId': 'i-0123456789abcdef0', scan: { listConcurrency: 8 } });
      assert.deepEqual(nested, dotted);
      assert.deepEqual(mixed, dotted);
      assert.equal(dotted.scan.listConcurrency, 8);
    });

    it('later sources win; undefined values (flags not given) do not override', function () {
      const file = { 'scan.gracePeriodMinutes': 30, 'engine.model': 'medium.en' };
      const env = { 'scan.gracePeriodMinutes': '20' };
      const flags = { 'scan.gracePeriodMinutes': 10, 'engine.model': undefined };
      const s = resolveSettings(file, env, flags);
      assert.equal(s.scan.gracePeriodMinutes, 10);
      assert.equal(s.engine.model, 'medium.en');
    });

    it('a list setting given as a nested array is a value, not a group', function () {
      assert.deepEqual(resolveSettings({ layout: { audioExtensions: ['webm', 'opus'] } }).layout.audioExtensions, ['webm', 'opus']);
    });
  });

  describe('wrong values', function () {
    it('give one line per problem naming the setting, the value and what is allowed', function () {
      assert.deepEqual(problems({ 'scan.gracePeriodMinutes': 'soon' }), ['scan.gracePeriodMinutes = "soon": must be a number from 0 to 1440']);
      assert.deepEqual(problems({ 'scan.gracePeriodMinutes': 2000 }), ['scan.gracePeriodMinutes = 2000: must be from 0 to 1440']);
      assert.deepEqual(problems({ 'scan.listConcurrency': 2.5 }), ['scan.listConcurrency = 2.5: must be a whole number from 1 to 64']);
      assert.deepEqual(problems({ 'host.kind': 'gpu' }), ['host.kind = "gpu": must be one of local, ec2']);
      assert.deepEqual(problems({ 'aws.region': 'US-EAST' }), ['aws.region = "US-EAST": must be an AWS region such as us-east-1']);
      assert.deepEqual(problems({ 'schedule.enabled': 'maybe' }), ['schedule.enabled = "maybe": must be true or false']);
      assert.deepEqual(problems({ 'layout.audioExtensions': [1, 2] }), ['layout.audioExtensions = [1,2]: must be a list of names']);
      assert.deepEqual(problems({ 'engine.model': 42 }), ['engine.model = 42: must be text']);
      assert.deepEqual(problems({ 'layout.usersPrefix': 'users' }), ['layout.usersPrefix = "users": must be empty or a path ending in "/", without "." or ".." segments or "\\"']);
      assert.deepEqual(problems({ 'aws.region': { nested: true } }), ['aws.region = {"nested":true}: must be text']);
    });

    it('list every problem at once, in one error', function () {
      const p = problems({ 'host.kind': 'gpu', 'scan.listConcurrency': 0, 'engine.beamSize': 'x' });
      assert.equal(p.length, 3);
      assert.ok(p.some((l) => l.startsWith('host.kind')));
      assert.ok(p.some((l) => l.startsWith('scan.listConcurrency = 0')));
      assert.ok(p.some((l) => l.startsWith('engine.beamSize')));
    });

    it('take the old engine names as aliases of the new ones', function () {
      assert.equal(resolveSettings({ 'engine.kind': 'command' }).engine.kind, 'pocketsphinx');
      assert.equal(resolveSettings({ 'engine.kind': 'remote-faster-whisper' }).engine.kind, 'faster-whisper');
      assert.equal(resolveSettings({}).engine.kind, 'auto');
    });

    it('check settings that only make sense together', function () {
      assert.deepEqual(problems({ 'host.kind': 'ec2' }), ['host.instanceId is empty: host.kind = "ec2" needs the GPU instance id (i-...)']);
      assert.deepEqual(problems({ store: 's3://My_Bucket/x' }), ['store = "s3://My_Bucket/x": the bucket name must be 3-63 lowercase letters, digits, "." or "-"']);
      assert.equal(resolveSettings({ store: 's3://my-bucket.v2/some/prefix' }).store, 's3://my-bucket.v2/some/prefix');
      // a wrong instance id is named once, as wrong, not also as empty
      assert.deepEqual(problems({ 'host.kind': 'ec2', 'host.instanceId': 'bogus' }), ['host.instanceId = "bogus": must be an EC2 instance id such as i-0123456789abcdef0']);
      // a mistyped S3 location is not quietly taken for a folder named "s3:"
      for (const typo of ['s3:/recordings', 'S3://recordings', 's3:recordings'])
        assert.deepEqual(problems({ store: typo }), [`store = "${typo}": looks like an S3 location but is not written s3://bucket[/prefix] (did you mean "s3://recordings"?)`]);
    });

    it('accept booleans as text in any case (environment values)', function () {
      for (const [v, want] of [
        ['TRUE', true],
        ['yes', true],
        ['1', true],
        [' False ', false],
        ['no', false],
        ['0', false],
      ] as const) {
        assert.equal(resolveSettings({ 'schedule.enabled': v }).schedule.enabled, want, v);
      }
    });
  });

  describe('unknown settings', function () {
    it('suggest the setting most likely meant', function () {
      assert.deepEqual(problems({ 'scan.gracePeriod': 5 }), ['unknown setting "scan.gracePeriod" (did you mean "scan.gracePeriodMinutes"?)']);
      assert.deepEqual(problems({ 'engine.modle': 'x' }), ['unknown setting "engine.modle" (did you mean "engine.model"?)']);
      assert.deepEqual(problems({ region: 'us-east-1' }), ['unknown setting "region" (did you mean "aws.region"?)']);
      assert.deepEqual(problems({ 'host.instance_id': 'i-0' }), ['unknown setting "host.instance_id" (did you mean "host.instanceId"?)']);
      assert.deepEqual(problems({ 'aws.endpiont': '' }), ['unknown setting "aws.endpiont" (did you mean "aws.endpoint"?)']);
      assert.deepEqual(problems({ 'scan.GRACEPERIODMINUTES': 5 }), ['unknown setting "scan.GRACEPERIODMINUTES" (did you mean "scan.gracePeriodMinutes"?)']);
    });

    it('say when a group was given a value', function () {
      const [p] = problems({ host: 'ec2' });
      assert.match(p, /^unknown setting "host" \("host" is a group: set "host\.kind"/);
    });

    it('suggest nothing when nothing is close', function () {
      assert.deepEqual(problems({ 'foo.bar': 1 }), ['unknown setting "foo.bar"']);
    });

    it('object-prototype names are unknown settings, not crashes or silent no-ops', function () {
      assert.deepEqual(problems({ constructor: 1 }), ['unknown setting "constructor"']);
      assert.deepEqual(problems({ toString: 'x' }), ['unknown setting "toString"']);
      assert.match(problems(JSON.parse('{"__proto__": {"kind": "ec2"}}'))[0], /^unknown setting "__proto__\.kind"/);
      assert.equal(resolveSettings().host.kind, 'local');
      assert.deepEqual(problems(JSON.parse('{"host": {"hasOwnProperty": 1}}')), ['unknown setting "host.hasOwnProperty"']);
    });

    it('values that used to slip through: hex and other non-decimal numbers, an empty extension list, prefixes that climb out', function () {
      for (const v of ['0x10', '0b1', '0o7', 'Infinity', '1_000', '2 3']) assert.match(problems({ 'run.concurrency': v })[0], /^run\.concurrency = .*must be a (whole )?number/, v);
      assert.equal(resolveSettings({ 'run.concurrency': ' 16 ' }).run.concurrency, 16);
      assert.equal(resolveSettings({ 'cost.gpuHourlyUsd': '1.5e-1' }).cost.gpuHourlyUsd, 0.15);
      assert.match(problems({ 'layout.audioExtensions': [] })[0], /layout\.audioExtensions = \[\]: must name at least one extension/);
      assert.match(problems({ 'layout.audioExtensions': '' })[0], /must name at least one extension/);
      assert.match(problems({ 'layout.audioExtensions': ['webm', 'we/bm'] })[0], /must be a list of names/);
      // no decoder is pinned for it: every such chunk would fail on every run
      assert.match(problems({ 'layout.audioExtensions': ['webm', 'm3u8'] })[0], /layout\.audioExtensions = .*"m3u8" is not an audio format whisper-batch reads \(known: aac, avi, /);
      for (const [name, v] of [
        ['layout.reportsPrefix', '../../'],
        ['layout.reportsPrefix', 'a/../'],
        ['layout.usersPrefix', './'],
        ['layout.reportsPrefix', 'a\\..\\'],
        ['layout.sessionsDir', 'audio/..'],
        ['layout.transcriptDir', '../x'],
        ['layout.leaseKey', '../.lease.json'],
        ['layout.lockKey', '..'],
        ['layout.completeMarker', '..'],
        ['layout.chunkPrefix', '.'],
      ])
        assert.match(problems({ [name]: v })[0], new RegExp(`^${name.replace('.', '\\.')} = .*must be`), `${name}=${v}`);
      assert.equal(resolveSettings({ 'layout.reportsPrefix': 'a/.b/' }).layout.reportsPrefix, 'a/.b/');
    });

    it('a source that is null, a list or text is a clear problem, not a crash', function () {
      for (const src of [null, [], ['store'], 'store', 42]) assert.match(problems(src as any)[0], /^settings must be an object/, JSON.stringify(src));
    });
  });

  it('describes every setting for docs and package.json', function () {
    const d = describeSettings();
    assert.equal(d.length, Object.keys(SETTINGS_SCHEMA).length);
    for (const s of d) assert.ok(s.description.length > 3, s.name);
  });
});
