/** The transcript format the realtime path writes (docs/TRANSCRIPT.md); batch transcripts use the same shape. */
export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  probability: number;
}

export interface TranscriptSegment {
  text: string;
  start: number;
  end: number;
  is_final: boolean;
  words: TranscriptWord[];
}

export interface Transcript {
  segments: TranscriptSegment[];
  language: string;
  language_probability: number;
  duration: number;
  /** Added by batch runs (ignored by the app): who wrote it and when. */
  batch?: { engine: string; model?: string; createdAt: string; offsetSeconds?: number; runId?: string };
}

export function transcriptText(t: Transcript): string {
  return t.segments
    .map((s) => s.text)
    .join('')
    .trim();
}
