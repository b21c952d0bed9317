/**
 * S3's key order is UTF-8 byte order; JavaScript compares UTF-16 code units. The two agree except
 * where a surrogate pair (U+10000 and up) meets a character in U+E000..U+FFFF, so range bounds of a
 * split listing are compared here, never with `<`.
 */

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  return rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
}

// Surrogates (D800-DFFF) move above E000-FFFF: code point order, which is UTF-8 byte order.
const rank = (c: number) => (c < 0xd800 ? c : c < 0xe000 ? c + 0x2000 : c - 0x800);

/**
 * A StartAfter for a listing that must begin at `from` (inclusive): `from` with its last character
 * lowered, then the highest code point. It sorts before `from` and after nearly every key before
 * it; the lister drops keys below `from`, so what slips in between costs a few keys, never a wrong
 * answer. undefined: start at the prefix.
 */
export function startAfterFor(from: string): string | undefined {
  if (!from) return undefined;
  const last = from.charCodeAt(from.length - 1);
  // A NUL or half a surrogate pair cannot be lowered into a valid string: drop it (more keys filtered).
  if (last === 0 || (last >= 0xd800 && last <= 0xe000)) return from.slice(0, -1) || undefined;
  return from.slice(0, -1) + String.fromCharCode(last - 1) + '\u{10FFFF}';
}
