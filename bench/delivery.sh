#!/usr/bin/env bash
# 1,000 leads through a receiver that answers 500, then recovers; see bench/delivery.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec node bench/delivery.mjs
