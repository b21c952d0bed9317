/** How a trend chart draws its values (pure: unit-tested without a browser). */

export function chartShape(points: number, kind: 'runs' | 'days') {
  const single = points === 1;
  return {
    single,
    // One run is a point, not a bar across the whole chart; a few runs keep bars of a sane width.
    bar: single ? { type: 'line' as const, showLine: false, pointRadius: 5, pointStyle: 'rectRot' } : { type: 'bar' as const, maxBarThickness: 48 },
    // Straight segments (tension 0, no cubic interpolation): a smoothed line invents values between runs.
    line: { type: 'line' as const, tension: 0, pointRadius: single ? 5 : kind === 'runs' ? 2 : 3 },
  };
}
