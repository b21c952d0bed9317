/**
 * Session ids the recording app makes (`session_2025-11-09T14_32_10_123Z`) read as a local date
 * and time; any other id is shown as it is (made plain by the caller's sink). Pure.
 */
const SESSION_TIME = /^session_(\d{4})-(\d\d)-(\d\d)T(\d\d)_(\d\d)_(\d\d)(?:_(\d{1,3}))?Z$/;

/** When the session started, if its id is the app's timestamp form. */
export function sessionTime(sessionId: string): number | undefined {
  const m = SESSION_TIME.exec(sessionId);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  const t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms ? +ms.padEnd(3, '0') : 0);
  const back = new Date(t);
  // 2025-02-30 is not a date: keep the id.
  return back.getUTCMonth() === +mo - 1 && back.getUTCDate() === +d ? t : undefined;
}

/** "Sun, 9 Nov 2025, 15:32:10" in the local zone (`locale`/`timeZone` for tests), or the id itself. */
export function sessionLabel(sessionId: string, opts: { locale?: string; timeZone?: string } = {}): string {
  const t = sessionTime(sessionId);
  if (t === undefined) return sessionId;
  return new Date(t).toLocaleString(opts.locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: opts.timeZone });
}
