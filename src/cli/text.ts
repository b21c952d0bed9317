/** Words and tables for the CLI's human output (stdout). */
import type { ReportError } from '../core/report/model';

/** Errors by session, then chunk number (chunk "10" after "9"), as people look for them. */
export function sortedErrors(errors: ReportError[]): ReportError[] {
  return [...errors].sort((a, b) => (a.sessionId ?? '').localeCompare(b.sessionId ?? '') || parseInt(a.chunk ?? '0', 10) - parseInt(b.chunk ?? '0', 10));
}

/** "1 session", "4 sessions"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 minute", "12 minutes", "1 h 5 min": whole minutes (at least 1 when there is any time). */
export function minutes(seconds: number): string {
  const m = seconds > 0 ? Math.max(1, Math.round(seconds / 60)) : 0;
  return m < 60 ? plural(m, 'minute') : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** Chunk numbers as ranges: ["001","002","003","007"] -> "001-003, 007". */
export function chunkRanges(chunks: string[]): string {
  const nums = chunks.map((c) => ({ c, n: parseInt(c, 10) })).sort((a, b) => a.n - b.n);
  const out: string[] = [];
  for (let i = 0; i < nums.length;) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1].n === nums[j].n + 1) j++;
    out.push(j > i ? `${nums[i].c}-${nums[j].c}` : nums[i].c);
    i = j + 1;
  }
  return out.join(', ');
}

/** Left-aligned columns (right-aligned where `right[i]`), two spaces apart; cells longer than `max` are cut with "...". */
export function table(rows: string[][], o: { right?: boolean[]; max?: number } = {}): string[] {
  const max = o.max ?? 60;
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max - 3)}...` : s);
  const cells = rows.map((r) => r.map(cut));
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length))) ?? [];
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 && !o.right?.[i] ? c : o.right?.[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
}

/** The candidates closest to `wanted` (a typo, a prefix, another case), best first. */
export function closest(wanted: string, candidates: string[], n = 3): string[] {
  const w = wanted.toLowerCase();
  const score = (c: string) => {
    const l = c.toLowerCase();
    if (l === w) return 0;
    if (l.includes(w) || w.includes(l)) return 1 + Math.abs(l.length - w.length) / 1000;
    return 2 + editDistance(w, l);
  };
  return [...new Set(candidates)]
    .map((c) => ({ c, s: score(c) }))
    .sort((a, b) => a.s - b.s || (a.c < b.c ? -1 : 1))
    .slice(0, n)
    .map((x) => x.c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
