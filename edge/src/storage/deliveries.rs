use super::{changed_any, int, opt_int, opt_text, text};
use leadform_core::delivery::DeliveryStatus;
use leadform_core::query::Cursor;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use worker::{D1Database, D1PreparedStatement, Result};

/// A row of the outbox; read from D1 in snake_case, shown to owners in camelCase.
/// Where a delivery stands: `pending` (never tried), `retrying` (tried, another attempt is
/// scheduled), `delivered`, `failed` (attempts used up or refused for good).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Delivery {
    pub id: String,
    /// `None` for a lead event, which belongs to a lead and outlives its submissions.
    pub submission_id: Option<String>,
    pub agent_id: String,
    pub lead_id: Option<String>,
    pub kind: String,
    pub target_url: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    /// While an attempt is in flight: until when it holds the delivery.
    pub lease_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The post-action this delivery runs (JSON), `None` for the tool's primary webhook.
    #[serde(skip_serializing)]
    pub action: Option<String>,
    /// Delays before each attempt of a round (JSON array of seconds), fixed at creation.
    #[serde(skip_serializing)]
    pub schedule: String,
    /// Attempts made before the current round: a replay starts a new round.
    pub round_start: i64,
    /// What the delivery sends, fixed once: a lead event's body (when it happened), a chat
    /// app message, or a post-action's conversation summary (at its first attempt).
    #[serde(skip_serializing)]
    pub payload: Option<String>,
}

impl Delivery {
    pub fn is_settled(&self) -> bool {
        self.status.is_settled()
    }

    /// The tool's own webhook, whose outcome is the submission's webhook part.
    pub fn is_primary(&self) -> bool {
        self.action.is_none() && self.kind == WEBHOOK
    }

    /// The submission this delivery is a post-action of (a store-only form's part:
    /// `core::status`); `None` for the webhook, a lead event or a chat message.
    pub fn post_action_of(&self) -> Option<&str> {
        self.submission_id.as_deref().filter(|_| self.action.is_some())
    }

    pub fn schedule(&self) -> Vec<u32> {
        serde_json::from_str(&self.schedule)
            .unwrap_or_else(|_| leadform_core::retry::DEFAULT_SCHEDULE_SECS.to_vec())
    }

    /// What a service that drops repeats (the email API's `Idempotency-Key`) is told: the
    /// same on every retry of a round, so a retry after a time-out the service took sends
    /// nothing twice; a new one for an owner's replay, which is meant to send again.
    pub fn idempotency_key(&self) -> String {
        match self.round_start {
            0 => self.id.clone(),
            round => format!("{}:{round}", self.id),
        }
    }

    /// Attempts made in the current round.
    pub fn round_attempts(&self) -> i64 {
        self.attempts - self.round_start
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Attempt {
    pub attempt: i64,
    pub started_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub response_snippet: Option<String>,
}

/// The kind of a tool's primary webhook delivery.
pub const WEBHOOK: &str = "webhook";
/// The kind of a lead event (`lead.created`, ...) to one of an agent's lead-webhook endpoints.
pub const LEAD_EVENT: &str = "lead_event";

const COLUMNS: &str =
    "id, submission_id, agent_id, lead_id, kind, target_url, status, attempts, next_attempt_at,
  lease_until, last_error, created_at, updated_at, action, schedule, round_start, payload";

/// A new delivery, first due at `due`.
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub submission_id: Option<&'a str>,
    pub agent_id: &'a str,
    pub lead_id: Option<&'a str>,
    pub kind: &'a str,
    pub target_url: &'a str,
    /// The post-action (JSON), `None` for the primary webhook.
    pub action: Option<&'a str>,
    /// A lead event's body.
    pub payload: Option<&'a str>,
    pub schedule: &'a [u32],
    pub due: i64,
    pub now: i64,
}

/// The insert, as a statement to run in one transaction with its submission.
pub fn insert(db: &D1Database, new: &NewDelivery) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO deliveries (id, submission_id, kind, target_url, status, attempts, next_attempt_at,
           created_at, updated_at, action, schedule, agent_id, lead_id, payload)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(&[
        text(new.id),
        opt_text(new.submission_id),
        text(new.kind),
        text(new.target_url),
        int(new.due),
        int(new.now),
        opt_text(new.action),
        text(&serde_json::to_string(new.schedule)?),
        text(new.agent_id),
        opt_text(new.lead_id),
        opt_text(new.payload),
    ])
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Delivery>> {
    db.prepare(format!("SELECT {COLUMNS} FROM deliveries WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await
}

/// A lead's newest `newest` deliveries (its lead events and its submissions'), oldest first.
pub async fn for_lead(db: &D1Database, lead_id: &str, newest: u32) -> Result<Vec<Delivery>> {
    db.prepare(format!(
        "SELECT * FROM (SELECT {COLUMNS}, rowid AS row FROM deliveries
                        WHERE lead_id = ?1 OR submission_id IN (SELECT id FROM submissions WHERE lead_id = ?1)
                        ORDER BY created_at DESC, rowid DESC LIMIT ?2)
         ORDER BY created_at, row"
    ))
    .bind(&[text(lead_id), int(i64::from(newest))])?
    .all()
    .await?
    .results()
}

pub async fn for_submission(db: &D1Database, submission_id: &str) -> Result<Vec<Delivery>> {
    db.prepare(format!(
        "SELECT {COLUMNS} FROM deliveries WHERE submission_id = ?1 ORDER BY created_at, rowid"
    ))
    .bind(&[text(submission_id)])?
    .all()
    .await?
    .results()
}

/// The status of every delivery of each of `submission_ids`, as (submission id, status),
/// in one read.
pub async fn statuses_of(db: &D1Database, submission_ids: &[String]) -> Result<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        submission_id: String,
        status: String,
    }
    if submission_ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT submission_id, status FROM deliveries
             WHERE submission_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&[text(&serde_json::to_string(submission_ids)?)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| (r.submission_id, r.status)).collect())
}

/// Every attempt of each of `deliveries`, in one read, grouped by delivery in their order.
pub async fn attempts_of(db: &D1Database, deliveries: &[Delivery]) -> Result<Vec<Vec<Attempt>>> {
    // Not `#[serde(flatten)]`: it buffers numbers as floats, which i64 fields refuse.
    #[derive(Deserialize)]
    struct Row {
        delivery_id: String,
        attempt: i64,
        started_at: i64,
        status_code: Option<i64>,
        latency_ms: i64,
        error: Option<String>,
        response_snippet: Option<String>,
    }
    if deliveries.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    let rows: Vec<Row> = db
        .prepare(
            "SELECT delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet
             FROM delivery_attempts WHERE delivery_id IN (SELECT value FROM json_each(?1))
             ORDER BY delivery_id, attempt",
        )
        .bind(&[text(&serde_json::to_string(&ids)?)])?
        .all()
        .await?
        .results()?;
    // Grouped in one pass: a log of thousands of deliveries stays linear.
    let mut by_delivery: HashMap<String, Vec<Attempt>> = HashMap::new();
    for r in rows {
        by_delivery.entry(r.delivery_id).or_default().push(Attempt {
            attempt: r.attempt,
            started_at: r.started_at,
            status_code: r.status_code,
            latency_ms: r.latency_ms,
            error: r.error,
            response_snippet: r.response_snippet,
        });
    }
    Ok(deliveries
        .iter()
        .map(|d| by_delivery.remove(&d.id).unwrap_or_default())
        .collect())
}

/// Unsettled deliveries due before `due_before` that no attempt holds: the sweep puts
/// them back on the queue (a restart of the local runtime empties its in-memory queues).
pub async fn due(db: &D1Database, due_before: i64, now: i64, limit: i64) -> Result<Vec<Delivery>> {
    db.prepare(format!(
        "SELECT {COLUMNS} FROM deliveries
         WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1
           AND (lease_until IS NULL OR lease_until < ?2)
         ORDER BY next_attempt_at LIMIT ?3"
    ))
    .bind(&[int(due_before), int(now), int(limit)])?
    .all()
    .await?
    .results()
}

/// Takes the delivery for its next attempt. Only one consumer can hold it, so a duplicate
/// message (a queue redelivery, or the sweep re-enqueueing a late one) sends nothing twice.
/// False when another holds it, or when attempt `attempts_made + 1` is no longer the next.
pub async fn claim(
    db: &D1Database,
    id: &str,
    attempts_made: i64,
    now: i64,
    lease_until: i64,
) -> Result<bool> {
    let result = db
        .prepare(
            "UPDATE deliveries SET lease_until = ?4
             WHERE id = ?1 AND attempts = ?2 AND status IN ('pending', 'retrying')
               AND (lease_until IS NULL OR lease_until < ?3)",
        )
        .bind(&[text(id), int(attempts_made), int(now), int(lease_until)])?
        .run()
        .await?;
    changed_any(&result)
}

/// Lets go of a delivery (held until `held_until`, by this attempt) whose attempt goes on
/// in the slow lane at `at`: its lease ends then (a second early, as a queue message may
/// come, which `deliver` takes as due), but stays set, so the next attempt knows one was
/// begun (a Sheets append checks its row), and it is due then, so the sweep leaves it to
/// the slow lane's message for its grace.
pub async fn hand_over(
    db: &D1Database,
    id: &str,
    attempts_made: i64,
    held_until: i64,
    at: i64,
) -> Result<()> {
    db.prepare(
        "UPDATE deliveries SET lease_until = ?4 - 1001, next_attempt_at = ?4
         WHERE id = ?1 AND attempts = ?2 AND lease_until = ?3",
    )
    .bind(&[text(id), int(attempts_made), int(held_until), int(at)])?
    .run()
    .await?;
    Ok(())
}

/// What one attempt found, and what the delivery becomes after it.
pub struct AttemptRecord<'a> {
    pub attempt: i64,
    pub started_at: i64,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    pub response_snippet: Option<&'a str>,
    pub new_status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
}

/// Logs the attempt, moves the delivery and releases it, in one transaction.
pub async fn record_attempt(
    db: &D1Database,
    delivery_id: &str,
    rec: &AttemptRecord<'_>,
    now: i64,
) -> Result<()> {
    let log = db
        .prepare(
            "INSERT OR IGNORE INTO delivery_attempts
               (delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&[
            text(delivery_id),
            int(rec.attempt),
            int(rec.started_at),
            opt_int(rec.status_code.map(i64::from)),
            int(rec.latency_ms),
            opt_text(rec.error),
            opt_text(rec.response_snippet),
        ])?;
    let update = db
        .prepare(
            "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5,
               updated_at = ?6, lease_until = NULL
             WHERE id = ?1 AND attempts = ?3 - 1",
        )
        .bind(&[
            text(delivery_id),
            text(rec.new_status.as_str()),
            int(rec.attempt),
            opt_int(rec.next_attempt_at),
            opt_text(rec.error),
            int(now),
        ])?;
    let mut statements = vec![log, update];
    if rec.new_status == DeliveryStatus::Failed {
        // In the same transaction as the failure: a worker that dies right after cannot
        // leave a failed delivery that the owner's dead-letter list never shows.
        statements.push(dead_letter(db, delivery_id, now)?);
    }
    db.batch(statements).await?;
    Ok(())
}

/// The statement that starts a new round of attempts for a settled delivery, due `now`,
/// aimed at `target_url` with `action` (the tool's configuration as it is now); a delivery
/// still in its round is left alone.
pub fn replay(
    db: &D1Database,
    id: &str,
    target_url: &str,
    action: Option<&str>,
    now: i64,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE deliveries SET status = 'pending', round_start = attempts, next_attempt_at = ?2,
           last_error = NULL, lease_until = NULL, updated_at = ?2, target_url = ?3, action = ?4
         WHERE id = ?1 AND status IN ('delivered', 'failed')",
    )
    .bind(&[text(id), int(now), text(target_url), opt_text(action)])
}

/// Marks the dead letters of `ids` as replayed at `now`.
pub fn dead_letters_replayed(db: &D1Database, ids: &[&str], now: i64) -> Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE dead_letters SET replayed_at = ?2 WHERE delivery_id IN (SELECT value FROM json_each(?1))",
    )
    .bind(&[text(&serde_json::to_string(ids)?), int(now)])
}

/// The deliveries of `ids` that exist, in one read.
pub async fn get_many(db: &D1Database, ids: &[&str]) -> Result<Vec<Delivery>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    db.prepare(format!(
        "SELECT {COLUMNS} FROM deliveries WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY created_at, rowid"
    ))
    .bind(&[text(&serde_json::to_string(ids)?)])?
    .all()
    .await?
    .results()
}

/// Failed deliveries of an agent's leads created at or after `since`, oldest first.
/// The agent's failed deliveries made at or after `since`, oldest first, after `after`
/// (where the last page ended: its last `(created_at, id)`).
pub async fn failed_for_agent(
    db: &D1Database,
    agent_id: &str,
    since: i64,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let (after_at, after_id) = after.map_or((-1, ""), |c| (c.at, c.id.as_str()));
    db.prepare(format!(
        "SELECT {COLUMNS} FROM deliveries
         WHERE status = 'failed' AND created_at >= ?2 AND agent_id = ?1
           AND kind <> 'channel_message'
           AND (created_at > ?4 OR (created_at = ?4 AND id > ?5))
         ORDER BY created_at, id LIMIT ?3"
    ))
    .bind(&[
        text(agent_id),
        int(since),
        int(limit),
        int(after_at),
        text(after_id),
    ])?
    .all()
    .await?
    .results()
}

/// Fixes a delivery's `payload` once (what its first attempt built on), never over one.
pub async fn keep_payload(db: &D1Database, id: &str, payload: &str) -> Result<()> {
    db.prepare("UPDATE deliveries SET payload = ?2 WHERE id = ?1 AND payload IS NULL")
        .bind(&[text(id), text(payload)])?
        .run()
        .await?;
    Ok(())
}

/// The statement that records delivery `id` as a dead letter once it has failed (nothing
/// while it has not). A later failure, after a replay, records its new attempts and clears
/// `replayed_at`; a stale message about an earlier failure changes nothing.
pub fn dead_letter(db: &D1Database, id: &str, now: i64) -> Result<D1PreparedStatement> {
    // A lead event has no submission; the column predates lead events.
    db.prepare(
        "INSERT INTO dead_letters (delivery_id, submission_id, agent_id, kind, attempts, last_error, recorded_at)
         SELECT id, COALESCE(submission_id, ''), agent_id, kind, attempts, last_error, ?2
         FROM deliveries WHERE id = ?1 AND status = 'failed'
         ON CONFLICT(delivery_id) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
           recorded_at = excluded.recorded_at, replayed_at = NULL
         WHERE excluded.attempts > dead_letters.attempts",
    )
    .bind(&[text(id), int(now)])
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct DeadLetter {
    pub delivery_id: String,
    /// `None` for a lead event.
    pub submission_id: Option<String>,
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub recorded_at: i64,
    pub replayed_at: Option<i64>,
}

/// An agent's dead letters recorded since `since`, oldest first, after the cursor `after`
/// (recorded at, delivery id), at most `limit`.
pub async fn dead_letters(
    db: &D1Database,
    agent_id: &str,
    since: i64,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<DeadLetter>> {
    let (after_at, after_id) = after.map_or((-1, ""), |c| (c.at, c.id.as_str()));
    db.prepare(
        "SELECT delivery_id, NULLIF(submission_id, '') AS submission_id, kind, attempts, last_error, recorded_at, replayed_at
         FROM dead_letters WHERE agent_id = ?1 AND recorded_at >= ?2
           AND (recorded_at > ?4 OR (recorded_at = ?4 AND delivery_id > ?5))
         ORDER BY recorded_at, delivery_id LIMIT ?3",
    )
    .bind(&[text(agent_id), int(since), int(limit), int(after_at), text(after_id)])?
    .all()
    .await?
    .results()
}

/// How many of a form's newest submissions [`latest_of_forms`] looks at.
pub const RECENT_SUBMISSIONS: i64 = 20;

/// One delivery of a form's, as the Integrations page tells an integration's health.
#[derive(Deserialize)]
pub struct Recent {
    pub tool_id: String,
    pub kind: String,
    pub target_url: String,
    /// The form's own webhook (no post-action config), not a `webhook` post-action.
    pub primary_hook: i64,
    pub status: String,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

/// The deliveries of each form's newest [`RECENT_SUBMISSIONS`] submissions (one read per
/// form in one batch, each by the form's time index), newest first.
pub async fn latest_of_forms(db: &D1Database, tool_ids: &[&str]) -> Result<Vec<Recent>> {
    if tool_ids.is_empty() {
        return Ok(Vec::new());
    }
    let statements = tool_ids
        .iter()
        .map(|id| {
            db.prepare(
                "SELECT s.tool_id, d.kind, d.target_url, d.action IS NULL AS primary_hook, d.status,
                   d.last_error, d.updated_at
                 FROM (SELECT id, tool_id FROM submissions WHERE tool_id = ?1 AND status <> 'spam'
                       ORDER BY submitted_at DESC LIMIT ?2) s
                 JOIN deliveries d ON d.submission_id = s.id
                 ORDER BY d.updated_at DESC",
            )
            .bind(&[text(id), int(RECENT_SUBMISSIONS)])
        })
        .collect::<Result<Vec<_>>>()?;
    let mut found = Vec::new();
    for result in db.batch(statements).await? {
        found.extend(result.results::<Recent>()?);
    }
    Ok(found)
}
