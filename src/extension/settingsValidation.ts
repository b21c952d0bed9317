/**
 * Validation of whisperBatch.* values one setting at a time, so that one wrong value is named
 * (`whisperBatch.host.kind = "gpu": must be one of local, ec2`) and the others still apply.
 * No vscode import: unit-tested with plain objects.
 */
import { WbError } from '../core/errors';
import { SETTINGS_SCHEMA, resolveSettings, type RawSettings, type Settings } from '../core/settings';
import { CONFIG_SECTION } from './configContribution';

export interface SettingsRead {
  settings: Settings;
  /** One line per wrong value, naming the setting (`whisperBatch.host.kind = "gpu": must be ...`). */
  problems: string[];
  /** Dotted names (without the section) of settings the user has set anywhere. */
  explicit: string[];
}

/** Pure part of readSettings: validation per setting, then the cross-setting checks. */
export function validate(raw: RawSettings, explicit: string[] = Object.keys(raw)): SettingsRead {
  // The common case (all valid) costs one resolve; per-setting checks only when something is wrong.
  try {
    return { settings: resolveSettings(raw), problems: [], explicit };
  } catch (e) {
    if (!(e instanceof WbError)) throw e;
  }
  const problems: string[] = [];
  const good: RawSettings = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      resolveSettings({ [name]: value });
      good[name] = value;
    } catch (e) {
      if (!(e instanceof WbError)) throw e;
      // A single value can fail only its own check, or a cross-check that needs other settings.
      const own = problemLines(e).filter((l) => l.startsWith(`${name} =`));
      if (own.length) problems.push(...own.map(qualify));
      else good[name] = value;
    }
  }
  try {
    return { settings: resolveSettings(good), problems, explicit };
  } catch (e) {
    if (!(e instanceof WbError)) throw e;
    problems.push(...problemLines(e).map(qualify));
    return { settings: resolveSettings({}), problems, explicit };
  }
}

function problemLines(e: WbError): string[] {
  return e.message
    .split('\n')
    .map((l) => l.replace(/^\s*-\s*/, '').trim())
    .filter((l) => l && !l.startsWith('Invalid settings'));
}

/** `host.kind = ...` -> `whisperBatch.host.kind = ...` (setting names as the user sees them). */
function qualify(line: string): string {
  return line.replace(/(^|\s|")((?:[a-z]+\.)?[a-z][A-Za-z]*)( = |(?= is empty))/g, (m, pre, name, post) => (name in SETTINGS_SCHEMA ? `${pre}${CONFIG_SECTION}.${name}${post}` : m));
}

/** The setting a problem line is about (for "Open Settings" filtered to it). */
export function settingOfProblem(line: string): string | undefined {
  const m = /whisperBatch\.[A-Za-z.]+?(?= = | is empty)/.exec(line);
  return m?.[0];
}
