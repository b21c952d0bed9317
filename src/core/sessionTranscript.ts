/**
 * One session's transcript as a person reads it: every audio chunk in order, each with its
 * segments and their times, and the chunks that have no transcript (missing) or an unreadable one
 * (failed) marked in place. Loaded from the store through the layout; the transcript files are
 * bucket data, so each is checked before use and its text made plain. Pure of vscode: the
 * extension shows renderTranscript() in a read-only document, the Listen view uses the words.
 */
import { describeError } from './errors';
import type { BucketLayout, SessionRef } from './layout';
import { plainText } from './safeText';
import { sessionLabel } from './sessionLabel';
import { readCapped } from './store/cappedRead';
import type { ObjectStore } from './store/objectStore';
import type { BatchReport } from './report/model';
import { plural } from './plural';

export interface TranscriptWordTime {
  word: string;
  start: number;
  end: number;
}

export interface ChunkTranscript {
  chunk: number;
  /** The audio object, if any (a transcript without audio is listed too). */
  audioKey?: string;
  audioSize?: number;
  state: 'transcribed' | 'missing' | 'failed';
  /** Why it failed (unreadable or malformed transcript). */
  error?: string;
  duration?: number;
  segments: Array<{ text: string; start: number; end: number; words: TranscriptWordTime[] }>;
}

export interface SessionTranscript {
  ref: SessionRef;
  chunks: ChunkTranscript[];
  complete: boolean;
}

const MAX_TRANSCRIPT_BYTES = 8 << 20;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** A transcript file's content checked against docs/TRANSCRIPT.md: what does not fit is an error, not a crash. */
export function parseTranscript(body: Buffer | string): Pick<ChunkTranscript, 'segments' | 'duration'> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length > MAX_TRANSCRIPT_BYTES) throw new Error(`transcript larger than ${MAX_TRANSCRIPT_BYTES >> 20} MB`);
  const doc: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { segments?: unknown }).segments)) throw new Error('no "segments" list');
  const segments: ChunkTranscript['segments'] = [];
  for (const s of (doc as { segments: unknown[] }).segments) {
    if (!s || typeof s !== 'object') throw new Error('a segment is not an object');
    const o = s as Record<string, unknown>;
    const start = num(o.start);
    const end = num(o.end);
    if (typeof o.text !== 'string' || start === undefined || end === undefined) throw new Error('a segment without text, start or end');
    const words: TranscriptWordTime[] = [];
    if (Array.isArray(o.words)) {
      for (const w of o.words) {
        const wo = (w ?? {}) as Record<string, unknown>;
        const ws = num(wo.start);
        const we = num(wo.end);
        if (typeof wo.word === 'string' && ws !== undefined && we !== undefined) words.push({ word: plainText(wo.word), start: ws, end: we });
      }
    }
    segments.push({ text: plainText(o.text), start, end, words });
  }
  return { segments, duration: num((doc as { duration?: unknown }).duration) };
}

export async function loadSessionTranscript(store: ObjectStore, layout: BucketLayout, ref: SessionRef, signal?: AbortSignal): Promise<SessionTranscript> {
  const prefix = layout.sessionPrefix(ref);
  const audio = new Map<number, { key: string; size: number }>();
  const transcripts = new Map<number, { key: string; legacy: boolean }>();
  let complete = false;
  for await (const o of store.list(prefix, { signal })) {
    const k = layout.parse(o.key);
    if (k.kind === 'other' || k.userId !== ref.userId || k.sessionId !== ref.sessionId) continue;
    if (k.kind === 'audio') {
      const prev = audio.get(k.chunk);
      if (!prev || o.size > prev.size) audio.set(k.chunk, { key: o.key, size: o.size });
    } else if (k.kind === 'transcript') {
      // The current layout wins over a legacy file of the same chunk.
      if (!transcripts.has(k.chunk) || transcripts.get(k.chunk)!.legacy) transcripts.set(k.chunk, { key: o.key, legacy: k.legacy });
    } else if (k.kind === 'complete') complete = true;
  }
  const numbers = [...new Set([...audio.keys(), ...transcripts.keys()])].sort((a, b) => a - b);
  const chunks: ChunkTranscript[] = [];
  for (const n of numbers) {
    const a = audio.get(n);
    const t = transcripts.get(n);
    const c: ChunkTranscript = { chunk: n, audioKey: a?.key, audioSize: a?.size, state: 'missing', segments: [] };
    if (t) {
      try {
        Object.assign(c, parseTranscript(await readCapped(store, t.key, 'transcript', signal)), { state: 'transcribed' });
      } catch (e) {
        c.state = 'failed';
        c.error = describeError(e);
      }
    }
    chunks.push(c);
  }
  return { ref, chunks, complete };
}

/** m:ss.s (h:mm:ss.s past an hour). */
export function clockTime(sec: number): string {
  // Whole tenths first, so that 59.96 s reads 1:00.0 and not 0:60.0.
  const tenths = Math.round(sec * 10);
  const h = Math.floor(tenths / 36000);
  const m = Math.floor((tenths % 36000) / 600);
  const s = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Chunks of a session that a run could not transcribe, from its report: number -> the error. */
export interface RunFailures {
  /** Names the run for people: "the run of 2026-11-25 10:32". */
  run: string;
  chunks: ReadonlyMap<number, string>;
}

/** The failed chunks of `sessionId` in a report (its sessions table and errors; both are bucket text). */
export function failuresOf(report: Pick<BatchReport, 'sessions' | 'errors'>, ref: SessionRef): Map<number, string> {
  const out = new Map<number, string>();
  const s = report.sessions.find((x) => x.userId === ref.userId && x.sessionId === ref.sessionId);
  for (const c of s?.failedChunks ?? []) if (/^\d{1,6}$/.test(c)) out.set(Number(c), 'transcription failed');
  for (const e of report.errors) {
    if (e.userId !== ref.userId || e.sessionId !== ref.sessionId || typeof e.chunk !== 'string' || !/^\d{1,6}$/.test(e.chunk)) continue;
    out.set(Number(e.chunk), plainText(e.message).slice(0, 300));
  }
  return out;
}

/** The text of the read-only transcript document. Times are seconds within each chunk (docs/TRANSCRIPT.md). */
export function renderTranscript(t: SessionTranscript, opts: { chunkName: (n: number) => string; locale?: string; timeZone?: string; failures?: RunFailures }): string {
  const id = plainText(t.ref.sessionId);
  const label = sessionLabel(t.ref.sessionId, opts);
  const done = t.chunks.filter((c) => c.state === 'transcribed').length;
  // A chunk with no transcript that a run failed on is a failure, not merely missing.
  const runFailed = (c: ChunkTranscript) => c.state === 'missing' && !!opts.failures?.chunks.has(c.chunk);
  const missing = t.chunks.filter((c) => c.state === 'missing' && !runFailed(c)).length;
  const failed = t.chunks.filter((c) => c.state === 'failed' || runFailed(c)).length;
  const out: string[] = [];
  out.push(label === t.ref.sessionId ? id : label);
  out.push(`Session: ${id}`);
  out.push(`User:    ${plainText(t.ref.userId)}`);
  const parts = [`${plural(t.chunks.length, 'chunk')}`, `${done} transcribed`];
  if (missing) parts.push(`${missing} missing`);
  if (failed) parts.push(`${failed} failed`);
  out.push(`Chunks:  ${parts.join(', ')}${t.complete ? ' (session marked complete)' : ''}`);
  out.push('Times are within each chunk.');
  if (!t.chunks.length) out.push('', 'No audio chunks in this session.');
  for (const c of t.chunks) {
    out.push('');
    const name = opts.chunkName(c.chunk);
    if (runFailed(c)) {
      out.push(`${name}  FAILED in ${plainText(opts.failures!.run)}: ${plainText(opts.failures!.chunks.get(c.chunk))}`);
      continue;
    }
    if (c.state === 'missing') {
      out.push(`${name}  MISSING: no transcript yet`);
      continue;
    }
    if (c.state === 'failed') {
      out.push(`${name}  FAILED: unreadable transcript (${plainText(c.error ?? 'unknown error')})`);
      continue;
    }
    out.push(`${name}${c.duration !== undefined ? `  ${clockTime(c.duration)}` : ''}${c.audioKey ? '' : '  (no audio)'}`);
    if (!c.segments.length) out.push('  (no speech)');
    for (const s of c.segments) out.push(`  [${clockTime(s.start)} - ${clockTime(s.end)}] ${s.text.trim()}`);
  }
  return out.join('\n') + '\n';
}
