/**
 * Who started a run and why: the audit the design asks for. The lease names it to a second runner,
 * every report records it, `status`/`reports` and the report page show it. A run never guesses its
 * origin from how it writes events: the CLI says it with --origin/--trigger (the extension passes
 * vscode, the systemd unit timer/scheduled), and defaults to a person at a terminal.
 * Pure (no Node imports): the report viewer's webview reads it too; currentOrigin is in localOrigin.ts.
 */
export const ORIGIN_KINDS = ['cli', 'vscode', 'timer'] as const;
export const ORIGIN_TRIGGERS = ['manual', 'scheduled', 'adaptive'] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];
export type OriginTrigger = (typeof ORIGIN_TRIGGERS)[number];

export interface RunOrigin {
  kind: OriginKind;
  /** OS user name of the process that ran it. */
  user: string;
  /** Machine it ran on. */
  host: string;
  trigger: OriginTrigger;
  /** VS Code: the window (workspace name) that asked for the run. */
  window?: string;
  pid: number;
}

const KIND_LABEL: Record<OriginKind, string> = { cli: 'CLI', vscode: 'VS Code', timer: 'timer' };

/** "CLI alice@laptop pid 123, manual" / "VS Code window "proj", alice@laptop pid 9, scheduled". Plain text: callers escape for their medium. */
export function describeOrigin(o: RunOrigin): string {
  const win = o.kind === 'vscode' && o.window ? ` window "${o.window}",` : '';
  return `${KIND_LABEL[o.kind]}${win} ${o.user}@${o.host} pid ${o.pid}, ${o.trigger}`;
}

const MAX_TEXT = 200;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT ? v : undefined);

/** A stored origin (report, lease) read back: checked field by field, undefined when it is not one. */
export function parseOrigin(v: unknown): RunOrigin | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const kind = ORIGIN_KINDS.find((k) => k === o.kind);
  const trigger = ORIGIN_TRIGGERS.find((t) => t === o.trigger);
  const user = text(o.user);
  const host = text(o.host);
  const pid = typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0 ? o.pid : undefined;
  if (!kind || !trigger || !user || !host || pid === undefined) return undefined;
  const window = text(o.window);
  return { kind, user, host, trigger, ...(window ? { window } : {}), pid };
}
