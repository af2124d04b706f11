//! Owner keys: stored as the SHA-256 of the key, with scopes and the agents they may see.

use super::{changed_any, from_json_column, int, opt_text, text};
use leadform_core::access::Scope;
use serde::{Deserialize, Serialize};
use worker::{D1Database, Result};

/// A key as its owner sees it in a list: never the key itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    /// `None`: every agent.
    pub agents: Option<Vec<String>>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Deserialize)]
struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    agents: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            scopes: from_json_column(&row.scopes),
            agents: row.agents.map(|a| from_json_column(&a)),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

const COLUMNS: &str = "id, name, prefix, scopes, agents, created_at, last_used_at, revoked_at";

pub struct NewKey<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub scopes: &'a [Scope],
    pub agents: Option<&'a [String]>,
    pub now: i64,
}

pub async fn insert(db: &D1Database, key: &NewKey<'_>) -> Result<()> {
    let agents = key.agents.map(serde_json::to_string).transpose()?;
    db.prepare(
        "INSERT INTO api_keys (id, name, hash, prefix, scopes, agents, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&[
        text(key.id),
        text(key.name),
        text(key.hash),
        text(key.prefix),
        text(&serde_json::to_string(key.scopes)?),
        opt_text(agents.as_deref()),
        int(key.now),
    ])?
    .run()
    .await?;
    Ok(())
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<ApiKey>> {
    let row: Option<KeyRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(ApiKey::from))
}

/// The live (not revoked) key with this hash.
pub async fn by_hash(db: &D1Database, hash: &str) -> Result<Option<ApiKey>> {
    let row: Option<KeyRow> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL"
        ))
        .bind(&[text(hash)])?
        .first(None)
        .await?;
    Ok(row.map(ApiKey::from))
}

pub async fn list(db: &D1Database) -> Result<Vec<ApiKey>> {
    let rows: Vec<KeyRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"))
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Revokes a key; false when there is no such live key.
pub async fn revoke(db: &D1Database, id: &str, now: i64) -> Result<bool> {
    let result = db
        .prepare("UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")
        .bind(&[text(id), int(now)])?
        .run()
        .await?;
    changed_any(&result)
}

/// How fresh `last_used_at` is kept: a write per request would cost more than the
/// information is worth.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// Notes that a key was used (callers skip it when the key was noted within the minute).
pub async fn touch(db: &D1Database, id: &str, now: i64) -> Result<()> {
    db.prepare("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")
        .bind(&[text(id), int(now)])?
        .run()
        .await?;
    Ok(())
}
