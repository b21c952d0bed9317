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

# code-server + Node 24 + playwright-core for the extension tests in a real VS Code.
if [ -f test/vscode-host/install.sh ]; then
  bash test/vscode-host/install.sh
fi
