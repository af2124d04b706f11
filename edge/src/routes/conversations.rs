//! The widget's conversation with the agent (public, like the other widget endpoints:
//! origin-checked, size-capped, rate-limited):
//! - `POST /conversations {agentId, page?}` → 201 `{conversationId, conversationToken,
//!   messages}` (the greeting);
//! - `POST /conversations/{id}/messages {text, page?}` → `{messages}`: the agent's reply, with
//!   `form` when it shows one;
//! - `GET /conversations/{id}` → `{conversationId, messages}`: the transcript so far, for the
//!   widget on the visit's next page.
//!
//! The last two take the conversation's token in `X-Leadform-Conversation-Token`: its id is
//! no secret (the owner's webhook, sheet and emails carry it), what the visitor said is.

use super::check_origin;
use crate::agent::{self, MessageOut};
use crate::bindings;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body_within, visitor_locale, SMALL_BODY_BYTES};
use crate::limits::{self, Limit};
use crate::storage::agents::{self, Agent};
use crate::storage::conversations::{self, Conversation};
use leadform_core::access::{conversation_token, conversation_token_is_valid};
use leadform_core::locale::LOCALES;
use leadform_core::validate::{is_http_url, FieldError};
use serde::Serialize;
use serde_json::Value;
use worker::{D1Database, Env, Request, Response};

/// Longest visitor message.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConversationOut {
    conversation_id: String,
    /// Only when it starts: the browser that started it keeps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_token: Option<String>,
    messages: Vec<MessageOut>,
}

pub const TOKEN_HEADER: &str = "X-Leadform-Conversation-Token";

/// Whether the request carries conversation `id`'s token (a submission made in the chat
/// proves with it that the chat is its visitor's).
pub fn carries_token(req: &Request, env: &Env, id: &str) -> bool {
    let owner_key = config::api_key(env).unwrap_or_default();
    matches!(req.headers().get(TOKEN_HEADER), Ok(Some(given)) if conversation_token_is_valid(&owner_key, id, &given))
}

/// The request carries conversation `id`'s token. Checked before any lookup: a guess costs
/// an HMAC, and says nothing of whether the conversation exists.
fn check_token(req: &Request, env: &Env, id: &str) -> ApiResult<()> {
    let owner_key = config::api_key(env).unwrap_or_default();
    match req.headers().get(TOKEN_HEADER)? {
        Some(given) if conversation_token_is_valid(&owner_key, id, &given) => Ok(()),
        Some(_) => Err(ApiError::BadToken {
            code: "invalid_conversation_token",
            message: format!("{TOKEN_HEADER} is not this conversation's token"),
        }),
        None => Err(ApiError::BadToken {
            code: "conversation_token_required",
            message: format!(
                "{TOKEN_HEADER} is required: the conversationToken POST /conversations answered"
            ),
        }),
    }
}

#[derive(Serialize)]
struct MessagesOut {
    messages: Vec<MessageOut>,
}

pub async fn start(mut req: Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    let body = json_body_within(&mut req, SMALL_BODY_BYTES).await?;
    let agent_id = match body.get("agentId") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 128 => id.clone(),
        _ => return Err(FieldError::new("agentId", "is required (an agent id)").into()),
    };
    let page = page_of(&body)?;
    let db = env.d1(bindings::DB)?;
    let agent = agents::get(&db, &agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &agent_id))?;
    check_origin(&agent.allowed_origins, origin)?;
    // The greeting stored as the widget shows it: in the language the config gave it.
    let locale = visitor_locale(&req, agent.locale.as_deref());
    let (conversation, messages) = agent::start(&db, &agent, page.as_deref(), LOCALES[locale]).await?;
    let owner_key = config::api_key(env).unwrap_or_default();
    json(
        &ConversationOut {
            conversation_token: Some(conversation_token(&owner_key, &conversation.id)),
            conversation_id: conversation.id,
            messages,
        },
        201,
    )
}

pub async fn message(mut req: Request, env: &Env, origin: Option<&str>, id: &str) -> ApiResult<Response> {
    check_token(&req, env, id)?;
    let body = json_body_within(&mut req, SMALL_BODY_BYTES).await?;
    let text = visitor_text(body.get("text"))?;
    let page = page_of(&body)?;
    let db = env.d1(bindings::DB)?;
    let (conversation, agent) = find(&db, id, origin).await?;
    // Before the answer, which may cost an LLM call: per client and agent, not conversation,
    // since a new conversation is one call away (its reads are the widget limit's to bound).
    limits::check(env, Limit::Message, &limits::client(&req), &agent.id).await?;
    // The visitor's language, as the widget config picked it.
    let locale = visitor_locale(&req, agent.locale.as_deref());
    let messages = agent::answer(env, &agent, &conversation, &text, page.as_deref(), locale).await?;
    json(&MessagesOut { messages }, 200)
}

pub async fn get(req: &Request, env: &Env, origin: Option<&str>, id: &str) -> ApiResult<Response> {
    check_token(req, env, id)?;
    let db = env.d1(bindings::DB)?;
    let (conversation, _) = find(&db, id, origin).await?;
    let messages = agent::replay(conversations::turns(&db, &conversation.id).await?);
    json(
        &ConversationOut {
            conversation_id: conversation.id,
            conversation_token: None,
            messages,
        },
        200,
    )
}

/// The conversation and its agent, once the agent allows the calling page.
async fn find(db: &D1Database, id: &str, origin: Option<&str>) -> ApiResult<(Conversation, Agent)> {
    let conversation = conversations::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation", id))?;
    let agent = agents::get(db, &conversation.agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation", id))?;
    check_origin(&agent.allowed_origins, origin)?;
    Ok((conversation, agent))
}

/// A visitor's message: text, not empty, at most [`MAX_MESSAGE_CHARS`], no control
/// characters but line breaks and tabs (binary is refused, not stored).
fn visitor_text(value: Option<&Value>) -> ApiResult<String> {
    let Some(Value::String(text)) = value else {
        return Err(FieldError::new("text", "is required (the visitor's message)").into());
    };
    let text = text.trim();
    // Zero-width spaces or direction marks alone say nothing either: they would count as
    // the visitor writing (the chat kept past the purge of empty ones, a page rule's
    // `afterMessages`, an LLM's turn).
    if leadform_core::validate::visible(text).trim().is_empty() {
        return Err(FieldError::new("text", "is empty").into());
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(
            FieldError::new("text", format!("must be at most {MAX_MESSAGE_CHARS} characters")).into(),
        );
    }
    if leadform_core::validate::holds_control_chars(text) {
        return Err(FieldError::new("text", "must be text (it holds control characters)").into());
    }
    Ok(text.to_string())
}

/// The page the visitor is on, for the agent's page rules and the transcript. A page that
/// is not on the web (a file opened in the browser, `about:blank`) is no page: the chat goes
/// on without one, and nothing but an http(s) address is ever kept (the dashboard links it).
fn page_of(body: &Value) -> ApiResult<Option<String>> {
    match body.get("page") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(url)) if url.len() <= 2_000 => {
            Ok(Some(url.clone()).filter(|url| is_http_url(url)))
        }
        Some(_) => Err(FieldError::new("page", "must be the page's URL, at most 2,000 characters").into()),
    }
}
