/**
 * The SDK v3 Ec2Api against a real moto server (EC2 API calls, tags, errors, waiters), and the
 * Ec2Host driving it end to end. moto shows no pending/stopping and runs no commands, so the
 * instance side (agent, unit, shutdown timer) is a stub here; transitions are covered by FakeEc2
 * in test/unit/core/host. @integration
 */
import * as assert from 'node:assert/strict';
import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { LazyAwsClientFactory, type AwsClientOptions } from '../../src/core/aws/clients';
import { Ec2Error, SdkEc2Api, parseTransitionTime } from '../../src/core/aws/ec2Api';
import { systemClock } from '../../src/core/clock';
import { Ec2Host, OWNER_TAG, stopTimerArgs } from '../../src/core/host/ec2Host';
import type { RemoteRunner } from '../../src/core/remote/remoteRunner';
import { defaultSettings } from '../../src/core/settings';
import { motoCredentials, releaseMoto, startMoto, type MotoServer } from '../support/moto';

describe('SdkEc2Api on moto @integration', function () {
  let moto: MotoServer;
  let factory: LazyAwsClientFactory;
  let aws: AwsClientOptions;
  let client: EC2Client;
  let api: SdkEc2Api;

  async function launch(tags: Record<string, string> = { ManagedBy: 'BatchTranscription' }, onShutdown: 'stop' | 'terminate' = 'stop'): Promise<string> {
    const out = await client.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        InstanceType: 'g4dn.xlarge',
        MinCount: 1,
        MaxCount: 1,
        InstanceInitiatedShutdownBehavior: onShutdown,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return out.Instances![0].InstanceId!;
  }

  before(async function () {
    moto = await startMoto();
    factory = new LazyAwsClientFactory();
    aws = { region: 'us-east-1', endpoint: moto.endpoint, credentials: motoCredentials, maxAttempts: 1 };
    client = await factory.ec2(aws);
    api = new SdkEc2Api(aws, (o) => factory.ec2(o));
  });
  after(async function () {
    await factory?.dispose();
    await releaseMoto();
  });

  it('describes an instance: state, tags, launch time', async function () {
    const id = await launch({ ManagedBy: 'BatchTranscription', Name: 'gpu <1>' });
    const info = await api.describe(id);
    assert.equal(info?.state, 'running');
    assert.equal(info?.instanceId, id);
    assert.deepEqual(info?.tags, { ManagedBy: 'BatchTranscription', Name: 'gpu <1>' });
    assert.ok(info!.launchTime! > Date.parse('2020-01-01'));
    assert.equal(info?.instanceType, 'g4dn.xlarge');
  });

  it('stops and starts with the waiters, and reads the transition time', async function () {
    const id = await launch();
    assert.equal(await api.stop(id), 'stopping');
    await api.waitForState(id, 'stopped', { timeoutSeconds: 30, pollSeconds: 1 });
    const stopped = await api.describe(id);
    assert.equal(stopped?.state, 'stopped');
    assert.ok(stopped?.stateTransitionTime === undefined || stopped.stateTransitionTime > Date.parse('2020-01-01'));
    assert.equal(await api.start(id), 'pending');
    await api.waitForState(id, 'running', { timeoutSeconds: 30, pollSeconds: 1 });
    assert.equal((await api.describe(id))?.state, 'running');
  });

  it('creates and deletes tags', async function () {
    const id = await launch();
    await api.createTags(id, { [OWNER_TAG]: 'run-1', WhisperBatchStarted: '2026-11-25T10:00:00.000Z' });
    assert.equal((await api.describe(id))?.tags[OWNER_TAG], 'run-1');
    await api.deleteTags(id, [OWNER_TAG, 'WhisperBatchStarted']);
    assert.deepEqual((await api.describe(id))?.tags, { ManagedBy: 'BatchTranscription' });
  });

  it('reads the shutdown behaviour (stop or terminate)', async function () {
    assert.equal(await api.shutdownBehavior(await launch()), 'stop');
    assert.equal(await api.shutdownBehavior(await launch(undefined, 'terminate')), 'terminate');
  });

  it('maps a missing instance: describe says undefined, start names the instance and the settings', async function () {
    const ghost = 'i-0000000000000dead';
    assert.equal(await api.describe(ghost), undefined);
    const err = await api.start(ghost).catch((e) => e);
    assert.ok(err instanceof Ec2Error, String(err));
    assert.equal(err.kind, 'not-found');
    assert.equal(err.code, 'NotFound');
    assert.match(err.message, /i-0000000000000dead does not exist/);
    assert.match(err.hint!, /host.instanceId/);
  });

  it('the running waiter fails at once on a terminated instance, naming the state', async function () {
    const id = await launch();
    await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const t0 = Date.now();
    const err = await api.waitForState(id, 'running', { timeoutSeconds: 30, pollSeconds: 1 }).catch((e) => e);
    assert.ok(err instanceof Ec2Error, String(err));
    assert.equal(err.kind, 'state');
    assert.match(err.message, /cannot reach "running": it is terminated/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('Ec2Host starts and stops a tagged instance through the SDK, and removes its mark', async function () {
    const id = await launch();
    await api.stop(id);
    await api.waitForState(id, 'stopped', { timeoutSeconds: 30, pollSeconds: 1 });
    const settings = defaultSettings();
    settings.host.kind = 'ec2';
    settings.host.instanceId = id;
    settings.host.pollSeconds = 0.1;
    // moto runs no commands: the instance side answers as a healthy instance would.
    const ran: string[] = [];
    const remote: RemoteRunner = {
      transport: 'ssm',
      isReachable: async () => true,
      run: async (cmd) => {
        ran.push([cmd.program, ...cmd.args].join(' '));
        return { exitCode: 0, stdout: cmd.program === 'systemctl' ? 'active\n' : '', stderr: '' };
      },
    };
    const host = new Ec2Host({ ec2: api, remote, clock: systemClock, settings });
    assert.deepEqual(await host.prepare('run-moto', new AbortController().signal), { startedByUs: true });
    assert.equal((await api.describe(id))?.tags[OWNER_TAG], 'run-moto');
    // The default engine (faster-whisper) needs the venv's Python to import it, not the WhisperLive unit.
    assert.deepEqual(ran, ['import faster_whisper', 'systemctl stop whisper-batch-stop.timer', `systemd-run ${stopTimerArgs(120).join(' ')}`]);
    await host.release({ reason: 'done' });
    const after = await api.describe(id);
    assert.equal(after?.state, 'stopped');
    assert.equal(after?.tags[OWNER_TAG], undefined);
    assert.ok(host.timeline.stopped! >= host.timeline.ready!);
  });
});

describe('parseTransitionTime', function () {
  it("reads the time out of EC2's transition text", function () {
    assert.equal(parseTransitionTime('User initiated (2026-11-25 10:00:05 GMT)'), Date.parse('2026-11-25T10:00:05Z'));
    assert.equal(parseTransitionTime(''), undefined);
    assert.equal(parseTransitionTime(undefined), undefined);
  });
});
