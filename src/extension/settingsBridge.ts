/**
 * whisperBatch.* (VS Code configuration) -> the core's validated Settings. Every wrong value is
 * reported by its full setting name, and the other values still apply (settingsValidation.ts).
 * Machine-scoped settings are never read from a workspace: VS Code enforces that through
 * `"scope": "machine"` and the restricted-mode list in package.json.
 */
import * as vscode from 'vscode';
import { SETTINGS_SCHEMA, type RawSettings } from '../core/settings';
import { CONFIG_SECTION } from './configContribution';
import { validate, type SettingsRead } from './settingsValidation';

export { settingOfProblem, type SettingsRead } from './settingsValidation';

export function readSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration(CONFIG_SECTION)): SettingsRead {
  const raw: RawSettings = {};
  const explicit: string[] = [];
  // One inspect of the whole section tells which settings are set anywhere (one call per setting
  // was two thirds of activation); config.get then reads just those, with VS Code's scope rules.
  const scopes = wholeSection();
  for (const name of Object.keys(SETTINGS_SCHEMA)) {
    if (!scopes.some((v) => valueAt(v, name) !== undefined)) continue;
    explicit.push(name);
    raw[name] = config.get(name);
  }
  return validate(raw, explicit);
}

function wholeSection(): unknown[] {
  const i = vscode.workspace.getConfiguration().inspect(CONFIG_SECTION);
  return i ? [i.globalValue, i.workspaceValue, i.workspaceFolderValue].filter((v) => v !== undefined) : [];
}

/** The value at a dotted name in a nested settings object ("scan.gracePeriodMinutes"). */
function valueAt(obj: unknown, name: string): unknown {
  let v: unknown = obj;
  for (const part of name.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
