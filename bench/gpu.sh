#!/usr/bin/env bash
# Real Whisper on CUDA, for a machine with an NVIDIA GPU (a g4dn.xlarge, a workstation): both
# transcription benchmarks of `npm run bench -- --only whisper` (bench/whisperBench.ts) with a larger
# model than the CPU run's tiny.en:
#   - the product's local run (node dist/cli.js run, engine faster-whisper, device cuda) against a
#     bare faster-whisper loop over the same chunks, same model and options: ratio product/bare;
#   - BatchedInferencePipeline against WhisperModel.transcribe: real-time factors.
#
#   bash bench/gpu.sh [MODEL]        MODEL: small.en (default), large-v3, ... (from the Hugging Face hub)
#
# Needs an NVIDIA driver (nvidia-smi), Python 3.9+ with venv, Node 20+. It makes its own venv
# (WB_GPU_VENV, default ~/.cache/whisper-batch/gpu-bench-venv) from the product's pinned
# engine-requirements.txt plus the CUDA 12 cuBLAS and cuDNN 9 wheels CTranslate2 loads, downloads
# the model once before timing, and writes bench/results/gpu.json. Budget: under 5 minutes on a
# fresh machine (about 1.5 GB of wheels and 0.5 GB for small.en; large-v3 is 3 GB: use a warm venv
# and hub cache). Not run in CI, and not run where docs/PERFORMANCE.md was measured (no GPU there).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${1:-small.en}"
VENV="${WB_GPU_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/whisper-batch/gpu-bench-venv}"
log() { printf '[gpu.sh %3ds] %s\n' "$SECONDS" "$*" >&2; }

command -v nvidia-smi >/dev/null || { log "no nvidia-smi: this needs a machine with an NVIDIA GPU and its driver"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2

log "venv $VENV (engine-requirements.txt + CUDA libraries)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r src/core/remote/scripts/engine-requirements.txt \
  nvidia-cublas-cu12==12.9.3.13 nvidia-cudnn-cu12==9.28.0.42
# CTranslate2 finds cuBLAS and cuDNN through the loader path (faster-whisper's documented way for pip CUDA libraries).
LIBS="$("$VENV/bin/python" -c 'import os, nvidia.cublas.lib as b, nvidia.cudnn.lib as d; print(os.path.dirname(b.__file__) + ":" + os.path.dirname(d.__file__))')"
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$VENV/bin/python" -c 'import ctranslate2, sys; sys.exit(0 if ctranslate2.get_cuda_device_count() > 0 else "CTranslate2 sees no CUDA device")'

log "model $MODEL: download once, load on cuda float16 (not timed)"
"$VENV/bin/python" -c 'import sys, faster_whisper; faster_whisper.WhisperModel(sys.argv[1], device="cuda", compute_type="float16")' "$MODEL"

[ -d node_modules ] || { log "npm ci"; npm ci --silent; }
node esbuild.mjs >/dev/null

log "bench: product vs bare loop, batched vs plain, 4 x 7 real chunks, 3 rounds"
node dist/bench.js --only whisper --whisper-model "$MODEL" --whisper-device cuda --whisper-sessions 4 --whisper-rounds 3 \
  --python "$VENV/bin/python" --out bench/results/gpu.json
log "done in ${SECONDS} s$([ "$SECONDS" -le 300 ] || echo ' (over the 5-minute budget: a cold download? run it again warm)')"
