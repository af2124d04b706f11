#!/usr/bin/env bash
# Analytics latency at 1k and 1M submissions in local D1; see bench/analytics.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec node bench/analytics.mjs
