import * as assert from 'node:assert/strict';
import type { PendingJobs, PendingSession } from '../../../src/core/scan';
import { sessionLabel } from '../../../src/core/sessionLabel';
import { buildTree, contextValueOf, describeNode, humanAge, humanSize, PendingModel } from '../../../src/extension/pendingModel';

const T = Date.parse('2026-11-25T10:00:00Z');

function session(userId: string, sessionId: string, createdAt: number, missing: number[], total = 3): PendingSession {
  const chunks = Array.from({ length: total }, (_, i) => ({
    chunk: i + 1,
    key: `users/${userId}/audio/sessions/${sessionId}/chunk-00${i + 1}.webm`,
    size: 1000 * (i + 1),
    ext: 'webm',
    lastModified: createdAt,
  }));
  return {
    sessionId,
    userId,
    sessionPath: `users/${userId}/audio/sessions/${sessionId}/`,
    audioChunks: chunks.map((c) => `00${c.chunk}`),
    transcriptionChunks: [],
    missingChunks: missing.map((n) => `00${n}`),
    totalAudioSize: chunks.reduce((n, c) => n + c.size, 0),
    createdAt: new Date(createdAt).toISOString(),
    ageHours: (T - createdAt) / 3.6e6,
    newestChunkAt: new Date(createdAt).toISOString(),
    chunks,
    complete: false,
  };
}

function doc(sessions: PendingSession[], deferred: PendingJobs['deferredSessions'] = []): PendingJobs {
  const missing = sessions.reduce((n, s) => n + s.missingChunks.length, 0);
  return {
    timestamp: new Date(T).toISOString(),
    store: '/b',
    totalSessions: sessions.length + deferred.length,
    sessionsWithMissingChunks: sessions.length,
    totalMissingChunks: missing,
    estimatedGpuTime: '1 minute',
    estimatedGpuSeconds: 60,
    estimatedCost: '$0.009',
    estimatedCostUSD: 0.009,
    sessions,
    deferredSessions: deferred,
    stats: { keys: 0, requests: 0, durationMs: 0, streams: 1 },
  };
}

describe('extension/pendingModel', function () {
  it('shows quarantined chunks: under a session that still waits, or as a quarantined session of their own; bucket text plain', function () {
    const d = doc([session('bob', 'waits', T - 3_600_000, [1], 3)]);
    d.quarantinedChunks = [
      {
        userId: 'bob',
        sessionId: 'waits',
        sessionPath: 'users/bob/audio/sessions/waits/',
        chunk: '003',
        audioKey: 'users/bob/audio/sessions/waits/chunk-003.webm',
        failures: 3,
        lastError: 'ffmpeg: $(alert) bad',
      },
      {
        userId: 'eve',
        sessionId: 'session_2026-11-20T09_00_00_000Z',
        sessionPath: 'users/eve/audio/sessions/session_2026-11-20T09_00_00_000Z/',
        chunk: '002',
        audioKey: 'users/eve/audio/sessions/session_2026-11-20T09_00_00_000Z/chunk-002.webm',
        failures: 4,
      },
    ];
    const tree = buildTree(d);
    const bob = tree.find((u) => u.userId === 'bob')!.sessions[0];
    assert.deepEqual(
      bob.chunks.map((c) => [c.chunk, contextValueOf(c)]),
      [
        ['001', 'chunk:missing'],
        ['003', 'chunk:quarantined'],
      ],
    );
    assert.match(describeNode(bob, T).description, /^1\/3 missing, 1 quarantined · /);
    const held = describeNode(bob.chunks[1], T);
    assert.equal(held.description, 'quarantined · failed 3 runs');
    assert.ok(held.tooltip.includes('Last error: ffmpeg: $\u200b(alert) bad'), held.tooltip);
    const eve = tree.find((u) => u.userId === 'eve')!.sessions[0];
    assert.equal(eve.state, 'quarantined');
    assert.equal(contextValueOf(eve), 'session:deferred:quarantined');
    assert.equal(describeNode(eve, T).description, 'quarantined · 1 chunk held');
    assert.match(describeNode(eve, T).tooltip, /whisper-batch release eve session_2026-11-20T09_00_00_000Z/);
  });

  it('groups user > session > missing chunk, users by their oldest session, sessions oldest first', function () {
    const tree = buildTree(doc([session('bob', 'new', T - 3_600_000, [2, 3]), session('alice', 'mid', T - 5 * 3_600_000, [1]), session('bob', 'old', T - 9 * 3_600_000, [3])]));
    assert.deepEqual(
      tree.map((u) => u.userId),
      ['bob', 'alice'],
    );
    assert.deepEqual(
      tree[0].sessions.map((s) => s.sessionId),
      ['old', 'new'],
    );
    assert.deepEqual(
      tree[0].sessions[1].chunks.map((c) => c.chunk),
      ['002', '003'],
    );
    assert.equal(tree[0].missing, 3);
  });

  it('keeps deferred sessions visible with their reason, out of the missing count, and flags them in contextValue', function () {
    const live = { ...session('carol', 'live', T - 60_000, [1, 2, 3]), reason: 'recording' as const, detail: 'newest chunk is 1 min old' };
    const locked = { ...session('carol', 'locked', T - 7_200_000, [1]), reason: 'locked' as const, detail: 'batch-lock.json is held' };
    const tree = buildTree(doc([session('carol', 'ok', T - 3_600_000, [1])], [live, locked]));
    const [u] = tree;
    assert.equal(u.missing, 1);
    assert.deepEqual(
      u.sessions.map((s) => contextValueOf(s)),
      ['session:deferred:locked', 'session:pending', 'session:deferred:recording'],
    );
    const d = describeNode(u.sessions[2], T);
    assert.match(d.description, /live \(recording\)/);
    assert.match(d.tooltip, /Deferred \(recording\): newest chunk is 1 min old/);
    assert.equal(contextValueOf(u.sessions[2].chunks[0]), 'chunk:missing:deferred');
    assert.equal(contextValueOf(u), 'user');
  });

  it('describes size and age, and keeps hostile session ids as plain text', function () {
    const evil = '<img src=x onerror=alert(1)> $(rm -rf /)';
    const [u] = buildTree(doc([session('u', evil, T - 26 * 3_600_000, [1, 2])]));
    const d = describeNode(u.sessions[0], T);
    assert.equal(d.label.replace(/\u200b/g, ''), evil);
    assert.equal(d.description, '2/3 missing · 5.9 KB · 26 h');
    assert.equal(u.sessions[0].id, `session:users/u/audio/sessions/${evil}/`);
    assert.equal(humanSize(512), '512 B');
    assert.equal(humanSize(5 * 1024 * 1024), '5.0 MB');
    assert.equal(humanAge(3 * 86_400_000), '3 d');
  });

  it("labels the recording app's session ids as a local date and time, the raw id in the tooltip; the state leads the description", function () {
    const id = 'session_2025-11-09T14_32_10_123Z';
    const live = { ...session('u', id, T - 60_000, [1]), reason: 'recording' as const, detail: 'newest chunk is 1 min old' };
    const [u] = buildTree(doc([], [live]));
    const d = describeNode(u.sessions[0], T);
    assert.equal(d.label, sessionLabel(id));
    assert.notEqual(d.label, id);
    assert.match(d.label, /2025/);
    assert.match(d.tooltip, new RegExp(`Session "${id}" of "u"`));
    // At the default width the end of a description is cut off: the state comes first.
    assert.match(d.description, /^live \(recording\) · 1\/3 missing/);
    // The node keeps the raw id: Copy and the transcript use it.
    assert.equal(u.sessions[0].sessionId, id);
  });

  it('no bucket text in the tree forms a codicon, a link or a control character', function () {
    const evil = '[details](command:workbench.action.openSettings?%22x%22) $(zap)\x1b[2J\u202e\nerror: x';
    const [u] = buildTree(doc([session(evil, evil, T - 26 * 3_600_000, [1])]));
    for (const n of [u, u.sessions[0], u.sessions[0].chunks[0]]) {
      const d = describeNode(n, T);
      for (const text of [d.label, d.description, d.tooltip]) {
        assert.doesNotMatch(text, /\]\(|\$\(|[\x00-\x09\x0b-\x1f\u202e]/, JSON.stringify(text));
        assert.ok(!text.split('\n').some((l) => l.startsWith('error:')), JSON.stringify(text));
      }
    }
  });

  it('PendingModel emits on scan, keeps totals and finds sessions', function () {
    const m = new PendingModel();
    let n = 0;
    m.onDidChange(() => n++);
    m.setScan(doc([session('u', 's', T - 3_600_000, [1, 2])]), T);
    assert.equal(n, 1);
    assert.equal(m.totals?.missingChunks, 2);
    assert.equal(m.findSession('session:users/u/audio/sessions/s/')?.missing, 2);
    m.setError('boom');
    assert.equal(m.lastError, 'boom');
    assert.equal(n, 2);
    m.touch();
    assert.equal(n, 3, 'a re-render emits');
    assert.equal(m.scanCount, 1, 'but is no scan');
  });
});
