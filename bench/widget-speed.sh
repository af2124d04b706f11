#!/usr/bin/env bash
# How soon the widget shows: bytes per file (loader, glue, wasm), script start to bubble
# painted, script start to a form painted, against the same form as static HTML; see
# bench/widget-speed.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec node bench/widget-speed.mjs "$@"
