//! `/dashboard/integrations/{toolId}/connect/{kind}`: connecting an integration to a form
//! from the Integrations page (seed 004: "Connect your tools in Integrations"), a page per
//! kind with the inputs that kind needs instead of the form page's JSON, and removing one.
//! Both change the form's `postActions` through the owner API's own change
//! (`owner_tools::patch_with`), on the list as the write reads it: every check the API makes
//! holds here, and an integration added meanwhile elsewhere is kept.

use super::integrations::{change_shown, to_page};
use super::settings::{input, Input};
use super::view::{render, Layout};
use super::Visit;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::routes::owner::tools as owner_tools;
use crate::storage::{members, tools};
use askama::Template;
use leadform_core::form_post::{post_action_body, Posted, INTEGRATION_KINDS};
use serde_json::json;
use worker::{Env, Response};

/// What the page says of a kind, and the text inputs it asks for (API names, so a refusal's
/// field names its input).
struct Kind {
    id: &'static str,
    name: &'static str,
    about: &'static str,
    inputs: &'static [(&'static str, &'static str, &'static str, bool)],
}

const KINDS: [Kind; 5] = [
    Kind {
        id: "slack",
        name: "Slack",
        about: "Posts a message to a Slack channel for each lead, through an incoming webhook (Slack: Apps → Incoming Webhooks → Add to a channel).",
        inputs: &[
            ("webhookUrl", "Incoming webhook URL", "https://hooks.slack.com/services/…", false),
            ("messageTemplate", "Message", "Optional. {{email}} puts in that field's answer, {{_formTitle}} the form's title, {{_conversationUrl}} a link to the chat. Empty: \"New (title) submission\" and every answer.", true),
        ],
    },
    Kind {
        id: "email",
        name: "Email",
        about: "Emails each lead, with its answers and the conversation's summary, to the addresses and team members chosen here.",
        inputs: &[
            ("recipients", "Addresses", "Separated by commas or lines. Team members can be ticked below instead: their email goes to their address as it is then.", true),
            ("subject", "Subject", "Optional, with {{field}} placeholders as in Slack. Empty: \"New (title) submission\".", false),
        ],
    },
    Kind {
        id: "google_sheets",
        name: "Google Sheets",
        about: "Appends each submission as a row of a sheet, through the Google account whose token this edge has (GOOGLE_SHEETS_TOKEN): the sheet must be one it can edit.",
        inputs: &[
            ("spreadsheetId", "Spreadsheet", "Its address (https://docs.google.com/spreadsheets/d/…) or its id.", false),
            ("sheet", "Sheet", "Optional. The tab's name; empty: Sheet1.", false),
        ],
    },
    Kind {
        id: "mailchimp",
        name: "Mailchimp",
        about: "Adds each lead's email address to a Mailchimp audience, with their name and phone; a person already there is updated, and one who unsubscribed stays unsubscribed.",
        inputs: &[("audienceId", "Audience ID", "Mailchimp: Audience → Settings → Audience name and defaults.", false)],
    },
    Kind {
        id: "webhook",
        name: "Webhook",
        about: "Sends each submission as JSON (seed 002's payload) to your CRM's or server's URL, signed with its own secret.",
        inputs: &[
            ("url", "URL", "https://…", false),
            ("headers", "Headers", "Optional. One per line, as Name: value (for example Authorization: Bearer …).", true),
        ],
    },
];

/// A post-action's kind as the pages say it (`google_sheets`: Google Sheets).
pub(super) fn kind_name(kind: &str) -> &'static str {
    KINDS.iter().find(|k| k.id == kind).map_or("Webhook", |k| k.name)
}

/// What the Integrations page offers to connect: each kind's path and name.
pub(super) fn kinds() -> Vec<(&'static str, &'static str)> {
    KINDS.iter().map(|k| (k.id, k.name)).collect()
}

fn kind_of(id: &str) -> ApiResult<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.id == id && INTEGRATION_KINDS.contains(&k.id))
        .ok_or_else(|| ApiError::not_found("integration kind", id))
}

/// A team member an email can go to, ticked or not.
struct Recipient {
    id: String,
    email: String,
    invited: bool,
    ticked: bool,
}

#[derive(Template)]
#[template(path = "integration_connect.html")]
struct ConnectPage {
    layout: Layout,
    tool_id: String,
    form_title: String,
    kind: &'static str,
    kind_name: &'static str,
    about: &'static str,
    inputs: Vec<Input>,
    /// The team, for an email (empty for other kinds).
    members: Vec<Recipient>,
    members_error: Option<String>,
    /// Mailchimp's confirmation email: `Some` (ticked or not) for Mailchimp only.
    double_opt_in: Option<bool>,
    enabled: bool,
    alert: Option<String>,
}

/// `GET`: the empty form of `kind`, connected active unless unticked.
pub async fn page(env: &Env, visit: &Visit, tool_id: &str, kind: &str) -> ApiResult<Response> {
    shown(env, visit, tool_id, kind_of(kind)?, None).await
}

/// `POST`: adds the integration; the Integrations page then says so. A refusal shows this
/// page again with what was typed, the refusal at its input.
pub async fn connect(env: &Env, visit: &Visit, tool_id: &str, kind: &str) -> ApiResult<Response> {
    let kind = kind_of(kind)?;
    let posted = Posted(&visit.form);
    let mut agent_id = String::new();
    let mut at = 0;
    let added = owner_tools::patch_with(&visit.principal, env, tool_id, |now| {
        agent_id.clone_from(&now.agent_id);
        at = now.post_actions.len();
        let action = post_action_body(kind.id, &posted)?;
        let mut actions = serde_json::to_value(&now.post_actions)?;
        if let Some(list) = actions.as_array_mut() {
            list.push(action);
        }
        Ok(json!({ "postActions": actions }))
    })
    .await;
    match added {
        Ok(_) => {
            let done = if posted.text("enabled").is_some() {
                "connected"
            } else {
                "connected-paused"
            };
            to_page(&agent_id, tool_id, done)
        }
        Err(refused @ ApiError::InvalidField(_)) => {
            shown(env, visit, tool_id, kind, Some((refused, at))).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/integrations/{toolId}/{index}/remove` with the `action` its button
/// showed: takes the integration off the form. Its deliveries already under way still
/// finish. A list changed meanwhile (the index now names another) removes nothing.
pub async fn remove(env: &Env, visit: &Visit, tool_id: &str, index: &str) -> ApiResult<Response> {
    let (agent_id, removed) = change_shown(env, visit, tool_id, index, |actions, i| {
        actions.remove(i);
    })
    .await?;
    to_page(&agent_id, tool_id, if removed { "removed" } else { "changed" })
}

async fn shown(
    env: &Env,
    visit: &Visit,
    tool_id: &str,
    kind: &'static Kind,
    refused: Option<(ApiError, usize)>,
) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let tool = tools::get(&db, tool_id)
        .await?
        .filter(|t| t.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("tool", tool_id))?;
    let posted = Posted(&visit.form);
    let again = refused.is_some();
    let mut inputs: Vec<Input> = kind
        .inputs
        .iter()
        .map(|(name, label, hint, multiline)| {
            let value = if again {
                posted.text(name).unwrap_or_default().to_string()
            } else {
                String::new()
            };
            input(name, label, hint, value, *multiline)
        })
        .collect();
    let ticked: Vec<&str> = visit
        .form
        .iter()
        .filter(|(k, _)| k == "recipientIds")
        .map(|(_, v)| v.as_str())
        .collect();
    let members = if kind.id == "email" {
        members::list(&db)
            .await?
            .into_iter()
            .map(|m| Recipient {
                ticked: ticked.contains(&m.id.as_str()),
                invited: !m.active,
                id: m.id,
                email: m.email,
            })
            .collect()
    } else {
        Vec::new()
    };
    // A refusal of the new integration goes on the input it names (`postActions[3].url`
    // when it is the fourth, or the page's own `headers`), in the reason's own words; any
    // other (too many integrations, or one the form had already) above the form.
    let mut members_error = None;
    let mut alert = None;
    if let Some((ApiError::InvalidField(e), at)) = &refused {
        let own = format!("postActions[{at}].");
        let path = match e.field.strip_prefix(&own) {
            Some(rest) => rest,
            None if !e.field.contains(['[', '.']) && e.field != "webhookUrl" => e.field.as_str(),
            None => "",
        };
        let top = path.split(['[', '.']).next().unwrap_or(path);
        match inputs.iter_mut().find(|i| !top.is_empty() && i.name == top) {
            Some(at) => at.error = Some(e.reason.clone()),
            None if top == "recipientIds" => members_error = Some(e.reason.clone()),
            None => alert = Some(format!("Not connected: {} {}.", e.field, e.reason)),
        }
    }
    let page = ConnectPage {
        layout: Layout::new(&visit.session, "integrations", &tool.agent_id),
        tool_id: tool.id.clone(),
        form_title: tool.title.clone(),
        kind: kind.id,
        kind_name: kind.name,
        about: kind.about,
        inputs,
        members,
        members_error,
        double_opt_in: (kind.id == "mailchimp").then(|| posted.text("doubleOptIn").is_some()),
        enabled: !again || posted.text("enabled").is_some(),
        alert,
    };
    render(&page, if again { 400 } else { 200 })
}
