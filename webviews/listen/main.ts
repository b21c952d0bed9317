/**
 * The Listen view: an audio player and the transcript's words; the word being heard is highlighted
 * as it plays, and a click on a word plays from it. Audio and words arrive by message
 * (src/core/listenProtocol.ts); every string goes into the page as text (textContent), never HTML.
 */
import './style.css';
import type { FromListenView, ListenWord, ToListenView } from '../../src/core/listenProtocol';
import { plainText } from '../../src/core/safeText';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const api = acquireVsCodeApi();
const post = (m: FromListenView) => api.postMessage(m);

const app = document.getElementById('app')!;
let audioUrl: string | undefined;
let words: ListenWord[] = [];
let spans: HTMLElement[] = [];
let current = -1;
let frame = 0;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = plainText(text);
  return e;
}

/** The last word that started at or before `t` (binary search; words are in time order). */
export function wordAt(list: readonly ListenWord[], t: number): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].start <= t + 1e-3) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function highlight(audio: HTMLAudioElement): void {
  const i = wordAt(words, audio.currentTime);
  if (i === current) return;
  spans[current]?.classList.remove('current');
  spans[current]?.removeAttribute('aria-current');
  current = i;
  const s = spans[i];
  if (s) {
    s.classList.add('current');
    s.setAttribute('aria-current', 'true');
    s.scrollIntoView({ block: 'nearest' });
  }
  post({ type: 'played', word: i });
}

function render(m: Extract<ToListenView, { type: 'listen' }>): void {
  if (audioUrl) URL.revokeObjectURL(audioUrl);
  app.replaceChildren();
  app.removeAttribute('aria-busy');
  words = Array.isArray(m.words) ? m.words.filter((w) => w && typeof w.text === 'string' && Number.isFinite(w.start)) : [];
  spans = [];
  current = -1;
  const bytes = m.audio instanceof Uint8Array ? m.audio : new Uint8Array(0);
  audioUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: /^audio\/[a-z0-9.+-]+$/.test(m.mime) ? m.mime : 'audio/wav' }));
  const audio = el('audio', 'player');
  audio.controls = true;
  audio.preload = 'auto';
  audio.src = audioUrl;
  const follow = () => {
    highlight(audio);
    frame = audio.paused ? 0 : requestAnimationFrame(follow);
  };
  audio.addEventListener('play', () => (cancelAnimationFrame(frame), (frame = requestAnimationFrame(follow))));
  for (const ev of ['timeupdate', 'seeked', 'pause']) audio.addEventListener(ev, () => highlight(audio));

  const header = el('header', 'top');
  header.append(el('h1', undefined, m.title), el('p', 'muted', m.subtitle));
  const body = el('div', 'words');
  body.setAttribute('aria-label', 'Transcript: click a word to play from it');
  const chunks = Array.isArray(m.chunks) ? m.chunks : [];
  chunks.forEach((c, ci) => {
    const sec = el('section', `chunk st-${['transcribed', 'missing', 'failed', 'no-audio', 'undecodable'].includes(c.state) ? c.state : 'unknown'}`);
    const label =
      c.state === 'transcribed'
        ? c.name
        : `${c.name} · ${c.state === 'missing' ? 'no transcript yet' : c.state === 'failed' ? 'unreadable transcript' : c.state === 'no-audio' ? 'no audio' : 'audio not decodable'}`;
    sec.append(el('h2', 'chunk-name', label));
    if (c.note && c.state !== 'transcribed') sec.append(el('p', 'muted note', c.note));
    const p = el('p', 'line');
    words.forEach((w, i) => {
      if (w.chunk !== ci) return;
      const s = el('span', 'word', w.text);
      s.dataset.i = String(i);
      s.tabIndex = 0;
      s.setAttribute('role', 'button');
      const seek = () => {
        audio.currentTime = w.start;
        highlight(audio);
      };
      s.addEventListener('click', seek);
      s.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), seek()));
      spans[i] = s;
      p.append(s, ' ');
    });
    if (p.childNodes.length) sec.append(p);
    else if (c.state === 'transcribed') sec.append(el('p', 'muted', 'No speech in this chunk.'));
    body.append(sec);
  });
  if (!chunks.length) body.append(el('p', 'muted empty-state', 'This session has no audio chunks yet.'));
  if (m.note) body.append(el('p', 'muted', m.note));
  app.append(header, audio, body);
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as ToListenView;
  if (!m || typeof m !== 'object') return;
  if (m.type === 'listen') render(m);
  else if (m.type === 'error') {
    app.replaceChildren(el('p', 'error', typeof m.message === 'string' ? m.message : 'Unknown error'));
    app.removeAttribute('aria-busy');
  }
});
post({ type: 'ready' });
