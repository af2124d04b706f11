//! A Google Sheets append retried only when its row is not there yet. The Sheets API has
//! no idempotency key, so an append whose answer was lost (a time-out, a dropped
//! connection) may well have been made; appending again would give the owner the lead
//! twice. Before every attempt after the first, the sheet's first columns are read for the
//! submission's id.

use super::attempt::AttemptResult;
use super::send::{self, OutgoingRequest};
use crate::clock::now_ms;
use leadform_core::post_actions::{self, PostAction, Services};
use leadform_core::retry::AttemptResult as Answer;
use worker::Result;

/// How the attempt ends without an append: `Some` when the row is already in the sheet
/// (delivered by an earlier attempt) or the sheet could not be read (tried again later, as
/// a failed append would be); `None` when the append should be made.
pub async fn already_there(
    action: &PostAction,
    services: &Services,
    submission_id: &str,
    timeout_ms: u64,
) -> Result<Option<AttemptResult>> {
    let Some(check) = post_actions::sheet_row_check(action, services) else {
        return Ok(None);
    };
    let started_at = now_ms();
    let marker = post_actions::sheet_row_marker(submission_id);
    let found =
        send::answer_contains(&OutgoingRequest::from_core(check)?, timeout_ms, marker.as_bytes()).await;
    let latency_ms = now_ms() - started_at;
    Ok(match found {
        Ok(false) => None,
        Ok(true) => Some(AttemptResult {
            answer: Answer::Answered(200),
            started_at,
            latency_ms,
            error: None,
            snippet: Some(
                "the row was already in the sheet: an earlier attempt appended it, its answer was lost"
                    .into(),
            ),
            retry_after_secs: None,
        }),
        Err(untold) => Some(AttemptResult {
            answer: untold.answer,
            started_at,
            latency_ms,
            error: Some(format!(
                "not appended: reading the sheet for an earlier attempt's row failed: {}",
                untold.error
            )),
            snippet: None,
            retry_after_secs: untold.retry_after_secs,
        }),
    })
}
