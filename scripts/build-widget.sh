#!/usr/bin/env bash
# Builds the widget (Rust -> wasm, optimised for size) and the js-shim into dist/public/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
out="$ROOT/dist/public"
mkdir -p "$out/widget"
wasm-pack build "$ROOT/widget" --target web --release --no-typescript --no-pack --out-dir "$out/widget" --out-name leadform_widget >&2
# npm binaryen's wasm-opt (Debian's is too old for this output); features as rustc emits them.
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$out/widget/leadform_widget_bg.wasm" -o "$out/widget/leadform_widget_bg.wasm"
rm -f "$out/widget/.gitignore"
# Minify the wasm-bindgen glue in place (an ES module, loaded by the shim with import()).
esbuild "$out/widget/leadform_widget.js" --minify --format=esm --target=es2020 --allow-overwrite \
  --outfile="$out/widget/leadform_widget.js" --log-level=warning
esbuild "$ROOT/js-shim/leadform.js" --minify --target=es2020 --outfile="$out/leadform.js" --log-level=warning
cp "$ROOT/js-shim/_headers" "$out/_headers"
