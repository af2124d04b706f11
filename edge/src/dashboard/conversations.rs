//! `/dashboard/conversations`: an agent's conversations, newest first, each with what it
//! led to; and `/dashboard/conversations/{id}`: one transcript, as the owner API's
//! `GET /v1/conversations/{id}` gives it. For members who read leads.

use super::leads::{chosen_agent, AgentChoice};
use super::view::{query_string, render, shown_time, Layout};
use super::Visit;
use crate::bindings;
use crate::error::ApiResult;
use crate::http::{query_pairs, query_param, request_origin};
use crate::routes::owner::conversations as owner_conversations;
use crate::storage::files::Links;
use crate::storage::{conversations, submissions};
use askama::Template;
use leadform_core::query::{next_cursor, PageQuery};
use worker::{Env, Request, Response};

/// Conversations a page of the list shows.
const PAGE: u32 = 50;
/// Characters of a summary the list shows; the conversation's page has it whole.
const SUMMARY_CHARS: usize = 160;

struct ConversationRow {
    id: String,
    started: String,
    started_iso: String,
    page: String,
    visitor_messages: i64,
    summary: String,
    /// Each lead it led to: its id and what the list shows of it.
    leads: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct ConversationsPage {
    layout: Layout,
    agent_name: Option<String>,
    agents: Vec<AgentChoice>,
    rows: Vec<ConversationRow>,
    error: Option<String>,
    /// Whether chats where the visitor wrote nothing and sent no form are listed too.
    all: bool,
    first_url: Option<String>,
    next_url: Option<String>,
}

pub async fn list(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let (choices, agent) = chosen_agent(req, env).await?;
    let agent_id = agent.as_ref().map(|a| a.id.clone()).unwrap_or_default();
    let all = query_param(req, "all").is_some_and(|v| v == "1");
    let mut page = ConversationsPage {
        layout: Layout::new(&visit.session, "conversations", &agent_id),
        agent_name: agent.as_ref().map(|a| a.name.clone()),
        agents: choices,
        rows: Vec::new(),
        error: None,
        all,
        first_url: None,
        next_url: None,
    };
    let Some(agent) = agent else {
        return render(&page, 200);
    };
    let pairs: Vec<(String, String)> = query_pairs(req)
        .into_iter()
        .filter(|(k, _)| k == "cursor")
        .chain([("limit".to_string(), PAGE.to_string())])
        .collect();
    let query = match PageQuery::parse(&pairs) {
        Ok(query) => query,
        Err(wrong) => {
            // A cursor someone edited by hand: said, with the way back to the first page.
            page.error = Some(format!("{}: {}", wrong.field, wrong.reason));
            page.first_url = Some(list_url(&agent.id, all, None));
            return render(&page, 400);
        }
    };
    let db = env.d1(bindings::DB)?;
    let listed = match all {
        true => conversations::Listed::All,
        false => conversations::Listed::Engaged,
    };
    let (found, more) =
        conversations::list(&db, &agent.id, listed, query.cursor.as_ref(), query.limit).await?;
    let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
    let made = submissions::leads_of_conversations(&db, &agent.id, &ids).await?;
    page.next_url = next_cursor(&found, more, |c| (c.created_at, c.id.clone()))
        .map(|cursor| list_url(&agent.id, all, Some(&cursor)));
    page.first_url = query.cursor.is_some().then(|| list_url(&agent.id, all, None));
    page.rows = found
        .into_iter()
        .map(|c| ConversationRow {
            leads: made
                .iter()
                .filter(|m| m.conversation_id == c.id)
                .map(|m| {
                    (
                        m.lead_id.clone(),
                        m.label.clone().unwrap_or_else(|| m.lead_id.clone()),
                    )
                })
                .collect(),
            started: shown_time(c.created_at),
            started_iso: crate::clock::iso8601(c.created_at),
            page: c.page_url.unwrap_or_default(),
            visitor_messages: c.visitor_messages,
            summary: shortened(c.summary.as_deref().unwrap_or_default(), SUMMARY_CHARS),
            id: c.id,
        })
        .collect();
    render(&page, 200)
}

fn list_url(agent_id: &str, all: bool, cursor: Option<&str>) -> String {
    let query = query_string(&[
        ("agent", agent_id),
        ("all", if all { "1" } else { "" }),
        ("cursor", cursor.unwrap_or_default()),
    ]);
    format!("/dashboard/conversations?{query}")
}

/// `text` cut to `chars` characters (never inside one), with an ellipsis when cut.
fn shortened(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_string(),
    }
}

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
            layout: Layout::new(&visit.session, "conversations", &c.agent_id),
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
