use super::display_tokens::COUNTED_CONDITION;
use super::{int, text};
use worker::{D1Database, D1PreparedStatement, Result};

/// Records a widget event once per form display (the primary key drops repeats; the
/// `form_events_count` trigger counts what is kept), to run in a batch with other writes.
pub fn insert(
    db: &D1Database,
    tool_id: &str,
    display_id: &str,
    kind: &str,
    at: i64,
) -> Result<D1PreparedStatement> {
    db.prepare("INSERT OR IGNORE INTO form_events (tool_id, display_id, kind, at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[text(tool_id), text(display_id), text(kind), int(at)])
}

/// The impression and the start of display `display_id`, in one statement (dropped as
/// repeats when already recorded, each on its own).
pub fn insert_shown_and_started(
    db: &D1Database,
    tool_id: &str,
    display_id: &str,
    at: i64,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT OR IGNORE INTO form_events (tool_id, display_id, kind, at)
         VALUES (?1, ?2, 'impression', ?3), (?1, ?2, 'start', ?3)",
    )
    .bind(&[text(tool_id), text(display_id), int(at)])
}

/// Records an event of a widget display its token counted ([`super::display_tokens::count_display`]
/// goes first in the batch): dropped as a repeat, and when the token's displays were used up.
/// A start or a dismissal implies the display was shown, so it records the impression too
/// when that was lost on the way (dropped as a repeat if not), as a submission does: no
/// form counts more starts than impressions, however its events arrive.
pub fn insert_counted(
    db: &D1Database,
    nonce: &str,
    tool_id: &str,
    display_id: &str,
    kind: &str,
    at: i64,
) -> Result<D1PreparedStatement> {
    db.prepare(format!(
        "INSERT OR IGNORE INTO form_events (tool_id, display_id, kind, at)
         SELECT ?2, ?3, event.kind, ?4
         FROM (SELECT 'impression' AS kind WHERE ?5 <> 'impression' UNION ALL SELECT ?5) AS event
         WHERE {COUNTED_CONDITION}"
    ))
    .bind(&[text(nonce), text(tool_id), text(display_id), int(at), text(kind)])
}

/// The statements that count a started display left unsent, once per display, against the
/// last field touched (`form_field_drops`, see migration 0013); only a display its token
/// counted, as [`insert_counted`], and whose start was counted.
pub fn drop_off(
    db: &D1Database,
    nonce: &str,
    tool_id: &str,
    display_id: &str,
    field: &str,
    at: i64,
) -> Result<Vec<D1PreparedStatement>> {
    Ok(vec![
        // A display that was started: `dropOffByField` splits started forms left unsent, so
        // a field only focused before "Not now" is no drop-off.
        db.prepare(format!(
            "INSERT OR IGNORE INTO form_display_drops (tool_id, display_id, at)
             SELECT ?2, ?3, ?4 WHERE {COUNTED_CONDITION}
               AND EXISTS (SELECT 1 FROM form_events WHERE tool_id = ?2 AND display_id = ?3 AND kind = 'start')"
        ))
        .bind(&[text(nonce), text(tool_id), text(display_id), int(at)])?,
        // Only when the display was not counted before (the insert above changed a row).
        db.prepare(
            "INSERT INTO form_field_drops (tool_id, day, field, n)
             SELECT ?1, date(?3 / 1000, 'unixepoch'), ?2, 1 WHERE changes() = 1
             ON CONFLICT (tool_id, day, field) DO UPDATE SET n = n + 1",
        )
        .bind(&[text(tool_id), text(field), int(at)])?,
    ])
}

/// The statement that adds a submission's field times to the histograms
/// (`form_field_times`): `times` as `(field, bucket)`.
pub fn field_times(
    db: &D1Database,
    tool_id: &str,
    times: &[(String, u8)],
    at: i64,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO form_field_times (tool_id, day, field, bucket, n)
         SELECT ?1, date(?2 / 1000, 'unixepoch'), json_extract(value, '$[0]'), json_extract(value, '$[1]'), 1
         FROM json_each(?3) WHERE true
         ON CONFLICT (tool_id, day, field, bucket) DO UPDATE SET n = n + 1",
    )
    .bind(&[text(tool_id), int(at), text(&serde_json::to_string(times)?)])
}

/// Forgets which displays were counted as dropped before `before` (their tokens expired, so
/// no event of theirs is taken any more).
pub async fn purge_drop_marks(db: &D1Database, before: i64) -> Result<()> {
    db.prepare("DELETE FROM form_display_drops WHERE at < ?1")
        .bind(&[int(before)])?
        .run()
        .await?;
    Ok(())
}
