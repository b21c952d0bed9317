/**
 * The bucket layout (docs/BUCKET-LAYOUT.md) in one place: every key is parsed and formatted here, and
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
    const { userId, sessionId } = ref;
    const f = this.fileInSession(key, prefixLength);
    switch (f) {
      case FILE_AUDIO:
        return { kind: 'audio', userId, sessionId, chunk: this.fileChunk, ext: key.slice(this.fileExtAt) };
      case FILE_TRANSCRIPT:
      case FILE_LEGACY:
        return { kind: 'transcript', userId, sessionId, chunk: this.fileChunk, legacy: f === FILE_LEGACY };
      case FILE_COMPLETE:
        return { kind: 'complete', userId, sessionId };
      case FILE_SESSION_OTHER:
        return { kind: 'session-other', userId, sessionId };
      default:
        return undefined;
    }
  }

  /** Of the last fileInSession(): the chunk number (audio, transcripts) and where the extension starts (audio). */
  fileChunk = 0;
  fileExtAt = 0;

  /**
   * What parseInSession() decides, as a FILE_* code, allocating nothing: the scan calls it for
   * nearly every key. The caller has checked that the session id holds no "/". FILE_UNDECIDED:
   * only parse() can tell.
   */
  fileInSession(key: string, start: number): number {
    const s = this.s;
    const slash = key.indexOf('/', start);
    if (slash >= 0) {
      // Only a file directly in the transcript folder is decided here.
      const td = s.transcriptDir;
      if (slash !== start + td.length || !key.startsWith(td, start) || key.indexOf('/', slash + 1) >= 0) return FILE_UNDECIDED;
      const end = this.numberedAt(key, slash + 1, s.chunkPrefix);
      return end >= 0 && isJsonAt(key, end) ? FILE_TRANSCRIPT : FILE_UNDECIDED; // some other file in the transcript folder: parse() decides
    }
    let end = this.numberedAt(key, start, s.legacyTranscriptPrefix);
    if (end >= 0 && isJsonAt(key, end)) return FILE_LEGACY;
    end = this.numberedAt(key, start, s.chunkPrefix);
    if (end >= 0 && key.charCodeAt(end) === 46 /* . */ && end + 1 < key.length) {
      let alnum = true;
      for (let i = end + 1; i < key.length && alnum; i++) {
        const c = key.charCodeAt(i);
        alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
      }
      if (alnum && this.audioExt(key.slice(end + 1)) !== undefined) {
        this.fileExtAt = end + 1;
        return FILE_AUDIO;
      }
    }
    if (key.length - start === s.completeMarker.length && key.startsWith(s.completeMarker, start)) return FILE_COMPLETE;
    return FILE_SESSION_OTHER;
  }

  private readonly extSeen = new Map<string, string | null>();

  /**
   * `ext` as written if it is an audio extension (in any case), one shared string per spelling
   * (a scan keeps one per pending chunk); undefined otherwise.
   */
  audioExt(ext: string): string | undefined {
    let v = this.extSeen.get(ext);
    if (v === undefined) {
      v = this.exts.has(ext.toLowerCase()) ? ext : null;
      if (this.extSeen.size < 256) this.extSeen.set(ext, v);
    }
    return v ?? undefined;
  }

  /** `<prefix><digits>` at `pos` of `key`: where the digits end (the number in fileChunk), or -1. */
  private numberedAt(key: string, pos: number, prefix: string): number {
    if (!key.startsWith(prefix, pos)) return -1;
    const from = pos + prefix.length;
    let i = from;
    let n = 0;
    for (let c = key.charCodeAt(i); c >= 48 && c <= 57; c = key.charCodeAt(++i)) n = n * 10 + (c - 48);
    if (i === from) return -1;
    // Beyond 15 digits the sum above can round differently from parseInt (what parse() uses).
    this.fileChunk = i - from > 15 ? parseInt(key.slice(from, i), 10) : n;
    return i;
  }
}

/** fileInSession() codes. */
export const FILE_UNDECIDED = 0;
export const FILE_AUDIO = 1;
export const FILE_TRANSCRIPT = 2;
export const FILE_LEGACY = 3;
export const FILE_COMPLETE = 4;
export const FILE_SESSION_OTHER = 5;

/** `key` ends at `end` with ".json". */
const isJsonAt = (key: string, end: number) => key.length === end + 5 && key.endsWith('.json');

/** Zero-pads to 3 digits; numbers above 999 keep all their digits (chunk-1000). */
export function pad(n: number): string {
  if (n >= 0 && n < PADDED_CACHE && Number.isInteger(n)) return (padded[n] ??= String(n).padStart(3, '0'));
  return String(n).padStart(3, '0');
}

// A scan names every chunk of every pending session by its padded number: one shared string per number.
const PADDED_CACHE = 10_000;
const padded: string[] = [];

export function reportId(startMs: number): string {
  const d = new Date(startMs);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `batch-${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}-${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}`;
}

export function sessionKey(ref: SessionRef): string {
  return `${ref.userId}/${ref.sessionId}`;
}
