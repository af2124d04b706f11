//! Transcripts are personal data: conversations of agents with a retention period
//! (`retentionDays`) are purged once they have been quiet that long. Runs with the cron
//! sweep, a bounded batch at a time.

use crate::bindings;
use crate::clock::now_ms;
use crate::storage::{channels, conversations, events};
use worker::Env;

/// Conversations purged per run at most (each run is a minute apart).
const BATCH: u32 = 500;

/// How long a messaging platform's delivery id is remembered: they stop delivering again
/// well within a day.
const UPDATE_MEMORY_MS: i64 = 2 * 24 * 3600 * 1000;

pub async fn purge(env: &Env) -> worker::Result<usize> {
    let db = env.d1(bindings::DB)?;
    channels::purge_updates(&db, now_ms() - UPDATE_MEMORY_MS).await?;
    // A display's drop-off is counted once within its token's day; the marks can go then.
    events::purge_drop_marks(&db, now_ms() - UPDATE_MEMORY_MS).await?;
    conversations::purge_expired(&db, now_ms(), BATCH).await
}
