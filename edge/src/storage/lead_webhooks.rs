//! Endpoints that follow an agent's pipeline through lead events.

use super::{changed_any, from_json_column, int, opt_text, text, SecretRotation};
use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement, Result};

/// An endpoint with its secret: the secret is shown once, at creation and at a rotation
/// (see the route).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadWebhook {
    pub id: String,
    pub agent_id: String,
    pub url: String,
    #[serde(skip_serializing)]
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    #[serde(skip_serializing)]
    pub previous_secret: Option<String>,
    #[serde(skip_serializing)]
    pub previous_secret_until: Option<i64>,
    pub events: Vec<String>,
    pub created_at: i64,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    agent_id: String,
    url: String,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<i64>,
    events: String,
    created_at: i64,
}

impl From<Row> for LeadWebhook {
    fn from(row: Row) -> Self {
        LeadWebhook {
            id: row.id,
            agent_id: row.agent_id,
            url: row.url,
            secret: row.secret,
            previous_secret: row.previous_secret,
            previous_secret_until: row.previous_secret_until,
            events: from_json_column(&row.events),
            created_at: row.created_at,
        }
    }
}

impl LeadWebhook {
    pub fn wants(&self, event_type: &str) -> bool {
        self.events.iter().any(|e| e == event_type)
    }

    /// The secrets that sign at `now`: the current one, and the previous one during the
    /// overlap of a rotation.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        leadform_core::webhook::secrets_in_force(
            &self.secret,
            self.previous_secret.as_deref(),
            self.previous_secret_until,
            now,
        )
    }
}

pub async fn insert(db: &D1Database, endpoint: &LeadWebhook) -> Result<()> {
    db.prepare(
        "INSERT INTO lead_webhooks (id, agent_id, url, secret, events, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(&[
        text(&endpoint.id),
        text(&endpoint.agent_id),
        text(&endpoint.url),
        text(&endpoint.secret),
        text(&serde_json::to_string(&endpoint.events)?),
        int(endpoint.created_at),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<LeadWebhook>> {
    let row: Option<Row> = db
        .prepare("SELECT * FROM lead_webhooks WHERE id = ?1")
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(LeadWebhook::from))
}

pub async fn for_agent(db: &D1Database, agent_id: &str) -> Result<Vec<LeadWebhook>> {
    for_agent_from(&for_agent_statement(db, agent_id)?.all().await?)
}

/// The read of [`for_agent`], to run in a batch with other reads.
pub fn for_agent_statement(db: &D1Database, agent_id: &str) -> Result<D1PreparedStatement> {
    db.prepare("SELECT * FROM lead_webhooks WHERE agent_id = ?1 ORDER BY created_at, id")
        .bind(&[text(agent_id)])
}

/// The condition (for a batch's [`super::assumptions`]) that `agent_id` has no lead-event
/// endpoint: what [`for_agent_statement`] would read is nothing.
pub fn none_condition(agent_id: &str) -> (&'static str, Vec<wasm_bindgen::JsValue>) {
    (
        "NOT EXISTS (SELECT 1 FROM lead_webhooks WHERE agent_id = ?)",
        vec![text(agent_id)],
    )
}

/// The endpoints a [`for_agent_statement`] read.
pub fn for_agent_from(result: &worker::D1Result) -> Result<Vec<LeadWebhook>> {
    let rows: Vec<Row> = result.results()?;
    Ok(rows.into_iter().map(LeadWebhook::from).collect())
}

/// Replaces the signing secret as `rotation` says; the old one keeps signing until
/// `rotation.previous_until`. `false` when the secret is no longer the one `rotation`
/// replaces: another rotation went first.
pub async fn rotate_secret(db: &D1Database, id: &str, rotation: &SecretRotation) -> Result<bool> {
    let result = db
        .prepare(
            "UPDATE lead_webhooks SET previous_secret = secret, previous_secret_until = ?3, secret = ?2
             WHERE id = ?1 AND (?4 IS NULL OR secret = ?4)",
        )
        .bind(&[
            text(id),
            text(&rotation.secret),
            int(rotation.previous_until),
            opt_text(rotation.replaced.as_deref()),
        ])?
        .run()
        .await?;
    changed_any(&result)
}

pub async fn delete(db: &D1Database, id: &str) -> Result<()> {
    db.prepare("DELETE FROM lead_webhooks WHERE id = ?1")
        .bind(&[text(id)])?
        .run()
        .await?;
    Ok(())
}
