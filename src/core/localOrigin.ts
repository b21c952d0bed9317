/** The origin of a run started by this process (src/core/runOrigin.ts), from the OS: user, host, pid. */
import * as os from 'node:os';
import type { OriginKind, OriginTrigger, RunOrigin } from './runOrigin';

export function currentOrigin(kind: OriginKind, trigger: OriginTrigger, window?: string): RunOrigin {
  let user = process.env.USER ?? process.env.USERNAME ?? '';
  try {
    user = os.userInfo().username || user;
  } catch {
    // no passwd entry (some containers): the environment's name, else unknown
  }
  return { kind, user: user || 'unknown', host: os.hostname(), trigger, ...(window ? { window } : {}), pid: process.pid };
}
