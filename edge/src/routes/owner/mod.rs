//! The owner API under `/v1`, behind `Authorization: Bearer <LEADFORM_API_KEY>`.

mod agents;
mod deliveries;
mod submissions;
mod tools;

use crate::config;
use crate::error::{ApiError, ApiResult};
use leadform_core::validate::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use worker::{Env, Method, Request, Response};

pub async fn handle(req: Request, env: &Env, method: Method, path: &[&str]) -> ApiResult<Response> {
    authorize(&req, env)?;
    match (method, path) {
        (Method::Post, ["agents"]) => agents::create(req, env).await,
        (Method::Get, ["agents", id]) => agents::get(env, id).await,
        (Method::Patch, ["agents", id]) => agents::update(req, env, id).await,
        (Method::Get, ["agents", id, "tools"]) => tools::list(env, id).await,
        (Method::Post, ["agents", id, "tools"]) => tools::create(req, env, id).await,
        (Method::Get, ["tools", id]) => tools::get(env, id).await,
        (Method::Patch, ["tools", id]) => tools::update(req, env, id).await,
        (Method::Get, ["submissions", id]) => submissions::get(&req, env, id).await,
        (Method::Get, ["submissions", id, "deliveries"]) => deliveries::list(env, id).await,
        (Method::Post, ["deliveries", id, "replay"]) => deliveries::replay_one(env, id).await,
        (Method::Post, ["agents", id, "deliveries", "replay"]) => {
            deliveries::replay_failed(req, env, id).await
        }
        (Method::Get, ["agents", id, "dead-letters"]) => deliveries::dead_letters(&req, env, id).await,
        (method, _) => Err(ApiError::not_found(
            "route",
            format!("{method:?} /v1/{}", path.join("/")),
        )),
    }
}

pub(super) fn authorize(req: &Request, env: &Env) -> ApiResult<()> {
    let expected = config::api_key(env).ok_or(ApiError::Unauthorized)?;
    let given = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let token = given.strip_prefix("Bearer ").unwrap_or("");
    if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Compares keys without leaking, through timing, how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads an owner DTO; the error names the field at fault by its path (`fields[0].type`).
fn parse<T: DeserializeOwned>(value: Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let message = e.inner().to_string();
        // "missing field `name`" is reported at the parent: name the missing field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (e.path().to_string().as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (".", None) => "body".to_string(),
            (path, Some(name)) => format!("{path}.{name}"),
            (path, None) => path.to_string(),
        };
        ApiError::InvalidField(FieldError::new(field, message))
    })
}

/// A `PATCH`: the stored resource with the body's keys laid over it.
fn merge<T: Serialize + DeserializeOwned>(current: &T, patch: Value) -> ApiResult<T> {
    let Value::Object(changes) = patch else {
        return Err(FieldError::new("body", "must be a JSON object").into());
    };
    let mut merged = serde_json::to_value(current)?;
    if let Value::Object(fields) = &mut merged {
        fields.extend(changes);
    }
    parse(merged)
}
