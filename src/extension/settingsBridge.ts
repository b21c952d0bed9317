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
  for (const name of Object.keys(SETTINGS_SCHEMA)) {
    const i = config.inspect(name);
    const set = i && [i.globalValue, i.workspaceValue, i.workspaceFolderValue].some((v) => v !== undefined);
    if (!set) continue;
    explicit.push(name);
    raw[name] = config.get(name);
  }
  return validate(raw, explicit);
}

