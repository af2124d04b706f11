//! Conversations and their turns, in order. A turn's `seq` is taken inside the batch that
//! writes it (the highest so far plus one), so simultaneous writes to one conversation
//! never share a number.

use super::sql::Sql;
use super::{int, opt_text, text};
use leadform_core::query::Cursor;
use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement, Result};

/// Most turns one conversation keeps: a long chat, far below what could fill a database.
pub const MAX_TURNS: i64 = 1_000;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub id: String,
    pub agent_id: String,
    pub page_url: Option<String>,
    pub visitor_messages: i64,
    pub turns: i64,
    pub summary: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Deserialize)]
struct ConversationRow {
    id: String,
    agent_id: String,
    page_url: Option<String>,
    visitor_messages: i64,
    turns: i64,
    summary: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<ConversationRow> for Conversation {
    fn from(r: ConversationRow) -> Self {
        Conversation {
            id: r.id,
            agent_id: r.agent_id,
            page_url: r.page_url,
            visitor_messages: r.visitor_messages,
            turns: r.turns,
            summary: r.summary,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One turn of a conversation, as stored (snake_case columns) and as the owner reads it
/// (camelCase).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Turn {
    pub seq: i64,
    pub at: i64,
    /// `visitor` or `agent`.
    pub role: String,
    /// `message`, `form_shown`, `form_dismissed`, `form_submitted`, `question` (the agent
    /// asks a form's qualification question) or `answer` (the visitor's choice).
    pub kind: String,
    pub text: String,
    pub tool_id: Option<String>,
    pub reason: Option<String>,
    pub submission_id: Option<String>,
    /// The qualification question's key, on `question` and `answer` turns.
    pub question: Option<String>,
    /// What an `answer` scored.
    pub points: Option<i64>,
}

impl Turn {
    /// Whether this is submission `id`'s own turn: it was written into the conversation by
    /// whoever held it (a submission that only named the id has none).
    pub fn records_submission(&self, id: &str) -> bool {
        self.kind == "form_submitted" && self.submission_id.as_deref() == Some(id)
    }

    /// Whether the visitor wrote this turn (a message, or an answer to a question).
    pub fn is_visitor_message(&self) -> bool {
        self.role == "visitor" && matches!(self.kind.as_str(), "message" | "answer")
    }
}

/// A turn to write; its `seq` comes from the table.
pub struct NewTurn<'a> {
    pub role: &'a str,
    pub kind: &'a str,
    pub text: &'a str,
    pub tool_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub submission_id: Option<&'a str>,
    pub question: Option<&'a str>,
    pub points: Option<i64>,
}

impl<'a> NewTurn<'a> {
    pub fn message(role: &'a str, text: &'a str) -> Self {
        NewTurn {
            role,
            kind: "message",
            text,
            tool_id: None,
            reason: None,
            submission_id: None,
            question: None,
            points: None,
        }
    }
}

const COLUMNS: &str = "id, agent_id, page_url, visitor_messages, turns, summary, created_at, updated_at";

pub fn insert(db: &D1Database, c: &Conversation) -> Result<D1PreparedStatement> {
    db.prepare(format!(
        "INSERT INTO conversations ({COLUMNS}) VALUES (?1, ?2, ?3, 0, 0, NULL, ?4, ?4)"
    ))
    .bind(&[
        text(&c.id),
        text(&c.agent_id),
        opt_text(c.page_url.as_deref()),
        int(c.created_at),
    ])
}

/// The statements that append `turns` to conversation `id` (in one batch with whatever else
/// the caller writes) and keep its counters: the last seq, visitor messages, the page.
pub fn append(
    db: &D1Database,
    id: &str,
    turns: &[NewTurn],
    page_url: Option<&str>,
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    let mut statements = Vec::with_capacity(turns.len() + 1);
    for turn in turns {
        statements.push(
            db.prepare(
                format!(
                    "INSERT INTO conversation_turns (conversation_id, seq, at, role, kind, text, tool_id, reason, submission_id, question, points)
                     SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
                     FROM conversation_turns WHERE conversation_id = ?1 HAVING COALESCE(MAX(seq), 0) < {MAX_TURNS}"
                ),
            )
            .bind(&turn_values(id, now, turn))?,
        );
    }
    let visitor = turns
        .iter()
        .filter(|t| t.role == "visitor" && matches!(t.kind, "message" | "answer"))
        .count() as i64;
    statements.push(
        db.prepare(
            "UPDATE conversations SET
               turns = (SELECT COALESCE(MAX(seq), 0) FROM conversation_turns WHERE conversation_id = ?1),
               visitor_messages = visitor_messages + ?2, updated_at = ?3, page_url = COALESCE(?4, page_url)
             WHERE id = ?1",
        )
        .bind(&[text(id), int(visitor), int(now), opt_text(page_url)])?,
    );
    Ok(statements)
}

/// The statements that note `turn` in conversation `id` if the edge keeps it for `agent_id`
/// and it has room; otherwise they change nothing. No read first: they ride in the
/// caller's batch (a submission's write).
pub fn note_if_kept(
    db: &D1Database,
    id: &str,
    agent_id: &str,
    turn: &NewTurn,
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    note_if_kept_setting(db, id, agent_id, turn, now, None)
}

/// The summary a submission leaves on its conversation.
pub enum Summary {
    /// Written by the edge (by the LLM, or the plain one from the turns it read).
    Text(String),
    /// The plain one without its first line, which D1 adds from the turns as they are
    /// committed: the visitor's first message (`Asked: ...` and a line break, when there is
    /// one), as `agent::summary::plain` writes it. For a submit that writes before it reads.
    AfterFirstQuestion(String),
}

/// The statement that sets conversation `id`'s summary, when it is `agent_id`'s.
pub fn set_summary(db: &D1Database, id: &str, agent_id: &str, summary: &str) -> Result<D1PreparedStatement> {
    db.prepare("UPDATE conversations SET summary = ?3 WHERE id = ?1 AND agent_id = ?2")
        .bind(&[text(id), text(agent_id), text(summary)])
}

/// [`note_if_kept`] that also sets the conversation's summary, in the same UPDATE (one
/// statement fewer than apart: each costs the submit that makes it).
pub fn note_if_kept_with_summary(
    db: &D1Database,
    id: &str,
    agent_id: &str,
    turn: &NewTurn,
    now: i64,
    summary: &Summary,
) -> Result<Vec<D1PreparedStatement>> {
    note_if_kept_setting(db, id, agent_id, turn, now, Some(summary))
}

fn note_if_kept_setting(
    db: &D1Database,
    id: &str,
    agent_id: &str,
    turn: &NewTurn,
    now: i64,
    summary: Option<&Summary>,
) -> Result<Vec<D1PreparedStatement>> {
    let mut update_values = vec![text(id), int(now), text(agent_id)];
    let set_summary = match summary {
        None => "",
        Some(Summary::Text(summary)) => {
            update_values.push(text(summary));
            ", summary = ?4"
        }
        Some(Summary::AfterFirstQuestion(rest)) => {
            update_values.push(text(rest));
            ", summary = COALESCE(
                 (SELECT 'Asked: ' || text || char(10) FROM conversation_turns
                  WHERE conversation_id = ?1 AND role = 'visitor' AND kind = 'message' ORDER BY seq LIMIT 1), '') || ?4"
        }
    };
    Ok(vec![
        db.prepare(format!(
            "INSERT INTO conversation_turns (conversation_id, seq, at, role, kind, text, tool_id, reason, submission_id, question, points)
             SELECT ?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM conversation_turns WHERE conversation_id = ?1),
               ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
             FROM conversations c WHERE c.id = ?1 AND c.agent_id = ?11
               AND (SELECT COALESCE(MAX(seq), 0) FROM conversation_turns WHERE conversation_id = ?1) < {MAX_TURNS}"
        ))
        .bind(&[turn_values(id, now, turn), vec![text(agent_id)]].concat())?,
        db.prepare(format!(
            "UPDATE conversations SET updated_at = ?2,
               turns = (SELECT COALESCE(MAX(seq), 0) FROM conversation_turns WHERE conversation_id = ?1){set_summary}
             WHERE id = ?1 AND agent_id = ?3",
        ))
        .bind(&update_values)?,
    ])
}

/// A turn's values as its INSERTs bind them, `?1` to `?10`.
fn turn_values(id: &str, now: i64, turn: &NewTurn) -> Vec<wasm_bindgen::JsValue> {
    vec![
        text(id),
        int(now),
        text(turn.role),
        text(turn.kind),
        text(turn.text),
        opt_text(turn.tool_id),
        opt_text(turn.reason),
        opt_text(turn.submission_id),
        opt_text(turn.question),
        super::opt_int(turn.points),
    ]
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Conversation>> {
    let row: Option<ConversationRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM conversations WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Conversation::from))
}

const TURN_COLUMNS: &str = "seq, at, role, kind, text, tool_id, reason, submission_id, question, points";

pub async fn turns(db: &D1Database, id: &str) -> Result<Vec<Turn>> {
    db.prepare(format!(
        "SELECT {TURN_COLUMNS} FROM conversation_turns WHERE conversation_id = ?1 ORDER BY seq"
    ))
    .bind(&[text(id)])?
    .all()
    .await?
    .results()
}

/// The statement that reads conversation `id`'s turns if it is `agent_id`'s (none
/// otherwise: a submission may name any conversation id), for a caller's batch of reads.
pub fn turns_of_agent_statement(db: &D1Database, id: &str, agent_id: &str) -> Result<D1PreparedStatement> {
    db.prepare(format!(
        "SELECT {TURN_COLUMNS} FROM conversation_turns
         WHERE conversation_id = (SELECT id FROM conversations WHERE id = ?1 AND agent_id = ?2)
         ORDER BY seq"
    ))
    .bind(&[text(id), text(agent_id)])
}

/// The turns [`turns_of_agent_statement`] read.
pub fn turns_from(result: &worker::D1Result) -> Result<Vec<Turn>> {
    result.results()
}

/// Which of an agent's conversations a list shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    All,
    /// Those where the visitor wrote, or sent a form: not a chat opened and left.
    Engaged,
}

/// An agent's conversations, newest first, keyset-paged.
pub async fn list(
    db: &D1Database,
    agent_id: &str,
    listed: Listed,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Conversation>, bool)> {
    let mut sql = Sql::new(
        format!("SELECT {COLUMNS} FROM conversations c WHERE agent_id = ?1"),
        text(agent_id),
    );
    if listed == Listed::Engaged {
        sql.push(
            " AND (visitor_messages > 0 OR EXISTS (SELECT 1 FROM submissions s
                     WHERE s.conversation_id = c.id AND +s.agent_id = c.agent_id))",
        );
    }
    if let Some(c) = cursor {
        sql.and_all(
            "(created_at < ? OR (created_at = ? AND id < ?))",
            &[int(c.at), int(c.at), text(&c.id)],
        );
    }
    sql.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {}", limit + 1));
    let mut rows: Vec<ConversationRow> = sql.prepare(db)?.all().await?.results()?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok((rows.into_iter().map(Conversation::from).collect(), more))
}

/// The statements that delete the conversations a lead came from (before its submissions
/// go, which say which ones), only ever the lead's own agent's and only those a submission
/// proved was its sender's: a submission may name any conversation id (migration 0026).
/// A conversation another lead also came from (a visitor who sent a typo email, then the
/// right one) is that lead's transcript too, and stays.
pub fn delete_for_lead(db: &D1Database, lead_id: &str, agent_id: &str) -> Result<Vec<D1PreparedStatement>> {
    const OF_LEAD: &str = "SELECT c.id FROM conversations c JOIN submissions s ON s.conversation_id = c.id
         WHERE s.lead_id = ?1 AND s.conversation_proven = 1 AND c.agent_id = ?2 AND NOT EXISTS (SELECT 1 FROM submissions o
           WHERE o.conversation_id = c.id AND o.agent_id = ?2 AND o.lead_id IS NOT NULL AND o.lead_id <> ?1
             AND o.conversation_proven = 1)";
    Ok(vec![
        db.prepare(format!(
            "DELETE FROM conversation_turns WHERE conversation_id IN ({OF_LEAD})"
        ))
        .bind(&[text(lead_id), text(agent_id)])?,
        // A messaging chat's state (its form in progress) is personal data too.
        db.prepare(format!(
            "DELETE FROM channel_chats WHERE conversation_id IN ({OF_LEAD})"
        ))
        .bind(&[text(lead_id), text(agent_id)])?,
        db.prepare(format!("DELETE FROM conversations WHERE id IN ({OF_LEAD})"))
            .bind(&[text(lead_id), text(agent_id)])?,
    ])
}

/// Deletes up to `batch` conversations of agents with a retention period that were last
/// touched longer ago than it; returns how many went.
pub async fn purge_expired(db: &D1Database, now: i64, batch: u32) -> Result<usize> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let expired: Vec<Id> = db
        .prepare(
            // Agent by agent (CROSS JOIN keeps that order: the few agents with a period
            // first, then each one's old conversations by `conversations_agent_updated`),
            // never a walk of every conversation.
            "SELECT c.id FROM agents a CROSS JOIN conversations c
             WHERE a.retention_days IS NOT NULL AND c.agent_id = a.id
               AND c.updated_at < ?1 - a.retention_days * 86400000
             LIMIT ?2",
        )
        .bind(&[int(now), int(batch as i64)])?
        .all()
        .await?
        .results()?;
    delete_all(db, &expired.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), "").await
}

/// What makes a conversation one nobody wrote in: no visitor message, at most its
/// greeting, and no submission naming it (a form sent from a page with no greeting).
const UNANSWERED: &str = "visitor_messages = 0 AND turns <= 1
    AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.conversation_id = conversations.id)";

/// Deletes up to `batch` conversations nobody wrote in (only the greeting: a chat opened
/// and left, or a script starting conversations) untouched since `before`; how many were
/// picked (one the visitor wrote in meanwhile stays).
pub async fn purge_unanswered(db: &D1Database, before: i64, batch: u32) -> Result<usize> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let quiet: Vec<Id> = db
        .prepare(
            // The partial index `conversations_unanswered` (migration 0020) holds just these.
            format!("SELECT id FROM conversations WHERE {UNANSWERED} AND updated_at < ?1 LIMIT ?2"),
        )
        .bind(&[int(before), int(batch as i64)])?
        .all()
        .await?
        .results()?;
    delete_all(
        db,
        &quiet.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
        UNANSWERED,
    )
    .await
}

/// Deletes conversations `ids` that still meet `condition` (SQL on `conversations`; empty
/// for none: it is checked again as they are deleted, since they were picked) with their
/// turns and chat state, in one batch.
async fn delete_all(db: &D1Database, ids: &[&str], condition: &str) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list = text(&serde_json::to_string(ids)?);
    let condition = if condition.is_empty() {
        String::new()
    } else {
        format!(" AND {condition}")
    };
    let chosen =
        format!("SELECT id FROM conversations WHERE id IN (SELECT value FROM json_each(?1)){condition}");
    db.batch(vec![
        db.prepare(format!(
            "DELETE FROM conversation_turns WHERE conversation_id IN ({chosen})"
        ))
        .bind(std::slice::from_ref(&list))?,
        db.prepare(format!(
            "DELETE FROM channel_chats WHERE conversation_id IN ({chosen})"
        ))
        .bind(std::slice::from_ref(&list))?,
        db.prepare(format!("DELETE FROM conversations WHERE id IN ({chosen})"))
            .bind(&[list])?,
    ])
    .await?;
    Ok(ids.len())
}
