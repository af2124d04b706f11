#!/usr/bin/env bash
# Every test: core logic natively, the widget in headless Chromium, then the API and the
# browser end-to-end against the real local runtime. Installs what is missing first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh

echo "== style (cargo fmt --check, cargo clippy -D warnings)"
cargo fmt --all --check
cargo clippy -p leadform-core --all-targets -- -D warnings
cargo clippy -p leadform-edge -p leadform-widget -p leadform-bench-rust-floor --target wasm32-unknown-unknown --all-targets -- -D warnings

echo "== deployable (wrangler deploy --dry-run, upload within 1 MiB gzip)"
bash scripts/check-deploy.sh

echo "== core (cargo test)"
cargo test -p leadform-core

echo "== widget (wasm-bindgen-test in headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome widget

echo "== API and end-to-end (node --test, real workerd + Chromium)"
# --test-force-exit: a test that fails half-way can leave a server of its own listening,
# which would keep its file's process (and this command) waiting for ever; --test-timeout
# bounds any one test at 10 minutes.
node --test --test-concurrency=1 --test-force-exit --test-timeout=600000 tests/*.test.mjs
