use super::{int, text};
use worker::{D1Database, Result};

/// Records a widget event once per form display (the primary key drops repeats).
pub async fn record(db: &D1Database, tool_id: &str, display_id: &str, kind: &str, at: i64) -> Result<()> {
    db.prepare("INSERT OR IGNORE INTO form_events (tool_id, display_id, kind, at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[text(tool_id), text(display_id), text(kind), int(at)])?
        .run()
        .await?;
    Ok(())
}
