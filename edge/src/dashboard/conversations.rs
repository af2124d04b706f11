//! `/dashboard/conversations/{id}`: a conversation's transcript, as the owner API's
//! `GET /v1/conversations/{id}` gives it, for members who read leads.

use super::view::{render, shown_time, Layout};
use super::Visit;
use crate::error::ApiResult;
use crate::http::request_origin;
use crate::routes::owner::conversations as owner_conversations;
use crate::storage::files::Links;
use askama::Template;
use worker::{Env, Request, Response};

struct TurnView {
    class: &'static str,
    who: String,
    text: String,
    at: String,
    at_iso: String,
}

/// A submission that names the conversation: its form, time, status and values.
struct SubmissionView {
    form: String,
    at: String,
    at_iso: String,
    status: String,
    lead_id: Option<String>,
    in_transcript: bool,
    fields: Vec<(String, String)>,
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
    submissions: Vec<SubmissionView>,
}

pub async fn page(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let links = Links::new(env, request_origin(req));
    let detail = owner_conversations::detail(&visit.principal, env, &links, id).await?;
    let submissions = detail
        .submissions
        .iter()
        .map(|s| SubmissionView {
            form: s
                .tool_name
                .clone()
                .unwrap_or_else(|| format!("{} (deleted)", s.tool_id)),
            at: shown_time(s.submitted_at),
            at_iso: crate::clock::iso8601(s.submitted_at),
            status: s.status.replace('_', " "),
            lead_id: s.lead_id.clone(),
            in_transcript: s.in_transcript,
            fields: s
                .form_data
                .iter()
                .map(|(name, value)| (name.clone(), leadform_core::post_actions::value_text(value)))
                .collect(),
        })
        .collect();
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
            submissions,
        },
        200,
    )
}
