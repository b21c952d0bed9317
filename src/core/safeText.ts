/**
 * Untrusted text (anything that came from the bucket: user ids, session ids, keys, error text
 * that quotes them) made safe for one kind of sink. One function per sink, applied where the text
 * leaves the program, so a caller cannot forget half of it:
 *
 * - `plainText`: no character that changes how the rest of the line reads. C0/C1 controls (ESC,
 *   CSI/OSC introducers, CR, LF, TAB, BEL), DEL, bidi overrides and isolates, zero-width
 *   characters, line/paragraph separators and the BOM are written as visible `\x1b` / `\u202e`
 *   escapes. A newline in a user id therefore cannot start a forged `error:` line.
 * - `terminalText`: what a terminal or log file gets (the same, named for the sink).
 * - `uiText`: what VS Code gets (notifications, progress, tree items, status bar, quick picks).
 *   Notifications render `[text](command:...)` as a live link and several surfaces render `$(icon)`
 *   as a codicon: a zero-width space is put into `](` and `$(` so neither can form, and the text
 *   still reads the same.
 * - the HTML report escapes with `plainText` first (report/html.ts).
 */

// Kept as ranges so that the list reads as the Unicode categories it covers.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Untrusted text with every control, bidi and invisible formatting character shown as an escape. */
export function plainText(s: unknown): string {
  const str = typeof s === 'string' ? s : String(s);
  return str.replace(UNSAFE, escapeChar);
}

/** For a terminal or a log file: one line, no escape sequence, no bidi reordering. */
export function terminalText(s: unknown): string {
  return plainText(s);
}

const ZWSP = '\u200b';

/** For VS Code surfaces that render links or codicons: plain, and no `[..](..)` link or `$(icon)` can form. */
export function uiText(s: unknown): string {
  return plainText(s).replace(/\]\(/g, `]${ZWSP}(`).replace(/\$\(/g, `$${ZWSP}(`);
}

/**
 * For a multi-line message of our own that may quote untrusted text (a settings error listing
 * several problems): every line made plain, and every line after the first indented, so that no
 * line of it can pass for a line of its own (`error: ...`) at the start of a terminal line.
 */
export function terminalLines(s: unknown): string {
  const str = typeof s === 'string' ? s : String(s);
  return str
    .split('\n')
    .map((l, i) => (i === 0 || /^\s/.test(l) ? '' : '  ') + plainText(l))
    .join('\n');
}
