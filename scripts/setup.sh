#!/usr/bin/env bash
# Installs every tool the project needs, from the package registries only (crates.io, npm,
# PyPI, Debian). Idempotent: each step checks what is there first, so a second run is quick.
# Versions are pinned here and nowhere else (npm: package-lock.json; what schemathesis pulls
# in: scripts/contract-constraints.txt); the wasm-bindgen CLI must equal Cargo.lock's.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
SCHEMATHESIS_VERSION=4.32.5 # what it pulls in: scripts/contract-constraints.txt

log() { printf '[setup] %s\n' "$*" >&2; }

have_version() { # have_version CMD EXPECTED: the command exists and prints EXPECTED in --version
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"
}

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi
# The widget's build rebuilds std for size from its sources (scripts/build-widget.sh).
if ! rustup component list --installed | grep -qx rust-src; then
  log "adding rust-src"
  rustup component add rust-src
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing Debian chromium + chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver brotli >/dev/null
fi
if ! command -v brotli >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq brotli >/dev/null
fi

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Not --locked: its lockfile pins a webpki-roots version crates.io no longer serves.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

if ! have_version worker-build "$WORKER_BUILD_VERSION"; then
  log "installing worker-build $WORKER_BUILD_VERSION (several minutes)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --force
fi

if ! have_version wasm-pack "$WASM_PACK_VERSION"; then
  log "installing wasm-pack $WASM_PACK_VERSION (a few minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi

# npm: wrangler (workerd), binaryen (wasm-opt), esbuild, playwright-core. The lockfile pins them.
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The contract test (tests/contract.test.mjs): schemathesis from PyPI in a project-local
# virtualenv, run with the edge in a network namespace of its own (unshare, ip).
if ! [ -x .venv/bin/schemathesis ] || ! cmp -s scripts/contract-constraints.txt .venv/constraints.txt \
  || ! .venv/bin/schemathesis --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    log "installing Debian python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
  fi
  log "installing schemathesis $SCHEMATHESIS_VERSION into .venv"
  python3 -m venv --clear .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" -c scripts/contract-constraints.txt
  cp scripts/contract-constraints.txt .venv/constraints.txt
fi
if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
  log "installing Debian util-linux + iproute2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq util-linux iproute2 >/dev/null
fi
log "tools ready"
