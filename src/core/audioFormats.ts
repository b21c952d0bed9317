/**
 * The audio formats a chunk may be in, by extension, and the one ffmpeg demuxer allowed to read
 * each. Decoders are told the container (`-f`) and never left to probe it: probed, a chunk whose
 * bytes are an HLS playlist or an ffconcat script is read as one, and a playlist names other files
 * (ffmpeg reads them: they end up transcribed) and URLs. The instance script pins the same table
 * (FORMATS in src/core/remote/scripts/transcribe_batch.py; a unit test keeps the two equal).
 *
 * `describeBytes` says what a chunk's first bytes look like, for errors that name what was found
 * next to what was expected (never to choose a decoder: the extension does that).
 */

/** Extension (lower case, no dot) -> ffmpeg demuxer. */
export const AUDIO_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  webm: 'matroska',
  mkv: 'matroska',
  wav: 'wav',
  mp3: 'mp3',
  ogg: 'ogg',
  oga: 'ogg',
  opus: 'ogg',
  flac: 'flac',
  aac: 'aac',
  m4a: 'mov',
  mp4: 'mov',
  mov: 'mov',
  m4v: 'mov',
  avi: 'avi',
});

/** What each demuxer reads, in words. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  matroska: 'WebM/Matroska',
  wav: 'WAV',
  mp3: 'MP3',
  ogg: 'Ogg',
  flac: 'FLAC',
  aac: 'AAC (ADTS)',
  mov: 'MP4/QuickTime',
  avi: 'AVI',
};

/** The demuxer for an extension ("webm", ".WEBM"), or undefined when it is not an audio format we read. */
export function demuxerOf(ext: string): string | undefined {
  const e = ext.toLowerCase().replace(/^\./, '');
  return Object.prototype.hasOwnProperty.call(AUDIO_FORMATS, e) ? AUDIO_FORMATS[e] : undefined;
}

/** "WebM/Matroska" for "webm": the format a chunk of that extension must be in. */
export function formatNameOf(ext: string): string {
  const d = demuxerOf(ext);
  return d ? FORMAT_NAMES[d] : `".${ext.replace(/^\./, '').slice(0, 16)}"`;
}

/** The extensions we read, for messages. */
export const knownExtensions = (): string => Object.keys(AUDIO_FORMATS).sort().join(', ');

export interface FoundBytes {
  /** The demuxer that reads such bytes, when they are audio we know. */
  demuxer?: string;
  /** In words: "Ogg audio", "an HLS playlist", "text", "a WebM Cluster without the header". */
  what: string;
}

/** What the first bytes of a chunk look like, or undefined when nothing is recognised. */
export function describeBytes(b: Buffer): FoundBytes | undefined {
  if (b.length === 0) return { what: 'an empty file' };
  const ascii = (start: number, s: string) => b.length >= start + s.length && b.toString('latin1', start, start + s.length) === s;
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return { demuxer: 'matroska', what: 'WebM/Matroska (an EBML header)' };
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1f43b675) return { what: 'a WebM Cluster without the WebM header (a later chunk of a recording)' };
  if (ascii(0, 'OggS')) return { demuxer: 'ogg', what: 'Ogg audio' };
  if (ascii(0, 'fLaC')) return { demuxer: 'flac', what: 'FLAC audio' };
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return { demuxer: 'wav', what: 'WAV audio' };
  if (ascii(0, 'RIFF') && ascii(8, 'AVI ')) return { demuxer: 'avi', what: 'an AVI file' };
  if (ascii(4, 'ftyp')) return { demuxer: 'mov', what: 'MP4/QuickTime' };
  if (ascii(0, 'ID3')) return { demuxer: 'mp3', what: 'MP3 audio (an ID3 tag)' };
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0) return { demuxer: 'aac', what: 'AAC audio (ADTS)' };
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0) return { demuxer: 'mp3', what: 'MP3 audio' };
  const head = b
    .subarray(0, 64)
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  if (/^\s*#EXTM3U/.test(head)) return { what: 'an HLS playlist (#EXTM3U)' };
  if (/^\s*ffconcat/.test(head)) return { what: 'an ffconcat script' };
  if (/^[\t\n\r\x20-\x7e]+$/.test(head)) return { what: 'text' };
  return undefined;
}

/**
 * "found an HLS playlist (#EXTM3U) where WebM/Matroska was expected" when the bytes are something
 * else we can name; undefined when they look right or are not recognised (the decoder's words then).
 */
export function mismatch(b: Buffer, ext: string): string | undefined {
  const found = describeBytes(b);
  if (!found || found.demuxer === demuxerOf(ext)) return undefined;
  return `found ${found.what} where ${formatNameOf(ext)} was expected`;
}
