/** Settings for the CLI: defaults < config file < environment < flags, through the core's one model. */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WbError } from '../core/errors';
import { resolveSettings, settingsFromEnv, type RawSettings, type Settings } from '../core/settings';

export interface GlobalFlags {
  config?: string;
  store?: string;
  profile?: string;
  region?: string;
  endpoint?: string;
  host?: string;
  instance?: string;
  engine?: string;
  concurrency?: string;
  set?: string[];
}

export function defaultConfigPath(env = process.env): string {
  return env.WHISPER_BATCH_CONFIG ?? path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'whisper-batch', 'config.json');
}

/** The embedded default store: a sample bucket folder made by `whisper-batch demo`. */
export function embeddedStorePath(env = process.env): string {
  return env.WHISPER_BATCH_HOME ? path.join(env.WHISPER_BATCH_HOME, 'sample-bucket') : path.join(os.homedir(), '.whisper-batch', 'sample-bucket');
}

export function loadSettings(flags: GlobalFlags, env = process.env): { settings: Settings; configFile?: string } {
  const file = flags.config ?? defaultConfigPath(env);
  let fromFile: RawSettings = {};
  let configFile: string | undefined;
  if (flags.config || existsSync(file)) {
    try {
      // An editor's UTF-8 byte order mark is not part of the JSON.
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error(`it holds ${parsed === null ? 'null' : Array.isArray(parsed) ? 'a list' : `a ${typeof parsed}`}, not a JSON object of settings`);
      fromFile = parsed as RawSettings;
      configFile = file;
    } catch (e: any) {
      throw new WbError(
        'Config',
        `Cannot read config file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
        'Pass --config with a JSON file of settings, e.g. {"store": "s3://my-bucket", "host": {"kind": "ec2"}}.',
      );
    }
  }
  const fromFlags: RawSettings = {
    store: flags.store,
    'aws.profile': flags.profile,
    'aws.region': flags.region,
    'aws.endpoint': flags.endpoint,
    'host.kind': flags.host,
    'host.instanceId': flags.instance,
    'engine.kind': flags.engine,
    'run.concurrency': flags.concurrency,
  };
  for (const kv of flags.set ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new WbError('Usage', `--set needs name=value, got ${JSON.stringify(kv)}`, 'Example: --set scan.gracePeriodMinutes=5');
    fromFlags[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const settings = resolveSettings(fromFile, settingsFromEnv(env), fromFlags);
  if (!settings.store) settings.store = embeddedStorePath(env);
  return { settings, configFile };
}
