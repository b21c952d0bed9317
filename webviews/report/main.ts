/**
 * The report viewer page: a list of reports, the detail of one (summary, GPU timeline, sessions,
 * errors) and trends over runs. All data arrives by message (src/core/report/protocol.ts) and is
 * put into the page as text only.
 */
import './style.css';
import { ranOnGpu, timelineSteps, type BatchReport, type ReportSummary } from '../../src/core/report/model';
import type { ReportViewState, ToReportView } from '../../src/core/report/protocol';
import { append, clear, h } from './dom';
import { dateTime, humanDuration, offset, pct, usd } from './format';
import { SessionsTable, SORT_KEYS, type SortKey, type TableState } from './sessionsTable';
import { TrendsView } from './trends';
import { monitoringSection } from './monitoring';
import type { Monitoring } from '../../src/core/report/model';
import { loadState, post, saveState } from './vscodeApi';
import { plural } from '../../src/core/plural';

let state: ReportViewState = loadState();
let reports: ReportSummary[] = [];
let current: { key: string; report: BatchReport } | undefined;
let loadingKey: string | undefined;
let errorText: string | undefined;
let trends: TrendsView | undefined;
let monitoring: Monitoring | undefined;

const app = document.getElementById('app')!;
const listEl = h('ul', { class: 'report-list', attrs: { 'aria-label': 'Reports, newest first' } });
const detailEl = h('section', { class: 'detail', attrs: { 'aria-live': 'polite' } });
const alertEl = h('div', { class: 'alert', attrs: { role: 'alert' } });
const tabs = {
  report: tabButton('report', 'Report'),
  trends: tabButton('trends', 'Trends'),
};

function tabButton(tab: 'report' | 'trends', label: string): HTMLButtonElement {
  return h('button', { class: 'tab', attrs: { type: 'button', role: 'tab', id: `tab-${tab}`, 'aria-controls': 'detail' }, on: { click: () => setTab(tab) } }, label);
}

function setState(patch: Partial<ReportViewState>): void {
  state = { ...state, ...patch };
  saveState(state);
}

function setTab(tab: 'report' | 'trends'): void {
  setState({ tab });
  renderDetail();
}

function mount(): void {
  clear(app);
  app.removeAttribute('aria-busy');
  const refresh = h('button', { class: 'secondary', attrs: { type: 'button', 'aria-label': 'Refresh the list of reports' }, on: { click: () => post({ type: 'refresh' }) } }, 'Refresh');
  const tablist = h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'View' } }, tabs.report, tabs.trends);
  app.append(
    h('header', { class: 'top' }, h('h1', {}, 'Whisper Batch reports'), tablist, refresh),
    alertEl,
    h('div', { class: 'layout' }, h('nav', { class: 'side', attrs: { 'aria-label': 'Reports' } }, listEl), detailEl),
  );
  detailEl.id = 'detail';
  detailEl.setAttribute('role', 'tabpanel');
}

function renderAlert(): void {
  alertEl.textContent = errorText ?? '';
  alertEl.hidden = !errorText;
}

function renderList(): void {
  clear(listEl);
  if (!reports.length) {
    listEl.appendChild(h('li', { class: 'muted empty' }, 'No reports yet: each run writes one.'));
    return;
  }
  for (const r of reports) {
    const selected = current?.key === r.key || loadingKey === r.key;
    const btn = h(
      'button',
      {
        class: `report-item${selected ? ' selected' : ''}`,
        attrs: {
          type: 'button',
          'data-key': r.key,
          'aria-current': selected ? 'true' : 'false',
          'aria-label': `Report ${r.reportId}, ${r.status}, ${plural(r.chunksTranscribed, 'chunk')} transcribed, ${r.chunksFailed} failed${ranOnGpu(r) ? `, cost ${usd(r.costUSD)}` : ''}`,
        },
        on: { click: () => openReport(r.key), keydown: (e) => moveInList(e) },
      },
      h('span', { class: 'when' }, dateTime(r.timestamp)),
      badge(r.status),
      // Cost only for runs on the GPU: a local run costs nothing per hour.
      h('span', { class: 'meta' }, `${r.chunksTranscribed} ok · ${r.chunksFailed} failed${ranOnGpu(r) ? ` · ${usd(r.costUSD)}` : ''}`),
    );
    listEl.appendChild(h('li', {}, btn));
  }
}

/** Up/Down move between reports; Home/End jump. Enter and Space open (native button). */
function moveInList(e: KeyboardEvent): void {
  const items = Array.from(listEl.querySelectorAll<HTMLButtonElement>('button.report-item'));
  const i = items.indexOf(e.target as HTMLButtonElement);
  const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
  if (next === undefined || i < 0) return;
  e.preventDefault();
  items[Math.max(0, Math.min(items.length - 1, next))]?.focus();
}

function openReport(key: string): void {
  setState({ selectedKey: key, tab: 'report' });
  if (current?.key === key) return renderAll();
  loadingKey = key;
  post({ type: 'open', key });
  renderAll();
}

function badge(status: string): HTMLElement {
  const known = ['success', 'partial', 'failed', 'skipped', 'cancelled'].includes(status) ? status : 'unknown';
  return h('span', { class: `badge s-${known}` }, status);
}

function renderDetail(): void {
  trends?.dispose();
  trends = undefined;
  clear(detailEl);
  const tab = state.tab ?? 'report';
  for (const [name, btn] of Object.entries(tabs)) btn.setAttribute('aria-selected', String(name === tab));
  detailEl.setAttribute('aria-labelledby', `tab-${tab}`);
  if (tab === 'trends') {
    trends = new TrendsView(reports);
    detailEl.appendChild(monitoringSection(monitoring, reports.some(ranOnGpu)));
    detailEl.appendChild(trends.element);
    return;
  }
  if (loadingKey) {
    detailEl.setAttribute('aria-busy', 'true');
    detailEl.appendChild(h('p', { class: 'muted' }, `Loading ${loadingKey}…`));
    return;
  }
  detailEl.removeAttribute('aria-busy');
  if (!current) {
    detailEl.appendChild(
      reports.length
        ? h('p', { class: 'muted empty-state' }, 'Choose a report in the list.')
        : h(
            'div',
            { class: 'empty-state' },
            h('p', {}, 'No reports yet.'),
            h(
              'p',
              { class: 'muted' },
              'Every batch run writes a report here. Start one with “Whisper Batch: Run Batch Now” (or the play button of the Pending view); with scheduled runs on, the next one comes by itself.',
            ),
          ),
    );
    return;
  }
  renderReport(current.report);
}

function card(label: string, value: string | HTMLElement, title?: string, sub?: string): HTMLElement {
  return h('div', { class: 'card', attrs: title ? { title } : {} }, h('dt', {}, label), h('dd', {}, value, sub ? h('span', { class: 'card-sub' }, sub) : null));
}

function renderReport(r: BatchReport): void {
  const t = r.transcription;
  const g = r.gpu;
  const gpu = g.host === 'ec2';
  const hostStart = g.started ? 'started by this run' : g.alreadyRunning ? 'already running, left running' : 'not started';
  append(detailEl, [
    h('h2', { class: 'report-title' }, r.reportId, ' ', badge(r.status)),
    h('p', { class: 'muted sub' }, `${r.store} · started ${dateTime(r.execution.startTime, true)} UTC · run ${r.runId}${r.cancelled ? ' · cancelled' : ''}`),
    r.status === 'skipped' ? h('p', {}, gpu ? 'Nothing was pending: the GPU host was not touched.' : 'Nothing was pending.') : null,
    h(
      'dl',
      { class: 'cards' },
      card('Duration', r.execution.durationHuman || humanDuration(r.execution.durationSeconds)),
      card('Chunks transcribed', `${t.chunksTranscribed} of ${t.chunksFound}`),
      card('Chunks failed', String(t.chunksFailed)),
      card('Success rate', pct(t.successRate)),
      card('Audio', humanDuration(t.audioSeconds)),
      // A local host has no start, no runtime bill and no cost: only the GPU's cards say those.
      gpu ? card('GPU host', 'ec2', undefined, g.instanceId) : card('Host', 'this machine'),
      gpu ? card('Host start', hostStart) : null,
      gpu ? card('GPU runtime', g.runtimeHuman || humanDuration(g.runtimeSeconds)) : null,
      gpu ? card('Cost', usd(g.costUSD), undefined, `at ${usd(g.hourlyUsd)} per hour`) : null,
      gpu ? card('Cost per audio hour', usd(t.costPerAudioHourUSD)) : null,
      card('Engine', t.model ? `${t.engine} (${t.model})` : t.engine),
    ),
    h('h3', {}, gpu ? 'GPU timeline' : 'Timeline'),
    gpu ? timeline(r) : localTimeline(r),
    h('h3', {}, `Sessions (${r.sessions.length})`),
    sessionsTable(r),
    h('h3', {}, `Errors (${r.errors.length})`),
    errorsList(r),
  ]);
}

function timeline(r: BatchReport): HTMLElement {
  const g = r.gpu;
  const steps = timelineSteps(g);
  if (steps.every(([, v]) => !v)) return h('p', { class: 'muted' }, 'The host was not used in this run.');
  const base = g.startTime ?? r.execution.startTime;
  // A bar of the phases, proportional to time: boot, idle before work, transcribing, shutdown.
  const t0 = Date.parse(base);
  const tEnd = Date.parse(g.stopTime ?? g.stopRequestedTime ?? g.lastChunkTime ?? r.execution.endTime);
  const span = tEnd - t0;
  const bar = h('div', { class: 'phases', attrs: { 'aria-hidden': 'true' } });
  if (Number.isFinite(span) && span > 0) {
    const phases: [string, string | null, string | null][] = [
      ['boot', g.startTime, g.readyTime],
      ['idle', g.readyTime, g.firstChunkTime],
      ['work', g.firstChunkTime, g.lastChunkTime],
      ['idle', g.lastChunkTime, g.stopRequestedTime],
      ['stop', g.stopRequestedTime, g.stopTime],
    ];
    for (const [cls, a, b] of phases) {
      if (!a || !b) continue;
      const w = ((Date.parse(b) - Date.parse(a)) / span) * 100;
      if (!(w > 0)) continue;
      const seg = h('span', { class: `phase ph-${cls}`, attrs: { title: `${cls}: ${offset(a, b).slice(1)}` } });
      seg.style.left = `${((Date.parse(a) - t0) / span) * 100}%`;
      seg.style.width = `${w}%`;
      bar.appendChild(seg);
    }
  }
  const legend = h('p', { class: 'legend muted', attrs: { 'aria-hidden': 'true' } }, key('ph-boot', 'boot'), key('ph-idle', 'idle'), key('ph-work', 'transcribing'), key('ph-stop', 'stopping'));
  const table = h(
    'table',
    { class: 'timeline' },
    h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Event'), h('th', { attrs: { scope: 'col' } }, 'Time (UTC)'), h('th', { class: 'num', attrs: { scope: 'col' } }, 'After start'))),
    h('tbody', {}, ...steps.map(([label, v]) => h('tr', {}, h('td', {}, label), h('td', {}, v ? dateTime(v, true) : '—'), h('td', { class: 'num' }, offset(base, v))))),
  );
  return h('div', { class: 'timeline-box' }, bar, legend, table);
}

/** A local run: when it started and ended, and its first and last chunk; no phases bar (there is no boot or stop). */
function localTimeline(r: BatchReport): HTMLElement {
  const base = r.execution.startTime;
  const steps: Array<[string, string | null]> = [
    ['Run started', r.execution.startTime],
    ['First chunk', r.gpu.firstChunkTime],
    ['Last chunk', r.gpu.lastChunkTime],
    ['Run ended', r.execution.endTime],
  ];
  return h(
    'table',
    { class: 'timeline' },
    h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Event'), h('th', { attrs: { scope: 'col' } }, 'Time (UTC)'), h('th', { class: 'num', attrs: { scope: 'col' } }, 'After start'))),
    h('tbody', {}, ...steps.map(([label, v]) => h('tr', {}, h('td', {}, label), h('td', {}, v ? dateTime(v, true) : '—'), h('td', { class: 'num' }, offset(base, v))))),
  );
}

function key(cls: string, label: string): HTMLElement {
  return h('span', { class: 'key' }, h('span', { class: `swatch ${cls}` }), label);
}

function sessionsTable(r: BatchReport): HTMLElement {
  const sortKey = SORT_KEYS.includes(state.sortKey as SortKey) ? (state.sortKey as SortKey) : undefined;
  const initial: TableState = { filter: state.filter ?? '', sortKey, sortDesc: !!state.sortDesc };
  const key = current?.key;
  const openTranscript = key ? (s: { userId: string; sessionId: string }) => post({ type: 'openTranscript', key, userId: s.userId, sessionId: s.sessionId }) : undefined;
  return new SessionsTable(r.sessions, initial, (s) => setState({ filter: s.filter, sortKey: s.sortKey, sortDesc: s.sortDesc }), openTranscript).element;
}

function errorsList(r: BatchReport): HTMLElement {
  if (!r.errors.length) return h('p', { class: 'muted' }, 'No errors.');
  return h(
    'ul',
    { class: 'errors' },
    ...r.errors.map((e) => {
      const where = [e.userId && `user "${e.userId}"`, e.sessionId && `session "${e.sessionId}"`, e.chunk && `chunk ${e.chunk}`, e.key && `key ${e.key}`].filter(Boolean).join(', ');
      return h('li', {}, h('code', { class: 'phase-name' }, e.phase), `: ${e.message}`, where ? h('span', { class: 'muted' }, ` (${where})`) : null);
    }),
  );
}

function renderAll(): void {
  renderAlert();
  renderList();
  renderDetail();
}

/** Messages come from the extension host; still, only well-formed ones are used. */
function onMessage(data: unknown): void {
  if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
  const m = data as ToReportView;
  switch (m.type) {
    case 'init':
      reports = Array.isArray(m.reports) ? m.reports : [];
      monitoring = m.monitoring;
      current = m.selectedKey && isReport(m.report) ? { key: m.selectedKey, report: m.report } : undefined;
      loadingKey = undefined;
      errorText = undefined;
      // The host opens the newest report when the page asked for none: remember it like a click.
      if (current && state.selectedKey !== current.key) setState({ selectedKey: current.key });
      if (!current && state.selectedKey && state.selectedKey !== m.selectedKey) setState({ selectedKey: undefined });
      break;
    case 'reports':
      if (!Array.isArray(m.reports)) return;
      reports = m.reports;
      monitoring = m.monitoring;
      errorText = undefined;
      break;
    case 'report':
      if (!isReport(m.report) || typeof m.key !== 'string') return;
      if (loadingKey && loadingKey !== m.key) return; // the user has since asked for another one
      current = { key: m.key, report: m.report };
      loadingKey = undefined;
      // The host may open a report by itself (e.g. "open this session's report"): show it.
      if (state.selectedKey !== m.key || state.tab !== 'report') setState({ selectedKey: m.key, tab: 'report' });
      errorText = undefined;
      break;
    case 'error':
      errorText = typeof m.message === 'string' ? m.message : 'Unknown error';
      if (m.key && m.key === loadingKey) loadingKey = undefined;
      break;
    default:
      return;
  }
  renderAll();
}

function isReport(r: unknown): r is BatchReport {
  const o = r as BatchReport | undefined;
  return !!o && typeof o === 'object' && Array.isArray(o.sessions) && Array.isArray(o.errors) && typeof o.gpu === 'object' && typeof o.transcription === 'object';
}

mount();
renderAll();
window.addEventListener('message', (e: MessageEvent) => onMessage(e.data));
post({ type: 'ready', selectedKey: state.selectedKey });
