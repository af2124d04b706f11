//! Stored conversations for the owner: an agent's list (keyset-paged) and one conversation
//! whole (every turn, the forms shown, the submissions and leads it led to, its summary).

use super::Caller;
use crate::auth;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_pairs, request_origin};
use crate::storage::conversations::{self, Conversation, Turn};
use crate::storage::files::Links;
use crate::storage::{submissions, tools};
use leadform_core::query::{next_cursor, PageQuery};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::{Env, Request, Response};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationListOut {
    conversations: Vec<Conversation>,
    next_cursor: Option<String>,
}

/// A submission that names the conversation (seed 000's "Form Submissions": the form, its
/// values, its status and time).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSubmissionOut {
    pub id: String,
    pub tool_id: String,
    /// The form's name now; `None` once the form is deleted.
    pub tool_name: Option<String>,
    pub status: String,
    pub submitted_at: i64,
    pub lead_id: Option<String>,
    /// Its values, files as signed links (as `GET /v1/submissions/{id}` shows them).
    pub form_data: Map<String, Value>,
    /// Whether it was written into the conversation (its sender held the conversation's
    /// token, or an owner's key): one that only names the id is kept here, not in the
    /// transcript.
    pub in_transcript: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetailOut {
    pub conversation: Conversation,
    pub turns: Vec<Turn>,
    pub submissions: Vec<ConversationSubmissionOut>,
    pub lead_ids: Vec<String>,
}

pub async fn list(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let query = PageQuery::parse(&query_pairs(req))?;
    let db = env.d1(bindings::DB)?;
    let (page, more) = conversations::list(
        &db,
        agent_id,
        conversations::Listed::All,
        query.cursor.as_ref(),
        query.limit,
    )
    .await?;
    let next_cursor = next_cursor(&page, more, |c| (c.created_at, c.id.clone()));
    json(
        &ConversationListOut {
            conversations: page,
            next_cursor,
        },
        200,
    )
}

pub async fn get(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let links = Links::new(env, request_origin(req));
    json(&detail(caller, env, &links, id).await?, 200)
}

/// Conversation `id` whole, if the caller may see its agent; files as `links` sign them.
pub async fn detail(caller: &Caller, env: &Env, links: &Links, id: &str) -> ApiResult<ConversationDetailOut> {
    let db = env.d1(bindings::DB)?;
    let conversation = conversations::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation", id))?;
    let agent_id = conversation.agent_id.clone();
    let conversation = auth::visible(caller, "conversation", id, &agent_id, conversation)?;
    let turns = conversations::turns(&db, id).await?;
    // Any page may name this conversation in its submissions: the newest hundred are shown.
    let made = submissions::for_conversation(&db, id, &agent_id, 100).await?;
    let mut lead_ids: Vec<String> = made.iter().filter_map(|s| s.lead_id.clone()).collect();
    lead_ids.sort();
    lead_ids.dedup();
    // The forms' names, deleted forms' too, in one read.
    let names = tools::names_of_agent(&db, &agent_id).await?;
    let submissions = made
        .into_iter()
        .map(|s| ConversationSubmissionOut {
            tool_name: names.get(&s.tool_id).cloned(),
            in_transcript: turns.iter().any(|t| t.records_submission(&s.id)),
            form_data: links.show(&s.form_data),
            id: s.id,
            tool_id: s.tool_id,
            status: s.status,
            submitted_at: s.submitted_at,
            lead_id: s.lead_id,
        })
        .collect();
    Ok(ConversationDetailOut {
        conversation,
        turns,
        submissions,
        lead_ids,
    })
}
