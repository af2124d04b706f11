#!/usr/bin/env bash
# Builds the widget (Rust -> wasm, optimised for size) and the js-shim into dist/public/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
out="$ROOT/dist/public"
mkdir -p "$out/widget"
# The standard library is rebuilt for size, with panics as a bare trap: the release profile
# already aborts on panic, and this also drops the panic messages, their formatting code and
# the `Location`s the prebuilt std links (about 3 KB brotli, bench/widget-size.sh). Both are
# still unstable flags; RUSTC_BOOTSTRAP lets this pinned stable toolchain take them, and
# scripts/setup.sh adds the `rust-src` they build from. Its own target directory, so the
# edge's builds (plain std) and this one do not rebuild each other.
CARGO_TARGET_DIR="$ROOT/target/widget-std" RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
  wasm-pack build "$ROOT/widget" --target web --release --no-typescript --no-pack --out-dir "$out/widget" --out-name leadform_widget \
  -- -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size >&2
# npm binaryen's wasm-opt (Debian's is too old for this output); features as rustc emits them.
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)
# Beyond -Oz (measured in bench/widget-size.sh's terms, 30 November: -530 B brotli):
# --low-memory-unused lets constant offsets fold into loads and stores, which holds for
# Rust's layout (the stack comes first and grows down to 0 from 1 MiB, data sits above it);
# --zero-filled-memory, since the module's memory is its own, not imported; --gufa and a
# second -Oz, until nothing changes.
wasm-opt "${features[@]}" -Oz --converge --low-memory-unused --zero-filled-memory --gufa -Oz --converge \
  "$out/widget/leadform_widget_bg.wasm" -o "$out/widget/leadform_widget_bg.wasm"
# Short import and export names in the wasm, and the same in its glue (the script says why).
names=$(mktemp)
wasm-opt "${features[@]}" --minify-imports-and-exports-and-modules \
  "$out/widget/leadform_widget_bg.wasm" -o "$out/widget/leadform_widget_bg.wasm" >"$names"
node "$ROOT/scripts/lib/shorten-wasm-names.mjs" "$names" "$out/widget/leadform_widget.js"
rm -f "$names"
rm -f "$out/widget/.gitignore"
# Minify the wasm-bindgen glue in place (an ES module, loaded by the shim with import()).
esbuild "$out/widget/leadform_widget.js" --minify --format=esm --target=es2020 --allow-overwrite \
  --outfile="$out/widget/leadform_widget.js" --log-level=warning
esbuild "$ROOT/js-shim/leadform.js" --minify --target=es2020 --outfile="$out/leadform.js" --log-level=warning
cp "$ROOT/js-shim/_headers" "$out/_headers"
