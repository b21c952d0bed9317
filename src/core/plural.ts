/** Counted nouns as words: "1 session", "2 chunks", never "session(s)". Pure (extension, webviews, CLI). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
