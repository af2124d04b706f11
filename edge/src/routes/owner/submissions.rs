//! A submission with its delivery log, and an agent's submissions page by page.

use super::deliveries::{self, DeliveryLog};
use super::Caller;
use crate::auth;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_pairs, request_origin};
use crate::storage::files::Links;
use crate::storage::submissions::{self, Submission};
use leadform_core::query::{Cursor, SubmissionQuery};
use leadform_core::status::{lead_status, settled};
use serde::Serialize;
use worker::{Env, Request, Response};

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
    pub submissions: Vec<Submission>,
    pub next_cursor: Option<String>,
}

/// A submission with its deliveries and every attempt of each.
pub async fn get(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let mut submission = find(caller, &db, id).await?;
    submission.form_data = Links::new(env, request_origin(req)).show(&submission.form_data);
    let log = deliveries::log(&db, &crate::storage::deliveries::for_submission(&db, id).await?).await?;
    let statuses: Vec<&str> = log.iter().map(|entry| entry.delivery.status.as_str()).collect();
    let ended = settled(
        submission.execution_mode,
        submission.webhook_outcome,
        submission.client_outcome,
    );
    let lead_status = lead_status(ended, &statuses);
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
    let next_cursor = more.then(|| page.last()).flatten().map(|last| {
        Cursor {
            at: last.submitted_at,
            id: last.id.clone(),
        }
        .encode()
    });
    json(
        &SubmissionListOut {
            submissions: page,
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
