use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::json;
use crate::storage::files::Links;
use crate::storage::submissions;
use leadform_core::status::{lead_status, settled};
use serde_json::json;
use worker::{Env, Request, Response};

/// A submission with its deliveries and every attempt of each.
pub async fn get(req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let mut submission = submissions::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", id))?;
    submission.form_data = Links::new(env, request_origin(req)).show(&submission.form_data);
    let log = super::deliveries::log(&db, id).await?;
    let statuses: Vec<&str> = log
        .iter()
        .filter_map(|entry| entry["delivery"]["status"].as_str())
        .collect();
    let ended = settled(
        submission.execution_mode,
        submission.webhook_outcome,
        submission.client_outcome,
    );
    let lead_status = lead_status(ended, &statuses);
    json(
        &json!({ "submission": submission, "leadStatus": lead_status, "deliveries": log }),
        200,
    )
}

/// `scheme://host[:port]` of the request, where the owner reached the edge.
fn request_origin(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}
