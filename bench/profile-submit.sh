#!/usr/bin/env bash
# Where a submit's time goes: a CPU profile of the edge's worker under load (V8's sampler
# through wrangler dev's inspector), or with PERF=1 a `perf record` of the whole runtime; with
# TARGET=floor the same of bench/rust-floor, to compare. See bench/profile-submit.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
if [[ "${TARGET:-}" == floor ]]; then
  (cd bench/rust-floor && worker-build --release >/dev/null 2>&1)
else
  bash scripts/build-edge.sh >/dev/null 2>&1
fi
# Node 20's WebSocket (the inspector's protocol) is behind a flag.
exec node --experimental-websocket bench/profile-submit.mjs
