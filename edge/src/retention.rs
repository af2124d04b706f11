//! Transcripts are personal data: conversations of agents with a retention period
//! (`retentionDays`) are purged once they have been quiet that long; conversations nobody
//! wrote in go after a day, files people sent in chats for forms never sent after a week,
//! and spam the owner left in the spam folder (with its files) after 30 days. Runs with the
//! cron sweep, a bounded batch at a time.

use crate::bindings;
use crate::clock::now_ms;
use crate::storage::{channels, conversations, events, files, submissions};
use leadform_core::channels::{parked_at, PARKED_PREFIX};
use worker::{console_error, console_warn, Env};

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

/// How long a conversation nobody wrote in (the chat opened, its greeting, nothing more)
/// is kept: anyone can start one, and an owner has nothing to read in it.
const UNANSWERED_MS: i64 = 24 * 3600 * 1000;

/// How long quarantined spam waits in the spam folder for the owner to release it; then
/// it goes, with its files.
const SPAM_MS: i64 = 30 * 24 * 3600 * 1000;

/// Spam submissions purged per run.
const SPAM_BATCH: u32 = 100;

/// Runs every purge; one that fails (R2 or D1 down a moment) is logged and the others
/// still run: a file that would not go must not keep transcripts past their retention.
pub async fn purge(env: &Env) {
    let db = match env.d1(bindings::DB) {
        Ok(db) => db,
        Err(err) => return console_error!("purge: no database: {err}"),
    };
    let now = now_ms();
    let outcomes = [
        (
            "retention",
            conversations::purge_expired(&db, now, BATCH).await.map(drop),
        ),
        (
            "unanswered conversations",
            conversations::purge_unanswered(&db, now - UNANSWERED_MS, BATCH)
                .await
                .map(drop),
        ),
        (
            "platform delivery ids",
            channels::purge_updates(&db, now - UPDATE_MEMORY_MS).await,
        ),
        // A display's drop-off is counted once within its token's day; the marks can go then.
        (
            "drop-off marks",
            events::purge_drop_marks(&db, now - UPDATE_MEMORY_MS).await,
        ),
        ("spam", purge_spam(env).await),
        ("parked files", purge_parked_files(env).await),
    ];
    for (what, outcome) in outcomes {
        if let Err(err) = outcome {
            console_error!("purge of {what} failed: {err}");
        }
    }
}

/// Deletes spam left in the spam folder longer than [`SPAM_MS`]: the rows still
/// quarantined (one released meanwhile keeps everything), then their files.
async fn purge_spam(env: &Env) -> worker::Result<()> {
    let db = env.d1(bindings::DB)?;
    let old = submissions::old_spam(&db, now_ms() - SPAM_MS, SPAM_BATCH).await?;
    if old.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = old.iter().map(|(id, _)| id.as_str()).collect();
    let gone = submissions::delete_spam(&db, &ids).await?;
    let bucket = env.bucket(bindings::FILES)?;
    for (_, keys) in old.iter().filter(|(id, _)| gone.contains(id)) {
        for key in keys {
            delete_or_warn(&bucket, key).await;
        }
    }
    Ok(())
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
            Some(at) if at < before => delete_or_warn(&bucket, &key).await,
            Some(_) => break,
            // Not a key `parked_key` made: not ours to judge.
            None => continue,
        }
    }
    // Files parked before keys began with their time (`channels/…`): none is made any
    // more, so the few left by forms never finished go by their upload time.
    let legacy = bucket
        .list()
        .prefix(LEGACY_PARKED_PREFIX)
        .limit(PARKED_BATCH)
        .execute()
        .await?;
    for object in legacy.objects() {
        if object.uploaded().as_millis() < before as u64 {
            delete_or_warn(&bucket, &object.key()).await;
        }
    }
    Ok(())
}

/// Where files were parked before `parked_key`.
const LEGACY_PARKED_PREFIX: &str = "channels/";

async fn delete_or_warn(bucket: &worker::Bucket, key: &str) {
    if let Err(err) = files::delete(bucket, key).await {
        console_warn!("purge: file {key} not deleted: {err}");
    }
}
