/**
 * package.json `contributes.configuration` and the restricted-mode list, generated from the core's
 * SETTINGS_SCHEMA (scripts/gen-config.mjs writes them; a unit test checks package.json is in sync).
 * `machineOnly` settings get scope "machine": never read from a workspace, which could point the
 * tool at another account or bucket.
 */
import { describeSettings } from '../core/settings';

export const CONFIG_SECTION = 'whisperBatch';

export interface ConfigProperty {
  type: string;
  default: unknown;
  markdownDescription: string;
  scope: 'machine' | 'window';
  order: number;
  enum?: readonly string[];
  pattern?: string;
  patternErrorMessage?: string;
  minimum?: number;
  maximum?: number;
  items?: { type: string; minLength?: number };
}

export function configurationContribution(): { title: string; properties: Record<string, ConfigProperty> } {
  const properties: Record<string, ConfigProperty> = {};
  describeSettings().forEach((leaf, order) => {
    const p: ConfigProperty = {
      type: leaf.type === 'string[]' ? 'array' : leaf.type === 'number' && leaf.integer ? 'integer' : leaf.type,
      default: leaf.default,
      markdownDescription: leaf.description,
      scope: leaf.machineOnly ? 'machine' : 'window',
      order,
    };
    if (leaf.type === 'string') {
      if (leaf.enum) p.enum = leaf.enum;
      if (leaf.pattern) {
        p.pattern = leaf.pattern.source;
        p.patternErrorMessage = `Must be ${leaf.patternText}.`;
      }
    }
    if (leaf.type === 'number') {
      p.minimum = leaf.min;
      p.maximum = leaf.max;
    }
    if (leaf.type === 'string[]') p.items = { type: 'string', minLength: 1 };
    properties[`${CONFIG_SECTION}.${leaf.name}`] = p;
  });
  return { title: 'Whisper Batch', properties };
}

/** Settings VS Code must not take from an untrusted workspace (capabilities.untrustedWorkspaces). */
export function restrictedConfigurations(): string[] {
  return describeSettings()
    .filter((l) => l.machineOnly)
    .map((l) => `${CONFIG_SECTION}.${l.name}`);
}
