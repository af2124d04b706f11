//! `POST /form-submissions/client-result`: what a page's registered handler reported.

use super::widget_tool;
use crate::bindings;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body_within, SMALL_BODY_BYTES};
use crate::storage::submissions::{self, ClientReport, Part};
use leadform_core::access::client_token_is_valid;
use leadform_core::status::Outcome;
use leadform_core::validate::{holds_control_chars, FieldError};
use serde_json::{json, Value};
use worker::{Env, Request, Response};

/// Where the widget sends the submit answer's `clientToken`.
const CLIENT_TOKEN_HEADER: &str = "X-Leadform-Client-Token";

/// Limits on what a handler may report: enough for an id and a sentence, not a database.
const MAX_MESSAGE_CHARS: usize = 1_000;
const MAX_DATA_BYTES: usize = 16 * 1024;

pub async fn record(mut req: Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    let body = json_body_within(&mut req, SMALL_BODY_BYTES).await?;
    let submission_id = match body.get("submissionId") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 128 => id.clone(),
        _ => return Err(FieldError::new("submissionId", "is required (a submission id)").into()),
    };
    let Some(Value::Bool(success)) = body.get("success") else {
        return Err(FieldError::new("success", "is required (true or false)").into());
    };
    let report = ClientReport {
        message: match body.get("message") {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) if holds_control_chars(m) => {
                return Err(FieldError::new("message", "must be text (it holds control characters)").into())
            }
            Some(Value::String(m)) if m.chars().count() <= MAX_MESSAGE_CHARS => Some(m.clone()),
            Some(Value::String(_)) => {
                return Err(FieldError::new(
                    "message",
                    format!("must be at most {MAX_MESSAGE_CHARS} characters"),
                )
                .into())
            }
            Some(_) => return Err(FieldError::new("message", "must be a string").into()),
        },
        data: match body.get("data") {
            None | Some(Value::Null) => None,
            Some(data @ Value::Object(_)) => {
                let text = serde_json::to_string(data)?;
                if text.len() > MAX_DATA_BYTES {
                    return Err(FieldError::new(
                        "data",
                        format!("must be at most {MAX_DATA_BYTES} bytes of JSON"),
                    )
                    .into());
                }
                Some(text)
            }
            Some(_) => return Err(FieldError::new("data", "must be an object").into()),
        },
    };
    let db = env.d1(bindings::DB)?;
    let submission = submissions::get(&db, &submission_id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", &submission_id))?;
    let tool = widget_tool(&db, &submission.tool_id, origin).await?;
    // The widget proves it saw the submit answer with the token in it; someone who only
    // saw the submission id elsewhere cannot report in the visitor's place.
    let token = req.headers().get(CLIENT_TOKEN_HEADER).ok().flatten();
    let owner_key = config::api_key(env).unwrap_or_default();
    match token {
        Some(token) if !client_token_is_valid(&owner_key, &submission_id, &token) => {
            return Err(ApiError::BadToken {
                code: "invalid_client_token",
                message: format!("{CLIENT_TOKEN_HEADER} is not this submission's client token"),
            })
        }
        None if tool.require_client_token => {
            return Err(ApiError::BadToken {
                code: "client_token_required",
                message: format!("this form takes client results only with {CLIENT_TOKEN_HEADER} (from the submit answer's clientToken)"),
            })
        }
        _ => {}
    }
    if !submission.execution_mode.uses_client() {
        return Err(FieldError::new("submissionId", "belongs to a form without a client handler").into());
    }
    // A handler reports once; a second report (a replay, or someone holding the id) may
    // not rewrite the outcome.
    let outcome = Outcome::from_success(*success);
    let Some(status) =
        submissions::set_outcome(&db, &submission_id, Part::Client, outcome, Some(&report)).await?
    else {
        return Err(ApiError::Conflict {
            code: "already_reported",
            message: format!("the client result of {submission_id} was already reported"),
        });
    };
    json(&json!({ "success": true, "status": status.as_str() }), 200)
}
