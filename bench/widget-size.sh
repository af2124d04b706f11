#!/usr/bin/env bash
# What a visitor downloads before the form can show: js-shim + wasm-bindgen glue + wasm,
# raw, gzip -9 and brotli -q 11. The baseline, measured in the same run, is the same wasm
# before wasm-opt; the budgets (total, and the loader alone) are in bench/budget.json, which
# tests/widget-size.test.mjs reads too. The goal is 30 KB (issue 12).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build-widget.sh
BUDGET=$(node -p 'require("./bench/budget.json").totalBrotli')
LOADER_BUDGET=$(node -p 'require("./bench/budget.json").loaderBrotli')
out=dist/public
base=$(mktemp -d)
wasm-pack build widget --target web --release --no-typescript --no-pack --out-dir "$base" --out-name baseline >/dev/null 2>&1

size() { stat -c %s "$1"; }
br() { brotli -q 11 -c "$1" | wc -c; }
gz() { gzip -9 -c "$1" | wc -c; }
printf '%-34s %10s %10s %10s\n' file raw gzip brotli
total_raw=0 total_gz=0 total_br=0
for f in "$out/leadform.js" "$out/widget/leadform_widget.js" "$out/widget/leadform_widget_bg.wasm"; do
  r=$(size "$f") g=$(gz "$f") b=$(br "$f")
  total_raw=$((total_raw + r)) total_gz=$((total_gz + g)) total_br=$((total_br + b))
  printf '%-34s %10d %10d %10d\n' "${f#$out/}" "$r" "$g" "$b"
done
printf '%-34s %10d %10d %10d\n' total "$total_raw" "$total_gz" "$total_br"
wasm_br=$(br "$out/widget/leadform_widget_bg.wasm")
base_br=$(br "$base/baseline_bg.wasm")
echo
echo "baseline: wasm before wasm-opt        $(size "$base/baseline_bg.wasm") raw, $base_br brotli"
awk -v a="$wasm_br" -v b="$base_br" 'BEGIN { printf "wasm-opt ratio (brotli, after/before)  %.2f\n", a / b }'
loader_br=$(br "$out/leadform.js")
awk -v t="$loader_br" -v B="$LOADER_BUDGET" 'BEGIN { printf "loader brotli vs its budget            %d B of %d B\n", t, B }'
awk -v t="$total_br" -v B="$BUDGET" 'BEGIN { printf "total brotli vs budget                 %.1f KB of %.0f KB = %.0f%% (goal: 30 KB)\n", t / 1024, B / 1024, 100 * t / B }'
rm -rf "$base"
[ "$loader_br" -le "$LOADER_BUDGET" ] || { echo "LOADER OVER BUDGET"; exit 1; }
[ "$total_br" -le "$BUDGET" ] || { echo "OVER BUDGET"; exit 1; }
