//! `GET /openapi.json`: the OpenAPI 3.1 description of every endpoint (`edge/openapi.json`,
//! written by hand; `tests/contract.test.mjs` checks the edge against it with schemathesis).

use crate::error::{ApiError, ApiResult};
use worker::{Method, Response};

const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn get() -> ApiResult<Response> {
    let response = Response::ok(DOCUMENT)?;
    response.headers().set("Content-Type", "application/json")?;
    Ok(response)
}

/// The answer to a request no route takes: a 405 naming the methods the document lists for
/// the path, when it lists the path at all; else a 404.
pub fn no_route(method: &Method, path: &str) -> ApiError {
    let paths = serde_json::from_str::<serde_json::Value>(DOCUMENT)
        .ok()
        .and_then(|doc| doc.get("paths").and_then(|p| p.as_object()).cloned())
        .unwrap_or_default();
    let allowed = leadform_core::wire::documented_methods(&paths, path);
    if allowed.is_empty() || allowed.iter().any(|m| m == method.as_ref()) {
        return ApiError::not_found("route", format!("{method:?} {path}"));
    }
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        allow: allowed.join(", "),
    }
}
