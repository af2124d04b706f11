use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::storage::{deliveries, submissions};
use serde_json::json;
use worker::{Env, Response};

/// A submission with its deliveries and every attempt of each.
pub async fn get(env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let submission = submissions::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", id))?;
    let mut log = Vec::new();
    for delivery in deliveries::for_submission(&db, id).await? {
        let attempts = deliveries::attempts(&db, &delivery.id).await?;
        log.push(json!({ "delivery": delivery, "attempts": attempts }));
    }
    json(&json!({ "submission": submission, "deliveries": log }), 200)
}
