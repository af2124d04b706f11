use super::{changed_any, from_json_column, int, opt_text, text, SecretRotation};
use leadform_core::conversation::FormRules;
use leadform_core::form::{ExecutionMode, FieldSpec};
use leadform_core::owner::ToolIn;
use leadform_core::post_actions::PostAction;
use leadform_core::qualification::Qualification;
use leadform_core::wire::FormPublic;
use serde::{Deserialize, Serialize};
use worker::{D1Database, Result};

/// A form tool with everything the edge needs, secrets included: never sent to a widget
/// as is (see [`Tool::public`]).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub id: String,
    pub agent_id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub fields: Vec<FieldSpec>,
    pub triggers: Vec<String>,
    pub success_message: String,
    pub dismiss_message: String,
    pub execution_mode: ExecutionMode,
    pub webhook_url: Option<String>,
    /// Signs this tool's webhooks; never part of a tool as the API shows it (it has its own
    /// route, and is shown once when the tool is made).
    #[serde(skip_serializing)]
    pub webhook_secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    #[serde(skip_serializing)]
    pub previous_secret: Option<String>,
    #[serde(skip_serializing)]
    pub previous_secret_until: Option<i64>,
    pub post_actions: Vec<PostAction>,
    pub retry_schedule: Option<Vec<u32>>,
    pub require_client_token: bool,
    pub rules: FormRules,
    /// `None`: `spam::DEFAULT_THRESHOLD`.
    pub spam_threshold: Option<u32>,
    /// Questions asked in the chat before the form shows.
    pub qualification: Option<Qualification>,
    /// Offered to visitors; `false`: paused by the owner (`ToolIn::enabled`).
    pub enabled: bool,
    /// When the owner paused it: displays the edge showed before then are still taken.
    #[serde(skip_serializing)]
    pub paused_at: Option<i64>,
    /// When the owner deleted it: the row stays for the submissions, leads and deliveries
    /// that name it, but no list, config, agent or new sender sees the form.
    #[serde(skip_serializing)]
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Moved on by every change to the row (migration 0014): a change made on this read
    /// names it, so a change committed meanwhile is not overwritten ([`upsert`]).
    #[serde(skip_serializing)]
    pub revision: i64,
}

#[derive(Deserialize, Clone, PartialEq)]
struct ToolRow {
    id: String,
    agent_id: String,
    name: String,
    title: String,
    description: String,
    fields: String,
    triggers: String,
    success_message: String,
    dismiss_message: String,
    execution_mode: String,
    webhook_url: Option<String>,
    webhook_secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<i64>,
    post_actions: String,
    retry_schedule: Option<String>,
    require_client_token: i64,
    rules: String,
    spam_threshold: Option<i64>,
    #[serde(default)]
    qualification: Option<String>,
    /// Migration 0027.
    #[serde(default)]
    paused_at: Option<i64>,
    #[serde(default)]
    deleted_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    /// Moved on by every change to the row (migration 0014).
    #[serde(default)]
    revision: i64,
    /// Only in [`widget_statement`]'s join: the agent's `allowed_origins`.
    #[serde(default)]
    agent_allowed_origins: Option<String>,
}

impl From<ToolRow> for Tool {
    fn from(row: ToolRow) -> Self {
        Tool {
            id: row.id,
            agent_id: row.agent_id,
            name: row.name,
            title: row.title,
            description: row.description,
            fields: from_json_column(&row.fields),
            triggers: from_json_column(&row.triggers),
            success_message: row.success_message,
            dismiss_message: row.dismiss_message,
            // The CHECK constraint keeps other values out of the table.
            execution_mode: ExecutionMode::parse(&row.execution_mode).unwrap_or_default(),
            webhook_url: row.webhook_url,
            webhook_secret: row.webhook_secret,
            previous_secret: row.previous_secret,
            previous_secret_until: row.previous_secret_until,
            post_actions: from_json_column(&row.post_actions),
            retry_schedule: row.retry_schedule.and_then(|s| serde_json::from_str(&s).ok()),
            require_client_token: row.require_client_token != 0,
            rules: from_json_column(&row.rules),
            spam_threshold: row.spam_threshold.and_then(|t| u32::try_from(t).ok()),
            qualification: row.qualification.and_then(|q| serde_json::from_str(&q).ok()),
            enabled: row.paused_at.is_none(),
            paused_at: row.paused_at,
            deleted_at: row.deleted_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            revision: row.revision,
        }
    }
}

impl Tool {
    /// The spam score at which this tool's submissions are quarantined.
    pub fn spam_threshold(&self) -> u32 {
        self.spam_threshold
            .unwrap_or(leadform_core::spam::DEFAULT_THRESHOLD)
    }

    /// The secrets that sign at `now`: the current one, and the previous one during the
    /// overlap of a rotation.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        leadform_core::webhook::secrets_in_force(
            &self.webhook_secret,
            self.previous_secret.as_deref(),
            self.previous_secret_until,
            now,
        )
    }

    pub fn public(&self) -> FormPublic {
        FormPublic {
            tool_id: self.id.clone(),
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            fields: self.fields.clone(),
            success_message: self.success_message.clone(),
            dismiss_message: self.dismiss_message.clone(),
            execution_mode: self.execution_mode,
            triggers: self.triggers.clone(),
        }
    }

    /// The body a `PATCH` is merged into.
    pub fn to_input(&self) -> ToolIn {
        ToolIn {
            id: Some(self.id.clone()),
            name: self.name.clone(),
            title: Some(self.title.clone()),
            description: self.description.clone(),
            fields: self.fields.clone(),
            triggers: self.triggers.clone(),
            success_message: Some(self.success_message.clone()),
            dismiss_message: self.dismiss_message.clone(),
            execution_mode: self.execution_mode,
            webhook_url: self.webhook_url.clone(),
            post_actions: self.post_actions.clone(),
            retry_schedule: self.retry_schedule.clone(),
            require_client_token: self.require_client_token,
            rules: self.rules.clone(),
            spam_threshold: self.spam_threshold,
            qualification: self.qualification.clone(),
            enabled: self.enabled,
        }
    }

    /// Whether visitors are offered the form: not paused, not deleted.
    pub fn offered(&self) -> bool {
        self.enabled && self.deleted_at.is_none()
    }
}

/// A tool with its agent's allowed origins: what a widget call needs, in one read (the
/// tool and its agent joined). Keeps the row it was read from, so a copy kept between
/// requests can be checked against a fresh read ([`WidgetTool::same_as`]).
#[derive(Clone)]
pub struct WidgetTool {
    pub tool: Tool,
    pub allowed_origins: Vec<String>,
    row: ToolRow,
}

impl WidgetTool {
    /// Whether both were read from the same tool and agent as they stood (every column).
    pub fn same_as(&self, other: &WidgetTool) -> bool {
        self.row == other.row
    }
}

/// The condition (for a batch's [`super::assumptions`]) that the tool and its agent's
/// allowed origins stand in D1 as `kept` was read: the same tool (id and creation), not
/// changed since (its revision: every change to the row moves it on), and the same origins.
/// What [`WidgetTool::same_as`] compares column by column, in four values.
pub fn unchanged_condition(kept: &WidgetTool) -> (&'static str, Vec<wasm_bindgen::JsValue>) {
    let row = &kept.row;
    (
        "EXISTS (SELECT 1 FROM tools t JOIN agents a ON a.id = t.agent_id
                 WHERE t.id = ? AND t.created_at = ? AND t.revision = ? AND a.allowed_origins IS ?)",
        vec![
            text(&row.id),
            int(row.created_at),
            int(row.revision),
            opt_text(row.agent_allowed_origins.as_deref()),
        ],
    )
}

/// The tool `id` and its agent's allowed origins, in one read.
pub async fn get_for_widget(db: &D1Database, id: &str) -> Result<Option<WidgetTool>> {
    widget_from(&widget_statement(db, id)?.all().await?)
}

/// The read of [`get_for_widget`], to run in a batch with other reads.
pub fn widget_statement(db: &D1Database, id: &str) -> Result<worker::D1PreparedStatement> {
    db.prepare(
        "SELECT t.*, a.allowed_origins AS agent_allowed_origins
         FROM tools t JOIN agents a ON a.id = t.agent_id WHERE t.id = ?1",
    )
    .bind(&[text(id)])
}

/// What a [`widget_statement`] read.
pub fn widget_from(result: &worker::D1Result) -> Result<Option<WidgetTool>> {
    let row = result.results::<ToolRow>()?.into_iter().next();
    Ok(row.map(|row| WidgetTool {
        allowed_origins: row
            .agent_allowed_origins
            .as_deref()
            .map(from_json_column)
            .unwrap_or_default(),
        tool: Tool::from(row.clone()),
        row,
    }))
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Tool>> {
    let row: Option<ToolRow> = db
        .prepare("SELECT * FROM tools WHERE id = ?1")
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Tool::from))
}

/// The tools of `ids` that exist, in one read.
pub async fn get_many(db: &D1Database, ids: &[&str]) -> Result<Vec<Tool>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows = db
        .prepare("SELECT * FROM tools WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(&[text(&serde_json::to_string(ids)?)])?
        .all()
        .await?
        .results::<ToolRow>()?;
    Ok(rows.into_iter().map(Tool::from).collect())
}

/// How many forms each agent has, in one read (the settings page's agent list).
pub async fn count_by_agent(db: &D1Database) -> Result<std::collections::HashMap<String, usize>> {
    #[derive(Deserialize)]
    struct Count {
        agent_id: String,
        n: i64,
    }
    let rows: Vec<Count> = db
        .prepare("SELECT agent_id, COUNT(*) AS n FROM tools WHERE deleted_at IS NULL GROUP BY agent_id")
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.agent_id, r.n.max(0) as usize))
        .collect())
}

/// The agent's forms, paused ones too, deleted ones not.
pub async fn list_for_agent(db: &D1Database, agent_id: &str) -> Result<Vec<Tool>> {
    let rows = db
        .prepare("SELECT * FROM tools WHERE agent_id = ?1 AND deleted_at IS NULL ORDER BY created_at, id")
        .bind(&[text(agent_id)])?
        .all()
        .await?
        .results::<ToolRow>()?;
    Ok(rows.into_iter().map(Tool::from).collect())
}

/// The agent's forms that visitors are offered: not paused, not deleted.
pub async fn offered_by_agent(db: &D1Database, agent_id: &str) -> Result<Vec<Tool>> {
    let mut forms = list_for_agent(db, agent_id).await?;
    forms.retain(Tool::offered);
    Ok(forms)
}

/// The names of every form the agent ever had, deleted ones too: what older submissions
/// and leads name.
pub async fn names_of_agent(
    db: &D1Database,
    agent_id: &str,
) -> Result<std::collections::HashMap<String, String>> {
    #[derive(Deserialize)]
    struct Name {
        id: String,
        name: String,
    }
    let rows: Vec<Name> = db
        .prepare("SELECT id, name FROM tools WHERE agent_id = ?1")
        .bind(&[text(agent_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Every form the agent ever had, in the order they were made, deleted ones last and marked:
/// the choices of the leads page's form filter (a deleted form's leads stay).
pub async fn choices_of_agent(db: &D1Database, agent_id: &str) -> Result<Vec<(String, String, bool)>> {
    #[derive(Deserialize)]
    struct Choice {
        id: String,
        name: String,
        deleted: i64,
    }
    let rows: Vec<Choice> = db
        .prepare(
            "SELECT id, name, deleted_at IS NOT NULL AS deleted FROM tools WHERE agent_id = ?1
             ORDER BY deleted, created_at, id",
        )
        .bind(&[text(agent_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.id, r.name, r.deleted != 0)).collect())
}

/// What a write of a form is.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Saving {
    /// Made, or made again with a deleted form's id (which brings it back).
    Made,
    /// Changed, on the form as read at this revision: a form deleted or changed since is
    /// left as it is.
    ChangedFrom(i64),
}

/// Inserts or replaces the tool `id`; the secret is only set on insert, so updates keep it.
/// A pause keeps the time it began. Another agent's form with that id is left as it is (two
/// agents making one id at once: the caller reads the form back and finds it is not its
/// agent's). `false` when a change wrote nothing: the form changed since it was read (the
/// caller reads it again and makes its change on that).
pub async fn upsert(
    db: &D1Database,
    id: &str,
    agent_id: &str,
    input: &ToolIn,
    secret: &str,
    now: i64,
    saving: Saving,
) -> Result<bool> {
    db.prepare(
        "INSERT INTO tools (id, agent_id, name, title, description, fields, triggers, success_message,
           dismiss_message, execution_mode, webhook_url, webhook_secret, created_at, updated_at,
           post_actions, retry_schedule, require_client_token, spam_threshold, rules, qualification,
           paused_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
           CASE WHEN ?20 = 1 THEN NULL ELSE ?13 END)
         ON CONFLICT(id) DO UPDATE SET name = ?3, title = ?4, description = ?5, fields = ?6,
           triggers = ?7, success_message = ?8, dismiss_message = ?9, execution_mode = ?10,
           webhook_url = ?11, updated_at = ?13, post_actions = ?14, retry_schedule = ?15,
           require_client_token = ?16, spam_threshold = ?17, rules = ?18, qualification = ?19,
           paused_at = CASE WHEN ?20 = 1 THEN NULL ELSE COALESCE(paused_at, ?13) END,
           deleted_at = CASE WHEN ?21 = 1 THEN NULL ELSE deleted_at END
         WHERE tools.agent_id = excluded.agent_id AND (?22 IS NULL OR tools.revision = ?22)",
    )
    .bind(&[
        text(id),
        text(agent_id),
        text(&input.name),
        text(&input.title()),
        text(&input.description),
        text(&serde_json::to_string(&input.fields)?),
        text(&serde_json::to_string(&input.triggers)?),
        text(&input.success_message()),
        text(&input.dismiss_message),
        text(input.execution_mode.as_str()),
        opt_text(input.webhook_url.as_deref()),
        text(secret),
        int(now),
        text(&serde_json::to_string(&input.post_actions)?),
        opt_text(
            input
                .retry_schedule
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?
                .as_deref(),
        ),
        int(i64::from(input.require_client_token)),
        super::opt_int(input.spam_threshold.map(i64::from)),
        text(&serde_json::to_string(&input.rules)?),
        opt_text(
            input
                .qualification
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?
                .as_deref(),
        ),
        int(i64::from(input.enabled)),
        int(i64::from(saving == Saving::Made)),
        super::opt_int(match saving {
            Saving::Made => None,
            Saving::ChangedFrom(revision) => Some(revision),
        }),
    ])?
    .run()
    .await
    .and_then(|result| changed_any(&result))
}

/// Deletes the form `id` (see [`Tool::deleted_at`]); `false` when it was deleted already.
pub async fn delete(db: &D1Database, id: &str, now: i64) -> Result<bool> {
    let result = db
        .prepare("UPDATE tools SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL")
        .bind(&[text(id), int(now)])?
        .run()
        .await?;
    changed_any(&result)
}

/// Replaces the signing secret as `rotation` says; the old one keeps signing until
/// `rotation.previous_until`. `false` when the secret is no longer the one `rotation`
/// replaces: another rotation went first, and this one would drop the secret that one
/// promised to keep.
pub async fn rotate_secret(db: &D1Database, id: &str, rotation: &SecretRotation, now: i64) -> Result<bool> {
    let result = db
        .prepare(
            "UPDATE tools SET previous_secret = webhook_secret, previous_secret_until = ?3, webhook_secret = ?2,
               updated_at = ?4
             WHERE id = ?1 AND (?5 IS NULL OR webhook_secret = ?5)",
        )
        .bind(&[
            text(id),
            text(&rotation.secret),
            int(rotation.previous_until),
            int(now),
            opt_text(rotation.replaced.as_deref()),
        ])?
        .run()
        .await?;
    changed_any(&result)
}

/// Whether another tool of the agent already uses `name` (names key `registerFormHandler`).
pub async fn name_taken(db: &D1Database, agent_id: &str, name: &str, except_id: &str) -> Result<bool> {
    let hit: Option<serde_json::Value> = db
        .prepare("SELECT 1 AS hit FROM tools WHERE agent_id = ?1 AND name = ?2 AND id != ?3 AND deleted_at IS NULL")
        .bind(&[text(agent_id), text(name), text(except_id)])?
        .first(None)
        .await?;
    Ok(hit.is_some())
}
