use super::{from_json_column, int, opt_int, opt_text, text};
use leadform_core::lead::DEFAULT_LOST_REASONS;
use leadform_core::locale::Texts;
use leadform_core::look::Look;
use leadform_core::owner::AgentIn;
use serde::{Deserialize, Serialize};
use worker::{D1Database, Result};

/// An agent as owners see it through the API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub greeting: String,
    pub quick_replies: Vec<String>,
    pub allowed_origins: Vec<String>,
    /// The agent's own reasons for a lost lead; shown as the list in force.
    #[serde(serialize_with = "reasons_in_force")]
    pub lost_reasons: Option<Vec<String>>,
    pub instructions: String,
    pub retention_days: Option<u32>,
    pub look: Option<Look>,
    pub locale: Option<String>,
    pub greetings: Texts,
    pub created_at: i64,
    pub updated_at: i64,
}

fn reasons_in_force<S: serde::Serializer>(
    own: &Option<Vec<String>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    lost_reasons_or_default(own).serialize(s)
}

fn lost_reasons_or_default(own: &Option<Vec<String>>) -> Vec<String> {
    own.clone()
        .unwrap_or_else(|| DEFAULT_LOST_REASONS.iter().map(|r| r.to_string()).collect())
}

#[derive(Deserialize)]
struct AgentRow {
    id: String,
    name: String,
    greeting: String,
    quick_replies: String,
    allowed_origins: String,
    lost_reasons: Option<String>,
    instructions: String,
    retention_days: Option<i64>,
    #[serde(default)]
    look: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    greetings: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<AgentRow> for Agent {
    fn from(row: AgentRow) -> Self {
        Agent {
            id: row.id,
            name: row.name,
            greeting: row.greeting,
            quick_replies: from_json_column(&row.quick_replies),
            allowed_origins: from_json_column(&row.allowed_origins),
            lost_reasons: row.lost_reasons.and_then(|r| serde_json::from_str(&r).ok()),
            instructions: row.instructions,
            retention_days: row.retention_days.map(|d| d.clamp(1, u32::MAX as i64) as u32),
            look: row.look.and_then(|l| serde_json::from_str(&l).ok()),
            locale: row.locale,
            greetings: row.greetings.map(|g| from_json_column(&g)).unwrap_or_default(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl Agent {
    /// The owner's greeting in the language `code` when they wrote one (`greetings`), else
    /// their greeting (empty: none).
    pub fn greeting_in(&self, code: &str) -> &str {
        leadform_core::locale::own_text(&self.greetings, code).unwrap_or(&self.greeting)
    }

    /// The body a `PATCH` is merged into.
    pub fn to_input(&self) -> AgentIn {
        AgentIn {
            id: Some(self.id.clone()),
            name: self.name.clone(),
            greeting: self.greeting.clone(),
            quick_replies: self.quick_replies.clone(),
            allowed_origins: self.allowed_origins.clone(),
            lost_reasons: self.lost_reasons.clone(),
            instructions: self.instructions.clone(),
            retention_days: self.retention_days,
            look: self.look.clone(),
            locale: self.locale.clone(),
            greetings: self.greetings.clone(),
        }
    }

    /// The reasons an owner may give for a lost lead of this agent.
    pub fn lost_reasons(&self) -> Vec<String> {
        lost_reasons_or_default(&self.lost_reasons)
    }
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Agent>> {
    let row: Option<AgentRow> = db
        .prepare("SELECT * FROM agents WHERE id = ?1")
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Agent::from))
}

/// The first of `ids` that names no agent, by its place in the list (one read).
pub async fn first_unknown(db: &D1Database, ids: &[String]) -> Result<Option<usize>> {
    #[derive(Deserialize)]
    struct Unknown {
        place: i64,
    }
    let list = serde_json::to_string(ids)?;
    let row: Option<Unknown> = db
        .prepare(
            "SELECT CAST(key AS INTEGER) AS place FROM json_each(?1)
             WHERE value NOT IN (SELECT id FROM agents) ORDER BY 1 LIMIT 1",
        )
        .bind(&[text(&list)])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| usize::try_from(r.place).ok()))
}

/// Every agent, oldest first: the dashboard's agent switcher.
pub async fn list(db: &D1Database) -> Result<Vec<Agent>> {
    let rows: Vec<AgentRow> = db
        .prepare("SELECT * FROM agents ORDER BY created_at, id")
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Agent::from).collect())
}

/// Inserts or replaces the agent with `id`, keeping its creation time.
pub async fn upsert(db: &D1Database, id: &str, input: &AgentIn, now: i64) -> Result<()> {
    db.prepare(
        "INSERT INTO agents (id, name, greeting, quick_replies, allowed_origins, created_at, updated_at, lost_reasons,
           instructions, retention_days, look, locale, greetings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET name = ?2, greeting = ?3, quick_replies = ?4,
           allowed_origins = ?5, updated_at = ?6, lost_reasons = ?7, instructions = ?8, retention_days = ?9,
           look = ?10, locale = ?11, greetings = ?12",
    )
    .bind(&[
        text(id),
        text(&input.name),
        text(&input.greeting),
        text(&serde_json::to_string(&input.quick_replies)?),
        text(&serde_json::to_string(&input.allowed_origins)?),
        int(now),
        opt_text(input.lost_reasons.as_ref().map(serde_json::to_string).transpose()?.as_deref()),
        text(&input.instructions),
        opt_int(input.retention_days.map(i64::from)),
        opt_text(input.look.as_ref().map(serde_json::to_string).transpose()?.as_deref()),
        opt_text(input.locale.as_deref()),
        opt_text(
            Some(&input.greetings)
                .filter(|g| !g.is_empty())
                .map(serde_json::to_string)
                .transpose()?
                .as_deref(),
        ),
    ])?
    .run()
    .await?;
    Ok(())
}

/// Whether any agent lets pages of `origin` call the widget endpoints; answers preflights,
/// which carry no agent id. One index read: `agent_origins` is kept by triggers
/// (migration 0017).
pub async fn any_allows_origin(db: &D1Database, origin: &str) -> Result<bool> {
    let hit: Option<serde_json::Value> = db
        .prepare("SELECT 1 AS hit FROM agent_origins WHERE origin IN (?1, '*') LIMIT 1")
        .bind(&[text(origin)])?
        .first(None)
        .await?;
    Ok(hit.is_some())
}
