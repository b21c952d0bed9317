/**
 * The static HTML report: one self-contained page (inline CSS, no script, no external resource)
 * written next to the JSON report. Every value from the report goes through the `html` tag below,
 * which escapes it: session ids and error messages are user text.
 */
import { createHash } from 'node:crypto';
import { humanDuration, usd } from '../cost';
import { plainText } from '../safeText';
import { timelineSteps, type BatchReport, type ReportError, type ReportInvalidTranscript, type ReportQuarantined, type ReportSession } from './model';
import { describeOrigin } from '../runOrigin';

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** HTML-escaped, and no control or bidi character (core/safeText) can reorder or hide what the page shows. */
export function escapeHtml(value: unknown): string {
  return plainText(String(value ?? '')).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

type Part = SafeHtml | string | number | boolean | null | undefined | Part[];

function render(v: Part): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(v);
}

/** Tagged template: the literal parts are trusted, every interpolation is escaped. */
function html(strings: TemplateStringsArray, ...values: Part[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

const CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --skip: #59636e; --accent: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23;
    --ok: #3fb950; --warn: #d29922; --bad: #f85149; --skip: #9198a1; --accent: #4493f8; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 0; }
.card dt { color: var(--muted); font-size: 12px; }
.card dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; text-transform: uppercase; letter-spacing: .03em; }
.s-success { color: var(--ok); } .s-partial, .s-cancelled { color: var(--warn); }
.s-failed { color: var(--bad); } .s-skipped { color: var(--skip); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { overflow-wrap: anywhere; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.timeline td:first-child { width: 40%; }
.empty { color: var(--muted); font-style: italic; }
ul.errors { padding-left: 18px; } ul.errors li { margin: 4px 0; overflow-wrap: anywhere; }
.phase { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--bad); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
`;

/** The page's only style is allowed by its hash, so the CSP can forbid everything else (no script at all). */
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');

export function renderReportHtml(report: BatchReport): string {
  const r = report;
  const t = r.transcription;
  const title = `Batch report ${r.reportId}`;
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<style>${new SafeHtml(CSS)}</style>
</head>
<body>
<main>
<h1>${title} ${statusBadge(r.status)}</h1>
<p class="sub">${r.store} · started ${when(r.execution.startTime)} · run ${r.runId}${r.cancelled ? ' · cancelled' : ''}</p>
${r.status === 'skipped' ? html`<p>Nothing was pending: the GPU host was not touched.</p>` : ''}

<h2>Summary</h2>
<dl class="cards">
${card('Status', statusBadge(r.status))}
${card('Duration', r.execution.durationHuman || humanDuration(r.execution.durationSeconds))}
${card('Chunks transcribed', `${t.chunksTranscribed} of ${t.chunksFound}`)}
${card('Chunks failed', t.chunksFailed)}
${card('Success rate', pct(t.successRate))}
${card('Audio', humanDuration(t.audioSeconds))}
${card('Engine', t.model ? `${t.engine} (${t.model})` : t.engine)}
${card(r.gpu.host === 'ec2' ? 'GPU host' : 'Host', r.gpu.host === 'ec2' ? 'ec2' : 'this machine', r.gpu.instanceId)}
${card('Host start', hostStart(r))}
${card(r.gpu.host === 'ec2' ? 'GPU runtime' : 'Host runtime', r.gpu.runtimeHuman || humanDuration(r.gpu.runtimeSeconds))}
${r.gpu.host === 'ec2' ? html`${card('Cost', usd(r.gpu.costUSD), `at ${usd(r.gpu.hourlyUsd)} per hour`)}${card('Cost per audio hour', t.costPerAudioHourUSD === null ? '—' : usd(t.costPerAudioHourUSD))}` : ''}
${card('Started by', r.origin ? describeOrigin(r.origin) : 'not recorded')}
</dl>

${analyticsSection(r)}

<h2>${r.gpu.host === 'ec2' ? 'GPU timeline' : 'Host timeline'}</h2>
${timeline(r)}
${liveLockNote(r)}

<h2>Scan</h2>
<dl class="cards">
${card('Sessions', r.scanning.totalSessions)}
${card('With missing chunks', r.scanning.sessionsWithMissingChunks)}
${card('Deferred', r.scanning.deferredSessions)}
${card('Missing chunks', r.scanning.totalMissingChunks)}
${card('Quarantined chunks', (r.quarantine ?? []).length)}
${card('Invalid transcripts', (r.invalidTranscripts ?? []).length)}
${card('Keys listed', r.scanning.keysListed)}
${card('Scan time', `${(r.scanning.durationMs / 1000).toFixed(1)} s`)}
</dl>

<h2>Sessions (${r.sessions.length})</h2>
${sessionsTable(r.sessions)}

${quarantineTable(r.quarantine ?? [])}
${invalidTranscriptsTable(r.invalidTranscripts ?? [])}
<h2>Errors (${r.errors.length})</h2>
${errorsList(r.errors)}

<footer>Report ${r.reportId} · written ${when(r.timestamp)}${r.nextScheduledRun ? html` · next scheduled run ${when(r.nextScheduledRun)}` : ''}</footer>
</main>
</body>
</html>
`;
  return page.value;
}

function card(label: string, value: Part, sub?: string): SafeHtml {
  return html`<div class="card"><dt>${label}</dt><dd>${value}${sub ? html`<small>${sub}</small>` : ''}</dd></div>`;
}

function statusBadge(status: string): SafeHtml {
  // The class is built from a known set only; anything else gets no status colour.
  const known = ['success', 'partial', 'failed', 'skipped', 'cancelled'].includes(status) ? status : 'unknown';
  return html`<span class="status s-${known}">${status}</span>`;
}

function hostStart(r: BatchReport): string {
  if (r.gpu.started) return 'started by this run';
  if (r.gpu.alreadyRunning) return 'already running, left running';
  return 'not started';
}

/** What the stop did about a live recording on the GPU (batch-lock.json). */
function liveLockNote(r: BatchReport): SafeHtml | string {
  const l = r.gpu.liveLock;
  if (!l) return '';
  const who = `${l.key}${l.holder ? ` (held by ${l.holder}${l.since ? ` since ${l.since}` : ''})` : ''}`;
  return l.outcome === 'cleared'
    ? html`<p class="live-lock">A live recording held the GPU when this run finished: ${who}. The run waited ${humanDuration(l.waitedSeconds)} until it ended, then stopped the GPU.</p>`
    : html`<p class="live-lock warn">A live recording still held the GPU after ${humanDuration(l.waitedSeconds)}: ${who}. The run stopped the GPU at its limit (host.liveLockWaitMinutes / host.maxRuntimeMinutes) rather than leave it running.</p>`;
}

function timeline(r: BatchReport): SafeHtml {
  const g = r.gpu;
  const base = Date.parse(g.startTime ?? r.execution.startTime);
  const rows = timelineSteps(g);
  if (rows.every(([, v]) => !v)) return html`<p class="empty">The host was not used in this run.</p>`;
  return html`<table class="timeline"><thead><tr><th scope="col">Event</th><th scope="col">Time (UTC)</th><th scope="col" class="num">After start</th></tr></thead><tbody>
${rows.map(([label, v]) => html`<tr><td>${label}</td><td>${v ? when(v) : '—'}</td><td class="num">${v && Number.isFinite(base) ? offset(Date.parse(v) - base) : ''}</td></tr>\n`)}
</tbody></table>`;
}

/** Time per chunk, real-time factor and, on the GPU only, the cost per audio hour beside the managed service. */
function analyticsSection(r: BatchReport): SafeHtml | string {
  const a = r.analytics;
  if (!a || a.chunkSeconds.count === 0) return '';
  const secs = (n: number | null) => (n === null ? '—' : `${n < 10 ? n.toFixed(2) : n.toFixed(1)} s`);
  const rtf = a.realtimeFactor;
  return html`<h2>Analytics</h2>
<dl class="cards">
${card('Time per chunk (mean)', secs(a.chunkSeconds.mean), `${a.chunkSeconds.count} chunks`)}
${card('Time per chunk (p95)', secs(a.chunkSeconds.p95))}
${card('Real-time factor', rtf === null ? '—' : `${rtf.toFixed(3)}x`, rtf === null || rtf <= 0 ? undefined : `1 min of audio in ${humanDuration(60 * rtf)}`)}
${
  a.cost
    ? html`${card('GPU cost per audio hour', a.cost.gpuPerAudioHourUSD === null ? '—' : usd(a.cost.gpuPerAudioHourUSD), 'boot and idle included')}${card(
        `${a.cost.managedName} per audio hour`,
        usd(a.cost.managedPerAudioHourUSD),
        `${usd(a.cost.managedForThisRunUSD)} for this run's audio`,
      )}`
    : ''
}
</dl>`;
}

function sessionsTable(sessions: ReportSession[]): SafeHtml {
  if (sessions.length === 0) return html`<p class="empty">No session was processed.</p>`;
  return html`<table><thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Status</th>
<th scope="col" class="num">Chunks</th><th scope="col" class="num">Failed</th><th scope="col">Failed chunks</th>
<th scope="col" class="num">Audio</th><th scope="col" class="num">Time</th><th scope="col" class="num">Success</th></tr></thead><tbody>
${sessions.map(
  (s) => html`<tr><td class="id">${s.sessionId}</td><td class="id">${s.userId}</td><td>${statusBadge(s.status)}</td>
<td class="num">${s.chunksProcessed}</td><td class="num">${s.chunksFailed}</td><td class="id">${s.failedChunks.join(', ')}</td>
<td class="num">${humanDuration(s.audioSeconds)}</td><td class="num">${s.duration || humanDuration(s.durationSeconds)}</td><td class="num">${s.successRate === undefined ? '—' : pct(s.successRate)}</td></tr>\n`,
)}</tbody></table>`;
}

/** Transcript objects that are not transcripts: kept, counted as done; named with what to do. */
function invalidTranscriptsTable(rows: ReportInvalidTranscript[]): SafeHtml | string {
  if (rows.length === 0) return '';
  return html`<h2>Invalid transcripts (${rows.length})</h2>
<p>These transcript objects exist but are not transcripts, so their chunks count as transcribed. They are never overwritten. Delete one to have its chunk transcribed again by the next run, or replace it with a valid transcript.</p>
<table><thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col" class="num">Chunk</th><th scope="col">Problem</th><th scope="col">Key</th></tr></thead><tbody>
${rows.map((t) => html`<tr><td class="id">${t.sessionId}</td><td class="id">${t.userId}</td><td class="num">${t.chunk}</td><td>${t.problem}</td><td class="id">${t.key}</td></tr>\n`)}</tbody></table>`;
}

/** Poison chunks: left out of the work until released (quarantine.ts). Nothing at all when there are none. */
function quarantineTable(rows: ReportQuarantined[]): SafeHtml | string {
  if (rows.length === 0) return '';
  return html`<h2>Quarantined chunks (${rows.length})</h2>
<p>These chunks failed run after run because of their own bytes (not decodable, too large). Runs leave them out, so they start no GPU. Fix or replace the audio, then release them with <code>whisper-batch release &lt;user&gt; &lt;session&gt; [chunk]</code> (or <code>--all</code>).</p>
<table><thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col" class="num">Chunk</th><th scope="col" class="num">Failed runs</th><th scope="col">Last error</th><th scope="col">Since</th></tr></thead><tbody>
${rows.map(
  (q) =>
    html`<tr><td class="id">${q.sessionId}</td><td class="id">${q.userId}</td><td class="num">${q.chunk}</td><td class="num">${q.failures}</td><td>${q.lastError ?? '—'}</td><td>${q.newInThisRun ? 'this run' : q.lastFailedAt ? when(q.lastFailedAt) : '—'}</td></tr>\n`,
)}</tbody></table>`;
}

function errorsList(errors: ReportError[]): SafeHtml {
  if (errors.length === 0) return html`<p class="empty">No errors.</p>`;
  return html`<ul class="errors">${errors.map((e) => {
    const where = [e.userId && `user "${e.userId}"`, e.sessionId && `session "${e.sessionId}"`, e.chunk && `chunk ${e.chunk}`, e.key && `key ${e.key}`].filter(Boolean).join(', ');
    return html`<li><span class="phase">${e.phase}</span>: ${e.message}${where ? ` (${where})` : ''}</li>\n`;
  })}</ul>`;
}

/** ISO time as "2026-11-25 10:32:05 UTC"; unparsable text is shown as it is (escaped by the caller). */
function when(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

function offset(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  return `${ms < 0 ? '-' : '+'}${humanDuration(Math.abs(ms) / 1000)}`;
}

function pct(rate: number): string {
  // successRate is a percentage (0-100) in the seed report.
  return Number.isFinite(rate) ? `${rate.toFixed(1)}%` : '—';
}
