//! The owner's webhook (and `webhook` post-actions): seed 002's payload, signed per
//! Standard Webhooks.

use super::send::OutgoingRequest;
use crate::clock::{iso8601, now_ms};
use crate::storage::deliveries::Delivery;
use crate::storage::files::Links;
use crate::storage::submissions::Submission;
use crate::storage::tools::Tool;
use leadform_core::webhook::{derived_secret, sign_all};
use leadform_core::wire::WebhookPayload;
use std::collections::BTreeMap;
use worker::{Headers, Result};

/// The signed request for a webhook delivery, with a post-action's `extra_headers`. The
/// body is rebuilt from D1 on every attempt (file links are minted fresh), and the delivery
/// id is the `webhook-id` on every attempt, so a receiver can drop repeats. The outer error is ours (building headers); the inner one says why
/// nothing can be sent.
pub fn request(
    delivery: &Delivery,
    submission: &Submission,
    tool: &Tool,
    links: &Links,
    extra_headers: &BTreeMap<String, String>,
) -> Result<std::result::Result<OutgoingRequest, String>> {
    let payload = WebhookPayload {
        submission_id: submission.id.clone(),
        tool_id: tool.id.clone(),
        tool_name: tool.name.clone(),
        conversation_id: submission.conversation_id.clone(),
        form_data: links.show(&submission.form_data),
        submitted_at: iso8601(submission.submitted_at),
        qualification: submission.qualification.clone(),
    };
    let body = serde_json::to_string(&payload)?;
    // The tool's secrets (both during a rotation's overlap); a post-action's receiver gets
    // its own, derived from them.
    let secrets: Vec<String> = tool
        .signing_secrets(now_ms())
        .into_iter()
        .map(|secret| match delivery.is_primary() {
            true => secret.to_string(),
            false => derived_secret(secret, &delivery.target_url),
        })
        .collect();
    signed(&delivery.id, &secrets, &delivery.target_url, body, extra_headers)
}

/// A POST of `body` to `url` signed with each of `secrets` per Standard Webhooks;
/// `delivery_id` is the `webhook-id`. Never unsigned: a receiver that verifies would rightly
/// drop it.
pub fn signed(
    delivery_id: &str,
    secrets: &[String],
    url: &str,
    body: String,
    extra_headers: &BTreeMap<String, String>,
) -> Result<std::result::Result<OutgoingRequest, String>> {
    let timestamp = now_ms() / 1000;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let Some(signature) = sign_all(&secrets, delivery_id, timestamp, &body) else {
        return Ok(Err("no valid whsec_ signing secret".into()));
    };
    let headers = Headers::new();
    // A user and password in the URL: sent as Basic auth (fetch would drop them), unless
    // the owner's own headers say how to authenticate.
    let (url, basic) = leadform_core::webhook::basic_auth_from_url(url);
    if let Some(basic) = basic {
        headers.set("Authorization", &basic)?;
    }
    for (name, value) in extra_headers {
        headers.set(name, value)?;
    }
    headers.set("Content-Type", "application/json")?;
    headers.set("User-Agent", "leadform-webhooks/1")?;
    headers.set("webhook-id", delivery_id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    headers.set("webhook-signature", &signature)?;
    Ok(Ok(OutgoingRequest {
        method: worker::Method::Post,
        url,
        headers,
        body,
    }))
}
