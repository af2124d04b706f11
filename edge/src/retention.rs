//! Transcripts are personal data: conversations of agents with a retention period
//! (`retentionDays`) are purged once they have been quiet that long. Runs with the cron
//! sweep, a bounded batch at a time.

use crate::bindings;
use crate::clock::now_ms;
use crate::storage::conversations;
use worker::Env;

/// Conversations purged per run at most (each run is a minute apart).
const BATCH: u32 = 500;

pub async fn purge(env: &Env) -> worker::Result<usize> {
    conversations::purge_expired(&env.d1(bindings::DB)?, now_ms(), BATCH).await
}
