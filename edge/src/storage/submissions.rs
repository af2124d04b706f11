use super::sql::Sql;
use super::{from_json_column, int, opt_int, opt_text, text};
use leadform_core::form::ExecutionMode;
use leadform_core::lead::Attribution;
use leadform_core::lead::Geo;
use leadform_core::qualification::Outcome as QualificationOutcome;
use leadform_core::query::SubmissionQuery;
use leadform_core::spam::{Reason, Verdict};
use leadform_core::status::{self, shown_status, submission_status, Outcome, SubmissionStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement, Result};

/// A stored lead.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub id: String,
    pub agent_id: String,
    pub tool_id: String,
    pub conversation_id: Option<String>,
    /// Whether its sender showed `conversation_id` was theirs (only then is it the lead's).
    #[serde(skip)]
    pub conversation_proven: bool,
    pub form_data: Map<String, Value>,
    pub fields_completed: Vec<String>,
    pub impression_at: Option<i64>,
    pub started_at: Option<i64>,
    pub submitted_at: i64,
    pub execution_mode: ExecutionMode,
    pub webhook_outcome: Outcome,
    pub client_outcome: Outcome,
    pub status: String,
    /// `successful` or `failed` once every part has an outcome.
    pub result: Option<String>,
    pub client_message: Option<String>,
    pub client_data: Option<Value>,
    pub lead_id: Option<String>,
    pub source: String,
    pub attribution: Option<Attribution>,
    /// The spam verdict of a submission that was quarantined (`null` for any other), with
    /// when the owner released it.
    pub spam: Option<SpamOut>,
    /// Where the visitor was when a quarantined submission came in: its lead gets it at
    /// release.
    #[serde(skip)]
    pub quarantined_geo: Option<Geo>,
    /// How the visitor qualified in the chat before the form (score, answers).
    pub qualification: Option<QualificationOutcome>,
    /// The person's id on the messaging channel it came from (`source` names the channel).
    pub channel_user_id: Option<String>,
}

impl Submission {
    /// Whether it is in quarantine now (not yet released).
    pub fn is_quarantined(&self) -> bool {
        self.status == SubmissionStatus::Spam.as_str()
    }
}

/// A quarantined submission's verdict, as the owner API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpamOut {
    pub score: u32,
    pub threshold: u32,
    pub reasons: Vec<Reason>,
    pub released_at: Option<i64>,
}

/// What the `spam` column keeps: the verdict and the visitor's geo.
#[derive(Serialize, Deserialize)]
pub struct Quarantine {
    #[serde(flatten)]
    pub verdict: Verdict,
    #[serde(default)]
    pub geo: Geo,
}

#[derive(Deserialize)]
struct SubmissionRow {
    id: String,
    agent_id: String,
    tool_id: String,
    conversation_id: Option<String>,
    conversation_proven: i64,
    form_data: String,
    fields_completed: String,
    impression_at: Option<i64>,
    started_at: Option<i64>,
    submitted_at: i64,
    execution_mode: String,
    webhook_outcome: String,
    client_outcome: String,
    status: String,
    result: Option<String>,
    client_message: Option<String>,
    client_data: Option<String>,
    lead_id: Option<String>,
    source: String,
    attribution: Option<String>,
    spam: Option<String>,
    released_at: Option<i64>,
    qualification: Option<String>,
    channel_user_id: Option<String>,
}

impl From<SubmissionRow> for Submission {
    fn from(row: SubmissionRow) -> Self {
        let quarantine: Option<Quarantine> = row.spam.and_then(|s| serde_json::from_str(&s).ok());
        Submission {
            id: row.id,
            agent_id: row.agent_id,
            tool_id: row.tool_id,
            conversation_id: row.conversation_id,
            conversation_proven: row.conversation_proven != 0,
            form_data: from_json_column(&row.form_data),
            fields_completed: from_json_column(&row.fields_completed),
            impression_at: row.impression_at,
            started_at: row.started_at,
            submitted_at: row.submitted_at,
            execution_mode: ExecutionMode::parse(&row.execution_mode).unwrap_or_default(),
            webhook_outcome: Outcome::parse(&row.webhook_outcome).unwrap_or_default(),
            client_outcome: Outcome::parse(&row.client_outcome).unwrap_or_default(),
            status: row.status,
            result: row.result,
            client_message: row.client_message,
            client_data: row.client_data.and_then(|d| serde_json::from_str(&d).ok()),
            lead_id: row.lead_id,
            source: row.source,
            attribution: row.attribution.and_then(|a| serde_json::from_str(&a).ok()),
            spam: quarantine.as_ref().map(|q| SpamOut {
                score: q.verdict.score,
                threshold: q.verdict.threshold,
                reasons: q.verdict.reasons.clone(),
                released_at: row.released_at,
            }),
            quarantined_geo: quarantine.map(|q| q.geo),
            qualification: row.qualification.and_then(|q| serde_json::from_str(&q).ok()),
            channel_user_id: row.channel_user_id,
        }
    }
}

/// Everything a new submission row holds.
pub struct NewSubmission<'a> {
    pub id: &'a str,
    pub agent_id: &'a str,
    pub tool_id: &'a str,
    pub conversation_id: Option<&'a str>,
    /// Its sender showed the conversation was theirs (migration 0026): only then does it
    /// tie the lead to the conversation.
    pub conversation_proven: bool,
    pub form_data: &'a Map<String, Value>,
    pub fields_completed: &'a [String],
    pub impression_at: Option<i64>,
    pub started_at: Option<i64>,
    pub submitted_at: i64,
    pub execution_mode: ExecutionMode,
    pub idempotency_key: Option<&'a str>,
    pub lead_id: Option<&'a str>,
    pub source: &'a str,
    pub attribution: Option<&'a Attribution>,
    /// Quarantined: the verdict and geo, and no lead (`lead_id` is then `None`).
    pub quarantine: Option<&'a Quarantine>,
    /// The answer, when it is known before the row is written (replayed for the same key).
    pub response: Option<&'a str>,
    pub qualification: Option<&'a QualificationOutcome>,
    pub channel_user_id: Option<&'a str>,
}

/// The insert, as a statement to run in one batch (one transaction) with its deliveries.
pub fn insert(db: &D1Database, new: &NewSubmission) -> Result<D1PreparedStatement> {
    let status = shown_status(
        new.quarantine.is_some(),
        new.execution_mode,
        Outcome::Pending,
        Outcome::Pending,
    );
    db.prepare(
        "INSERT INTO submissions (id, agent_id, tool_id, conversation_id, form_data, fields_completed,
           impression_at, started_at, submitted_at, execution_mode, status, idempotency_key, lead_id, source,
           attribution, spam, response, qualification, channel_user_id, conversation_proven)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )
    .bind(&[
        text(new.id),
        text(new.agent_id),
        text(new.tool_id),
        opt_text(new.conversation_id),
        text(&serde_json::to_string(new.form_data)?),
        text(&serde_json::to_string(new.fields_completed)?),
        opt_int(new.impression_at),
        opt_int(new.started_at),
        int(new.submitted_at),
        text(new.execution_mode.as_str()),
        text(status.as_str()),
        opt_text(new.idempotency_key),
        opt_text(new.lead_id),
        text(new.source),
        opt_text(new.attribution.map(serde_json::to_string).transpose()?.as_deref()),
        opt_text(new.quarantine.map(serde_json::to_string).transpose()?.as_deref()),
        opt_text(new.response),
        opt_text(
            new.qualification
                .map(serde_json::to_string)
                .transpose()?
                .as_deref(),
        ),
        opt_text(new.channel_user_id),
        int(new.conversation_proven.into()),
    ])
}

/// The statement that ends a store-only submission with no post-action to run as
/// successful, once it is stored and not in quarantine (analytics count it then).
pub fn settle_stored(db: &D1Database, id: &str) -> Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE submissions SET webhook_outcome = 'succeeded', status = 'success', result = 'successful'
         WHERE id = ?1 AND result IS NULL AND status <> 'spam'",
    )
    .bind(&[text(id)])
}

/// Ends a store-only submission once every post-action delivery of it has ended: `success`
/// when all were delivered, `failed` when one failed (`core::status`: its post-actions are
/// its webhook part). Run after each post-action's attempt is recorded; the statement reads
/// the deliveries itself, so of two ending at once the later one settles it, and it is a
/// no-op for other modes, a submission in quarantine, or one already settled.
pub async fn settle_post_actions(db: &D1Database, id: &str) -> Result<()> {
    const FAILED: &str =
        "EXISTS (SELECT 1 FROM deliveries WHERE submission_id = ?1 AND action IS NOT NULL AND status = 'failed')";
    db.prepare(format!(
        "UPDATE submissions
         SET webhook_outcome = CASE WHEN {FAILED} THEN 'failed' ELSE 'succeeded' END,
             status = CASE WHEN {FAILED} THEN 'failed' ELSE 'success' END,
             result = CASE WHEN {FAILED} THEN 'failed' ELSE 'successful' END
         WHERE id = ?1 AND execution_mode = 'store' AND webhook_outcome = 'pending' AND result IS NULL
           AND status <> 'spam'
           AND NOT EXISTS (SELECT 1 FROM deliveries WHERE submission_id = ?1 AND action IS NOT NULL
                           AND status NOT IN ('delivered', 'failed'))"
    ))
    .bind(&[text(id)])?
    .run()
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, agent_id, tool_id, conversation_id, form_data, fields_completed, impression_at,
  started_at, submitted_at, execution_mode, webhook_outcome, client_outcome, status, result, client_message,
  client_data, lead_id, source, attribution, spam, released_at, qualification, channel_user_id, conversation_proven";

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Submission>> {
    let row: Option<SubmissionRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM submissions WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Submission::from))
}

/// The submissions of `ids` that exist, in one read.
pub async fn get_many(db: &D1Database, ids: &[&str]) -> Result<Vec<Submission>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<SubmissionRow> = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM submissions WHERE id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(&[text(&serde_json::to_string(ids)?)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Submission::from).collect())
}

/// A lead a conversation led to, as a list of conversations names it.
#[derive(Deserialize)]
pub struct ConversationLead {
    pub conversation_id: String,
    pub lead_id: String,
    /// The lead's name, else its email, else its phone; `None` when it has none of them.
    pub label: Option<String>,
}

/// The leads (still there) that `agent_id`'s submissions made in each of the conversations
/// `ids`, each pair once: one read for a page of conversations. (A quarantined submission
/// made no lead.)
pub async fn leads_of_conversations(
    db: &D1Database,
    agent_id: &str,
    ids: &[&str],
) -> Result<Vec<ConversationLead>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    db.prepare(
        "SELECT DISTINCT s.conversation_id, s.lead_id, COALESCE(NULLIF(l.name, ''), NULLIF(l.email, ''), NULLIF(l.phone, '')) AS label
         FROM submissions s JOIN leads l ON l.id = s.lead_id AND l.agent_id = s.agent_id
         WHERE s.conversation_id IN (SELECT value FROM json_each(?1)) AND +s.agent_id = ?2
           AND s.conversation_proven = 1
         ORDER BY s.conversation_id, s.lead_id",
    )
    .bind(&[text(&serde_json::to_string(ids)?), text(agent_id)])?
    .all()
    .await?
    .results()
}

/// The statement that puts the webhook part back to pending for a replay: the status is
/// derived again and the result cleared (the `submissions_result_uncount` trigger takes it
/// out of the analytics until the new round settles it). The status is chosen in SQL from
/// the client part as it is at the write, not as the replay read it: a page's report that
/// lands in between keeps its outcome, and the status follows it.
pub fn reopen_webhook_statement(db: &D1Database, current: &Submission) -> Result<D1PreparedStatement> {
    let status_with = |client| submission_status(current.execution_mode, Outcome::Pending, client);
    db.prepare(
        "UPDATE submissions SET webhook_outcome = 'pending',
           status = CASE client_outcome WHEN 'succeeded' THEN ?2 WHEN 'failed' THEN ?3 ELSE ?4 END,
           result = NULL
         WHERE id = ?1",
    )
    .bind(&[
        text(&current.id),
        text(status_with(Outcome::Succeeded).as_str()),
        text(status_with(Outcome::Failed).as_str()),
        text(status_with(Outcome::Pending).as_str()),
    ])
}

/// Submissions whose page handler has not reported since before `before` (client parts
/// still pending), oldest first.
pub async fn unreported(db: &D1Database, before: i64, limit: i64) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = db
        .prepare(
            "SELECT id FROM submissions
             WHERE client_outcome = 'pending' AND execution_mode IN ('client', 'both') AND submitted_at < ?1
               AND status <> 'spam'
             ORDER BY submitted_at LIMIT ?2",
        )
        .bind(&[int(before), int(limit)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub async fn exists(db: &D1Database, id: &str) -> Result<bool> {
    let hit: Option<Value> = db
        .prepare("SELECT 1 AS hit FROM submissions WHERE id = ?1")
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(hit.is_some())
}

/// A lead's newest `newest` submissions, oldest first (its `submission_count` says how many
/// it has in all: a lead a script submits to ten thousand times must still open).
pub async fn for_lead(
    db: &D1Database,
    lead_id: &str,
    agent_id: &str,
    newest: u32,
) -> Result<Vec<Submission>> {
    where_equal(db, "lead_id", lead_id, agent_id, newest).await
}

/// The newest `newest` submissions `agent_id`'s forms made in a conversation, oldest first.
/// A submission may name any conversation id (the widget's, or a site's own), so another
/// agent's submission naming this one's conversation is never listed with it.
pub async fn for_conversation(
    db: &D1Database,
    conversation_id: &str,
    agent_id: &str,
    newest: u32,
) -> Result<Vec<Submission>> {
    where_equal(db, "conversation_id", conversation_id, agent_id, newest).await
}

/// The newest `newest` of `agent_id`'s submissions whose `column` (one of ours, never the
/// caller's text) is `value`, oldest first. (`+agent_id`: searched by `column`'s index, not
/// the agent's.)
async fn where_equal(
    db: &D1Database,
    column: &'static str,
    value: &str,
    agent_id: &str,
    newest: u32,
) -> Result<Vec<Submission>> {
    let rows: Vec<SubmissionRow> = db
        .prepare(format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM submissions WHERE {column} = ?1 AND +agent_id = ?2
                            ORDER BY submitted_at DESC, id DESC LIMIT ?3)
             ORDER BY submitted_at, id"
        ))
        .bind(&[text(value), text(agent_id), int(i64::from(newest))])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(Submission::from).collect())
}

/// The R2 keys of every file a lead's submissions hold, however many they are: read in
/// D1, so deleting a lead never loads its submissions. A file is a `formData` value with a
/// `key` and a `sha256`, as `leadform_core::files::StoredFile::from_value` reads one.
pub async fn file_keys_of_lead(db: &D1Database, lead_id: &str, agent_id: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        key: String,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT json_extract(f.value, '$.key') AS key
             FROM submissions s, json_each(s.form_data) f
             WHERE s.lead_id = ?1 AND +s.agent_id = ?2 AND f.type = 'object'
               AND json_extract(f.value, '$.sha256') IS NOT NULL
               AND json_type(f.value, '$.key') = 'text'",
        )
        .bind(&[text(lead_id), text(agent_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.key).collect())
}

/// Up to `batch` quarantined submissions left in the spam folder since before `before`,
/// each with the R2 keys of its files.
pub async fn old_spam(db: &D1Database, before: i64, batch: u32) -> Result<Vec<(String, Vec<String>)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        keys: String,
    }
    let rows: Vec<Row> = db
        .prepare(
            // The partial index `submissions_spam_by_time` (migration 0020) holds just these.
            "SELECT s.id, (SELECT json_group_array(json_extract(f.value, '$.key')) FROM json_each(s.form_data) f
                           WHERE f.type = 'object' AND json_extract(f.value, '$.sha256') IS NOT NULL
                             AND json_type(f.value, '$.key') = 'text') AS keys
             FROM submissions s WHERE s.status = 'spam' AND s.submitted_at < ?1 LIMIT ?2",
        )
        .bind(&[int(before), int(batch as i64)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|row| (row.id, serde_json::from_str(&row.keys).unwrap_or_default()))
        .collect())
}

/// Deletes the submissions `ids` that are still quarantined; the ids it deleted (one the
/// owner released meanwhile stays, and keeps its files).
pub async fn delete_spam(db: &D1Database, ids: &[&str]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let gone: Vec<Id> = db
        .prepare(
            "DELETE FROM submissions WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'spam' RETURNING id",
        )
        .bind(&[text(&serde_json::to_string(ids)?)])?
        .all()
        .await?
        .results()?;
    Ok(gone.into_iter().map(|g| g.id).collect())
}

/// One page of an agent's submissions, newest first on (submittedAt, id); and whether more
/// follow.
pub async fn list(
    db: &D1Database,
    agent_id: &str,
    query: &SubmissionQuery,
) -> Result<(Vec<Submission>, bool)> {
    // A page of one form's, lead's or conversation's submissions is searched by that one's
    // index: the unary `+` keeps SQLite from choosing the agent's (every submission of the
    // agent, filtered one by one) on a fresh database without statistics.
    let by_lead = query.conversation_id.is_some() || query.lead_id.is_some();
    let agent = if by_lead || query.tool_id.is_some() {
        "+agent_id"
    } else {
        "agent_id"
    };
    let mut sql = Sql::new(
        format!("SELECT {COLUMNS} FROM submissions WHERE {agent} = ?1"),
        text(agent_id),
    );
    let filters = [
        (
            if by_lead { "+tool_id = ?" } else { "tool_id = ?" },
            &query.tool_id,
        ),
        ("status = ?", &query.status),
        ("conversation_id = ?", &query.conversation_id),
        ("lead_id = ?", &query.lead_id),
    ];
    for (clause, value) in filters {
        if let Some(value) = value {
            sql.and(clause, text(value));
        }
    }
    if query.status.is_none() {
        // Quarantined submissions are listed with `status=spam` only: the spam folder.
        sql.and("status <> ?", text(SubmissionStatus::Spam.as_str()));
    }
    if let Some(from) = query.from {
        sql.and("submitted_at >= ?", int(from));
    }
    if let Some(to) = query.to {
        sql.and("submitted_at <= ?", int(to));
    }
    if let Some(cursor) = &query.cursor {
        sql.and_all(
            "(submitted_at < ? OR (submitted_at = ? AND id < ?))",
            &[int(cursor.at), int(cursor.at), text(&cursor.id)],
        );
    }
    sql.push(&format!(
        " ORDER BY submitted_at DESC, id DESC LIMIT {}",
        query.limit + 1
    ));
    let mut rows: Vec<SubmissionRow> = sql.prepare(db)?.all().await?.results()?;
    let more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    Ok((rows.into_iter().map(Submission::from).collect(), more))
}

/// What the first submission made with an idempotency key left: its id, its stored answer
/// and its (validated) form data, which a repeat must match.
pub struct IdempotencyHit {
    pub id: String,
    pub response: Option<String>,
    pub form_data: Map<String, Value>,
}

/// The first submission made with this idempotency key, if the key was seen before.
pub async fn find_by_idempotency_key(
    db: &D1Database,
    tool_id: &str,
    key: &str,
) -> Result<Option<IdempotencyHit>> {
    idempotency_from(&idempotency_statement(db, tool_id, key)?.all().await?)
}

/// The read of [`find_by_idempotency_key`], to run in a batch with other reads.
pub fn idempotency_statement(db: &D1Database, tool_id: &str, key: &str) -> Result<D1PreparedStatement> {
    db.prepare("SELECT id, response, form_data FROM submissions WHERE tool_id = ?1 AND idempotency_key = ?2")
        .bind(&[text(tool_id), text(key)])
}

/// The condition (for a batch's [`super::assumptions`]) that no submission of `tool_id` was
/// made with idempotency key `key`: what [`idempotency_statement`] would find is nothing.
pub fn no_idempotency_hit_condition(tool_id: &str, key: &str) -> (&'static str, Vec<wasm_bindgen::JsValue>) {
    (
        "NOT EXISTS (SELECT 1 FROM submissions WHERE tool_id = ? AND idempotency_key = ?)",
        vec![text(tool_id), text(key)],
    )
}

/// The submission an [`idempotency_statement`] found.
pub fn idempotency_from(result: &worker::D1Result) -> Result<Option<IdempotencyHit>> {
    #[derive(Deserialize)]
    struct Hit {
        id: String,
        response: Option<String>,
        form_data: String,
    }
    let hits: Vec<Hit> = result.results()?;
    Ok(hits.into_iter().next().map(|h| IdempotencyHit {
        id: h.id,
        response: h.response,
        form_data: from_json_column(&h.form_data),
    }))
}

pub async fn save_response(db: &D1Database, id: &str, response: &str) -> Result<()> {
    db.prepare("UPDATE submissions SET response = ?2 WHERE id = ?1")
        .bind(&[text(id), text(response)])?
        .run()
        .await?;
    Ok(())
}

/// What a page's form handler said besides success: kept with the submission.
pub struct ClientReport {
    pub message: Option<String>,
    /// The handler's `data`, as JSON text.
    pub data: Option<String>,
}

/// Which part of a submission reports an outcome.
#[derive(Clone, Copy)]
pub enum Part {
    Webhook,
    Client,
}

/// Records a part's outcome and the status derived from it. A part settles once: `None`
/// when the submission is gone or the part already has an outcome. The update applies
/// only if neither part moved and the quarantine did not change meanwhile (compare-and-set),
/// so two outcomes, or an outcome and a release, arriving at once cannot leave a status
/// that contradicts them.
pub async fn set_outcome(
    db: &D1Database,
    id: &str,
    part: Part,
    outcome: Outcome,
    report: Option<&ClientReport>,
) -> Result<Option<SubmissionStatus>> {
    for _ in 0..5 {
        let Some(current) = get(db, id).await? else {
            return Ok(None);
        };
        let settled = match part {
            Part::Webhook => current.webhook_outcome,
            Part::Client => current.client_outcome,
        };
        if settled != Outcome::Pending {
            return Ok(None);
        }
        let (webhook, client) = match part {
            Part::Webhook => (outcome, current.client_outcome),
            Part::Client => (current.webhook_outcome, outcome),
        };
        // A quarantined submission keeps showing `spam` and does not end (nor count) until
        // it is released; the answer still names the status its parts make.
        let quarantined = current.is_quarantined();
        let status = submission_status(current.execution_mode, webhook, client);
        let stored = shown_status(quarantined, current.execution_mode, webhook, client);
        let ended = status::settled(current.execution_mode, webhook, client)
            .filter(|_| !quarantined)
            .map(result_text);
        let result = db
            .prepare(
                "UPDATE submissions SET webhook_outcome = ?2, client_outcome = ?3, status = ?4,
                   result = COALESCE(result, ?7),
                   client_message = COALESCE(?8, client_message), client_data = COALESCE(?9, client_data)
                 WHERE id = ?1 AND webhook_outcome = ?5 AND client_outcome = ?6 AND (status = 'spam') = ?10",
            )
            .bind(&[
                text(id),
                text(webhook.as_str()),
                text(client.as_str()),
                text(stored.as_str()),
                text(current.webhook_outcome.as_str()),
                text(current.client_outcome.as_str()),
                opt_text(ended),
                opt_text(report.and_then(|r| r.message.as_deref())),
                opt_text(report.and_then(|r| r.data.as_deref())),
                int(i64::from(quarantined)),
            ])?
            .run()
            .await?;
        let changed = result.meta()?.and_then(|m| m.changes).unwrap_or(0);
        if changed > 0 {
            return Ok(Some(status));
        }
    }
    Err(worker::Error::RustError(format!(
        "submission {id}: status kept changing under us"
    )))
}

fn result_text(successful: bool) -> &'static str {
    if successful {
        "successful"
    } else {
        "failed"
    }
}

/// The statements that take a submission out of quarantine, to run in the batch that makes
/// its lead and deliveries: its status derived from its parts (the
/// `submissions_release_count` trigger counts it as submitted), its lead, the release time,
/// and its result if its parts already ended (a page's handler reported meanwhile). The
/// update only applies while it is still in quarantine; the guard after it fails the batch
/// otherwise (a release that lost a race to another).
pub fn release_statements(
    db: &D1Database,
    current: &Submission,
    mode: ExecutionMode,
    lead_id: &str,
    now: i64,
) -> Result<Vec<D1PreparedStatement>> {
    // Released as if just submitted: in the mode its deliveries are planned on, the tool's
    // as it is now (`ExecutionMode::released`: the owner may have changed it meanwhile).
    let (webhook, client) = (current.webhook_outcome, current.client_outcome);
    let status = submission_status(mode, webhook, client);
    let mut statements = vec![
        db.prepare(
            "UPDATE submissions SET status = ?2, lead_id = ?3, released_at = ?4, execution_mode = ?5
             WHERE id = ?1 AND status = 'spam'",
        )
        .bind(&[
            text(&current.id),
            text(status.as_str()),
            text(lead_id),
            int(now),
            text(mode.as_str()),
        ])?,
        db.prepare("INSERT OR REPLACE INTO write_guard (id, ok) VALUES (1, changes())"),
    ];
    if let Some(ended) = status::settled(mode, webhook, client) {
        statements.push(
            db.prepare("UPDATE submissions SET result = ?2 WHERE id = ?1 AND result IS NULL")
                .bind(&[text(&current.id), text(result_text(ended))])?,
        );
    }
    Ok(statements)
}
