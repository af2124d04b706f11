//! One attempt of one delivery: build the request for its kind, send it, time it.

use super::webhook;
use crate::clock::now_ms;
use crate::storage::deliveries::Delivery;
use crate::storage::files::Links;
use crate::storage::{submissions, tools};
use leadform_core::retry::AttemptResult as Answer;
use worker::{D1Database, Result};

/// What one attempt found.
pub struct AttemptResult {
    pub answer: Answer,
    pub started_at: i64,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub snippet: Option<String>,
    /// Seconds a `429` (or a `503`) asked us to wait with `Retry-After`.
    pub retry_after_secs: Option<u32>,
}

impl AttemptResult {
    pub fn status_code(&self) -> Option<u16> {
        match self.answer {
            Answer::Answered(code) => Some(code),
            Answer::NoAnswer | Answer::NotSent => None,
        }
    }

    /// An attempt that could not even be built: nothing was sent, retrying would not help.
    pub fn not_sent(reason: String) -> Self {
        AttemptResult {
            answer: Answer::NotSent,
            started_at: now_ms(),
            latency_ms: 0,
            error: Some(reason),
            snippet: None,
            retry_after_secs: None,
        }
    }
}

pub async fn make(
    db: &D1Database,
    delivery: &Delivery,
    timeout_ms: u64,
    links: &Links,
) -> Result<AttemptResult> {
    let Some(submission) = submissions::get(db, &delivery.submission_id).await? else {
        return Ok(AttemptResult::not_sent(format!(
            "submission {} is gone",
            delivery.submission_id
        )));
    };
    let Some(tool) = tools::get(db, &submission.tool_id).await? else {
        return Ok(AttemptResult::not_sent(format!(
            "tool {} is gone",
            submission.tool_id
        )));
    };
    let request = match delivery.kind.as_str() {
        "webhook" => match webhook::request(delivery, &submission, &tool, links)? {
            Ok(request) => request,
            Err(reason) => return Ok(AttemptResult::not_sent(reason)),
        },
        other => return Ok(AttemptResult::not_sent(format!("unknown delivery kind {other}"))),
    };
    Ok(webhook::send(request, timeout_ms).await)
}
