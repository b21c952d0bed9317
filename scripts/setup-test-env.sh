#!/usr/bin/env bash
# Everything the tests need beyond `npm ci`, installed only when missing (idempotent, ~0.5 s when
# all is there): Debian packages, the moto server (python), and code-server + Chromium for the
# extension tests. Runs as root (apt-get) or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# Debian packages: ffmpeg (decode), flite (sample speech), pocketsphinx + model (local engine),
# chromium (webview + extension tests), libkrb5-dev (code-server native module), python3 (moto, remote script).
PKGS=(ffmpeg flite pocketsphinx pocketsphinx-en-us chromium libkrb5-dev python3 fonts-liberation)
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

# moto server for S3/EC2 tests (the tests start it on a free port).
if ! python3 -c 'import moto.server' 2>/dev/null; then
  log "installing moto[server] with pip"
  python3 -m pip install --quiet 'moto[server]==5.2.1' || {
    log "could not install moto: install it with: python3 -m pip install 'moto[server]'"; exit 1; }
fi
log "moto $(python3 -c 'import moto; print(moto.__version__)')"

# code-server + Node 24 + playwright-core for the extension tests in a real VS Code.
if [ -f test/vscode-host/install.sh ]; then
  bash test/vscode-host/install.sh
fi
