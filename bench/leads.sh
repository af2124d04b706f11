#!/usr/bin/env bash
# The Leads API at 1,000 and 100,000 leads in local D1: list, deep page, search, CSV export
# and workerd's memory while exporting; see bench/leads.mjs.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
exec node bench/leads.mjs
