//! Leads in D1: one row per person per agent, its activity trail, per-agent counters (kept
//! by triggers) and custom field keys. Writes come back as statements so the caller commits
//! a lead, its activity and whatever caused them (a submission, deliveries) in one batch.

use super::sql::Sql;
use super::{from_json_column, int, opt_int, opt_text, text};
use leadform_core::lead::{
    email_key, phone_key, Activity, ActivityKind, ActivityOut, Attribution, Contact, Geo, LeadOut, LeadState,
    Stage, StageCounts,
};
use leadform_core::qualification::Outcome;
use leadform_core::query::{Cursor, LeadQuery};
use serde::{Deserialize, Serialize};
use worker::{D1Database, D1PreparedStatement, Result};

/// A stored lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: String,
    pub agent_id: String,
    pub state: LeadState,
    pub source: String,
    pub attribution: Attribution,
    pub geo: Geo,
    pub tool_id: Option<String>,
    pub submission_count: i64,
    pub last_submission_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every write; an update names the version it read.
    pub version: i64,
    /// How the visitor answered the qualification questions last (score and answers).
    pub qualification: Option<Outcome>,
    /// The `corrected` column as it was read (empty for a new lead): what [`absorb`] names,
    /// so an owner's correction committed since fails the write.
    pub corrected_as_read: String,
}

#[derive(Deserialize)]
struct LeadRow {
    id: String,
    agent_id: String,
    stage: String,
    lost_reason: Option<String>,
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    company: Option<String>,
    website: Option<String>,
    custom_fields: String,
    source: String,
    attribution: String,
    geo: String,
    tool_id: Option<String>,
    submission_count: i64,
    last_submission_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
    qualification: Option<String>,
    corrected: String,
}

const COLUMNS: &str = "id, agent_id, stage, lost_reason, name, first_name, last_name, email, phone, company,
  website, custom_fields, source, attribution, geo, tool_id, submission_count, last_submission_at, created_at,
  updated_at, version, qualification, corrected";

impl From<LeadRow> for Lead {
    fn from(row: LeadRow) -> Self {
        Lead {
            id: row.id,
            agent_id: row.agent_id,
            state: LeadState {
                // The CHECK constraint keeps other values out of the table.
                stage: Stage::parse(&row.stage).unwrap_or_default(),
                lost_reason: row.lost_reason,
                contact: Contact {
                    name: row.name,
                    first_name: row.first_name,
                    last_name: row.last_name,
                    email: row.email,
                    phone: row.phone,
                    company: row.company,
                    website: row.website,
                },
                custom_fields: from_json_column(&row.custom_fields),
                corrected: LeadState::corrected_of_column(&row.corrected),
            },
            source: row.source,
            attribution: from_json_column(&row.attribution),
            geo: from_json_column(&row.geo),
            tool_id: row.tool_id,
            submission_count: row.submission_count,
            last_submission_at: row.last_submission_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            qualification: row.qualification.and_then(|q| serde_json::from_str(&q).ok()),
            corrected_as_read: row.corrected,
        }
    }
}

impl From<&Lead> for LeadOut {
    fn from(lead: &Lead) -> Self {
        LeadOut {
            id: lead.id.clone(),
            agent_id: lead.agent_id.clone(),
            stage: lead.state.stage,
            lost_reason: lead.state.lost_reason.clone(),
            contact: lead.state.contact.clone(),
            custom_fields: lead.state.custom_fields.clone(),
            source: lead.source.clone(),
            attribution: lead.attribution.clone(),
            geo: lead.geo.clone(),
            tool_id: lead.tool_id.clone(),
            submission_count: lead.submission_count,
            last_submission_at: lead.last_submission_at,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            version: lead.version,
            score: lead.qualification.as_ref().map(|q| q.score),
            qualification: lead.qualification.clone(),
        }
    }
}

pub async fn get(db: &D1Database, id: &str) -> Result<Option<Lead>> {
    let row: Option<LeadRow> = db
        .prepare(format!("SELECT {COLUMNS} FROM leads WHERE id = ?1"))
        .bind(&[text(id)])?
        .first(None)
        .await?;
    Ok(row.map(Lead::from))
}

/// The agent's lead with this email (its key), other than `except_id`.
pub async fn other_with_email(
    db: &D1Database,
    agent_id: &str,
    email: &str,
    except_id: &str,
) -> Result<Option<String>> {
    let Some(key) = email_key(email) else {
        return Ok(None);
    };
    let row: Option<serde_json::Value> = db
        .prepare("SELECT id FROM leads WHERE agent_id = ?1 AND email_key = ?2 AND id != ?3")
        .bind(&[text(agent_id), text(&key), text(except_id)])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| r.get("id").and_then(|v| v.as_str()).map(str::to_string)))
}

/// The lead a submission with this contact belongs to: the agent's lead with the same
/// email; else one with the same E.164 phone and no other email; else none. A statement to
/// run in a batch with other reads (`None`: the contact has no key to match on, so there is
/// nothing to read); [`match_from`] reads its result.
pub fn match_statement(
    db: &D1Database,
    agent_id: &str,
    contact: &Contact,
) -> Result<Option<D1PreparedStatement>> {
    let email = contact.email.as_deref().and_then(email_key);
    let phone = contact.phone.as_deref().and_then(phone_key);
    if email.is_none() && phone.is_none() {
        return Ok(None);
    }
    Ok(Some(
        // Two searches, one per index (`leads_by_email`, `leads_by_phone`): written as one
        // WHERE with an OR, SQLite walks every lead of the agent instead, on every submit.
        db.prepare(format!(
            "SELECT {COLUMNS} FROM (
               SELECT *, 0 AS by_phone FROM leads WHERE agent_id = ?1 AND email_key = ?2
               UNION ALL
               SELECT *, 1 AS by_phone FROM leads
               WHERE agent_id = ?1 AND phone_key = ?3 AND (email_key IS NULL OR email_key = ?2)
             ) ORDER BY by_phone, created_at LIMIT 1"
        ))
        .bind(&[
            text(agent_id),
            opt_text(email.as_deref()),
            opt_text(phone.as_deref()),
        ])?,
    ))
}

/// The condition (for a batch's [`super::assumptions`]) that no lead of `agent_id` matches
/// `contact` yet: what [`match_statement`] would find is nothing. `None` when the contact
/// has no matching key (such a submission always makes a new lead).
pub fn no_match_condition(
    agent_id: &str,
    contact: &Contact,
) -> Option<(&'static str, Vec<wasm_bindgen::JsValue>)> {
    let email = contact.email.as_deref().and_then(email_key);
    let phone = contact.phone.as_deref().and_then(phone_key);
    if email.is_none() && phone.is_none() {
        return None;
    }
    // One search per index, as in `match_statement`.
    Some((
        "NOT EXISTS (SELECT 1 FROM leads WHERE agent_id = ? AND email_key = ?)
         AND NOT EXISTS (SELECT 1 FROM leads
                         WHERE agent_id = ? AND phone_key = ? AND (email_key IS NULL OR email_key = ?))",
        vec![
            text(agent_id),
            opt_text(email.as_deref()),
            text(agent_id),
            opt_text(phone.as_deref()),
            opt_text(email.as_deref()),
        ],
    ))
}

/// The lead a [`match_statement`] found.
pub fn match_from(result: &worker::D1Result) -> Result<Option<Lead>> {
    Ok(result.results::<LeadRow>()?.into_iter().next().map(Lead::from))
}

/// The matching keys and contact columns, in table order (`email_key` .. `website`).
fn contact_values(c: &Contact) -> [wasm_bindgen::JsValue; 9] {
    [
        opt_text(c.email.as_deref().and_then(email_key).as_deref()),
        opt_text(c.phone.as_deref().and_then(phone_key).as_deref()),
        opt_text(c.name.as_deref()),
        opt_text(c.first_name.as_deref()),
        opt_text(c.last_name.as_deref()),
        opt_text(c.email.as_deref()),
        opt_text(c.phone.as_deref()),
        opt_text(c.company.as_deref()),
        opt_text(c.website.as_deref()),
    ]
}

/// Stage, lost reason, contact and custom fields: what the pipeline changes.
fn contact_columns(lead: &Lead) -> Result<Vec<wasm_bindgen::JsValue>> {
    let mut values = vec![
        text(lead.state.stage.as_str()),
        opt_text(lead.state.lost_reason.as_deref()),
    ];
    values.extend(contact_values(&lead.state.contact));
    values.push(text(&serde_json::to_string(&lead.state.custom_fields)?));
    Ok(values)
}

/// Attribution, geo, the search text, the latest form, the submission count and time: what
/// a write keeps beside the pipeline state, in table order.
fn derived_columns(lead: &Lead) -> Result<[wasm_bindgen::JsValue; 6]> {
    Ok([
        text(&serde_json::to_string(&lead.attribution)?),
        text(&serde_json::to_string(&lead.geo)?),
        text(&lead.state.contact.search_text()),
        opt_text(lead.tool_id.as_deref()),
        int(lead.submission_count),
        opt_int(lead.last_submission_at),
    ])
}

/// Stores a new lead (its version is 0).
pub fn insert(db: &D1Database, lead: &Lead) -> Result<D1PreparedStatement> {
    let mut values = vec![text(&lead.id), text(&lead.agent_id)];
    values.extend(contact_columns(lead)?);
    values.push(text(&lead.source));
    values.extend(derived_columns(lead)?);
    values.extend([int(lead.created_at), int(lead.updated_at)]);
    values.extend(qualification_columns(lead)?);
    db.prepare(
        "INSERT INTO leads (id, agent_id, stage, lost_reason, email_key, phone_key, name, first_name, last_name,
           email, phone, company, website, custom_fields, source, attribution, geo, search, tool_id,
           submission_count, last_submission_at, created_at, updated_at, qualification, score)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
           ?22, ?23, ?24, ?25)",
    )
    .bind(&values)
}

/// Writes `lead` over the row at the version it was read at; followed in the same batch by
/// [`guard`], so a concurrent write fails the whole batch instead of being overwritten.
pub fn update(db: &D1Database, lead: &Lead) -> Result<Vec<D1PreparedStatement>> {
    let mut values = vec![text(&lead.id), int(lead.version)];
    values.extend(contact_columns(lead)?);
    values.extend(derived_columns(lead)?);
    values.push(int(lead.updated_at));
    values.push(text(&lead.state.corrected_column()));
    let update = db
        .prepare(
            "UPDATE leads SET stage = ?3, lost_reason = ?4, email_key = ?5, phone_key = ?6, name = ?7,
               first_name = ?8, last_name = ?9, email = ?10, phone = ?11, company = ?12, website = ?13,
               custom_fields = ?14, attribution = ?15, geo = ?16, search = ?17, tool_id = ?18,
               submission_count = ?19, last_submission_at = ?20, updated_at = ?21, corrected = ?22,
               version = version + 1
             WHERE id = ?1 AND version = ?2",
        )
        .bind(&values)?;
    Ok(vec![update, guard(db)?])
}

/// A later submission laid over a stored lead: the attributes it `carries` replace the
/// stored ones (latest wins) but for values an owner corrected (the row's `corrected`), its
/// custom fields are merged in, and it is counted. One
/// statement that commutes with any other capture of the same lead, so simultaneous
/// submissions of one person need no version check; [`guard`] still fails the batch if the
/// lead was deleted meanwhile. `merged` is the lead as the caller computed it (for what only
/// Rust computes: the search text, first-touch attribution).
pub fn absorb(
    db: &D1Database,
    merged: &Lead,
    carries: &Contact,
    custom_fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<D1PreparedStatement>> {
    let mut values = vec![text(&merged.id)];
    values.extend(contact_values(carries));
    values.extend([
        text(&serde_json::to_string(custom_fields)?),
        text(&serde_json::to_string(&merged.attribution)?),
        text(&serde_json::to_string(&merged.geo)?),
        text(&merged.state.contact.search_text()),
        opt_text(merged.tool_id.as_deref()),
        int(merged.updated_at),
    ]);
    values.extend(qualification_columns(merged)?);
    // The corrections as the caller read them: an owner's correction committed since fails
    // the batch (the guard), and the capture is planned again on the lead as it is now.
    values.push(text(&merged.corrected_as_read));
    let absorb = db
        .prepare(
            "UPDATE leads SET
               email_key = CASE WHEN instr(corrected, ',email,') AND email IS NOT NULL THEN email_key
                 ELSE COALESCE(?2, email_key) END,
               phone_key = CASE WHEN instr(corrected, ',phone,') AND phone IS NOT NULL THEN phone_key
                 ELSE COALESCE(?3, phone_key) END,
               name = CASE WHEN instr(corrected, ',name,') AND name IS NOT NULL THEN name ELSE COALESCE(?4, name) END,
               first_name = CASE WHEN instr(corrected, ',firstName,') AND first_name IS NOT NULL THEN first_name
                 ELSE COALESCE(?5, first_name) END,
               last_name = CASE WHEN instr(corrected, ',lastName,') AND last_name IS NOT NULL THEN last_name
                 ELSE COALESCE(?6, last_name) END,
               email = CASE WHEN instr(corrected, ',email,') AND email IS NOT NULL THEN email ELSE COALESCE(?7, email) END,
               phone = CASE WHEN instr(corrected, ',phone,') AND phone IS NOT NULL THEN phone ELSE COALESCE(?8, phone) END,
               company = CASE WHEN instr(corrected, ',company,') AND company IS NOT NULL THEN company
                 ELSE COALESCE(?9, company) END,
               website = CASE WHEN instr(corrected, ',website,') AND website IS NOT NULL THEN website
                 ELSE COALESCE(?10, website) END,
               custom_fields = json_patch(custom_fields, ?11),
               attribution = ?12, geo = ?13, search = ?14, tool_id = ?15, last_submission_at = ?16,
               updated_at = ?16, submission_count = submission_count + 1, version = version + 1,
               qualification = COALESCE(?17, qualification), score = COALESCE(?18, score)
             WHERE id = ?1 AND corrected = ?19",
        )
        .bind(&values)?;
    Ok(vec![absorb, guard(db)?])
}

/// The lead's qualification as stored: the outcome (JSON) and its score, for sorting.
fn qualification_columns(lead: &Lead) -> Result<[wasm_bindgen::JsValue; 2]> {
    let outcome = lead.qualification.as_ref();
    Ok([
        opt_text(outcome.map(serde_json::to_string).transpose()?.as_deref()),
        opt_int(outcome.map(|q| i64::from(q.score))),
    ])
}

/// Fails its batch unless the statement before it changed exactly one row.
fn guard(db: &D1Database) -> Result<D1PreparedStatement> {
    Ok(db.prepare("INSERT OR REPLACE INTO write_guard (id, ok) VALUES (1, changes())"))
}

/// Whether a failed batch failed on [`guard`]: someone else wrote the lead first.
pub fn is_write_conflict(err: &worker::Error) -> bool {
    let text = err.to_string();
    text.contains("CHECK constraint failed") || text.contains("UNIQUE constraint failed: leads.")
}

/// An activity entry of `lead_id`, to commit with the change it records.
pub fn activity(
    db: &D1Database,
    lead_id: &str,
    entry: &Activity,
    submission_id: Option<&str>,
) -> Result<D1PreparedStatement> {
    db.prepare(
        "INSERT INTO lead_activity (lead_id, at, type, from_stage, to_stage, by, reason, note, submission_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(&[
        text(lead_id),
        int(entry.at),
        text(entry.kind.as_str()),
        opt_text(entry.from.map(Stage::as_str)),
        opt_text(entry.to.map(Stage::as_str)),
        text(&entry.by),
        opt_text(entry.reason.as_deref()),
        opt_text(entry.note.as_deref()),
        opt_text(submission_id),
    ])
}

/// A lead's trail, oldest first: its newest `newest` entries of the owner's (stage moves,
/// notes, edits) and its creation, and its newest `newest` submissions. Apart, so that a
/// script submitting again and again under someone's email cannot push the stage history
/// out of view (seed 004's "when the lead moved through each pipeline stage").
pub async fn activity_of(db: &D1Database, lead_id: &str, newest: u32) -> Result<Vec<ActivityOut>> {
    #[derive(Deserialize)]
    struct Row {
        at: i64,
        r#type: String,
        from_stage: Option<String>,
        to_stage: Option<String>,
        by: String,
        reason: Option<String>,
        note: Option<String>,
        submission_id: Option<String>,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT * FROM (
               SELECT * FROM (SELECT at, type, from_stage, to_stage, by, reason, note, submission_id, seq
                              FROM lead_activity WHERE lead_id = ?1 AND type != 'submitted'
                              ORDER BY seq DESC LIMIT ?2)
               UNION ALL
               SELECT * FROM (SELECT at, type, from_stage, to_stage, by, reason, note, submission_id, seq
                              FROM lead_activity WHERE lead_id = ?1 AND type = 'submitted'
                              ORDER BY seq DESC LIMIT ?2))
             ORDER BY seq",
        )
        .bind(&[text(lead_id), int(i64::from(newest))])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(ActivityOut {
                entry: Activity {
                    at: r.at,
                    kind: ActivityKind::parse(&r.r#type)?,
                    from: r.from_stage.as_deref().and_then(Stage::parse),
                    to: r.to_stage.as_deref().and_then(Stage::parse),
                    by: r.by,
                    reason: r.reason,
                    note: r.note,
                },
                submission_id: r.submission_id,
            })
        })
        .collect())
}

/// The agent's pipeline counters (kept by triggers on every insert, move and delete).
pub async fn counters(db: &D1Database, agent_id: &str) -> Result<StageCounts> {
    let row: Option<StageCounts> = db
        .prepare(
            "SELECT total, new, contacted, qualified, converted, lost FROM lead_counters WHERE agent_id = ?1",
        )
        .bind(&[text(agent_id)])?
        .first(None)
        .await?;
    Ok(row.unwrap_or_default())
}

/// The agent's lead origins (kept by the triggers of migration 0019): of each kind, the
/// `per_kind` with the most leads.
pub async fn origins(
    db: &D1Database,
    agent_id: &str,
    per_kind: u32,
) -> Result<Vec<leadform_core::origins::Row>> {
    db.prepare(
        "SELECT kind, value, total, new, contacted, qualified, converted, lost FROM (
           SELECT *, row_number() OVER (PARTITION BY kind ORDER BY total DESC, value) AS n
           FROM lead_origins WHERE agent_id = ?1 AND total > 0)
         WHERE n <= ?2",
    )
    .bind(&[text(agent_id), int(i64::from(per_kind))])?
    .all()
    .await?
    .results()
}

/// How many of the agent's leads are lost for each reason, the most first (at most
/// `limit` reasons; counted at write time by migration 0023's triggers).
pub async fn lost_reasons(db: &D1Database, agent_id: &str, limit: u32) -> Result<Vec<LostReason>> {
    db.prepare(
        "SELECT reason, leads FROM lead_lost_reasons WHERE agent_id = ?1 AND leads > 0
         ORDER BY leads DESC, reason LIMIT ?2",
    )
    .bind(&[text(agent_id), int(i64::from(limit))])?
    .all()
    .await?
    .results()
}

/// A reason leads were lost for, and how many are lost for it now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LostReason {
    pub reason: String,
    pub leads: i64,
}

/// The WHERE clause of a lead list (after `agent_id = ?1`) and its values.
fn filters(query: &LeadQuery, sql: &mut Sql) {
    if let Some(stage) = query.stage {
        sql.and("stage = ?", text(stage.as_str()));
    }
    if let Some(reason) = &query.lost_reason {
        // The stage too, so the partial index of migration 0022 serves the list.
        sql.and("stage = 'lost' AND lost_reason = ?", text(reason));
    }
    if let Some(source) = &query.source {
        sql.and("source = ?", text(source));
    }
    // The generated columns of migration 0019, which `lead_origins` counts by.
    for (column, value) in [
        ("origin_page", &query.landing_page),
        ("origin_utm_source", &query.utm_source),
        ("origin_utm_campaign", &query.utm_campaign),
    ] {
        if let Some(value) = value {
            sql.and(&format!("{column} = ?"), text(value));
        }
    }
    if let Some(tool_id) = &query.tool_id {
        sql.and(
            "EXISTS (SELECT 1 FROM submissions s WHERE s.lead_id = leads.id AND s.tool_id = ?)",
            text(tool_id),
        );
    }
    match (&query.q, &query.q_digits) {
        (Some(q), Some(digits)) => sql.and_all(
            "(instr(search, ?) > 0 OR instr(search, ?) > 0)",
            &[text(q), text(digits)],
        ),
        (Some(q), None) => sql.and("instr(search, ?) > 0", text(q)),
        _ => {}
    }
    if let Some(from) = query.from {
        sql.and("created_at >= ?", int(from));
    }
    if let Some(to) = query.to {
        sql.and("created_at <= ?", int(to));
    }
}

/// One page of an agent's leads, newest first, after `cursor`; and whether more follow.
pub async fn list(
    db: &D1Database,
    agent_id: &str,
    query: &LeadQuery,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Lead>, bool)> {
    let mut sql = Sql::new(
        format!("SELECT {COLUMNS} FROM leads WHERE agent_id = ?1"),
        text(agent_id),
    );
    filters(query, &mut sql);
    if let Some(cursor) = cursor {
        sql.and_all(
            "(created_at < ? OR (created_at = ? AND id < ?))",
            &[int(cursor.at), int(cursor.at), text(&cursor.id)],
        );
    }
    sql.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {}", limit + 1));
    let mut rows: Vec<LeadRow> = sql.prepare(db)?.all().await?.results()?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok((rows.into_iter().map(Lead::from).collect(), more))
}

/// How many of the agent's leads match the filters (the cursor aside).
pub async fn count(db: &D1Database, agent_id: &str, query: &LeadQuery) -> Result<i64> {
    if query.counts_by_stage_only() {
        let counters = counters(db, agent_id).await?;
        return Ok(query.stage.map_or(counters.total, |s| counters.of_stage(s)));
    }
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let mut sql = Sql::new(
        "SELECT COUNT(*) AS n FROM leads WHERE agent_id = ?1".into(),
        text(agent_id),
    );
    filters(query, &mut sql);
    let row: Option<Count> = sql.prepare(db)?.first(None).await?;
    Ok(row.map_or(0, |c| c.n))
}

/// The custom field keys an agent's leads have had, in the order first seen (names no lead
/// has any more stay until `forget_unused_custom_names`).
pub async fn custom_keys(db: &D1Database, agent_id: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let keys: Vec<Key> = db
        .prepare("SELECT key FROM lead_custom_keys WHERE agent_id = ?1 ORDER BY seq")
        .bind(&[text(agent_id)])?
        .all()
        .await?
        .results()?;
    Ok(keys.into_iter().map(|k| k.key).collect())
}

/// How many custom field names an agent's leads use, and how many of `names` would be new.
pub async fn custom_names(db: &D1Database, agent_id: &str, names: &[&str]) -> Result<(usize, usize)> {
    #[derive(Deserialize)]
    struct Counts {
        known: i64,
        fresh: i64,
    }
    let names = serde_json::to_string(names).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let counts: Option<Counts> = db
        .prepare(
            "SELECT (SELECT COUNT(*) FROM lead_custom_keys WHERE agent_id = ?1) AS known,
                    (SELECT COUNT(*) FROM json_each(?2) AS n WHERE NOT EXISTS
                       (SELECT 1 FROM lead_custom_keys WHERE agent_id = ?1 AND key = n.value)) AS fresh",
        )
        .bind(&[text(agent_id), text(&names)])?
        .first(None)
        .await?;
    Ok(counts.map_or((0, 0), |c| (c.known as usize, c.fresh as usize)))
}

/// Forgets the custom field names no lead of the agent has any more (removed by hand, or
/// gone with their leads): they leave the export's columns and free their place under the
/// cap. Run only when the cap is reached, as it reads every lead of the agent.
pub async fn forget_unused_custom_names(db: &D1Database, agent_id: &str) -> Result<()> {
    db.prepare(
        "DELETE FROM lead_custom_keys WHERE agent_id = ?1 AND key NOT IN
           (SELECT j.key FROM leads AS l, json_each(l.custom_fields) AS j WHERE l.agent_id = ?1)",
    )
    .bind(&[text(agent_id)])?
    .run()
    .await?;
    Ok(())
}

/// Everything a lead leaves in D1, children first (foreign keys): attempts and dead
/// letters of its deliveries, the deliveries, its submissions, its trail, the lead. R2
/// objects are the caller's (their keys are in the submissions).
pub fn delete(db: &D1Database, lead_id: &str) -> Result<Vec<D1PreparedStatement>> {
    let of_lead = "(SELECT id FROM deliveries WHERE lead_id = ?1
                    OR submission_id IN (SELECT id FROM submissions WHERE lead_id = ?1))";
    let statements = [
        format!("DELETE FROM delivery_attempts WHERE delivery_id IN {of_lead}"),
        format!("DELETE FROM dead_letters WHERE delivery_id IN {of_lead}"),
        "DELETE FROM deliveries WHERE lead_id = ?1 OR submission_id IN (SELECT id FROM submissions WHERE lead_id = ?1)".into(),
        "DELETE FROM submissions WHERE lead_id = ?1".into(),
        "DELETE FROM lead_activity WHERE lead_id = ?1".into(),
        "DELETE FROM leads WHERE id = ?1".into(),
    ];
    statements
        .into_iter()
        .map(|sql| db.prepare(sql).bind(&[text(lead_id)]))
        .collect()
}
