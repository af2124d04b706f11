#!/usr/bin/env bash
# Submit throughput and p50/p99 latency at 1, 8 and 32 clients, leadform edge vs a minimal
# JS worker (bench/baseline) and its Rust twin (bench/rust-floor) on the same runtime; see
# bench/submit.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
(cd bench/rust-floor && worker-build --release >/dev/null 2>&1)
exec node bench/submit.mjs
