//! Keeps the worker small: `edge/openapi.json` (240 KB) is served from the static assets
//! (`scripts/build-edge.sh` copies it there), and the worker embeds only what its routing
//! reads of it, each path with its methods (a 405 names the methods a path takes).

use serde_json::{Map, Value};
use std::path::Path;

fn main() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&source).expect("edge/openapi.json"))
        .expect("edge/openapi.json is JSON");
    let paths: Map<String, Value> = document["paths"]
        .as_object()
        .expect("edge/openapi.json has paths")
        .iter()
        .map(|(path, item)| {
            let methods: Map<String, Value> = item
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(key, _)| key.as_str() != "parameters")
                .map(|(method, _)| (method.clone(), Value::Object(Map::new())))
                .collect();
            (path.clone(), Value::Object(methods))
        })
        .collect();
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("openapi_paths.json");
    std::fs::write(out, serde_json::to_string(&paths).expect("paths")).expect("write openapi_paths.json");
}
