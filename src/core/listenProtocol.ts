/**
 * Messages between the Listen view (webviews/listen) and its host (src/extension/listenPanel.ts).
 * Pure types and checks: the webview imports them, the host checks every message from the page.
 * Words and names are bucket text: the page puts them in as text only.
 */

/** One word of the transcript, its time in the audio handed over (seconds from its start). */
export interface ListenWord {
  text: string;
  start: number;
  end: number;
  /** Index into `chunks`. */
  chunk: number;
}

export interface ListenChunk {
  /** "chunk-003" */
  name: string;
  /** Where it starts in the audio handed over (s); null when it has no audio. */
  start: number | null;
  duration: number;
  state: 'transcribed' | 'missing' | 'failed' | 'no-audio' | 'undecodable';
  note?: string;
}

/** Host -> webview. */
export type ToListenView =
  { type: 'listen'; title: string; subtitle: string; words: ListenWord[]; chunks: ListenChunk[]; audio: Uint8Array; mime: string; note?: string } | { type: 'error'; message: string };

/** Webview -> host. `played`: the highlighted word changed (tests and the log follow playback). */
export type FromListenView = { type: 'ready' } | { type: 'played'; word: number };

export function isFromListenView(m: unknown): m is FromListenView {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready') return true;
  return o.type === 'played' && typeof o.word === 'number' && Number.isInteger(o.word) && o.word >= -1 && o.word < 1e7;
}
