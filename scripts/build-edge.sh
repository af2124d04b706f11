#!/usr/bin/env bash
# Builds the worker (Rust -> wasm + JS shim) into edge/build/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ "${LEADFORM_PREBUILT:-}" = 1 ] && exit 0
cd "$ROOT/edge"
worker-build --release
