/**
 * One typed settings model for the CLI (config file + env + flags) and the extension
 * (`whisperBatch.*`). Every leaf is described once in SETTINGS_SCHEMA: type, default, what is
 * allowed and what it means; the extension's package.json contributions are generated from it.
 */
import { demuxerOf, knownExtensions } from './audioFormats';
import { WbError } from './errors';

export type HostKind = 'local' | 'ec2';
/** `auto`: faster-whisper once it is set up on this machine (or on the GPU instance), else pocketsphinx. */
export type EngineKind = 'auto' | 'faster-whisper' | 'pocketsphinx' | 'whisperlive';
/** Older names, still accepted: `command` ran pocketsphinx, `remote-faster-whisper` ran faster-whisper on the instance. */
export const ENGINE_ALIASES: Record<string, EngineKind> = { command: 'pocketsphinx', 'remote-faster-whisper': 'faster-whisper' };
export type RemoteTransport = 'ssm' | 'ssh';
export type ScheduleMode = 'interval' | 'adaptive';

export interface Settings {
  /** `s3://bucket[/prefix]`, a folder path, or '' for the embedded sample folder. */
  store: string;
  aws: { profile: string; region: string; endpoint: string; forcePathStyle: boolean };
  layout: {
    usersPrefix: string;
    sessionsDir: string;
    chunkPrefix: string;
    audioExtensions: string[];
    transcriptDir: string;
    legacyTranscriptPrefix: string;
    completeMarker: string;
    lockKey: string;
    leaseKey: string;
    reportsPrefix: string;
    pendingJobsKey: string;
  };
  scan: { gracePeriodMinutes: number; listConcurrency: number; lockMaxAgeMinutes: number; verifyTranscripts: 'run' | 'work' | 'all' | 'off' };
  host: {
    kind: HostKind;
    instanceId: string;
    tagKey: string;
    tagValue: string;
    maxRuntimeMinutes: number;
    liveLockWaitMinutes: number;
    readyTimeoutSeconds: number;
    pollSeconds: number;
    serviceName: string;
    venvPath: string;
    transport: RemoteTransport;
    sshHost: string;
    sshUser: string;
    sshKeyPath: string;
    sshPort: number;
    idleWarningMinutes: number;
  };
  engine: {
    kind: EngineKind;
    command: string;
    /** Python of the local faster-whisper environment; '' = the one `whisper-batch setup-engine` makes. */
    pythonPath: string;
    whisperliveUrl: string;
    model: string;
    language: string;
    useVad: boolean;
    device: string;
    computeType: string;
    beamSize: number;
    batchSize: number;
  };
  run: { concurrency: number; leaseSeconds: number; maxChunkMegabytes: number; maxChunkMinutes: number; quarantineAfterFailures: number };
  cost: { gpuHourlyUsd: number; bootSecondsEstimate: number; realtimeFactorEstimate: number; chunkSecondsEstimate: number };
  schedule: {
    enabled: boolean;
    intervalMinutes: number;
    firstRunDelayMinutes: number;
    jitterSeconds: number;
    autoRefreshSeconds: number;
    mode: ScheduleMode;
    scanMinutes: number;
    ageTargetHours: number;
    pendingAudioMinutes: number;
  };
  monitor: {
    successRateTarget: number;
    successRateAlert: number;
    successRateRuns: number;
    gpuMinutesTarget: number;
    gpuMinutesAlert: number;
    costPerDayTarget: number;
    costPerDayAlert: number;
    pendingAgeTargetHours: number;
    pendingAgeAlertHours: number;
  };
  notify: { onFailedRun: boolean; onAlert: boolean; snsTopicArn: string };
  retention: { reportDays: number; pendingJobsDays: number };
  priority: { users: string[] };
}

type Leaf =
  | { type: 'string'; default: string; enum?: readonly string[]; aliases?: Record<string, string>; pattern?: RegExp; patternText?: string; description: string; machineOnly?: boolean }
  | { type: 'number'; default: number; min: number; max: number; integer?: boolean; description: string; machineOnly?: boolean }
  | { type: 'boolean'; default: boolean; description: string; machineOnly?: boolean }
  | {
      type: 'string[]';
      default: string[];
      description: string;
      machineOnly?: boolean;
      /** Items other than file extensions (the default), and an empty list allowed. */ names?: { pattern: RegExp; text: string };
    };

// A key segment: never "." or "..", no "/" or "\\": a layout name must not climb out of its prefix
// (`layout.reportsPrefix = ../../`) or out of a folder store.
const SEG = String.raw`(?!\.\.?(?:/|$))[^/\\]+`;
const dirName = { pattern: new RegExp(`^${SEG}(/${SEG})*$`), patternText: 'a relative path without leading or trailing "/", "." or ".." segments or "\\"' };
const prefixName = { pattern: new RegExp(`^(${SEG}/)*$`), patternText: 'empty or a path ending in "/", without "." or ".." segments or "\\"' };
const keyName = { pattern: new RegExp(`^${SEG}(/${SEG})*$`), patternText: 'an object key without leading "/", "." or ".." segments or "\\"' };
const fileName = { pattern: new RegExp(`^${SEG}$`), patternText: 'a file name (no "/" or "\\", not "." or "..")' };

/** Every setting, by dotted name. `machineOnly` settings are never read from a workspace (they could point at another account). */
export const SETTINGS_SCHEMA = {
  store: {
    type: 'string',
    default: '',
    description: 'Where the recordings are: `s3://bucket[/prefix]`, or a local folder laid out like the bucket. Empty: the embedded sample folder.',
    machineOnly: true,
  },
  'aws.profile': { type: 'string', default: '', description: 'Named AWS profile from ~/.aws/config (empty: the default credential chain).', machineOnly: true },
  'aws.region': {
    type: 'string',
    default: 'us-east-1',
    pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
    patternText: 'an AWS region such as us-east-1',
    description: 'AWS region of the bucket and the GPU instance.',
    machineOnly: true,
  },
  'aws.endpoint': {
    type: 'string',
    default: '',
    pattern: /^(|https?:\/\/[^\s]+)$/,
    patternText: 'empty or an http(s) URL',
    description: 'Custom endpoint for S3-compatible stores or local emulators (empty: AWS).',
    machineOnly: true,
  },
  'aws.forcePathStyle': { type: 'boolean', default: false, description: 'Use path-style S3 URLs (needed by most S3-compatible stores).', machineOnly: true },
  'layout.usersPrefix': { type: 'string', default: 'users/', ...prefixName, description: 'Key prefix under which every user folder lives.' },
  'layout.sessionsDir': { type: 'string', default: 'audio/sessions', ...dirName, description: 'Folder inside a user folder that holds the session folders.' },
  'layout.chunkPrefix': { type: 'string', default: 'chunk-', ...fileName, description: 'File-name prefix of audio chunks (followed by the chunk number).' },
  'layout.audioExtensions': { type: 'string[]', default: ['webm', 'aac', 'm4a', 'mp3', 'wav', 'ogg', 'flac', 'mp4', 'mov', 'm4v', 'avi'], description: 'File extensions counted as audio chunks.' },
  'layout.transcriptDir': { type: 'string', default: 'layers/layer-0-raw-transcription', ...dirName, description: 'Folder inside a session where transcripts are written (`chunk-NNN.json`).' },
  'layout.legacyTranscriptPrefix': {
    type: 'string',
    default: 'transcription-chunk-',
    ...fileName,
    description: 'Legacy transcript file-name prefix, directly in the session folder; also counts as done.',
  },
  'layout.completeMarker': { type: 'string', default: '.transcription-complete', ...fileName, description: 'Marker file of a finished session.' },
  'layout.lockKey': { type: 'string', default: 'batch-lock.json', ...keyName, description: 'Key the realtime path writes while a browser records live.' },
  'layout.leaseKey': { type: 'string', default: 'batch-reports/.lease.json', ...keyName, description: 'Key of the run lease that keeps batch runs one at a time.' },
  'layout.reportsPrefix': { type: 'string', default: 'batch-reports/', ...prefixName, description: 'Key prefix of the batch reports.' },
  'layout.pendingJobsKey': {
    type: 'string',
    default: 'batch-data/pending-jobs.json',
    pattern: new RegExp(`^(|${SEG}(/${SEG})*)$`),
    patternText: 'empty or an object key without leading "/", "." or ".." segments or "\\"',
    description:
      "Where scheduled runs save the scan's pending-jobs document for the design's consumers (the admin panel); each run's document is archived beside it in `archive/` (retention.pendingJobsDays). Empty: not saved.",
  },
  'scan.gracePeriodMinutes': { type: 'number', default: 15, min: 0, max: 1440, description: 'Sessions whose newest chunk is younger than this are left alone (the user may still be recording).' },
  'scan.listConcurrency': {
    type: 'number',
    default: 4,
    min: 1,
    max: 64,
    integer: true,
    description: 'Parallel listing streams during a scan (contiguous key ranges, cut at user and session folders as they go; a local folder is walked by one).',
  },
  'scan.verifyTranscripts': {
    type: 'string',
    default: 'run',
    enum: ['run', 'work', 'all', 'off'] as const,
    description:
      'Which existing transcripts are read to check they are transcripts (JSON with a segments list): `run`: a run reads those of the sessions with work before it transcribes, a plain scan none (a scan stays one listing); `work`: every scan reads those of sessions with chunks pending, deferred or quarantined; `all`: every scan reads every one (one read each); `off`: none. An empty transcript object is named in any case, from the listing. A bad one is named, never overwritten.',
  },
  'scan.lockMaxAgeMinutes': { type: 'number', default: 240, min: 1, max: 10080, description: 'A batch-lock.json older than this is treated as stale and ignored.' },
  'host.kind': { type: 'string', default: 'local', enum: ['local', 'ec2'] as const, description: 'Where the engine runs: this machine, or the EC2 GPU instance.', machineOnly: true },
  'host.instanceId': {
    type: 'string',
    default: '',
    pattern: /^(|i-[0-9a-f]{8,17})$/,
    patternText: 'an EC2 instance id such as i-0123456789abcdef0',
    description: 'EC2 instance id of the GPU host.',
    machineOnly: true,
  },
  'host.tagKey': { type: 'string', default: 'ManagedBy', description: 'Tag key the GPU instance must carry before we start or stop it.', machineOnly: true },
  'host.tagValue': { type: 'string', default: 'BatchTranscription', description: 'Tag value the GPU instance must carry.', machineOnly: true },
  'host.maxRuntimeMinutes': { type: 'number', default: 120, min: 5, max: 1440, description: 'Hard limit of a run on the GPU: the watchdog and the on-instance shutdown timer stop it after this.' },
  'host.liveLockWaitMinutes': {
    type: 'number',
    default: 30,
    min: 0,
    max: 1440,
    description: 'Before stopping a GPU it started, a run waits this long at most while batch-lock.json says a live recording uses it (never past host.maxRuntimeMinutes), then stops it.',
  },
  'host.readyTimeoutSeconds': { type: 'number', default: 900, min: 30, max: 7200, description: 'How long to wait for the GPU host to become ready before giving up (and stopping it).' },
  'host.pollSeconds': { type: 'number', default: 2, min: 0.1, max: 60, description: 'Poll interval while waiting for the host.' },
  'host.serviceName': {
    type: 'string',
    default: 'whisperlive',
    pattern: /^[A-Za-z0-9@._-]+$/,
    patternText: 'a systemd unit name',
    description: 'systemd unit of WhisperLive on the instance.',
    machineOnly: true,
  },
  'host.venvPath': {
    type: 'string',
    default: '/home/ubuntu/whisperlive/WhisperLive/venv',
    pattern: /^\/[A-Za-z0-9._\/-]+$/,
    patternText: 'an absolute path of letters, digits, ".", "_", "-", "/"',
    description: "WhisperLive's Python venv on the instance.",
    machineOnly: true,
  },
  'host.transport': { type: 'string', default: 'ssm', enum: ['ssm', 'ssh'] as const, description: 'How commands reach the instance: SSM RunCommand, or SSH.', machineOnly: true },
  'host.sshHost': { type: 'string', default: '', description: 'SSH host name or address (transport ssh).', machineOnly: true },
  'host.sshUser': { type: 'string', default: 'ubuntu', description: 'SSH user (transport ssh).', machineOnly: true },
  'host.sshKeyPath': { type: 'string', default: '', description: 'Path of the SSH private key (transport ssh).', machineOnly: true },
  'host.sshPort': { type: 'number', default: 22, min: 1, max: 65535, integer: true, description: 'SSH port (transport ssh).', machineOnly: true },
  'host.idleWarningMinutes': { type: 'number', default: 20, min: 1, max: 1440, description: 'Warn when the GPU has run this long with no batch (a forgotten GPU costs money).' },
  'engine.kind': {
    type: 'string',
    default: 'auto',
    enum: ['auto', 'faster-whisper', 'pocketsphinx', 'whisperlive'] as const,
    aliases: ENGINE_ALIASES,
    description:
      "Speech engine: `faster-whisper` (the shipped script, on this machine in the engine venv or on the GPU instance in WhisperLive's venv), `pocketsphinx` (Debian's, this machine only), `whisperlive` (a WhisperLive websocket server), or `auto` (faster-whisper once set up, else pocketsphinx). `command` and `remote-faster-whisper` are accepted old names.",
    machineOnly: true,
  },
  'engine.command': {
    type: 'string',
    default: 'pocketsphinx',
    description: "Local speech program for engine `pocketsphinx` (`pocketsphinx` uses Debian's pocketsphinx_continuous).",
    machineOnly: true,
  },
  'engine.pythonPath': {
    type: 'string',
    default: '',
    pattern: /^(|\/[^\0\n]*)$/,
    patternText: 'empty or an absolute path',
    description: 'Python of the local faster-whisper environment (empty: the venv `whisper-batch setup-engine` makes, ~/.cache/whisper-batch/engine-venv).',
    machineOnly: true,
  },
  'engine.whisperliveUrl': {
    type: 'string',
    default: 'ws://127.0.0.1:9090',
    pattern: /^wss?:\/\/[^\s]+$/,
    patternText: 'a ws:// or wss:// URL',
    description: 'WhisperLive websocket URL (engine `whisperlive`).',
    machineOnly: true,
  },
  'engine.model': {
    type: 'string',
    default: 'auto',
    pattern: /^[A-Za-z0-9._\/-]+$/,
    patternText: 'a model name such as small.en',
    description:
      'Whisper model: a faster-whisper name (downloaded as faster-whisper does), a local model folder, or `auto` (tiny.en on this machine, bundled by setup-engine, no download; small.en on the GPU instance).',
  },
  'engine.language': { type: 'string', default: 'en', pattern: /^[a-z]{2,3}$/, patternText: 'a language code such as en', description: 'Spoken language.' },
  'engine.useVad': { type: 'boolean', default: true, description: 'Voice activity detection filter.' },
  'engine.device': { type: 'string', default: 'auto', enum: ['cuda', 'cpu', 'auto'] as const, description: 'faster-whisper device (`auto`: cuda when a CUDA device is there, else cpu).' },
  'engine.computeType': {
    type: 'string',
    default: 'auto',
    enum: ['auto', 'float16', 'int8_float16', 'int8', 'float32', 'default'] as const,
    description: 'faster-whisper compute type (`auto`: float16 on cuda, int8 on cpu).',
  },
  'engine.beamSize': { type: 'number', default: 5, min: 1, max: 20, integer: true, description: 'Beam size.' },
  'engine.batchSize': { type: 'number', default: 8, min: 1, max: 64, integer: true, description: "Batch size of faster-whisper's BatchedInferencePipeline." },
  'run.concurrency': { type: 'number', default: 2, min: 1, max: 32, integer: true, description: 'Chunks transcribed at once (local engines) or downloaded ahead (remote).' },
  'run.leaseSeconds': { type: 'number', default: 120, min: 10, max: 3600, description: 'Run lease duration; renewed while the run is alive, taken over only after it expires.' },
  'run.maxChunkMegabytes': {
    type: 'number',
    default: 512,
    min: 1,
    max: 4096,
    description: 'Largest audio chunk a run reads (MB); a bigger one fails alone with its size named, and is never read whole into memory.',
  },
  'run.maxChunkMinutes': {
    type: 'number',
    default: 30,
    min: 1,
    max: 1440,
    integer: true,
    description:
      'Most audio one chunk may decode to (minutes): a small file can decode to hours. Decoding stops there and the chunk fails alone, named. Decoded audio takes 3.84 MB a minute in memory (WhisperLive) or 1.92 MB a minute in a temp file (pocketsphinx, engine.command).',
  },
  'run.quarantineAfterFailures': {
    type: 'number',
    default: 3,
    min: 0,
    max: 1000,
    integer: true,
    description:
      'A chunk whose own bytes failed this many runs in a row (it cannot be decoded or is too large) is quarantined: no longer pending, so it never starts the GPU; `whisper-batch release` retries it (0: never quarantine).',
  },
  'cost.gpuHourlyUsd': { type: 'number', default: 0.526, min: 0, max: 1000, description: 'On-demand price of the GPU instance per hour (g4dn.xlarge us-east-1: 0.526).' },
  'cost.bootSecondsEstimate': { type: 'number', default: 180, min: 0, max: 3600, description: 'Estimated boot-to-ready time, for cost estimates.' },
  'cost.realtimeFactorEstimate': { type: 'number', default: 0.1, min: 0.001, max: 10, description: 'Estimated transcription time per second of audio, for estimates.' },
  'cost.chunkSecondsEstimate': { type: 'number', default: 5, min: 0.1, max: 3600, description: 'Estimated audio seconds per chunk, when the duration is unknown.' },
  'schedule.enabled': { type: 'boolean', default: false, description: 'Run batches on a timer.' },
  'schedule.intervalMinutes': { type: 'number', default: 120, min: 5, max: 10080, description: 'Minutes between scheduled runs.' },
  'schedule.firstRunDelayMinutes': { type: 'number', default: 10, min: 0, max: 1440, description: 'Delay of the first scheduled run after start-up.' },
  'schedule.jitterSeconds': { type: 'number', default: 60, min: 0, max: 3600, description: 'Random delay added to each scheduled run, so that runners do not collide.' },
  'schedule.autoRefreshSeconds': { type: 'number', default: 30, min: 0, max: 3600, description: 'Refresh of GPU state and the last scan while the views are visible (0: off).' },
  'schedule.mode': {
    type: 'string',
    default: 'interval',
    enum: ['interval', 'adaptive'] as const,
    description:
      '`interval`: a run every `intervalMinutes`. `adaptive`: scan every `scanMinutes` (a scan costs no GPU) and start the GPU only when the oldest pending chunk would pass `ageTargetHours` before a run could finish, or pending audio passes `pendingAudioMinutes` (see docs/COST.md).',
  },
  'schedule.scanMinutes': { type: 'number', default: 5, min: 1, max: 1440, description: 'Adaptive mode: minutes between scans.' },
  'schedule.ageTargetHours': { type: 'number', default: 6, min: 0.25, max: 168, description: 'Adaptive mode: no pending chunk should wait longer than this for its transcript.' },
  'schedule.pendingAudioMinutes': {
    type: 'number',
    default: 60,
    min: 1,
    max: 100000,
    description: 'Adaptive mode: start a run as soon as this many minutes of audio are pending, whatever their age.',
  },
  'monitor.successRateTarget': { type: 'number', default: 0.95, min: 0, max: 1, description: 'Target share of chunks transcribed per run (0.95: 95%); a run under it is a warning.' },
  'monitor.successRateAlert': { type: 'number', default: 0.9, min: 0, max: 1, description: 'Alert when the success rate is under this for `successRateRuns` runs in a row.' },
  'monitor.successRateRuns': { type: 'number', default: 3, min: 1, max: 100, integer: true, description: 'Runs in a row under `successRateAlert` that make an alert.' },
  'monitor.gpuMinutesTarget': { type: 'number', default: 15, min: 0, max: 1440, description: 'Target GPU runtime per run (minutes); over it is a warning.' },
  'monitor.gpuMinutesAlert': { type: 'number', default: 30, min: 0, max: 1440, description: 'Alert when a run keeps the GPU on longer than this (minutes).' },
  'monitor.costPerDayTarget': { type: 'number', default: 0.5, min: 0, max: 100000, description: 'Target GPU cost over the last 24 h (USD); over it is a warning.' },
  'monitor.costPerDayAlert': { type: 'number', default: 1, min: 0, max: 100000, description: 'Alert when the GPU cost over the last 24 h passes this (USD).' },
  'monitor.pendingAgeTargetHours': { type: 'number', default: 6, min: 0, max: 8760, description: 'Target: every pending chunk younger than this (hours); older is a warning.' },
  'monitor.pendingAgeAlertHours': { type: 'number', default: 24, min: 0, max: 8760, description: 'Alert when a chunk has waited longer than this for its transcript (hours).' },
  'notify.onFailedRun': {
    type: 'boolean',
    default: true,
    description:
      'Notify (webhook, SNS) when a run fails. The webhook URL is a secret: the WHISPER_BATCH_WEBHOOK_URL environment variable, or in VS Code the "Set Notification Webhook URL" command (SecretStorage); never a setting.',
  },
  'notify.onAlert': { type: 'boolean', default: true, description: 'Notify (webhook, SNS) once for each new monitoring alert (`monitor.*`).' },
  'retention.reportDays': {
    type: 'number',
    integer: true,
    default: 30,
    min: 0,
    max: 36500,
    description: 'Reports (JSON and HTML) older than this many days are deleted by `whisper-batch cleanup` and after each timer run; 0: keep every report.',
  },
  'retention.pendingJobsDays': {
    type: 'number',
    integer: true,
    default: 30,
    min: 0,
    max: 36500,
    description:
      'Archived pending-jobs snapshots (`archive/` beside layout.pendingJobsKey) older than this many days are deleted by `whisper-batch cleanup` and after each timer run; 0: keep every snapshot.',
  },
  'priority.users': {
    type: 'string[]',
    default: [],
    names: { pattern: /^[^/\\\u0000-\u001f\u007f]{1,256}$/, text: 'user ids (the folder names under users/)' },
    description: 'User ids whose sessions a run takes first (after a manual "next" session, before everyone else; oldest first within each).',
  },
  'notify.snsTopicArn': {
    type: 'string',
    default: '',
    pattern: /^(|arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256})$/,
    patternText: 'empty or an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:whisper-batch',
    description: 'SNS topic that also gets the notifications (email/SMS subscribers); empty: none.',
    machineOnly: true,
  },
} satisfies Record<string, Leaf>;

export type SettingName = keyof typeof SETTINGS_SCHEMA;
export type RawSettings = Record<string, unknown>;

export function defaultSettings(): Settings {
  const flat: RawSettings = {};
  for (const [k, leaf] of Object.entries(SETTINGS_SCHEMA)) flat[k] = structuredClone(leaf.default);
  return unflatten(flat) as Settings;
}

/**
 * Merges sources (lowest priority first) of dotted-name values and validates them.
 * Throws one WbError('Config') listing every wrong value with what is allowed.
 */
export function resolveSettings(...sources: RawSettings[]): Settings {
  const flat: RawSettings = {};
  const problems: string[] = [];
  const refused = new Set<string>();
  for (const [k, leaf] of Object.entries(SETTINGS_SCHEMA)) flat[k] = structuredClone(leaf.default);
  for (const src of sources) {
    if (!src || typeof src !== 'object' || Array.isArray(src)) {
      problems.push(`settings must be an object of names and values, not ${JSON.stringify(src) ?? String(src)}`);
      continue;
    }
    for (const [k, v] of Object.entries(flattenInput(src))) {
      if (v === undefined) continue;
      if (!isSettingName(k)) {
        problems.push(`unknown setting "${k}"${suggest(k)}`);
        continue;
      }
      const res = coerce(k as SettingName, v);
      if (typeof res === 'string') {
        problems.push(res);
        refused.add(k);
      } else flat[k] = res.value;
    }
  }
  const settings = unflatten(flat) as Settings;
  // A value already refused above fell back to its default: do not also complain that it is empty.
  for (const [name, message] of crossCheck(settings)) if (!refused.has(name)) problems.push(message);
  if (problems.length) {
    throw new WbError('Config', `Invalid settings:\n  - ${problems.join('\n  - ')}`, 'Fix the values above in the config file, environment, flags or VS Code settings (whisperBatch.*).');
  }
  return settings;
}

/** The variable that sets a setting: host.kind -> WHISPER_BATCH_HOST_KIND. */
export function envNameOf(name: string): string {
  return (
    'WHISPER_BATCH_' +
    name
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .replace(/\./g, '_')
      .toUpperCase()
  );
}

/** Reads `WHISPER_BATCH_<NAME>` variables, e.g. WHISPER_BATCH_HOST_KIND=ec2, WHISPER_BATCH_SCAN_GRACE_PERIOD_MINUTES=5. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const out: RawSettings = {};
  for (const name of Object.keys(SETTINGS_SCHEMA)) {
    const envName = envNameOf(name);
    if (env[envName] !== undefined) out[name] = env[envName];
  }
  return out;
}

/** WHISPER_BATCH_* variables that are no setting and none of `otherNames` (a typo is silently ignored otherwise). */
export function unknownSettingEnv(env: NodeJS.ProcessEnv, otherNames: readonly string[]): Array<{ name: string; didYouMean?: string }> {
  const known = new Map(Object.keys(SETTINGS_SCHEMA).map((n) => [envNameOf(n), n] as [string, string]));
  const out: Array<{ name: string; didYouMean?: string }> = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('WHISPER_BATCH_') || known.has(name) || otherNames.includes(name)) continue;
    let best: string | undefined;
    let bestD = Infinity;
    for (const cand of [...known.keys(), ...otherNames]) {
      const d = editDistance(name, cand);
      if (d < bestD) [best, bestD] = [cand, d];
    }
    // A typo is a few letters off; a name that far from all of them gets no guess.
    out.push(bestD <= Math.max(2, Math.floor((name.length - 'WHISPER_BATCH_'.length) / 4)) ? { name, didYouMean: best } : { name });
  }
  return out;
}

/**
 * A GPU host with an engine that runs on this machine would pay for the instance while it sits
 * idle: a settings problem of the two together, for the commands that transcribe.
 */
export function engineHostProblem(s: Settings): string | undefined {
  if (s.host.kind === 'ec2' && s.engine.kind === 'pocketsphinx')
    return 'host.kind = "ec2" with engine.kind = "pocketsphinx": pocketsphinx transcribes on this machine, so the GPU instance would be started and paid for without doing the work. Set engine.kind = "faster-whisper" (or "whisperlive") to transcribe on the GPU, or host.kind = "local"';
  return undefined;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function coerce(name: SettingName, v: unknown): { value: unknown } | string {
  const leaf = SETTINGS_SCHEMA[name] as Leaf;
  const show = JSON.stringify(v);
  switch (leaf.type) {
    case 'boolean': {
      if (typeof v === 'boolean') return { value: v };
      // Env values arrive as text, often TRUE/False.
      const t = typeof v === 'string' ? v.trim().toLowerCase() : v;
      if (t === 'true' || t === '1' || t === 'yes') return { value: true };
      if (t === 'false' || t === '0' || t === 'no') return { value: false };
      return `${name} = ${show}: must be true or false`;
    }
    case 'number': {
      // Decimal text only: Number() would also take "0x10", "0b1", "1e3 " or "Infinity".
      const n = typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v.trim()) : NaN;
      if (!Number.isFinite(n)) return `${name} = ${show}: must be a number from ${leaf.min} to ${leaf.max}`;
      if (leaf.integer && !Number.isInteger(n)) return `${name} = ${show}: must be a whole number from ${leaf.min} to ${leaf.max}`;
      if (n < leaf.min || n > leaf.max) return `${name} = ${show}: must be from ${leaf.min} to ${leaf.max}`;
      return { value: n };
    }
    case 'string[]': {
      const arr = Array.isArray(v)
        ? v
        : typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      if (leaf.names) {
        if (!arr || !arr.every((x) => typeof x === 'string' && leaf.names!.pattern.test(x))) return `${name} = ${show}: must be a list of ${leaf.names.text}`;
        return { value: arr };
      }
      if (!arr || !arr.every((x) => typeof x === 'string' && /^\.?[A-Za-z0-9]+$/.test(x))) return `${name} = ${show}: must be a list of names`;
      // An empty list would make every chunk invisible: the scan would report "nothing to do" forever.
      if (arr.length === 0) return `${name} = ${show}: must name at least one extension`;
      // A chunk of an extension no decoder is pinned for would fail on every run (and be quarantined).
      const unknown = arr.find((x) => !demuxerOf(x));
      if (unknown !== undefined) return `${name} = ${show}: "${unknown}" is not an audio format whisper-batch reads (known: ${knownExtensions()})`;
      return { value: arr };
    }
    case 'string': {
      if (typeof v !== 'string') return `${name} = ${show}: must be text`;
      if (leaf.aliases && Object.prototype.hasOwnProperty.call(leaf.aliases, v)) return { value: leaf.aliases[v] };
      if (leaf.enum && !leaf.enum.includes(v)) return `${name} = ${show}: must be one of ${leaf.enum.join(', ')}`;
      if (leaf.pattern && !leaf.pattern.test(v)) return `${name} = ${show}: must be ${leaf.patternText}`;
      return { value: v };
    }
  }
}

/** Checks across settings: [the setting the message is about, the message]. */
function crossCheck(s: Settings): Array<[SettingName, string]> {
  const p: Array<[SettingName, string]> = [];
  if (s.host.kind === 'ec2' && !s.host.instanceId) p.push(['host.instanceId', 'host.instanceId is empty: host.kind = "ec2" needs the GPU instance id (i-...)']);
  if (s.host.transport === 'ssh' && s.host.kind === 'ec2' && s.engine.kind !== 'whisperlive' && !s.host.sshHost)
    p.push(['host.sshHost', 'host.sshHost is empty: host.transport = "ssh" needs the instance host name']);
  // "s3:/bucket", "S3://bucket", "s3:bucket" would otherwise be taken for a folder named like that.
  if (!s.store.startsWith('s3://') && /^s3:/i.test(s.store))
    p.push(['store', `store = ${JSON.stringify(s.store)}: looks like an S3 location but is not written s3://bucket[/prefix] (did you mean "s3://${s.store.replace(/^s3:\/*/i, '')}"?)`]);
  if (s.store.startsWith('s3://') && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(s.store))
    p.push(['store', `store = ${JSON.stringify(s.store)}: the bucket name must be 3-63 lowercase letters, digits, "." or "-"`]);
  return p;
}

/** Accepts both nested objects ({host:{kind}}) and dotted names ({'host.kind'}). */
function flattenInput(src: RawSettings, prefix = ''): RawSettings {
  // No prototype: a "__proto__" or "constructor" key from a config file is just an unknown name.
  const out: RawSettings = Object.create(null);
  for (const [k, v] of Object.entries(src)) {
    const name = prefix + k;
    if (v && typeof v === 'object' && !Array.isArray(v) && !isSettingName(name)) Object.assign(out, flattenInput(v as RawSettings, name + '.'));
    else out[name] = v;
  }
  return out;
}

/** Own names only: "constructor" or "toString" are not settings. */
function isSettingName(k: string): k is SettingName {
  return Object.prototype.hasOwnProperty.call(SETTINGS_SCHEMA, k);
}

function unflatten(flat: RawSettings): any {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] ??= {};
    o[parts[parts.length - 1]] = v;
  }
  return out;
}

/** The setting the user most likely meant: same name in another case or group, a prefix of it, or a near typo. */
function suggest(k: string): string {
  const names = Object.keys(SETTINGS_SCHEMA);
  const members = names.filter((n) => n.startsWith(k + '.'));
  if (members.length)
    return ` ("${k}" is a group: set ${members
      .slice(0, 3)
      .map((n) => `"${n}"`)
      .join(', ')}${members.length > 3 ? ' ...' : ''})`;
  const norm = (s: string) => s.toLowerCase().replace(/[_\s-]/g, '');
  const group = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '';
  const full = norm(k);
  const last = norm(k.slice(k.lastIndexOf('.') + 1));
  let best = '';
  let bestScore = Infinity;
  for (const n of names) {
    const nFull = norm(n);
    const nLast = norm(n.slice(n.lastIndexOf('.') + 1));
    let score: number;
    if (nFull === full || nLast === last) score = 0;
    else if (last.length >= 4 && (nLast.startsWith(last) || nLast.endsWith(last))) score = 1;
    else {
      const d = Math.min(editDistance(full, nFull), editDistance(last, nLast));
      score = d <= Math.max(2, Math.floor(last.length / 4)) ? 1 + d : Infinity;
    }
    if (score !== Infinity && group && n.startsWith(group + '.')) score -= 0.5; // same group wins a tie
    if (score < bestScore) [best, bestScore] = [n, score];
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Edits, a swap of two neighbours counting as one ("modle" is one typo from "model", not two). */
function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** Schema entries for docs and for the extension's package.json `contributes.configuration`. */
export function describeSettings(): Array<{ name: SettingName } & Leaf> {
  return Object.entries(SETTINGS_SCHEMA).map(([name, leaf]) => ({ name: name as SettingName, ...(leaf as Leaf) }));
}
