/** GPU cost from real timestamps, and the human formats the reports use. */
export function gpuCostUsd(runtimeSeconds: number, hourlyUsd: number): number {
  return round((billedSeconds(runtimeSeconds) / 3600) * hourlyUsd, 4);
}

/** EC2 bills at least 60 s per start, then per started second; nothing when it did not run. */
export function billedSeconds(runtimeSeconds: number): number {
  if (!(runtimeSeconds > 0)) return 0;
  return Math.max(60, Math.ceil(runtimeSeconds));
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** 512 -> "8m 32s"; 3725 -> "1h 2m 5s"; 7 -> "7s". */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h ${m}m ${r}s`;
  if (m) return `${m}m ${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

export function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 3 : 2)}`;
}
