/**
 * Where the local faster-whisper engine's Python lives, and whether it is set up. The default is a
 * venv the product manages (`whisper-batch setup-engine` makes it from the pinned
 * engine-requirements.txt and leaves a stamp with that file's hash); `engine.pythonPath` names
 * another Python instead. Nothing here spawns a process: the engine's check() imports for real.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineKind, Settings } from '../settings';
import { readShippedScript } from '../remote/shippedScript';

export const ENGINE_REQUIREMENTS = 'engine-requirements.txt';
export const STAMP_FILE = '.requirements-sha256';
/** The default model on this machine: the one the pinned model package carries (no download). */
export const LOCAL_DEFAULT_MODEL = 'tiny.en';
/** The default model on the GPU instance (the original deployment's). */
export const GPU_DEFAULT_MODEL = 'small.en';

/** ~/.cache/whisper-batch/engine-venv (XDG_CACHE_HOME respected; engine.pythonPath names another Python). */
export function managedVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cache, 'whisper-batch', 'engine-venv');
}

export function venvPython(venvDir: string): string {
  return path.join(venvDir, 'bin', 'python');
}

export function requirementsText(): string {
  return readShippedScript(ENGINE_REQUIREMENTS);
}

export function requirementsHash(text = requirementsText()): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The pinned packages, one "name==version" each. */
export function requirementLines(text = requirementsText()): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export type LocalEngineState = { ready: true; python: string } | { ready: false; python: string; why: string };

/** Is faster-whisper set up on this machine? (a stamp check: cheap enough for every run) */
export function localEngineState(settings: Pick<Settings, 'engine'>, env: NodeJS.ProcessEnv = process.env): LocalEngineState {
  const custom = settings.engine.pythonPath;
  if (custom) {
    return existsSync(custom) ? { ready: true, python: custom } : { ready: false, python: custom, why: `engine.pythonPath ${custom} does not exist` };
  }
  const dir = managedVenvDir(env);
  const python = venvPython(dir);
  if (!existsSync(python)) return { ready: false, python, why: `faster-whisper is not set up on this machine (no engine venv at ${dir}): run \`whisper-batch setup-engine\`` };
  let stamp = '';
  try {
    stamp = readFileSync(path.join(dir, STAMP_FILE), 'utf8').trim();
  } catch {
    // no stamp: a half-made venv
  }
  if (stamp !== requirementsHash())
    return { ready: false, python, why: `the engine venv at ${dir} is ${stamp ? 'from other pinned requirements' : 'not finished'}: run \`whisper-batch setup-engine\`` };
  return { ready: true, python };
}

export interface EffectiveEngine {
  kind: Exclude<EngineKind, 'auto'>;
  model: string;
  /** Why `auto` chose this engine (shown to the user), when it did not choose faster-whisper. */
  note?: string;
  python?: string;
}

/** Resolves `auto` kind and model: faster-whisper where it can run, else pocketsphinx, saying why. */
export function effectiveEngine(settings: Pick<Settings, 'engine' | 'host'>, env: NodeJS.ProcessEnv = process.env): EffectiveEngine {
  const e = settings.engine;
  const local = settings.host.kind === 'local';
  let kind: EffectiveEngine['kind'];
  let note: string | undefined;
  let python: string | undefined;
  if (e.kind !== 'auto') kind = e.kind;
  else if (!local) kind = 'faster-whisper';
  else {
    const st = localEngineState(settings, env);
    kind = st.ready ? 'faster-whisper' : 'pocketsphinx';
    if (!st.ready) note = `${st.why}; using pocketsphinx`;
  }
  if (kind === 'faster-whisper' && local) python = localEngineState(settings, env).python;
  const model = e.model !== 'auto' ? e.model : kind === 'pocketsphinx' ? 'pocketsphinx' : kind === 'faster-whisper' && local ? LOCAL_DEFAULT_MODEL : GPU_DEFAULT_MODEL;
  return { kind, model, note, python };
}
