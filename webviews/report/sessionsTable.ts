/**
 * The sessions table: text filter, sortable columns, and virtual scrolling (only the rows in view
 * exist in the DOM), so a report with 10,000 sessions stays fast.
 */
import type { ReportSession } from '../../src/core/report/model';
import { clear, h } from './dom';
import { humanDuration } from './format';
import { plural } from '../../src/core/plural';
import { plainText } from '../../src/core/safeText';

export type SortKey = 'sessionId' | 'userId' | 'status' | 'chunksProcessed' | 'chunksFailed' | 'audioSeconds' | 'durationSeconds';

interface Column {
  key: SortKey;
  label: string;
  num?: boolean;
  cell(s: ReportSession): string;
}

const COLUMNS: Column[] = [
  { key: 'sessionId', label: 'Session', cell: (s) => s.sessionId },
  { key: 'userId', label: 'User', cell: (s) => s.userId },
  { key: 'status', label: 'Status', cell: (s) => s.status },
  { key: 'chunksProcessed', label: 'Chunks', num: true, cell: (s) => String(s.chunksProcessed) },
  { key: 'chunksFailed', label: 'Failed', num: true, cell: (s) => (s.chunksFailed ? `${s.chunksFailed} (${s.failedChunks.join(', ')})` : '0') },
  { key: 'audioSeconds', label: 'Audio', num: true, cell: (s) => humanDuration(s.audioSeconds) },
  { key: 'durationSeconds', label: 'Time', num: true, cell: (s) => s.duration || humanDuration(s.durationSeconds) },
];

export const SORT_KEYS = COLUMNS.map((c) => c.key);

const ROW_HEIGHT = 26;
const OVERSCAN = 8;

export interface TableState {
  filter: string;
  sortKey: SortKey | undefined;
  sortDesc: boolean;
}

export class SessionsTable {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly countEl: HTMLElement;
  private readonly headers = new Map<SortKey, HTMLElement>();
  private readonly search: string[];
  /** Indexes into `sessions` of the rows shown, filtered and sorted. */
  private view: number[] = [];
  private frame = 0;
  private lastStart = -1;
  /** The keyboard's row (index into `view`), shown with aria-activedescendant; -1 before first use. */
  private active = -1;

  constructor(
    private readonly sessions: ReportSession[],
    private state: TableState,
    private readonly onState: (s: TableState) => void,
    /** Opens a session's transcript (a button on each row, Enter on the keyboard's row). */
    private readonly onOpen?: (s: ReportSession) => void,
  ) {
    // Lower-cased search text, built once per report.
    this.search = sessions.map((s) => `${s.sessionId}\n${s.userId}\n${s.status}`.toLowerCase());

    const filter = h('input', {
      class: 'filter',
      attrs: { type: 'search', placeholder: 'Filter sessions (id, user, status)', 'aria-label': 'Filter sessions by id, user or status', spellcheck: 'false' },
      on: { input: () => this.update({ ...this.state, filter: filter.value }) },
    });
    filter.value = state.filter;
    this.countEl = h('span', { class: 'muted', attrs: { 'aria-live': 'polite' } });

    const header = h('div', { class: 'vt-row vt-head', attrs: { role: 'row' } });
    for (const c of COLUMNS) {
      const btn = h(
        'button',
        { class: 'sort', attrs: { type: 'button', title: `Sort by ${c.label.toLowerCase()}` }, on: { click: () => this.toggleSort(c.key) } },
        c.label,
        h('span', { class: 'arrow', attrs: { 'aria-hidden': 'true' } }),
      );
      const th = h('div', { class: `vt-cell${c.num ? ' num' : ''}`, attrs: { role: 'columnheader' } }, btn);
      this.headers.set(c.key, th);
      header.appendChild(th);
    }
    if (onOpen) header.appendChild(h('div', { class: 'vt-cell', attrs: { role: 'columnheader' } }, h('span', { class: 'visually-hidden' }, 'Transcript')));

    this.spacer = h('div', { class: 'vt-spacer' });
    this.rowsEl = h('div', { class: 'vt-rows', attrs: { role: 'rowgroup' } });
    this.viewport = h(
      'div',
      {
        class: 'vt-viewport',
        attrs: { tabindex: '0', role: 'rowgroup', 'aria-label': 'Sessions: arrow keys, Page Up/Down, Home and End move between rows' },
        on: { scroll: () => this.schedule(), keydown: (e) => this.onKey(e), focus: () => this.activate(this.inView(this.active) ? this.active : Math.ceil(this.viewport.scrollTop / ROW_HEIGHT)) },
      },
      this.spacer,
      this.rowsEl,
    );
    const table = h('div', { class: 'vt', attrs: { role: 'grid', 'aria-label': 'Sessions' } }, h('div', { attrs: { role: 'rowgroup' } }, header), this.viewport);
    this.element = h('div', { class: `sessions${onOpen ? ' with-open' : ''}` }, h('div', { class: 'toolbar' }, filter, this.countEl), table);
    this.apply();
  }

  private toggleSort(key: SortKey): void {
    const desc = this.state.sortKey === key ? !this.state.sortDesc : false;
    this.update({ ...this.state, sortKey: key, sortDesc: desc });
  }

  private update(s: TableState): void {
    this.state = s;
    this.onState(s);
    this.apply();
  }

  /** Recomputes the visible list (filter, then sort) and redraws. */
  private apply(): void {
    const q = this.state.filter.trim().toLowerCase();
    const idx: number[] = [];
    for (let i = 0; i < this.sessions.length; i++) if (!q || this.search[i].includes(q)) idx.push(i);
    const key = this.state.sortKey;
    if (key) {
      const dir = this.state.sortDesc ? -1 : 1;
      const ss = this.sessions;
      const numeric = typeof ss[0]?.[key] === 'number';
      idx.sort((a, b) => {
        const x = ss[a][key];
        const y = ss[b][key];
        const c = numeric ? (x as number) - (y as number) : String(x).localeCompare(String(y), undefined, { numeric: true });
        return c * dir || a - b;
      });
    }
    this.view = idx;
    this.active = Math.min(this.active, idx.length - 1);
    for (const [k, th] of this.headers) {
      th.setAttribute('aria-sort', k === key ? (this.state.sortDesc ? 'descending' : 'ascending') : 'none');
      th.querySelector('.arrow')!.textContent = k === key ? (this.state.sortDesc ? ' ▼' : ' ▲') : '';
    }
    this.countEl.textContent = idx.length === this.sessions.length ? plural(idx.length, 'session') : `${idx.length} of ${plural(this.sessions.length, 'session')}`;
    this.spacer.style.height = `${idx.length * ROW_HEIGHT}px`;
    this.table().setAttribute('aria-rowcount', String(idx.length + 1));
    this.lastStart = -1;
    this.draw();
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    let next: number | undefined;
    if (e.key in moves) next = this.active + moves[e.key];
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.view.length - 1;
    else if (e.key === 'Enter' && this.onOpen && this.view[this.active] !== undefined) {
      e.preventDefault();
      this.onOpen(this.sessions[this.view[this.active]]);
      return;
    }
    if (next === undefined) return;
    e.preventDefault();
    this.activate(next);
  }

  private inView(i: number): boolean {
    const top = i * ROW_HEIGHT;
    return i >= 0 && top >= this.viewport.scrollTop && top + ROW_HEIGHT <= this.viewport.scrollTop + this.viewport.clientHeight;
  }

  /** Moves the keyboard's row, scrolling it into view (which draws it). */
  private activate(i: number): void {
    if (!this.view.length) return this.viewport.removeAttribute('aria-activedescendant');
    this.active = Math.max(0, Math.min(this.view.length - 1, i));
    const top = this.active * ROW_HEIGHT;
    const vh = this.viewport.clientHeight;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.viewport.scrollTop + vh) this.viewport.scrollTop = top + ROW_HEIGHT - vh;
    this.lastStart = -1;
    this.draw();
  }

  private table(): HTMLElement {
    return this.viewport.parentElement ?? this.viewport;
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  /** Builds only the rows that intersect the viewport (plus a few either side). */
  private draw(): void {
    const height = this.viewport.clientHeight || 400;
    const start = Math.max(0, Math.floor(this.viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    if (start === this.lastStart && this.rowsEl.childElementCount) return;
    this.lastStart = start;
    const end = Math.min(this.view.length, Math.ceil((this.viewport.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    clear(this.rowsEl);
    this.rowsEl.style.transform = `translateY(${start * ROW_HEIGHT}px)`;
    if (this.view.length === 0) {
      this.rowsEl.appendChild(h('div', { class: 'vt-empty muted' }, this.sessions.length ? 'No session matches the filter.' : 'No session was processed.'));
      return;
    }
    for (let i = start; i < end; i++) {
      const s = this.sessions[this.view[i]];
      const row = h('div', { class: `vt-row st-${known(s.status)}${i === this.active ? ' active' : ''}`, attrs: { role: 'row', id: `wb-row-${i}`, 'aria-rowindex': String(i + 2) } });
      for (const c of COLUMNS) {
        const text = c.cell(s);
        row.appendChild(h('div', { class: `vt-cell${c.num ? ' num' : ''}${c.key === 'status' ? ` status-text s-${known(s.status)}` : ''}`, attrs: { role: 'cell', title: text } }, text));
      }
      if (this.onOpen) {
        const open = this.onOpen;
        // The id is text in the button's accessible name only as an attribute value (never markup).
        const btn = h(
          'button',
          { class: 'link open-transcript', attrs: { type: 'button', tabindex: '-1', 'aria-label': plainText(`Open the transcript of ${s.sessionId}`) }, on: { click: () => open(s) } },
          'Transcript',
        );
        row.appendChild(h('div', { class: 'vt-cell', attrs: { role: 'cell' } }, btn));
      }
      this.rowsEl.appendChild(row);
    }
    if (this.active >= 0) this.viewport.setAttribute('aria-activedescendant', `wb-row-${this.active}`);
  }
}

function known(status: string): string {
  return ['success', 'partial', 'failed', 'cancelled', 'skipped'].includes(status) ? status : 'unknown';
}
