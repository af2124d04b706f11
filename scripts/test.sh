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

echo "== API and end-to-end (node:test, real workerd + Chromium)"
# One node process per file, each running its own tests (no `node --test` parent): Node
# 20's runner can spin for ever on the last bytes a file's process sends it
# (nodejs/node#62693), and did, twice, after tests/config.test.mjs. --test-force-exit: a
# test that fails half-way can leave a server of its own listening, which would keep its
# file's process waiting; `timeout` bounds a whole file at 20 minutes.
failed=()
for file in tests/*.test.mjs; do
  echo "== $file"
  timeout -k 10 1200 node --test-force-exit "$file" || failed+=("$file")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
