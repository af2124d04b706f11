#!/usr/bin/env bash
# What a visitor downloads before the form can show: js-shim + wasm-bindgen glue + wasm,
# raw, gzip -9 and brotli -q 11. The baseline, measured in the same run, is the same wasm
# before wasm-opt; the budget is 60 KB brotli in total (issue 2).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
bash scripts/build-widget.sh
BUDGET=$((60 * 1024))
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
awk -v t="$total_br" -v B="$BUDGET" 'BEGIN { printf "total brotli vs 60 KB budget           %.1f KB = %.0f%% of budget\n", t / 1024, 100 * t / B }'
rm -rf "$base"
[ "$total_br" -le "$BUDGET" ] || { echo "OVER BUDGET"; exit 1; }
