// Gives the widget's wasm imports and exports short names, in the wasm and in its glue.
//
// wasm-bindgen names each import after its JS call plus a 16-digit hash
// (`__wbg_setAttribute_2704501201f15687`) and keeps them under the module
// "./leadform_widget_bg.js". The ~170 names are written twice (the wasm's import section and
// the glue's import object), and the hashes do not compress: about 3 KB of brotli that
// carries nothing. binaryen's `--minify-imports-and-exports-and-modules` renames them in the
// wasm and prints the mapping; this script applies the same mapping to the glue, before
// esbuild minifies it. It fails the build if a name from the mapping is not found in the
// glue, so a wasm-bindgen change cannot give a glue that no longer links.
//
// usage: node shorten-wasm-names.mjs <mapping.json> <glue.js>
import { readFileSync, writeFileSync } from "node:fs";

const [mappingFile, glueFile] = process.argv.slice(2);
const mapping = JSON.parse(readFileSync(mappingFile, "utf8"));
let glue = readFileSync(glueFile, "utf8");

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const replaceAll = (pattern, to, what) => {
  const before = glue;
  glue = glue.replace(pattern, to);
  if (glue === before) throw new Error(`shorten-wasm-names: ${what} not found in ${glueFile}`);
};

// Imports: the glue names each one once, as a key of its import object. The hashed names
// are unique words, so a whole-word replace touches nothing else.
const modules = new Set();
for (const [module, name, short] of mapping.imports) {
  replaceAll(new RegExp(`\\b${escape(name)}(?=\\s*:)`, "g"), JSON.stringify(short), `import ${name}`);
  modules.add(module);
}
// binaryen gives every module the name "a" (the glue has one import object per module).
if (modules.size !== 1) throw new Error(`shorten-wasm-names: expected one import module, got ${[...modules]}`);
for (const module of modules) {
  replaceAll(new RegExp(`(["'])${escape(module)}\\1\\s*:`, "g"), '"a":', `module ${module}`);
}

// Exports: the glue reads the ones it uses as properties of `wasm` (instance.exports);
// some (`__abort_handler`) it never reads.
for (const [name, short] of mapping.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, "g"), `wasm[${JSON.stringify(short)}]`);
}
// What would break silently: a hashed name or an export the glue still reads by its old name.
const left = [...mapping.imports.map(([, name]) => name), ...mapping.exports.map(([name]) => `wasm.${name}`)]
  .filter((name) => new RegExp(`\\b${escape(name)}\\b`).test(glue) && (name.startsWith("wasm.") || /_[0-9a-f]{16}$/.test(name)));
if (left.length) throw new Error(`shorten-wasm-names: still named in the glue: ${left.join(", ")}`);

writeFileSync(glueFile, glue);
