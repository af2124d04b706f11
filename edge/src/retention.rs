//! Transcripts are personal data: conversations of agents with a retention period
//! (`retentionDays`) are purged once they have been quiet that long, and files people sent
//! in chats for forms never sent go after a week. Runs with the cron sweep, a bounded
//! batch at a time.

use crate::bindings;
use crate::clock::now_ms;
use crate::storage::{channels, conversations, events, files};
use leadform_core::channels::{parked_at, PARKED_PREFIX};
use worker::Env;

/// Conversations purged per run at most (each run is a minute apart).
const BATCH: u32 = 500;

/// How long a messaging platform's delivery id is remembered: they stop delivering again
/// well within a day.
const UPDATE_MEMORY_MS: i64 = 2 * 24 * 3600 * 1000;

/// How long a file sent in a chat waits for its form to be sent: a form left that long is
/// abandoned, and its files (a person's documents, up to 5 MB each) go.
const PARKED_FILE_MS: i64 = 7 * 24 * 3600 * 1000;

/// Parked files looked at per run (oldest first).
const PARKED_BATCH: u32 = 100;

pub async fn purge(env: &Env) -> worker::Result<usize> {
    purge_parked_files(env).await?;
    let db = env.d1(bindings::DB)?;
    channels::purge_updates(&db, now_ms() - UPDATE_MEMORY_MS).await?;
    // A display's drop-off is counted once within its token's day; the marks can go then.
    events::purge_drop_marks(&db, now_ms() - UPDATE_MEMORY_MS).await?;
    conversations::purge_expired(&db, now_ms(), BATCH).await
}

/// Deletes files parked longer than [`PARKED_FILE_MS`] for a chat's form (sent, cancelled
/// and refused forms delete theirs at once: `channels::finish`; this takes what is left by
/// forms never finished, chats restarted, conversations purged). Keys begin with their
/// time, so the listing is oldest first and stops at the first young one.
async fn purge_parked_files(env: &Env) -> worker::Result<()> {
    let bucket = env.bucket(bindings::FILES)?;
    let listed = bucket
        .list()
        .prefix(PARKED_PREFIX)
        .limit(PARKED_BATCH)
        .execute()
        .await?;
    let before = now_ms() - PARKED_FILE_MS;
    for object in listed.objects() {
        let key = object.key();
        match parked_at(&key) {
            Some(at) if at < before => files::delete(&bucket, &key).await?,
            Some(_) => break,
            // Not a key `parked_key` made: not ours to judge.
            None => continue,
        }
    }
    Ok(())
}
