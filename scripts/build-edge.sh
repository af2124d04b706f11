#!/usr/bin/env bash
# Builds the worker (Rust -> wasm + JS shim) into edge/build/, and puts the dashboard's
# static files (its stylesheet, htmx from npm) beside the widget in dist/public/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
assets="$ROOT/dist/public/dashboard/assets"
mkdir -p "$assets"
cp "$ROOT/edge/dashboard-assets/app.css" "$assets/app.css"
cp "$ROOT/node_modules/htmx.org/dist/htmx.min.js" "$assets/htmx.min.js"
[ "${LEADFORM_PREBUILT:-}" = 1 ] && exit 0
cd "$ROOT/edge"
worker-build --release
