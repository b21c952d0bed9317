/**
 * The bucket layout (FACTS.md §1) in one place: every key is parsed and formatted here, and
 * nothing else in the code builds a key. Session ids are opaque user text: they may hold spaces,
 * quotes, `<`, `$(...)`, unicode, even "/"; keys are matched from their known ends.
 */
import type { Settings } from './settings';

export type LayoutSettings = Settings['layout'];

export type ParsedKey =
  | { kind: 'audio'; userId: string; sessionId: string; chunk: number; ext: string }
  | { kind: 'transcript'; userId: string; sessionId: string; chunk: number; legacy: boolean }
  | { kind: 'complete'; userId: string; sessionId: string }
  | { kind: 'session-other'; userId: string; sessionId: string }
  | { kind: 'other' };

export interface SessionRef {
  userId: string;
  sessionId: string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class BucketLayout {
  private readonly audioRe: RegExp;
  private readonly transcriptRe: RegExp;
  private readonly legacyRe: RegExp;
  private readonly completeRe: RegExp;
  private readonly exts: Set<string>;

  constructor(readonly s: LayoutSettings) {
    this.exts = new Set(s.audioExtensions.map((e) => e.toLowerCase().replace(/^\./, '')));
    // `rest` is what follows `<usersPrefix><user>/<sessionsDir>/`: "<session>/<file...>". Flag `s`:
    // a session id may hold "\n", "\r", U+2028/2029, which `.` alone does not match.
    this.audioRe = new RegExp(`^(.+)/${esc(s.chunkPrefix)}(\\d+)\\.([A-Za-z0-9]+)$`, 's');
    this.transcriptRe = new RegExp(`^(.+)/${esc(s.transcriptDir)}/${esc(s.chunkPrefix)}(\\d+)\\.json$`, 's');
    this.legacyRe = new RegExp(`^(.+)/${esc(s.legacyTranscriptPrefix)}(\\d+)\\.json$`, 's');
    this.completeRe = new RegExp(`^(.+)/${esc(s.completeMarker)}$`, 's');
  }

  /** Prefix of every user folder (list this to scan the bucket). */
  get usersPrefix(): string {
    return this.s.usersPrefix;
  }

  userPrefix(userId: string): string {
    return `${this.s.usersPrefix}${userId}/`;
  }

  /** Prefix holding a user's sessions. */
  userSessionsPrefix(userId: string): string {
    return `${this.s.usersPrefix}${userId}/${this.s.sessionsDir}/`;
  }

  sessionPrefix(ref: SessionRef): string {
    return `${this.userSessionsPrefix(ref.userId)}${ref.sessionId}/`;
  }

  audioKey(ref: SessionRef, chunk: number, ext = 'webm'): string {
    return `${this.sessionPrefix(ref)}${this.chunkName(chunk)}.${ext}`;
  }

  /** Where batch transcripts are written (the current layout). */
  transcriptKey(ref: SessionRef, chunk: number): string {
    return `${this.sessionPrefix(ref)}${this.s.transcriptDir}/${this.chunkName(chunk)}.json`;
  }

  legacyTranscriptKey(ref: SessionRef, chunk: number): string {
    return `${this.sessionPrefix(ref)}${this.s.legacyTranscriptPrefix}${pad(chunk)}.json`;
  }

  completeMarkerKey(ref: SessionRef): string {
    return `${this.sessionPrefix(ref)}${this.s.completeMarker}`;
  }

  get lockKey(): string {
    return this.s.lockKey;
  }

  get leaseKey(): string {
    return this.s.leaseKey;
  }

  get reportsPrefix(): string {
    return this.s.reportsPrefix;
  }

  /** `batch-reports/batch-YYYY-MM-DD-HHMM.json` (UTC); `suffix` disambiguates runs in the same minute. */
  reportKey(startMs: number, ext: 'json' | 'html', suffix = ''): string {
    return `${this.s.reportsPrefix}${reportId(startMs)}${suffix}.${ext}`;
  }

  isReportKey(key: string): boolean {
    // Anchored: a report is a file directly under the prefix, never `x/../batch-....json`.
    return key.startsWith(this.s.reportsPrefix) && /^batch-\d{4}-\d{2}-\d{2}-\d{4}[^/\\]*\.json$/.test(key.slice(this.s.reportsPrefix.length));
  }

  chunkName(chunk: number): string {
    return `${this.s.chunkPrefix}${pad(chunk)}`;
  }

  parse(key: string): ParsedKey {
    const up = this.s.usersPrefix;
    if (!key.startsWith(up)) return { kind: 'other' };
    const afterUsers = key.slice(up.length);
    const slash = afterUsers.indexOf('/');
    if (slash <= 0) return { kind: 'other' };
    const userId = afterUsers.slice(0, slash);
    const dir = `${this.s.sessionsDir}/`;
    const afterUser = afterUsers.slice(slash + 1);
    if (!afterUser.startsWith(dir)) return { kind: 'other' };
    const rest = afterUser.slice(dir.length);
    let m = this.transcriptRe.exec(rest);
    if (m) return { kind: 'transcript', userId, sessionId: m[1], chunk: parseInt(m[2], 10), legacy: false };
    m = this.legacyRe.exec(rest);
    if (m && !m[1].endsWith(`/${this.s.transcriptDir}`)) return { kind: 'transcript', userId, sessionId: m[1], chunk: parseInt(m[2], 10), legacy: true };
    m = this.audioRe.exec(rest);
    if (m && this.exts.has(m[3].toLowerCase()) && !m[1].includes(`/${this.s.transcriptDir}`)) {
      return { kind: 'audio', userId, sessionId: m[1], chunk: parseInt(m[2], 10), ext: m[3] };
    }
    m = this.completeRe.exec(rest);
    if (m) return { kind: 'complete', userId, sessionId: m[1] };
    const firstSlash = rest.indexOf('/');
    if (firstSlash > 0) return { kind: 'session-other', userId, sessionId: rest.slice(0, firstSlash) };
    return { kind: 'other' };
  }

  /**
   * parse() of a key under the session folder of `ref` (`prefixLength`: its sessionPrefix's
   * length), from the file name alone: the same answer without four regexes over a 100-character
   * id per key. undefined when only parse() can tell (an id with "/", a name in a subfolder).
   */
  parseInSession(key: string, ref: SessionRef, prefixLength: number): ParsedKey | undefined {
    if (ref.sessionId.includes('/')) return undefined;
    const s = this.s;
    const { userId, sessionId } = ref;
    let name = key.slice(prefixLength);
    let inTranscriptDir = false;
    if (name.includes('/')) {
      const td = `${s.transcriptDir}/`;
      if (!name.startsWith(td) || name.indexOf('/', td.length) >= 0) return undefined;
      name = name.slice(td.length);
      inTranscriptDir = true;
    }
    if (inTranscriptDir) {
      const n = numbered(name, s.chunkPrefix);
      if (n && name.slice(n.end) === '.json') return { kind: 'transcript', userId, sessionId, chunk: n.chunk, legacy: false };
      return undefined; // some other file in the transcript folder: parse() decides
    }
    const legacy = numbered(name, s.legacyTranscriptPrefix);
    if (legacy && name.slice(legacy.end) === '.json') return { kind: 'transcript', userId, sessionId, chunk: legacy.chunk, legacy: true };
    const audio = numbered(name, s.chunkPrefix);
    if (audio && name.charCodeAt(audio.end) === 46 /* . */) {
      const ext = name.slice(audio.end + 1);
      if (/^[A-Za-z0-9]+$/.test(ext) && this.exts.has(ext.toLowerCase())) return { kind: 'audio', userId, sessionId, chunk: audio.chunk, ext };
    }
    if (name === s.completeMarker) return { kind: 'complete', userId, sessionId };
    return { kind: 'session-other', userId, sessionId };
  }
}

/** `<prefix><digits>` at the start of `name`: the number and where the digits end. */
function numbered(name: string, prefix: string): { chunk: number; end: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  let i = prefix.length;
  while (i < name.length && name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) i++;
  if (i === prefix.length) return undefined;
  return { chunk: parseInt(name.slice(prefix.length, i), 10), end: i };
}

/** Zero-pads to 3 digits; numbers above 999 keep all their digits (chunk-1000). */
export function pad(n: number): string {
  return String(n).padStart(3, '0');
}

export function reportId(startMs: number): string {
  const d = new Date(startMs);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `batch-${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}-${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}`;
}

export function sessionKey(ref: SessionRef): string {
  return `${ref.userId}/${ref.sessionId}`;
}
