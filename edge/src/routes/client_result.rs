//! `POST /form-submissions/client-result`: what a page's registered handler reported.

use super::widget_tool;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::storage::submissions::{self, Part};
use leadform_core::status::Outcome;
use leadform_core::validate::FieldError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

pub async fn record(mut req: Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    let body = json_body(&mut req).await?;
    let submission_id = match body.get("submissionId") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(FieldError::new("submissionId", "is required").into()),
    };
    let Some(Value::Bool(success)) = body.get("success") else {
        return Err(FieldError::new("success", "is required (true or false)").into());
    };
    let db = env.d1(bindings::DB)?;
    let submission = submissions::get(&db, &submission_id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", &submission_id))?;
    widget_tool(&db, &submission.tool_id, origin).await?;
    if !submission.execution_mode.uses_client() {
        return Err(FieldError::new("submissionId", "belongs to a form without a client handler").into());
    }
    // A handler reports once; a second report (a replay, or someone holding the id) may
    // not rewrite the outcome.
    let outcome = Outcome::from_success(*success);
    let Some(status) = submissions::set_outcome(&db, &submission_id, Part::Client, outcome).await? else {
        return Err(ApiError::Conflict {
            code: "already_reported",
            message: format!("the client result of {submission_id} was already reported"),
        });
    };
    json(&json!({ "success": true, "status": status.as_str() }), 200)
}
