//! `/dashboard/conversations/{id}`: a conversation's transcript, as the owner API's
//! `GET /v1/conversations/{id}` gives it, for members who read leads.

use super::view::{render, shown_time, Layout};
use super::Visit;
use crate::error::ApiResult;
use crate::routes::owner::conversations as owner_conversations;
use askama::Template;
use worker::{Env, Response};

struct TurnView {
    class: &'static str,
    who: String,
    text: String,
    at: String,
    at_iso: String,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    layout: Layout,
    id: String,
    started: String,
    page: String,
    visitor_messages: i64,
    summary: String,
    leads: Vec<String>,
    turns: Vec<TurnView>,
}

pub async fn page(env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let detail = owner_conversations::detail(&visit.principal, env, id).await?;
    let c = &detail.conversation;
    let turns = detail
        .turns
        .iter()
        .map(|t| {
            let form = t.tool_id.as_deref().map(|_| t.text.as_str()).unwrap_or("a form");
            let (class, who, text) = match (t.role.as_str(), t.kind.as_str()) {
                ("visitor", "message") => ("visitor", "Visitor".to_string(), t.text.clone()),
                (_, "message") => ("agent", "Agent".to_string(), t.text.clone()),
                (_, "question") => ("agent", "Agent asks".to_string(), t.text.clone()),
                (_, "answer") => (
                    "visitor",
                    format!("Visitor answers ({} points)", t.points.unwrap_or(0)),
                    t.text.clone(),
                ),
                (_, "form_shown") => (
                    "event",
                    "Form shown".to_string(),
                    format!(
                        "{form} ({})",
                        t.reason.as_deref().unwrap_or("shown").replace('_', " ")
                    ),
                ),
                (_, "form_dismissed") => ("event", "Form dismissed".to_string(), form.to_string()),
                (_, "form_submitted") => ("event", "Form submitted".to_string(), form.to_string()),
                (_, other) => ("event", other.to_string(), t.text.clone()),
            };
            TurnView {
                class,
                who,
                text,
                at: shown_time(t.at),
                at_iso: crate::clock::iso8601(t.at),
            }
        })
        .collect();
    render(
        &ConversationPage {
            layout: Layout::new(&visit.session, "leads", &c.agent_id),
            id: c.id.clone(),
            started: shown_time(c.created_at),
            page: c.page_url.clone().unwrap_or_else(|| "unknown".into()),
            visitor_messages: c.visitor_messages,
            summary: c.summary.clone().unwrap_or_default(),
            leads: detail.lead_ids.clone(),
            turns,
        },
        200,
    )
}
