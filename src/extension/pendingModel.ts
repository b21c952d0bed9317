/**
 * The Pending view's data: a scan (core PendingJobs) folded into user > session > missing chunk,
 * oldest first, with the words the tree shows (size, age, why deferred). No vscode import: the
 * model is tested with plain data, and the tree provider only maps it to TreeItems.
 */
import { uiText } from '../core/safeText';
import { sessionLabel, sessionTime } from '../core/sessionLabel';
import { Emitter } from '../core/events';
import type { PendingJobs, PendingSession, DeferredSession } from '../core/scan';
import { plural } from '../core/plural';

/** quarantined: every missing chunk of the session failed run.quarantineAfterFailures runs (core/quarantine.ts). */
export type SessionState = 'pending' | 'recording' | 'locked' | 'quarantined';

export interface ChunkNode {
  kind: 'chunk';
  id: string;
  chunk: string;
  key: string;
  size: number;
  session: SessionNode;
  /** Left out of the runs after this many failed runs, until `whisper-batch release`. */
  quarantined?: { failures: number; lastError?: string };
}

export interface SessionNode {
  kind: 'session';
  id: string;
  userId: string;
  sessionId: string;
  sessionPath: string;
  state: SessionState;
  deferredDetail?: string;
  createdAt: number;
  size: number;
  missing: number;
  total: number;
  chunks: ChunkNode[];
}

export interface UserNode {
  kind: 'user';
  id: string;
  userId: string;
  sessions: SessionNode[];
  missing: number;
  oldest: number;
}

export type PendingNode = UserNode | SessionNode | ChunkNode;

export interface PendingTotals {
  pendingSessions: number;
  deferredSessions: number;
  missingChunks: number;
  estimatedCost: string;
  estimatedGpuTime: string;
}

export class PendingModel {
  private doc: PendingJobs | undefined;
  private users: UserNode[] = [];
  private scannedAt: number | undefined;
  private scans = 0;
  private error: string | undefined;
  private readonly changed = new Emitter<void>();
  readonly onDidChange = (l: () => void) => this.changed.on(l);

  get lastScan(): PendingJobs | undefined {
    return this.doc;
  }

  get lastScanAt(): number | undefined {
    return this.scannedAt;
  }

  /** How many scans this model has taken in (tells a new scan from a re-render). */
  get scanCount(): number {
    return this.scans;
  }

  get lastError(): string | undefined {
    return this.error;
  }

  get roots(): readonly UserNode[] {
    return this.users;
  }

  get totals(): PendingTotals | undefined {
    const d = this.doc;
    if (!d) return undefined;
    return {
      pendingSessions: d.sessionsWithMissingChunks,
      deferredSessions: d.deferredSessions.length,
      missingChunks: d.totalMissingChunks,
      estimatedCost: d.estimatedCost,
      estimatedGpuTime: d.estimatedGpuTime,
    };
  }

  setScan(doc: PendingJobs, at: number): void {
    this.doc = doc;
    this.scannedAt = at;
    this.scans++;
    this.error = undefined;
    this.users = buildTree(doc);
    this.changed.emit();
  }

  setError(message: string): void {
    this.error = message;
    this.changed.emit();
  }

  /** Re-render (ages move on) without a new scan. */
  touch(): void {
    this.changed.emit();
  }

  clear(): void {
    this.doc = undefined;
    this.users = [];
    this.scannedAt = undefined;
    this.error = undefined;
    this.changed.emit();
  }

  /** For "transcribe this session now": the session as it was scanned. */
  findSession(id: string): SessionNode | undefined {
    for (const u of this.users) for (const s of u.sessions) if (s.id === id) return s;
    return undefined;
  }
}

/** Users ordered by their oldest waiting session; sessions oldest first; chunks by number. */
export function buildTree(doc: PendingJobs): UserNode[] {
  const byUser = new Map<string, UserNode>();
  const add = (s: PendingSession, state: SessionState, detail?: string) => {
    let u = byUser.get(s.userId);
    if (!u) {
      u = { kind: 'user', id: `user:${s.userId}`, userId: s.userId, sessions: [], missing: 0, oldest: Infinity };
      byUser.set(s.userId, u);
    }
    const createdAt = Date.parse(s.createdAt);
    const node: SessionNode = {
      kind: 'session',
      id: `session:${s.sessionPath}`,
      userId: s.userId,
      sessionId: s.sessionId,
      sessionPath: s.sessionPath,
      state,
      deferredDetail: detail,
      createdAt,
      size: s.totalAudioSize,
      missing: s.missingChunks.length,
      total: s.audioChunks.length,
      chunks: [],
    };
    const byNum = new Map(s.chunks.map((c) => [c.chunk, c]));
    for (const m of s.missingChunks) {
      const c = byNum.get(parseInt(m, 10));
      if (!c) continue;
      node.chunks.push({ kind: 'chunk', id: `chunk:${c.key}`, chunk: m, key: c.key, size: c.size, session: node });
    }
    u.sessions.push(node);
    if (state === 'pending') u.missing += node.missing;
    u.oldest = Math.min(u.oldest, createdAt);
  };
  for (const s of doc.sessions) add(s, 'pending');
  for (const s of doc.deferredSessions as DeferredSession[]) add(s, s.reason, s.detail);
  // Quarantined chunks: under their session when it still waits for others, else a session of their own.
  for (const q of doc.quarantinedChunks ?? []) {
    const u = byUser.get(q.userId) ?? { kind: 'user' as const, id: `user:${q.userId}`, userId: q.userId, sessions: [], missing: 0, oldest: Infinity };
    byUser.set(q.userId, u);
    let node = u.sessions.find((x) => x.sessionPath === q.sessionPath);
    if (!node) {
      const createdAt = sessionTime(q.sessionId) ?? Date.parse(q.lastFailedAt ?? '') ?? 0;
      node = {
        kind: 'session',
        id: `session:${q.sessionPath}`,
        userId: q.userId,
        sessionId: q.sessionId,
        sessionPath: q.sessionPath,
        state: 'quarantined',
        createdAt: Number.isFinite(createdAt) ? createdAt : 0,
        size: 0,
        missing: 0,
        total: 0,
        chunks: [],
      };
      u.sessions.push(node);
      u.oldest = Math.min(u.oldest, node.createdAt);
    }
    node.chunks.push({ kind: 'chunk', id: `chunk:${q.audioKey}`, chunk: q.chunk, key: q.audioKey, size: 0, session: node, quarantined: { failures: q.failures, lastError: q.lastError } });
    node.chunks.sort((a, b) => parseInt(a.chunk, 10) - parseInt(b.chunk, 10));
  }
  const users = [...byUser.values()];
  for (const u of users) u.sessions.sort((a, b) => a.createdAt - b.createdAt || (a.sessionPath < b.sessionPath ? -1 : 1));
  users.sort((a, b) => a.oldest - b.oldest || (a.userId < b.userId ? -1 : 1));
  return users;
}

/** `session:pending`, `session:deferred:recording`, `session:deferred:locked`: menus match these by regex. */
export function contextValueOf(n: PendingNode): string {
  if (n.kind === 'user') return 'user';
  if (n.kind === 'chunk') return n.quarantined ? 'chunk:quarantined' : `chunk:missing${n.session.state === 'pending' ? '' : ':deferred'}`;
  return n.state === 'pending' ? 'session:pending' : `session:deferred:${n.state}`;
}

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** 90 s -> "2 min", 5 h -> "5 h", 3 days -> "3 d" (ago is implied by the column). */
export function humanAge(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** Tree texts; bucket text in them goes through uiText (no codicon, link or control character forms). */
export function describeNode(n: PendingNode, now: number): { label: string; description: string; tooltip: string } {
  switch (n.kind) {
    case 'user': {
      const deferred = n.sessions.filter((s) => s.state !== 'pending').length;
      return {
        label: uiText(n.userId),
        description: `${n.missing} missing${deferred ? `, ${deferred} deferred` : ''}`,
        tooltip: `User "${uiText(n.userId)}": ${plural(n.sessions.length, 'session')} waiting, ${plural(n.missing, 'chunk')} to transcribe`,
      };
    }
    case 'session': {
      const age = humanAge(now - n.createdAt);
      // The state first: it is what a narrow view must still show (the icon says it too).
      const state = n.state === 'pending' ? '' : n.state === 'recording' ? 'live (recording) · ' : n.state === 'quarantined' ? 'quarantined · ' : 'locked · ';
      const label = sessionLabel(n.sessionId);
      const held = n.chunks.filter((c) => c.quarantined).length;
      if (n.state === 'quarantined') {
        return {
          label: uiText(label),
          description: `quarantined · ${plural(held, 'chunk')} held`,
          tooltip: [
            `Session "${uiText(n.sessionId)}" of "${uiText(n.userId)}"`,
            `Quarantined: ${plural(held, 'chunk')} failed run after run and ${held === 1 ? 'is' : 'are'} left out of the runs (no GPU start for ${held === 1 ? 'it' : 'them'}).`,
            `Retry with: whisper-batch release ${uiText(n.userId)} ${uiText(n.sessionId)}`,
          ].join('\n'),
        };
      }
      return {
        label: uiText(label),
        description: `${state}${n.missing}/${n.total} missing${held ? `, ${held} quarantined` : ''} · ${humanSize(n.size)} · ${age}`,
        tooltip: [
          `Session "${uiText(n.sessionId)}" of "${uiText(n.userId)}"`,
          ...(label === n.sessionId ? [] : [`Started ${label} (local time)`]),
          `${n.missing} of ${plural(n.total, 'chunk')} without transcript`,
          `Audio: ${humanSize(n.size)}, recorded ${age} ago (${new Date(n.createdAt).toLocaleString()})`,
          n.state === 'pending' ? 'Transcribed by the next run' : `Deferred (${n.state}): ${uiText(n.deferredDetail ?? '')}`,
        ].join('\n'),
      };
    }
    case 'chunk':
      if (n.quarantined)
        return {
          label: `chunk ${n.chunk}`,
          description: `quarantined · failed ${plural(n.quarantined.failures, 'run')}`,
          tooltip: `${uiText(n.key)}\nQuarantined after ${plural(n.quarantined.failures, 'failed run')}: left out of the runs until released.${n.quarantined.lastError ? `\nLast error: ${uiText(n.quarantined.lastError)}` : ''}`,
        };
      return {
        label: `chunk ${n.chunk}`,
        description: humanSize(n.size),
        tooltip: `${uiText(n.key)}\n${humanSize(n.size)}, no transcript yet`,
      };
  }
}
