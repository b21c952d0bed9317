/**
 * One line of another program's JSON-lines output (the CLI's --events file, the instance script's
 * stdout) as a plain object, or undefined: anything else (text, arrays, broken JSON) is not a line
 * of the protocol. Readers then check the fields they use; nothing is cast.
 */
export function jsonObjectLine(line: string): Record<string, unknown> | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
