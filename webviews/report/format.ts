/** Formats for the viewer: the same durations and amounts as the CLI and the HTML report (core/cost.ts, pure). */
import { humanDuration as coreDuration, usd as coreUsd } from '../../src/core/cost';

export function humanDuration(seconds: number): string {
  return coreDuration(seconds || 0);
}

/** A missing amount shows as a dash in the viewer's tables. */
export function usd(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : coreUsd(n);
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
