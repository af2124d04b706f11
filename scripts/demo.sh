#!/usr/bin/env bash
# The whole demo on this machine: installs what is missing, builds widget and edge,
# migrates and seeds local D1, serves the edge (127.0.0.1:8787) and the demo page
# (127.0.0.1:8080), and prints the URLs. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh
if [ ! -f .dev.vars ]; then
  # Local owner secrets; git-ignored. Loopback webhooks are allowed for the demo inbox.
  printf 'LEADFORM_API_KEY=%s\nALLOW_LOOPBACK_WEBHOOKS=true\n' "$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')" > .dev.vars
  echo "[demo] wrote .dev.vars with a new LEADFORM_API_KEY" >&2
fi
if ! grep -q '^LEADFORM_ADMIN_EMAIL=' .dev.vars; then
  # The dashboard's first admin: created on their first sign-in with these.
  printf 'LEADFORM_ADMIN_EMAIL=owner@example.com\nLEADFORM_ADMIN_PASSWORD=%s\n' "$(node -e 'console.log(require("crypto").randomBytes(12).toString("base64url"))')" >> .dev.vars
  echo "[demo] added the dashboard's first admin to .dev.vars" >&2
fi
wrangler d1 migrations apply DB --local >&2
exec node demo-site/run.mjs
