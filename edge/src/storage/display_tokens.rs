//! What the edge knows of a widget load's display token: when a display was shown (its
//! impression, on the edge's clock) and how many submissions the token made.

use super::{int, opt_text, text};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Result};

/// A display as the edge saw it.
#[derive(Debug, Default, Deserialize)]
pub struct Seen {
    /// When the edge recorded the display's impression.
    pub shown_at: Option<i64>,
    /// Submissions the token made so far.
    pub uses: Option<i64>,
}

/// What a [`statement`] read.
pub fn seen_from(result: &worker::D1Result) -> Result<Seen> {
    Ok(result.results::<Seen>()?.into_iter().next().unwrap_or_default())
}

/// The impression of `display_id` (if any) and the uses of the token `nonce`, in one
/// statement to run in a batch with other reads; [`seen_from`] reads its result.
pub fn statement(
    db: &D1Database,
    tool_id: &str,
    display_id: Option<&str>,
    nonce: &str,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "SELECT (SELECT at FROM form_events WHERE tool_id = ?1 AND display_id = ?2 AND kind = 'impression')
                  AS shown_at,
                (SELECT uses FROM display_token_uses WHERE nonce = ?3) AS uses",
    )
    .bind(&[text(tool_id), opt_text(display_id), text(nonce)])
}

/// The condition (for a batch's [`super::assumptions`]) that what [`statement`] would read
/// scores as a display shown when its token was issued and never used: the token made
/// fewer than `MAX_SUBMISSIONS_PER_TOKEN` submissions, and the display's impression (if
/// any) is no later than `shown_until` (see `spam::same_fill_points_until`; `None`: any).
pub fn unused_and_shown_by_condition(
    tool_id: &str,
    display_id: Option<&str>,
    nonce: &str,
    shown_until: Option<i64>,
) -> (&'static str, Vec<JsValue>) {
    let uses = "COALESCE((SELECT uses FROM display_token_uses WHERE nonce = ?), 0) < ?";
    let max_uses = int(leadform_core::spam::MAX_SUBMISSIONS_PER_TOKEN);
    match shown_until {
        None => (uses, vec![text(nonce), max_uses]),
        Some(until) => (
            "COALESCE((SELECT uses FROM display_token_uses WHERE nonce = ?), 0) < ?
             AND NOT EXISTS (SELECT 1 FROM form_events
                             WHERE tool_id = ? AND display_id = ? AND kind = 'impression' AND at > ?)",
            vec![
                text(nonce),
                max_uses,
                text(tool_id),
                opt_text(display_id),
                int(until),
            ],
        ),
    }
}

/// Counts one more submission of the token `nonce`, in the batch that stores it.
pub fn count_use(db: &D1Database, nonce: &str, now: i64) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO display_token_uses (nonce, uses, last_at) VALUES (?1, 1, ?2)
         ON CONFLICT(nonce) DO UPDATE SET uses = uses + 1, last_at = ?2",
    )
    .bind(&[text(nonce), int(now)])
}

/// Forgets tokens last used before `before`: a token used then was issued earlier still, so
/// it has expired and can count no more uses.
pub async fn purge(db: &D1Database, before: i64) -> Result<()> {
    db.batch(vec![
        db.prepare("DELETE FROM display_token_uses WHERE last_at < ?1")
            .bind(&[int(before)])?,
        db.prepare("DELETE FROM display_token_displays WHERE at < ?1")
            .bind(&[int(before)])?,
    ])
    .await?;
    Ok(())
}

/// Counts display `display_id` of `tool_id` for token `nonce`, unless the token has counted
/// `MAX_DISPLAYS_PER_TOKEN` displays already (a display it counted stays counted). The
/// statements after it in the batch record the display's events only when it is counted:
/// see [`COUNTED_CONDITION`].
pub fn count_display(
    db: &D1Database,
    nonce: &str,
    tool_id: &str,
    display_id: &str,
    now: i64,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT OR IGNORE INTO display_token_displays (nonce, tool_id, display_id, at)
         SELECT ?1, ?2, ?3, ?4
         WHERE (SELECT COUNT(*) FROM display_token_displays WHERE nonce = ?1) < ?5",
    )
    .bind(&[
        text(nonce),
        text(tool_id),
        text(display_id),
        int(now),
        int(leadform_core::spam::MAX_DISPLAYS_PER_TOKEN),
    ])
}

/// SQL that is true when [`count_display`] counted the display (`?1` nonce, `?2` tool id,
/// `?3` display id, as bound there).
pub const COUNTED_CONDITION: &str =
    "EXISTS (SELECT 1 FROM display_token_displays WHERE nonce = ?1 AND tool_id = ?2 AND display_id = ?3)";
