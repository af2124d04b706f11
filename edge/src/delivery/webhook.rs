//! The owner's webhook: seed 002's payload, signed per Standard Webhooks, POSTed with a
//! time-out.

use super::attempt::AttemptResult;
use crate::clock::{iso8601, now_ms};
use crate::storage::deliveries::Delivery;
use crate::storage::submissions::Submission;
use crate::storage::tools::Tool;
use futures_util::future::{select, Either};
use leadform_core::retry::AttemptResult as Answer;
use leadform_core::webhook::sign;
use leadform_core::wire::WebhookPayload;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Result};

/// Longest part of a receiver's answer kept in the delivery log.
const SNIPPET_CHARS: usize = 512;

pub struct OutgoingRequest {
    pub url: String,
    pub headers: Headers,
    pub body: String,
}

/// The signed request for a webhook delivery. The body is rebuilt from D1 on every attempt
/// and comes out the same, and the delivery id is the `webhook-id`, so a receiver can
/// drop repeats.
pub fn request(delivery: &Delivery, submission: &Submission, tool: &Tool) -> Result<OutgoingRequest> {
    let payload = WebhookPayload {
        submission_id: submission.id.clone(),
        tool_id: tool.id.clone(),
        tool_name: tool.name.clone(),
        conversation_id: submission.conversation_id.clone(),
        form_data: submission.form_data.clone(),
        submitted_at: iso8601(submission.submitted_at),
    };
    let body = serde_json::to_string(&payload)?;
    let timestamp = now_ms() / 1000;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    headers.set("User-Agent", "leadform-webhooks/1")?;
    headers.set("webhook-id", &delivery.id)?;
    headers.set("webhook-timestamp", &timestamp.to_string())?;
    if let Some(signature) = sign(&tool.webhook_secret, &delivery.id, timestamp, &body) {
        headers.set("webhook-signature", &signature)?;
    }
    Ok(OutgoingRequest {
        url: delivery.target_url.clone(),
        headers,
        body,
    })
}

/// POSTs and reports what happened; never fails: a network error is an attempt result.
pub async fn send(request: OutgoingRequest, timeout_ms: u64) -> AttemptResult {
    let started_at = now_ms();
    let outcome = post(&request, timeout_ms).await;
    let latency_ms = now_ms() - started_at;
    match outcome {
        Ok((code, retry_after_secs, snippet)) => AttemptResult {
            answer: Answer::Answered(code),
            started_at,
            latency_ms,
            error: (!(200..300).contains(&code)).then(|| format!("receiver answered HTTP {code}")),
            snippet: Some(snippet),
            retry_after_secs,
        },
        Err(error) => AttemptResult {
            answer: Answer::NoAnswer,
            started_at,
            latency_ms,
            error: Some(error),
            snippet: None,
            retry_after_secs: None,
        },
    }
}

async fn post(
    request: &OutgoingRequest,
    timeout_ms: u64,
) -> std::result::Result<(u16, Option<u32>, String), String> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(request.headers.clone())
        .with_body(Some(request.body.clone().into()));
    let req = Request::new_with_init(&request.url, &init).map_err(|e| format!("bad request: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let sending = Box::pin(async move {
        let mut response = fetch
            .send_with_signal(&signal)
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        let code = response.status_code();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok());
        let text = response.text().await.unwrap_or_default();
        Ok((code, retry_after, text.chars().take(SNIPPET_CHARS).collect()))
    });
    let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    match select(sending, timer).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => {
            controller.abort();
            Err(format!("no answer within {} s", timeout_ms / 1000))
        }
    }
}
