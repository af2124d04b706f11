//! `GET /openapi.json`: the OpenAPI 3.1 description of every endpoint (`edge/openapi.json`,
//! written by hand; `tests/contract.test.mjs` checks the edge against it with schemathesis).
//! The document is a static asset (`scripts/build-edge.sh` copies it; the worker answers
//! first, `run_worker_first`, so a misconfigured edge says so here too); the worker embeds
//! only its paths and their methods (`build.rs`), which routing reads.

use crate::error::{ApiError, ApiResult};
use serde_json::{Map, Value};
use std::cell::OnceCell;
use worker::{Env, Request, Response};

/// Each path of the document with its methods (`{"/v1/agents": {"get": {}, "post": {}}}`).
const PATHS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi_paths.json"));

pub async fn get(req: Request, env: &Env) -> ApiResult<Response> {
    Ok(env.assets(crate::bindings::ASSETS)?.fetch_request(req).await?)
}

thread_local! {
    /// The document's `paths`, read once per isolate (a 405 needs them; a flood of odd
    /// methods must not parse the document each time).
    static PATHS: OnceCell<Map<String, Value>> = const { OnceCell::new() };
}

/// The methods the edge routes at all; any other (`QUERY`, `PROPFIND`, ...) is answered by
/// [`no_route`], never handled as the runtime's stand-in for it (worker-rs reads an unknown
/// method as GET).
pub const ROUTED_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The answer to a request no route takes: a 405 naming the methods the document lists for
/// the path, when it lists the path at all; else a 404.
pub fn no_route(method: &str, path: &str) -> ApiError {
    let allowed = PATHS.with(|paths| {
        let paths =
            paths.get_or_init(|| serde_json::from_str::<Map<String, Value>>(PATHS_JSON).unwrap_or_default());
        leadform_core::wire::documented_methods(paths, path)
    });
    // A path that takes GET takes HEAD too (`routes::handle`), though the document lists GET.
    let allowed: Vec<String> = allowed
        .into_iter()
        .flat_map(|m| match m.as_str() {
            "GET" => vec![m, "HEAD".to_string()],
            _ => vec![m],
        })
        .collect();
    if allowed.is_empty() || allowed.iter().any(|m| m == method) {
        return ApiError::not_found("route", format!("{method} {path}"));
    }
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        allow: allowed.join(", "),
    }
}
