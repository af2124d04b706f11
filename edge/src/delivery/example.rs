//! `POST /v1/tools/{id}/test`: an example delivery of a form's webhook, sent now and
//! reported, never stored. An owner (or the developer of the receiver) sees what their
//! integration gets, and whether it takes it, before the first visitor fills the form in.

use super::send;
use super::webhook;
use crate::clock::{iso8601, now_ms};
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::storage::files::Links;
use crate::storage::tools::Tool;
use leadform_core::wire::WebhookPayload;
use serde::Serialize;
use std::collections::BTreeMap;
use worker::Env;

/// The header that tells a receiver an example apart from a visitor's submission (the ids
/// say it too: `sub_test_…`, `msg_test_…`).
pub const TEST_HEADER: &str = "leadform-test";

/// What the example delivery did.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOut {
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// Why it did not arrive (no answer in time, the receiver's status), as the delivery
    /// log says it.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_snippet: Option<String>,
    /// The `webhook-id` it carried.
    pub webhook_id: String,
    /// What was sent: seed 002's payload, an example value in every field.
    pub payload: WebhookPayload,
}

/// Sends `tool`'s webhook an example submission, signed as a real one (both secrets during
/// a rotation), with the delivery time-out. A form without a webhook URL is a 409.
pub async fn send(env: &Env, tool: &Tool, links: &Links) -> ApiResult<TestOut> {
    let Some(url) = tool.webhook_url.as_deref() else {
        return Err(ApiError::Conflict {
            code: "no_webhook",
            message: "this form has no webhookUrl to test (it runs in client mode)".into(),
        });
    };
    let now = now_ms();
    let submission_id = new_id("sub_test");
    let example = leadform_core::example::form_data(&tool.fields, &format!("test/{submission_id}"));
    let payload = WebhookPayload {
        submission_id,
        tool_id: tool.id.clone(),
        tool_name: tool.name.clone(),
        conversation_id: None,
        form_data: links.show(&example),
        submitted_at: iso8601(now),
        qualification: None,
    };
    let webhook_id = new_id("msg_test");
    let secrets: Vec<String> = tool
        .signing_secrets(now)
        .into_iter()
        .map(str::to_string)
        .collect();
    let marked = BTreeMap::from([(TEST_HEADER.to_string(), "true".to_string())]);
    let request = webhook::signed(
        &webhook_id,
        &secrets,
        url,
        serde_json::to_string(&payload)?,
        &marked,
    )?
    .map_err(|reason| ApiError::Conflict {
        code: "not_sendable",
        message: reason,
    })?;
    let attempt = send::send(request, config::attempt_timeout_ms(env)).await;
    Ok(TestOut {
        delivered: attempt
            .status_code()
            .is_some_and(|code| (200..300).contains(&code)),
        status_code: attempt.status_code(),
        latency_ms: attempt.latency_ms,
        error: attempt.error,
        response_snippet: attempt.snippet,
        webhook_id,
        payload,
    })
}
