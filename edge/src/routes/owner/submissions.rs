use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::storage::files::Links;
use crate::storage::{deliveries, submissions};
use serde_json::json;
use worker::{Env, Request, Response};

/// A submission with its deliveries and every attempt of each.
pub async fn get(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let mut submission = submissions::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", id))?;
    submission.form_data = Links::new(env, request_origin(req)).show(&submission.form_data);
    let mut log = Vec::new();
    for delivery in deliveries::for_submission(&db, id).await? {
        let attempts = deliveries::attempts(&db, &delivery.id).await?;
        log.push(json!({ "delivery": delivery, "attempts": attempts }));
    }
    json(&json!({ "submission": submission, "deliveries": log }), 200)
}

/// `scheme://host[:port]` of the request, where the owner reached the edge.
fn request_origin(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}
