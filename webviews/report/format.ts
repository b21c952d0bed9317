/** Formats for the viewer (the page may import only types from core, so these mirror core/cost.ts). */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h ${m}m ${r}s`;
  if (m) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `$${n.toFixed(n < 1 ? 3 : 2)}`;
}

export function pct(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(n === 100 ? 0 : 1)}%`;
}

/** "2026-11-25 10:32" in UTC (reports are named in UTC); unparsable text is returned as it is. */
export function dateTime(iso: string | null | undefined, seconds = false): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = new Date(ms).toISOString().replace('T', ' ');
  return seconds ? s.slice(0, 19) : s.slice(0, 16);
}

export function day(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'unknown';
}

export function offset(fromIso: string | null, toIso: string | null): string {
  if (!fromIso || !toIso) return '';
  const d = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  return Number.isFinite(d) ? `${d < 0 ? '-' : '+'}${humanDuration(Math.abs(d))}` : '';
}
