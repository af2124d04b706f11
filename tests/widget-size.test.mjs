// What a visitor downloads for the widget, from the built files in dist/public: the loader
// (the one <script> tag) within 2 KB brotli, and loader + wasm-bindgen glue + wasm within
// the budget of bench/budget.json (the one place it is written; bench/widget-size.sh reads
// it too). Brotli at quality 11, as bench/widget-size.sh measures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { brotliCompressSync, constants } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUDGET = JSON.parse(await readFile(path.join(ROOT, "bench/budget.json"), "utf8"));
const FILES = ["leadform.js", "widget/leadform_widget.js", "widget/leadform_widget_bg.wasm"];

const brotli = (bytes) =>
  brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;

const sizes = Object.fromEntries(
  await Promise.all(FILES.map(async (f) => [f, brotli(await readFile(path.join(ROOT, "dist/public", f)))]))
);

test(`the loader is at most ${BUDGET.loaderBrotli} B brotli`, () => {
  assert.ok(sizes["leadform.js"] <= BUDGET.loaderBrotli, `leadform.js is ${sizes["leadform.js"]} B brotli`);
});

test(`loader + glue + wasm are at most ${BUDGET.totalBrotli} B brotli (the goal is 30 KB)`, () => {
  const total = FILES.reduce((sum, f) => sum + sizes[f], 0);
  assert.ok(total <= BUDGET.totalBrotli, `${total} B brotli: ${JSON.stringify(sizes)}`);
});
