//! One attempt of one delivery: build the request for its kind, send it, time it.

use super::send::{self, OutgoingRequest};
use super::{lead_events, sheet_row, view, webhook};
use crate::clock::now_ms;
use crate::config;
use crate::storage::deliveries::{self, Delivery, LEAD_EVENT};
use crate::storage::files::Links;
use crate::storage::{members, submissions, tools};
use leadform_core::post_actions::{self, PostAction, Services};
use leadform_core::retry::AttemptResult as Answer;
use std::collections::BTreeMap;
use worker::{D1Database, Env, Result};

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
            Answer::KeyInUse => Some(409),
            Answer::NoAnswer | Answer::NotSent => None,
        }
    }

    /// An attempt that failed on our side (D1 for a moment, a header the runtime refuses):
    /// nothing was sent; retried on the schedule like no answer, so a fault that lasts
    /// ends the delivery as failed (and replayable) instead of retrying it for ever.
    pub fn failed_here(reason: String) -> Self {
        AttemptResult {
            answer: Answer::NoAnswer,
            ..Self::not_sent(reason)
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

/// Whether the delivery is an append made only after a check that its row is not there
/// yet (Sheets: the API has no idempotency key), which the check must see if it landed.
pub fn is_checked_append(delivery: &Delivery) -> bool {
    delivery
        .action
        .as_deref()
        .and_then(|config| serde_json::from_str::<PostAction>(config).ok())
        .is_some_and(|action| matches!(action, PostAction::GoogleSheets { .. }))
}

pub async fn make(
    env: &Env,
    db: &D1Database,
    delivery: &Delivery,
    timeout_ms: u64,
    links: &Links,
    services: &Services,
) -> Result<AttemptResult> {
    if delivery.kind == crate::channels::CHANNEL_MESSAGE {
        return Ok(
            match crate::channels::request(env, db, delivery.payload.as_deref()).await? {
                Ok(request) => send::send(request, timeout_ms).await,
                Err(reason) => AttemptResult::not_sent(reason),
            },
        );
    }
    if delivery.kind == LEAD_EVENT {
        return Ok(match lead_events::request(db, delivery).await? {
            Ok(request) => send::send(request, timeout_ms).await,
            Err(reason) => AttemptResult::not_sent(reason),
        });
    }
    let submission_id = delivery.submission_id.as_deref().unwrap_or_default();
    let Some(submission) = submissions::get(db, submission_id).await? else {
        return Ok(AttemptResult::not_sent(format!(
            "submission {submission_id} is gone"
        )));
    };
    if let Err(reason) = links.usable_for(&submission.form_data) {
        return Ok(AttemptResult::not_sent(reason));
    }
    let Some(tool) = tools::get(db, &submission.tool_id).await? else {
        return Ok(AttemptResult::not_sent(format!(
            "tool {} is gone",
            submission.tool_id
        )));
    };
    // Of the time-out, what a row check takes first (the D1 reads above are not the
    // receiver's time, and the log says "no answer within 30 s" for a 30 s time-out).
    let mut spent_ms = 0;
    let built = match delivery.action.as_deref() {
        None => webhook::request(delivery, &submission, &tool, links, &BTreeMap::new())?,
        Some(config) => match serde_json::from_str::<PostAction>(config) {
            Ok(PostAction::Webhook { headers, .. }) => {
                webhook::request(delivery, &submission, &tool, links, &headers)?
            }
            Ok(action) => {
                // A retried Sheets append, only if its row is not there yet: after any
                // attempt made, or begun by a worker that died before recording it (its
                // lease is left). The check and the append share the attempt's time-out,
                // so the attempt stays within its lease.
                let started = now_ms();
                if delivery.attempts > 0 || delivery.lease_until.is_some() {
                    if let Some(ended) =
                        sheet_row::already_there(&action, services, &submission.id, timeout_ms).await?
                    {
                        return Ok(ended);
                    }
                    spent_ms = now_ms() - started;
                }
                let conversation_url = config::conversation_url(env, submission.conversation_id.as_deref());
                let summary = summary_of(db, delivery, &submission).await?;
                let view = view::of(&submission, &tool, links, conversation_url, summary);
                // An email to members goes to their addresses as the dashboard has them now.
                let addresses = members::of_ids(db, action.member_ids()).await?;
                let action = action.with_member_addresses(addresses.into_iter().map(|m| m.email).collect());
                match post_actions::request(&action, &view, services, &delivery.idempotency_key()) {
                    Ok(out) => Ok(OutgoingRequest::from_core(out)?),
                    Err(reason) => Err(reason),
                }
            }
            Err(err) => Err(format!("unreadable post-action: {err}")),
        },
    };
    // What is left of the time-out (all of it, unless a row check went first).
    let left_ms = (timeout_ms as i64 - spent_ms).max(1) as u64;
    Ok(match built {
        Ok(request) => send::send(request, left_ms).await,
        Err(reason) => AttemptResult::not_sent(reason),
    })
}

/// The summary of the submission's conversation, as the delivery's first attempt found it
/// (kept in its `payload`, `""` for none): a later submission in the same chat writes a
/// new one, and every retry must send the same body (an email API refuses a repeated
/// `Idempotency-Key` with another). Only a conversation of the submission's own agent: an
/// id of another agent's, named in a submission, reads nothing of it.
async fn summary_of(
    db: &D1Database,
    delivery: &Delivery,
    submission: &submissions::Submission,
) -> Result<Option<String>> {
    if let Some(kept) = &delivery.payload {
        return Ok(Some(kept.clone()).filter(|s| !s.is_empty()));
    }
    // Without a conversation there is no summary to fix: no read, no write.
    let Some(id) = submission.conversation_id.as_deref() else {
        return Ok(None);
    };
    let summary = crate::storage::conversations::get(db, id)
        .await?
        .filter(|c| c.agent_id == submission.agent_id)
        .and_then(|c| c.summary);
    deliveries::keep_payload(db, &delivery.id, summary.as_deref().unwrap_or("")).await?;
    Ok(summary)
}
