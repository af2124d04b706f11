//! Messaging channels in D1: an agent's connected Telegram bot or WhatsApp number (with the
//! secrets the API never shows again), each chat's conversation and form in progress, and
//! the platform deliveries already handled.

use super::{int, opt_text, text};
use leadform_core::chat_form::Session;
use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement, Result};

/// A connected channel as the owner API shows it: never its secrets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub agent_id: String,
    /// `telegram` or `whatsapp`.
    pub kind: String,
    /// The bot's username, or the business number's id.
    pub account: String,
    #[serde(skip)]
    pub secrets: Secrets,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the edge needs to talk to the platform and to check that a call comes from it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secrets {
    /// Telegram: the bot's token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bot_token: String,
    /// Telegram: what Telegram sends back in `X-Telegram-Bot-Api-Secret-Token`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret_token: String,
    /// WhatsApp: the Graph API access token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_token: String,
    /// WhatsApp: the app secret that signs notifications.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_secret: String,
    /// WhatsApp: the token of the verification handshake.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verify_token: String,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    agent_id: String,
    kind: String,
    account: String,
    secrets: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Channel {
    fn from(row: Row) -> Self {
        // Unreadable secrets are empty ones, which every check refuses (fail closed).
        let secrets = serde_json::from_str(&row.secrets).unwrap_or_else(|err| {
            worker::console_error!("channel {}: its stored secrets do not parse: {err}", row.id);
            Secrets::default()
        });
        Channel {
            id: row.id,
            agent_id: row.agent_id,
            kind: row.kind,
            account: row.account,
            secrets,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const COLUMNS: &str = "id, agent_id, kind, account, secrets, created_at, updated_at";

/// Connects a channel; connecting the same kind for the agent again replaces its account and
/// secrets under the same id (the caller passes that id).
pub async fn upsert(db: &D1Database, channel: &Channel) -> Result<()> {
    db.prepare(
        "INSERT INTO channels (id, agent_id, kind, account, secrets, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (agent_id, kind) DO UPDATE SET account = ?4, secrets = ?5, updated_at = ?6",
    )
    .bind(&[
        text(&channel.id),
        text(&channel.agent_id),
        text(&channel.kind),
        text(&channel.account),
        text(&serde_json::to_string(&channel.secrets)?),
        int(channel.updated_at),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Channel>> {
    let row: Option<Row> = db
        .prepare(format!("SELECT {COLUMNS} FROM channels WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Channel::from))
}

pub async fn for_agent(db: &D1Database, agent_id: &str) -> Result<Vec<Channel>> {
    let rows: Vec<Row> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM channels WHERE agent_id = ?1 ORDER BY kind"
        ))
        .bind(&[text(agent_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Channel::from).collect())
}

/// Disconnects a channel: its chats' state goes with it (their conversations stay, with
/// their transcripts).
pub async fn delete(db: &D1Database, id: &str) -> Result<()> {
    db.batch(vec![
        db.prepare("DELETE FROM channel_chats WHERE channel_id = ?1")
            .bind(&[text(id)])?,
        db.prepare("DELETE FROM channel_updates WHERE channel_id = ?1")
            .bind(&[text(id)])?,
        db.prepare("DELETE FROM channels WHERE id = ?1")
            .bind(&[text(id)])?,
    ])
    .await?;
    Ok(())
}

/// One person's chat with the agent on a channel.
#[derive(Debug, Clone)]
pub struct Chat {
    pub conversation_id: String,
    /// The form being asked, if one is.
    pub form: Option<Session>,
    pub version: i64,
}

#[derive(Deserialize)]
struct ChatRow {
    conversation_id: String,
    form: Option<String>,
    version: i64,
}

pub async fn chat(db: &D1Database, channel_id: &str, chat_id: &str) -> Result<Option<Chat>> {
    let row: Option<ChatRow> = db
        .prepare(
            "SELECT conversation_id, form, version FROM channel_chats WHERE channel_id = ?1 AND chat_id = ?2",
        )
        .bind(&[text(channel_id), text(chat_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| Chat {
        conversation_id: r.conversation_id,
        form: r.form.and_then(|f| serde_json::from_str(&f).ok()),
        version: r.version,
    }))
}

/// The statement that starts a chat (with its conversation); refused (a unique key) if
/// another message started it first.
pub fn start_chat(
    db: &D1Database,
    channel_id: &str,
    chat_id: &str,
    conversation_id: &str,
    restart: bool,
    now: i64,
) -> Result<D1PreparedStatement> {
    if restart {
        // Its conversation is gone or full: the chat goes on in the new one, form cleared.
        return db
            .prepare(
                "UPDATE channel_chats SET conversation_id = ?3, form = NULL, version = version + 1, updated_at = ?4
                 WHERE channel_id = ?1 AND chat_id = ?2",
            )
            .bind(&[text(channel_id), text(chat_id), text(conversation_id), int(now)]);
    }
    db.prepare(
        "INSERT INTO channel_chats (channel_id, chat_id, conversation_id, form, version, updated_at)
         VALUES (?1, ?2, ?3, NULL, 0, ?4)",
    )
    .bind(&[text(channel_id), text(chat_id), text(conversation_id), int(now)])
}

/// The statements that save the chat's form at the version it was read, and fail the
/// batch when another message moved it meanwhile (the platform delivers again then).
pub fn save_form(
    db: &D1Database,
    channel_id: &str,
    chat_id: &str,
    form: Option<&Session>,
    version: i64,
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    Ok(vec![
        db.prepare(
            "UPDATE channel_chats SET form = ?3, version = version + 1, updated_at = ?5
             WHERE channel_id = ?1 AND chat_id = ?2 AND version = ?4",
        )
        .bind(&[
            text(channel_id),
            text(chat_id),
            opt_text(form.map(serde_json::to_string).transpose()?.as_deref()),
            int(version),
            int(now),
        ])?,
        // Fails the batch (the CHECK of write_guard) unless the update changed one row.
        db.prepare("INSERT OR REPLACE INTO write_guard (id, ok) VALUES (1, changes())"),
    ])
}

/// How long a delivery being handled holds it: past this, an unfinished one (the isolate
/// died) is taken again when the platform delivers it again.
pub const LEASE_MS: i64 = 120_000;

/// Where a platform's delivery of a message stands when it arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Take {
    /// Taken for handling now (the first delivery, or one whose earlier handler's lease lapsed).
    Taken,
    /// Handled already: a redelivery, acknowledged with nothing done again.
    Done,
    /// Being handled right now by an earlier delivery: not acknowledged, so the platform
    /// delivers it again should that handling fail or its isolate die.
    InProgress,
}

/// Takes the platform's delivery `update_id` for handling, unless it was handled or is
/// being handled ([`Take`]).
pub async fn take(db: &D1Database, channel_id: &str, update_id: &str, now: i64) -> Result<Take> {
    let result = db
        .prepare(
            "INSERT INTO channel_updates (channel_id, update_id, at, done) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT (channel_id, update_id) DO UPDATE SET at = ?3 WHERE done = 0 AND at < ?3 - ?4",
        )
        .bind(&[text(channel_id), text(update_id), int(now), int(LEASE_MS)])?
        .run()
        .await?;
    if result
        .meta()?
        .and_then(|m| m.changes)
        .is_some_and(|changes| changes > 0)
    {
        return Ok(Take::Taken);
    }
    // Only a repeat reads: was it finished? (A mark gone meanwhile, its handling failed:
    // asked again, it is taken then.)
    let done: Option<i64> = db
        .prepare("SELECT done FROM channel_updates WHERE channel_id = ?1 AND update_id = ?2")
        .bind(&[text(channel_id), text(update_id)])?
        .first(Some("done"))
        .await?;
    Ok(match done {
        Some(1) => Take::Done,
        _ => Take::InProgress,
    })
}

/// The statement that marks `update_id` handled, in the batch that answers it.
pub fn done(db: &D1Database, channel_id: &str, update_id: &str) -> Result<D1PreparedStatement> {
    db.prepare("UPDATE channel_updates SET done = 1 WHERE channel_id = ?1 AND update_id = ?2")
        .bind(&[text(channel_id), text(update_id)])
}

/// Forgets that `update_id` was handled, when handling it failed: the platform's next
/// delivery of it is then handled again, so no message is lost.
pub async fn forget(db: &D1Database, channel_id: &str, update_id: &str) -> Result<()> {
    db.prepare("DELETE FROM channel_updates WHERE channel_id = ?1 AND update_id = ?2")
        .bind(&[text(channel_id), text(update_id)])?
        .run()
        .await?;
    Ok(())
}

/// Drops the handled-delivery marks older than `before` (the platforms stop redelivering
/// after a day).
pub async fn purge_updates(db: &D1Database, before: i64) -> Result<()> {
    db.prepare("DELETE FROM channel_updates WHERE at < ?1")
        .bind(&[int(before)])?
        .run()
        .await?;
    Ok(())
}
