/** Profile names from ~/.aws/config and ~/.aws/credentials (names only: never a key). */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function parseProfileNames(text: string, isConfigFile: boolean): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (!m) continue;
    let name = m[1];
    if (isConfigFile) {
      if (name.startsWith('profile ')) name = name.slice('profile '.length).trim();
      else if (name !== 'default') continue; // [sso-session x], [services x]
    }
    names.push(name);
  }
  return names;
}

export async function listAwsProfiles(env = process.env): Promise<string[]> {
  const home = os.homedir();
  const files: Array<[string, boolean]> = [
    [env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'), true],
    [env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'), false],
  ];
  const out = new Set<string>();
  for (const [f, isConfig] of files) {
    try {
      for (const n of parseProfileNames(await fs.readFile(f, 'utf8'), isConfig)) out.add(n);
    } catch {
      // no such file: fine
    }
  }
  return [...out].sort();
}

export const COMMON_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'eu-north-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-south-1',
  'ca-central-1',
  'sa-east-1',
];
