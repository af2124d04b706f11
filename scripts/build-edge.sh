#!/usr/bin/env bash
# Builds the worker (Rust -> wasm + JS shim) into edge/build/, and puts the dashboard's
# static files (its stylesheet, htmx from npm) and the API's description beside the widget
# in dist/public/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
assets="$ROOT/dist/public/dashboard/assets"
mkdir -p "$assets"
cp "$ROOT/edge/dashboard-assets/app.css" "$assets/app.css"
cp "$ROOT/node_modules/htmx.org/dist/htmx.min.js" "$assets/htmx.min.js"
# The API's description, served from the assets (the worker embeds only its paths: edge/build.rs).
cp "$ROOT/edge/openapi.json" "$ROOT/dist/public/openapi.json"
[ "${LEADFORM_PREBUILT:-}" = 1 ] && exit 0
cd "$ROOT/edge"
worker-build --release
