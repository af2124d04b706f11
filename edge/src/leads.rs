//! Every write to a lead goes through here: load it, let core's state machine decide
//! (`leadform_core::lead::apply`), and commit the new state with its activity entries and
//! its lead events in one D1 batch. An update names the version it read, so two writers
//! racing on one lead cannot overwrite each other: the loser reads again and retries.

use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::delivery::lead_events::{self, LeadEvent as Event, Outbox};
use crate::delivery::{self, DeliveryMessage};
use crate::error::{ApiError, ApiResult};
use crate::ids::random_bytes;
use crate::storage::lead_webhooks::{self, LeadWebhook};
use crate::storage::leads::{self, Lead};
use crate::storage::tools::Tool;
use crate::storage::{files, submissions};
use leadform_core::lead::{
    self as pipeline, Activity, ActivityOut, Actor, Attribution, Geo, LeadEvent, LeadOut,
};
use leadform_core::qualification::Outcome;
use serde_json::{Map, Value};
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// How often a write that lost a race is tried again before giving up.
pub const TRIES: usize = 5;

/// What a submission tells about its lead.
pub struct Capture<'a> {
    pub agent_id: &'a str,
    pub tool: &'a Tool,
    pub submission_id: &'a str,
    /// Validated, files already stored.
    pub form_data: &'a Map<String, Value>,
    pub source: &'a str,
    pub attribution: Option<&'a Attribution>,
    pub geo: &'a Geo,
    pub now: i64,
    /// How the visitor qualified in the conversation, when the form asks questions.
    pub qualification: Option<&'a Outcome>,
}

/// A planned write: statements to commit in one batch, then queue messages to send.
pub struct Write {
    pub lead: Lead,
    pub statements: Vec<D1PreparedStatement>,
    pub messages: Vec<DeliveryMessage>,
}

/// What a capture reads before it plans: the lead the submission matches (by email, else
/// phone), and the agent's lead-event endpoints. Its statements can run in one batch with
/// other reads ([`CaptureReads::statements`]), so a submit reads everything it needs at once.
pub struct CaptureReads {
    matches: bool,
}

/// What [`CaptureReads`] found.
pub struct Found {
    pub existing: Option<Lead>,
    pub endpoints: Vec<LeadWebhook>,
}

impl CaptureReads {
    /// The reads of a capture of `form_data` (through `tool`'s fields) for `agent_id`.
    pub fn statements(
        db: &D1Database,
        agent_id: &str,
        tool: &Tool,
        form_data: &Map<String, Value>,
    ) -> ApiResult<(Self, Vec<D1PreparedStatement>)> {
        let (contact, _) = pipeline::extract(&tool.fields, form_data);
        let mut statements = Vec::new();
        let matches = match leads::match_statement(db, agent_id, &contact)? {
            Some(read) => {
                statements.push(read);
                true
            }
            None => false,
        };
        statements.push(lead_webhooks::for_agent_statement(db, agent_id)?);
        Ok((CaptureReads { matches }, statements))
    }

    /// Reads the results of [`CaptureReads::statements`], in the same order.
    pub fn found(&self, results: &[D1Result]) -> ApiResult<Found> {
        let (existing, rest) = match (self.matches, results) {
            (true, [first, rest @ ..]) => (leads::match_from(first)?, rest),
            (_, rest) => (None, rest),
        };
        let endpoints = match rest.first() {
            Some(result) => lead_webhooks::for_agent_from(result)?,
            None => return Err(ApiError::Internal("capture reads: a result is missing".into())),
        };
        Ok(Found { existing, endpoints })
    }
}

/// The lead write a submission makes (a new lead, or the one it matched), to be committed
/// in the batch that stores the submission. If that batch fails with
/// [`leads::is_write_conflict`], plan again: another write got there first.
pub async fn plan_capture(env: &Env, db: &D1Database, capture: &Capture<'_>) -> ApiResult<Write> {
    let (reads, statements) =
        CaptureReads::statements(db, capture.agent_id, capture.tool, capture.form_data)?;
    let results = db.batch(statements).await?;
    plan_capture_found(env, db, capture, reads.found(&results)?)
}

/// [`plan_capture`] on what its reads found.
pub fn plan_capture_found(
    env: &Env,
    db: &D1Database,
    capture: &Capture<'_>,
    found: Found,
) -> ApiResult<Write> {
    let (contact, custom_fields) = pipeline::extract(&capture.tool.fields, capture.form_data);
    let Found { existing, endpoints } = found;
    let event = LeadEvent::Captured {
        contact: contact.clone(),
        custom_fields: custom_fields.clone(),
    };
    let (state, trail) = pipeline::apply(
        existing.as_ref().map(|l| &l.state),
        event,
        &Actor::Visitor,
        capture.now,
        &[],
    )?;
    let tool_id = Some(capture.tool.id.clone());
    let (lead, mut statements) = match existing {
        None => {
            let lead = Lead {
                id: new_lead_id(capture.now),
                agent_id: capture.agent_id.to_string(),
                state,
                source: capture.source.to_string(),
                attribution: capture.attribution.cloned().unwrap_or_default(),
                geo: capture.geo.clone(),
                tool_id,
                submission_count: 1,
                last_submission_at: Some(capture.now),
                created_at: capture.now,
                updated_at: capture.now,
                version: 0,
                qualification: capture.qualification.cloned(),
                corrected_as_read: String::new(),
            };
            let insert = leads::insert(db, &lead)?;
            (lead, vec![insert])
        }
        Some(found) => {
            // Source and attribution stay those of the first touch (each submission keeps
            // its own); geo follows the latest, for scheduling a call.
            let attribution = match (&found.attribution, capture.attribution) {
                (kept, _) if *kept != Attribution::default() => kept.clone(),
                (_, Some(new)) => new.clone(),
                (kept, None) => kept.clone(),
            };
            // The fields the cap dropped (`merged_within`) leave the row too: `null` removes
            // a key in the write's `json_patch`.
            let mut patch = custom_fields.clone();
            for key in found.state.custom_fields.keys() {
                if !state.custom_fields.contains_key(key) {
                    patch.insert(key.clone(), serde_json::Value::Null);
                }
            }
            let lead = Lead {
                state,
                attribution,
                geo: capture.geo.clone(),
                tool_id,
                submission_count: found.submission_count + 1,
                last_submission_at: Some(capture.now),
                updated_at: capture.now,
                // The latest answers win; a submission without any keeps the earlier ones.
                qualification: capture.qualification.cloned().or(found.qualification.clone()),
                ..found
            };
            let update = leads::absorb(db, &lead, &contact, &patch)?;
            // Its event shows the version the write leaves (another submission of the same
            // person at the same moment may take it one further: absorbs commute).
            let version = lead.version + 1;
            (Lead { version, ..lead }, update)
        }
    };
    let messages = record(
        env,
        db,
        &lead,
        &trail,
        Some(capture.submission_id),
        &mut statements,
        &endpoints,
    )?;
    Ok(Write {
        lead,
        statements,
        messages,
    })
}

/// Applies an owner's change to a lead and commits it; the lead as it now stands. A write
/// that lost a race to another reads again after a short random pause; one made on the
/// lead as it was at a version in `seen` is refused once the lead has moved past it (the
/// owner decided on what they saw, and another's change would be overwritten unseen).
pub async fn change(
    env: &Env,
    db: &D1Database,
    lead_id: &str,
    events: Vec<LeadEvent>,
    by: &Actor,
    lost_reasons: &[String],
    seen: Option<&[i64]>,
) -> ApiResult<Lead> {
    for _ in 0..TRIES {
        let current = leads::get(db, lead_id)
            .await?
            .ok_or_else(|| ApiError::not_found("lead", lead_id))?;
        if seen.is_some_and(|seen| !seen.contains(&current.version)) {
            return Err(ApiError::Stale {
                what: "lead",
                version: current.version,
            });
        }
        let now = now_ms();
        let (state, trail) = pipeline::apply_all(&current.state, events.clone(), by, now, lost_reasons)?;
        if trail.is_empty() {
            return Ok(current);
        }
        let lead = Lead {
            state,
            updated_at: now,
            ..current
        };
        let mut statements = leads::update(db, &lead)?;
        // As the write leaves it: its event and the answer give the version it is at now.
        let lead = Lead {
            version: lead.version + 1,
            ..lead
        };
        let endpoints = lead_webhooks::for_agent(db, &lead.agent_id).await?;
        let messages = record(env, db, &lead, &trail, None, &mut statements, &endpoints)?;
        match db.batch(statements).await {
            Ok(_) => {
                delivery::enqueue_all(env, &messages, 0).await;
                return Ok(lead);
            }
            Err(err) if leads::is_write_conflict(&err) => backoff().await,
            Err(err) => return Err(err.into()),
        }
    }
    Err(conflict(lead_id))
}

/// Deletes a lead for good: its rows in one batch (with a `lead.deleted` event), then its
/// files in R2. The file route also checks D1, so a file whose deletion failed is never
/// served again.
pub async fn delete(env: &Env, db: &D1Database, lead: &Lead) -> ApiResult<()> {
    let stored = submissions::file_keys_of_lead(db, &lead.id, &lead.agent_id).await?;
    // Its conversations are personal data too: they go first, while its submissions still
    // say which they are.
    let mut statements = crate::storage::conversations::delete_for_lead(db, &lead.id, &lead.agent_id)?;
    statements.extend(leads::delete(db, &lead.id)?);
    let event = Event::Deleted {
        id: lead.id.clone(),
        agent_id: lead.agent_id.clone(),
    };
    let endpoints = lead_webhooks::for_agent(db, &lead.agent_id).await?;
    let outbox = events_outbox(env, db, lead, vec![event], now_ms(), &endpoints)?;
    statements.extend(outbox.statements);
    db.batch(statements).await?;
    delivery::enqueue_all(env, &outbox.messages, 0).await;
    let bucket = env.bucket(bindings::FILES)?;
    for key in stored {
        if let Err(err) = files::delete(&bucket, &key).await {
            worker::console_error!("file {key} of deleted lead {} not removed: {err}", lead.id);
        }
    }
    Ok(())
}

/// Adds the activity rows of `trail` and the lead events they make (for the agent's
/// `endpoints`) to `statements`; the queue messages to send once they are committed.
fn record(
    env: &Env,
    db: &D1Database,
    lead: &Lead,
    trail: &[Activity],
    submission_id: Option<&str>,
    statements: &mut Vec<D1PreparedStatement>,
    endpoints: &[LeadWebhook],
) -> ApiResult<Vec<DeliveryMessage>> {
    for entry in trail {
        statements.push(leads::activity(db, &lead.id, entry, submission_id)?);
    }
    if endpoints.is_empty() {
        // No one to tell: the events are not built (a copy of the lead each).
        return Ok(Vec::new());
    }
    let shown = LeadOut::from(lead);
    let events = trail
        .iter()
        .map(|entry| match entry.kind {
            pipeline::ActivityKind::Created => Event::Created { lead: shown.clone() },
            _ => Event::Updated {
                lead: shown.clone(),
                activity: ActivityOut {
                    entry: entry.clone(),
                    submission_id: submission_id.map(str::to_string),
                },
            },
        })
        .collect();
    let outbox = events_outbox(env, db, lead, events, lead.updated_at, endpoints)?;
    statements.extend(outbox.statements);
    Ok(outbox.messages)
}

fn events_outbox(
    env: &Env,
    db: &D1Database,
    lead: &Lead,
    events: Vec<Event>,
    now: i64,
    endpoints: &[LeadWebhook],
) -> ApiResult<Outbox> {
    if endpoints.is_empty() {
        return Ok(Outbox::default());
    }
    let schedule = config::retry_schedule(env);
    Ok(lead_events::plan(
        db,
        endpoints,
        &events,
        &lead.agent_id,
        &lead.id,
        &schedule,
        now,
    )?)
}

/// A random pause of 5 to 50 ms, so writers that collided do not collide again.
pub async fn backoff() {
    let ms = 5 + u64::from(random_bytes::<1>()[0]) % 46;
    worker::Delay::from(std::time::Duration::from_millis(ms)).await;
}

/// `lead_` + the time in 12 hex digits + 12 random ones: ids that sort by creation.
pub fn new_lead_id(now: i64) -> String {
    let random: String = random_bytes::<6>().iter().map(|b| format!("{b:02x}")).collect();
    format!("lead_{:012x}{random}", now.max(0))
}

fn conflict(lead_id: &str) -> ApiError {
    ApiError::Conflict {
        code: "lead_busy",
        message: format!("lead {lead_id} kept changing under this request; try again"),
    }
}
