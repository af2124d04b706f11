//! Stored conversations for the owner: an agent's list (keyset-paged) and one conversation
//! whole (every turn, the forms shown, the submissions and leads it led to, its summary).

use super::Caller;
use crate::auth;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_pairs};
use crate::storage::conversations::{self, Conversation, Turn};
use crate::storage::submissions;
use leadform_core::query::{next_cursor, PageQuery};
use serde::Serialize;
use worker::{Env, Request, Response};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationListOut {
    conversations: Vec<Conversation>,
    next_cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationSubmissionOut {
    id: String,
    tool_id: String,
    status: String,
    submitted_at: i64,
    lead_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetailOut {
    pub conversation: Conversation,
    pub turns: Vec<Turn>,
    submissions: Vec<ConversationSubmissionOut>,
    pub lead_ids: Vec<String>,
}

pub async fn list(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let query = PageQuery::parse(&query_pairs(req))?;
    let db = env.d1(bindings::DB)?;
    let (page, more) = conversations::list(&db, agent_id, query.cursor.as_ref(), query.limit).await?;
    let next_cursor = next_cursor(&page, more, |c| (c.created_at, c.id.clone()));
    json(
        &ConversationListOut {
            conversations: page,
            next_cursor,
        },
        200,
    )
}

pub async fn get(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    json(&detail(caller, env, id).await?, 200)
}

/// Conversation `id` whole, if the caller may see its agent.
pub async fn detail(caller: &Caller, env: &Env, id: &str) -> ApiResult<ConversationDetailOut> {
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
    Ok(ConversationDetailOut {
        conversation,
        turns,
        submissions: made
            .into_iter()
            .map(|s| ConversationSubmissionOut {
                id: s.id,
                tool_id: s.tool_id,
                status: s.status,
                submitted_at: s.submitted_at,
                lead_id: s.lead_id,
            })
            .collect(),
        lead_ids,
    })
}
