//! `GET /openapi.json`: the OpenAPI 3.1 description of every endpoint (`edge/openapi.json`,
//! written by hand; `tests/contract.test.mjs` checks the edge against it with schemathesis).

use crate::error::ApiResult;
use worker::Response;

const DOCUMENT: &str = include_str!("../../openapi.json");

pub fn get() -> ApiResult<Response> {
    let response = Response::ok(DOCUMENT)?;
    response.headers().set("Content-Type", "application/json")?;
    Ok(response)
}
