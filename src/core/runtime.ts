/**
 * Wires the pieces the settings name: store, engine, remote runner and host. Shared by the CLI and
 * the extension, so both run exactly the same code paths. Nothing here loads the AWS SDK: clients
 * are built on first use.
 */
import type { Clock } from './clock';
import { defaultClientFactory, awsOptionsFromSettings, type AwsClientFactory, type AwsCredentials } from './aws/clients';
import { SdkEc2Api, type Ec2Api } from './aws/ec2Api';
import type { Engine } from './engine/engine';
import { CommandEngine } from './engine/commandEngine';
import { WhisperLiveEngine } from './engine/whisperLiveEngine';
import { FasterWhisperEngine } from './engine/remoteFasterWhisper';
import { effectiveEngine } from './engine/engineEnv';
import { LocalRunner } from './remote/localRunner';
import { WbError } from './errors';
import type { EventSink, BatchEventInput } from './events';
import type { GpuHost } from './host/host';
import { openHost } from './host/openHost';
import { findOrphanedGpu } from './host/orphans';
import type { LeaseInfo } from './lease';
import { BucketLayout } from './layout';
import { readLiveLock } from './liveLock';
import type { RemoteRunner } from './remote/remoteRunner';
import { SsmRunner, sdkSsmApi } from './remote/ssmRunner';
import type { Settings } from './settings';
import type { ObjectStore } from './store/objectStore';
import { openStore } from './store/openStore';

export { SSH_PASSPHRASE_ENV } from './remote/remoteRunner';

export interface RuntimeOptions {
  clock: Clock;
  emit?: EventSink;
  /** false: a command that transcribes nothing (scan, status): no engine is built or checked. */
  engine?: boolean;
  /** The command engine installs missing Debian packages when running as root. */
  installMissing?: boolean;
  credentials?: AwsCredentials;
  /** Passphrase of host.sshKeyPath (from VS Code SecretStorage or the environment; never a setting, never logged). */
  sshPassphrase?: string;
  clientFactory?: AwsClientFactory;
  /** Seams for tests: fakes of what cannot run here (EC2 transitions, SSM execution). */
  ec2?: Ec2Api;
  remote?: RemoteRunner;
  /** Runs the local faster-whisper script (default: LocalRunner). */
  localRunner?: RemoteRunner;
}

export interface Runtime {
  settings: Settings;
  store: ObjectStore;
  layout: BucketLayout;
  host: GpuHost;
  engine: Engine;
  /** How commands reach the GPU instance (SSM or SSH); undefined for the local host. */
  remote?: RemoteRunner;
  /** The EC2 API of the GPU host, for read-only checks (`run --dry-run`); undefined for the local host. */
  ec2?: Ec2Api;
  /** A GPU our runs started that no live run owns (crash): a message saying so, or undefined. */
  checkOrphan(lease: LeaseInfo | undefined): Promise<string | undefined>;
  dispose(): Promise<void>;
}

export async function openRuntime(settings: Settings, o: RuntimeOptions): Promise<Runtime> {
  const factory = o.clientFactory ?? defaultClientFactory();
  const store = openStore(settings, { credentials: o.credentials, clientFactory: factory });
  const layout = new BucketLayout(settings.layout);
  const emit = (e: BatchEventInput) => o.emit?.({ ...e, time: o.clock.now() } as any);
  const aws = awsOptionsFromSettings(settings, o.credentials ? { credentials: o.credentials } : {});

  let remote = o.remote;
  if (!remote && settings.host.kind === 'ec2') {
    if (settings.host.transport === 'ssh') {
      const { SshRunner } = await import('./remote/sshRunner');
      remote = new SshRunner({ host: settings.host.sshHost, user: settings.host.sshUser, keyPath: settings.host.sshKeyPath, port: settings.host.sshPort, passphrase: o.sshPassphrase });
    } else {
      remote = new SsmRunner({ instanceId: settings.host.instanceId, ssm: sdkSsmApi(() => factory.ssm(aws)), clock: o.clock });
    }
  }

  const engine = o.engine === false ? inertEngine(settings) : buildEngine(settings, o, remote, emit);
  const ec2 = o.ec2 ?? (settings.host.kind === 'ec2' ? new SdkEc2Api(aws, (x) => factory.ec2(x)) : undefined);
  const host = openHost(settings, { clock: o.clock, engine, emit, ec2, remote, liveLock: (signal) => readLiveLock(store, layout, settings, o.clock, signal) });

  return {
    settings,
    store,
    layout,
    host,
    engine,
    remote,
    ec2,
    async checkOrphan(lease) {
      if (!ec2 || settings.host.kind !== 'ec2') return undefined;
      const orphan = await findOrphanedGpu({ ec2, settings }, lease);
      return orphan ? `GPU ${orphan.instanceId} is ${orphan.state} with no run owning it: ${orphan.reason}. Stop it with \`whisper-batch stop\` (the next run also stops it).` : undefined;
    },
    async dispose() {
      await engine.dispose?.();
      await remote?.dispose?.();
    },
  };
}

function buildEngine(settings: Settings, o: RuntimeOptions, remote: RemoteRunner | undefined, emit: (e: BatchEventInput) => void): Engine {
  const e = settings.engine;
  const eff = effectiveEngine(settings);
  if (eff.note) emit({ type: 'log', level: 'warn', message: eff.note });
  switch (eff.kind) {
    case 'pocketsphinx':
      return new CommandEngine({ command: e.command, language: e.language, installMissing: o.installMissing }, { clock: o.clock, log: (message) => emit({ type: 'log', level: 'info', message }) });
    case 'whisperlive':
      return new WhisperLiveEngine(
        { url: e.whisperliveUrl, model: eff.model, language: e.language, useVad: e.useVad },
        { clock: o.clock, log: (level, message) => emit({ type: 'log', level, message }) },
      );
    case 'faster-whisper':
      if (settings.host.kind === 'local') return new FasterWhisperEngine({ runner: o.localRunner ?? new LocalRunner(), settings, python: eff.python, model: eff.model });
      if (!remote) throw new WbError('Config', 'engine.kind = "faster-whisper" on host.kind = "ec2" needs a transport (host.transport)', 'Set host.transport to ssm or ssh.');
      return new FasterWhisperEngine({ runner: remote, settings, model: eff.model });
  }
}

/** For commands that transcribe nothing: an engine that is never called. */
function inertEngine(settings: Settings): Engine {
  const eff = effectiveEngine(settings);
  return {
    name: eff.kind,
    model: eff.model,
    async check() {},
    async transcribeAll() {
      throw new WbError('Internal', 'this command transcribes nothing');
    },
  };
}
