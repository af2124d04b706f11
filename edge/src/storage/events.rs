use super::{int, text};
use worker::{D1Database, D1PreparedStatement, Result};

/// Records a widget event once per form display (the primary key drops repeats; the
/// `form_events_count` trigger counts what is kept).
pub async fn record(db: &D1Database, tool_id: &str, display_id: &str, kind: &str, at: i64) -> Result<()> {
    insert(db, tool_id, display_id, kind, at)?.run().await?;
    Ok(())
}

/// The same insert, to run in a batch with other writes.
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
