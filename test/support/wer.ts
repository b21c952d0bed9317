/**
 * Word error rate: word-level Levenshtein distance between a reference and a hypothesis, over
 * normalised words (lower case, punctuation other than apostrophes removed, pocketsphinx markers
 * such as <sil>, [NOISE] and alternates "the(2)" dropped), divided by the reference length.
 */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/<[^>]*>|\[[^\]]*\]|\(\d+\)/g, ' ')
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export interface WerResult {
  errors: number;
  refWords: number;
  wer: number;
}

export function wordErrors(reference: string, hypothesis: string): WerResult {
  const r = normaliseWords(reference);
  const h = normaliseWords(hypothesis);
  // One row of the edit-distance table at a time.
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const row = [i];
    for (let j = 1; j <= h.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  const errors = prev[h.length];
  return { errors, refWords: r.length, wer: r.length ? errors / r.length : h.length ? 1 : 0 };
}
