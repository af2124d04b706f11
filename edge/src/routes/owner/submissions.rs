//! A submission with its delivery log, an agent's submissions page by page, and the release
//! of a quarantined (spam) submission.

use super::deliveries::{self, DeliveryLog};
use super::Caller;
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::delivery;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_pairs, request_origin};
use crate::ids::new_id;
use crate::leads;
use crate::routes::submit::{delivery_rows, ends_as_stored, planned_deliveries, schedule_of};
use crate::storage::files::Links;
use crate::storage::leads as stored_leads;
use crate::storage::submissions::{self, Submission};
use crate::storage::{conversations, tools};
use leadform_core::form::ExecutionMode;
use leadform_core::query::{Cursor, SubmissionQuery};
use leadform_core::status::{lead_status, settled};
use serde::Serialize;
use worker::{D1Database, D1PreparedStatement, Env, Request, Response};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionOut {
    pub submission: Submission,
    /// Seed 000's status of the lead this submission made.
    pub lead_status: &'static str,
    pub deliveries: Vec<DeliveryLog>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionListOut {
    pub submissions: Vec<ListedSubmission>,
    pub next_cursor: Option<String>,
}

/// A submission of a list, with seed 000's status of its lead (as `GET` gives it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedSubmission {
    #[serde(flatten)]
    pub submission: Submission,
    pub lead_status: &'static str,
}

/// Seed 000's status of `submission`'s lead, from how its parts ended and its deliveries'.
fn status_of(submission: &Submission, deliveries: &[&str]) -> &'static str {
    let ended = settled(
        submission.execution_mode,
        submission.webhook_outcome,
        submission.client_outcome,
    );
    lead_status(ended, deliveries)
}

/// A submission with its deliveries and every attempt of each.
pub async fn get(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let mut submission = find(caller, &db, id).await?;
    submission.form_data = Links::new(env, request_origin(req)).show(&submission.form_data);
    let log = deliveries::log(
        caller,
        &db,
        &crate::storage::deliveries::for_submission(&db, id).await?,
    )
    .await?;
    let statuses: Vec<&str> = log.iter().map(|entry| entry.delivery.status.as_str()).collect();
    let lead_status = status_of(&submission, &statuses);
    json(
        &SubmissionOut {
            submission,
            lead_status,
            deliveries: log,
        },
        200,
    )
}

/// `GET /v1/agents/{agentId}/submissions`: newest first, filtered, keyset-paged.
pub async fn list(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let query = SubmissionQuery::parse(&query_pairs(req))?;
    let db = env.d1(bindings::DB)?;
    let (mut page, more) = submissions::list(&db, agent_id, &query).await?;
    let links = Links::new(env, request_origin(req));
    for submission in &mut page {
        submission.form_data = links.show(&submission.form_data);
    }
    // The page's delivery statuses in one read.
    let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
    let statuses = crate::storage::deliveries::statuses_of(&db, &ids).await?;
    let next_cursor = more.then(|| page.last()).flatten().map(|last| {
        Cursor {
            at: last.submitted_at,
            id: last.id.clone(),
        }
        .encode()
    });
    json(
        &SubmissionListOut {
            submissions: page
                .into_iter()
                .map(|submission| {
                    let mine: Vec<&str> = statuses
                        .iter()
                        .filter(|(id, _)| id == &submission.id)
                        .map(|(_, status)| status.as_str())
                        .collect();
                    ListedSubmission {
                        lead_status: status_of(&submission, &mine),
                        submission,
                    }
                })
                .collect(),
            next_cursor,
        },
        200,
    )
}

/// The submission, if the caller may see its agent.
pub async fn find(caller: &Caller, db: &worker::D1Database, id: &str) -> ApiResult<Submission> {
    let submission = submissions::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("submission", id))?;
    let agent_id = submission.agent_id.clone();
    auth::visible(caller, "submission", id, &agent_id, submission)
}

/// `POST /v1/submissions/{id}/release`: a quarantined submission is delivered as if just
/// submitted: its lead is made or updated (with lead events), its webhook and post-actions
/// are queued, and analytics count it (on the day it was submitted). Answers the submission
/// as `GET` does; a submission not in quarantine (never was, or already released) is a 409
/// `not_spam`, so a repeated release delivers nothing twice.
pub async fn release(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let mut submission = find(caller, &db, id).await?;
    if !submission.is_quarantined() {
        return Err(not_spam(&submission)); // before any work (the summary may ask the LLM)
    }
    let mut tool = tools::get(&db, &submission.tool_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", &submission.tool_id))?;
    tool.execution_mode = ExecutionMode::released(tool.execution_mode, submission.execution_mode);
    let (schedule, first_delay) = schedule_of(env, &tool);
    // The summary the submit would have left on its conversation (a quarantine leaves none).
    let summary = release_summary(env, &db, &tool, &submission).await?;
    let delivery_ids: Vec<String> = planned_deliveries(&tool, submission.qualification.as_ref())
        .iter()
        .map(|_| new_id("dlv"))
        .collect();
    for _ in 0..leads::TRIES {
        if !submission.is_quarantined() {
            return Err(not_spam(&submission));
        }
        let now = now_ms();
        let geo = submission.quarantined_geo.clone().unwrap_or_default();
        let capture = leads::Capture {
            agent_id: &submission.agent_id,
            tool: &tool,
            submission_id: &submission.id,
            form_data: &submission.form_data,
            source: &submission.source,
            attribution: submission.attribution.as_ref(),
            geo: &geo,
            now,
            qualification: submission.qualification.as_ref(),
        };
        let write = leads::plan_capture(env, &db, &capture).await?;
        let mut statements =
            submissions::release_statements(&db, &submission, tool.execution_mode, &write.lead.id, now)?;
        statements.extend(write.statements);
        statements.extend(summary.clone());
        let (rows, messages) = delivery_rows(
            &db,
            &tool,
            submission.qualification.as_ref(),
            &submission.id,
            &delivery_ids,
            &schedule,
            now,
        )?;
        if ends_as_stored(&tool, &rows) {
            // Nothing to deliver: released, it has ended.
            statements.push(submissions::settle_stored(&db, &submission.id)?);
        }
        statements.extend(rows);
        match db.batch(statements).await {
            Ok(_) => {
                delivery::enqueue_all(env, &write.messages, 0).await;
                delivery::enqueue_all(env, &messages, first_delay).await;
                return get(caller, req, env, id).await;
            }
            // Another release, a page's report or a change to the lead got there first:
            // read again and decide again.
            Err(err) if stored_leads::is_write_conflict(&err) => {
                leads::backoff().await;
                submission = find(caller, &db, id).await?;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::Conflict {
        code: "lead_busy",
        message: format!("submission {id} or its lead kept changing under this release; try again"),
    })
}

/// The statement that leaves the released submission's summary on its conversation (when
/// that is one of its agent's that the edge keeps, and the submission is in its
/// transcript), written as the submit writes it.
async fn release_summary(
    env: &Env,
    db: &D1Database,
    tool: &tools::Tool,
    submission: &Submission,
) -> ApiResult<Option<D1PreparedStatement>> {
    let Some(conversation_id) = submission.conversation_id.as_deref() else {
        return Ok(None);
    };
    let read = conversations::turns_of_agent_statement(db, conversation_id, &submission.agent_id)?;
    let turns = conversations::turns_from(&read.all().await?)?;
    // Only a conversation the submission was written into when it came (its sender held
    // the conversation): an id alone, from Slack or a sheet, names a stranger's.
    let written = turns.iter().any(|t| t.records_submission(&submission.id));
    if !written {
        return Ok(None);
    }
    let summary = crate::agent::summary::write(
        env,
        tool,
        &turns,
        &submission.form_data,
        submission.qualification.as_ref(),
    )
    .await;
    Ok(Some(conversations::set_summary(
        db,
        conversation_id,
        &submission.agent_id,
        &summary,
    )?))
}

fn not_spam(submission: &Submission) -> ApiError {
    ApiError::Conflict {
        code: "not_spam",
        message: format!(
            "submission {} is not in quarantine (status {}): only spam can be released, once",
            submission.id, submission.status
        ),
    }
}
