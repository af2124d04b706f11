//! `/dashboard/integrations`: where each form of an agent sends its leads (seed 004's
//! Integrations: "enabled, tested successfully, and toggled to Active"): the webhook and
//! every post-action, each with "Send a test" and, for a post-action, a switch between
//! active and paused; connecting and removing one is `connect.rs`'s (changing one's
//! settings stays on the form's page). For admins, as settings are.

use super::connect::{self, kind_name};
use super::leads::{chosen_agent, AgentChoice};
use super::view::{self, render, Layout};
use super::Visit;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::routes::owner::tools as owner_tools;
use crate::storage::tools::{self, Tool};
use crate::storage::{deliveries, members};
use askama::Template;
use leadform_core::post_actions::PostAction;
use serde_json::json;
use worker::{Env, Request, Response};

/// One integration of a form a test can be sent to.
pub struct TestTarget {
    /// The `postAction` index its buttons post; empty for the webhook.
    pub post_action: String,
    /// What kind it is, as the page says it (Webhook, Slack, …).
    pub kind: &'static str,
    /// Where it goes, as the action names it.
    pub target: String,
    /// The post-action as stored (JSON; empty for the webhook): its buttons send it back,
    /// so a list changed meanwhile changes nothing (`change_shown`).
    pub action: String,
    /// Where it goes, in words: an email's team members by their address.
    pub shown: String,
    pub paused: bool,
    /// The form's mode, when it is one that sends this webhook nothing (`store`, `client`):
    /// its URL is kept (and can be tested) but no lead goes to it, which the page says
    /// rather than calling it Active.
    pub unused_in: Option<&'static str>,
    /// The kind as deliveries name it (`webhook`, `slack`, …).
    kind_id: &'static str,
    /// How its latest delivery went, in words, and whether it arrived (the Integrations
    /// page; `None` for none among the form's newest submissions).
    pub last: Option<(bool, String)>,
}

impl TestTarget {
    /// The form's webhook (when it has one), then each post-action, on or paused.
    pub fn of(tool: &Tool) -> Vec<TestTarget> {
        let webhook = tool.webhook_url.as_ref().map(|url| TestTarget {
            post_action: String::new(),
            kind: "Webhook",
            target: url.clone(),
            action: String::new(),
            shown: url.clone(),
            paused: false,
            unused_in: (!tool.execution_mode.uses_webhook()).then(|| tool.execution_mode.as_str()),
            kind_id: "webhook",
            last: None,
        });
        let actions = tool
            .post_actions
            .iter()
            .enumerate()
            .map(|(i, action)| TestTarget {
                post_action: i.to_string(),
                kind: kind_name(action.kind()),
                target: action.target(),
                action: serde_json::to_string(action).unwrap_or_default(),
                shown: action.target(),
                paused: !action.enabled(),
                unused_in: None,
                kind_id: action.kind(),
                last: None,
            });
        webhook.into_iter().chain(actions).collect()
    }
}

/// Sends form `tool_id`'s example to the integration the posted `postAction` names (none:
/// the webhook), and says what happened in words: whether it arrived.
pub async fn send_test(req: &Request, env: &Env, visit: &Visit, tool_id: &str) -> ApiResult<(bool, String)> {
    // The button's index, as the API takes it (one no longer there is refused at its field).
    let body = visit
        .field("postAction")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(
            |index| json!({ "postAction": index.parse::<u64>().map_or_else(|_| json!(index), |n| json!(n)) }),
        );
    Ok(
        match owner_tools::test(&visit.principal, req, env, tool_id, body.as_ref()).await {
            Ok(out) => {
                let took = format!("{} ms", out.latency_ms);
                let what = match out.target.as_str() {
                    "webhook" => "Webhook".to_string(),
                    target => format!("{} ({target})", kind_name(out.kind)),
                };
                match (out.delivered, out.status_code, out.error) {
                (true, Some(code), _) if out.kind == "mailchimp" => (
                    true,
                    format!("{what}: the key and the audience work, Mailchimp answered HTTP {code} in {took} (a test adds no one to the audience)."),
                ),
                (true, Some(code), _) => (
                    true,
                    format!("{what}: test delivered, the receiver answered HTTP {code} in {took}."),
                ),
                (_, _, Some(error)) => (false, format!("{what}: test not delivered: {error} ({took}).")),
                _ => (false, format!("{what}: test not delivered ({took}).")),
            }
            }
            Err(ApiError::Conflict { message, .. }) => (false, format!("No test sent: {message}.")),
            Err(ApiError::InvalidField(e)) => (false, format!("No test sent: {} {}.", e.field, e.reason)),
            Err(other) => return Err(other),
        },
    )
}

struct FormIntegrations {
    id: String,
    name: String,
    title: String,
    /// The owner paused the form: only displays already shown can still send it.
    paused: bool,
    items: Vec<TestTarget>,
    /// What the last test of one of them did, shown under this form's.
    tested: Option<(bool, String)>,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    layout: Layout,
    agent_name: Option<String>,
    agents: Vec<AgentChoice>,
    forms: Vec<FormIntegrations>,
    notice: Option<String>,
    /// The "Connect" links under each form: the kind's path and its name.
    connect: Vec<(&'static str, &'static str)>,
}

/// `GET /dashboard/integrations?agent=`.
pub async fn page(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let notice = match crate::http::query_param(req, "done").as_deref() {
        Some("on") => Some("Turned on: it runs for the next submissions.".to_string()),
        Some("paused") => Some(
            "Paused: it runs for no submission until it is turned on; its settings are kept.".to_string(),
        ),
        Some("connected") => Some(
            "Connected: it runs for the next submissions. Send it a test to see that it takes them."
                .to_string(),
        ),
        Some("connected-paused") => Some("Connected, paused: send it a test, then turn it on.".to_string()),
        Some("removed") => Some(
            "Removed: it runs for no new submission. Deliveries to it already under way still finish."
                .to_string(),
        ),
        Some("changed") => Some(
            "The form's integrations changed meanwhile: nothing was changed. Here they are as they are now."
                .to_string(),
        ),
        _ => None,
    };
    shown(req, env, visit, notice, None).await
}

/// The page, with `tested` (a form's id and what its test did) under its form.
async fn shown(
    req: &Request,
    env: &Env,
    visit: &Visit,
    notice: Option<String>,
    tested: Option<(String, (bool, String))>,
) -> ApiResult<Response> {
    let (agents, agent) = chosen_agent(req, env).await?;
    let agent_id = agent.as_ref().map(|a| a.id.clone()).unwrap_or_default();
    let db = env.d1(bindings::DB)?;
    let forms = match &agent {
        Some(agent) => tools::list_for_agent(&db, &agent.id).await?,
        None => Vec::new(),
    };
    let ids: Vec<&str> = forms.iter().map(|t| t.id.as_str()).collect();
    let recent = deliveries::latest_of_forms(&db, &ids).await?;
    let emails_members = forms
        .iter()
        .flat_map(|t| &t.post_actions)
        .any(|a| !a.member_ids().is_empty());
    let team = match emails_members {
        true => members::list(&db).await?,
        false => Vec::new(),
    };
    let forms = forms
        .iter()
        .map(|tool| {
            let mut items = TestTarget::of(tool);
            for item in &mut items {
                item.shown = goes_to(&item.target, &team);
                // Newest first: the first that is this integration's is its latest.
                item.last = recent
                    .iter()
                    .find(|d| {
                        d.tool_id == tool.id
                            && d.kind == item.kind_id
                            && d.target_url == item.target
                            // The form's own webhook is the row without a post-action.
                            && (d.primary_hook == 1) == item.post_action.is_empty()
                    })
                    .map(health);
            }
            FormIntegrations {
                id: tool.id.clone(),
                name: tool.name.clone(),
                title: tool.title.clone(),
                paused: !tool.enabled,
                items,
                tested: tested
                    .as_ref()
                    .filter(|(id, _)| *id == tool.id)
                    .map(|(_, t)| t.clone()),
            }
        })
        .collect();
    let page = IntegrationsPage {
        layout: Layout::new(&visit.session, "integrations", &agent_id),
        agent_name: agent.as_ref().map(|a| a.name.clone()),
        agents,
        forms,
        notice,
        connect: connect::kinds(),
    };
    render(&page, 200)
}

/// Where an integration goes, in words: an email's addresses without `mailto:`, its team
/// members by their address (one removed since by saying so).
fn goes_to(target: &str, team: &[members::Member]) -> String {
    let Some(list) = target.strip_prefix("mailto:") else {
        return target.to_string();
    };
    list.split(',')
        .map(|to| match team.iter().find(|m| m.id == to) {
            Some(member) => format!("{} (member)", member.email),
            None if !to.contains('@') => "a member no longer on the team".to_string(),
            None => to.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An integration's latest delivery in words: whether it arrived, and when it last moved.
fn health(delivery: &deliveries::Recent) -> (bool, String) {
    let at = view::shown_time(delivery.updated_at);
    let why = delivery.last_error.as_deref().unwrap_or("no answer yet");
    match delivery.status.as_str() {
        "delivered" => (true, format!("Delivered {at}")),
        "failed" => (false, format!("Failed {at}: {why}")),
        "retrying" => (false, format!("Retrying since {at}: {why}")),
        _ => (true, format!("Sending ({at})")),
    }
}

/// `POST /dashboard/integrations/{toolId}/test`: "Send a test", told under its form.
pub async fn test(req: &Request, env: &Env, visit: &Visit, tool_id: &str) -> ApiResult<Response> {
    let tested = send_test(req, env, visit, tool_id).await?;
    shown(req, env, visit, None, Some((tool_id.to_string(), tested))).await
}

/// `POST /dashboard/integrations/{toolId}/{index}/enabled` with `on` (`1` or `0`) and the
/// `action` the button showed: turns the post-action on or pauses it, its settings kept.
pub async fn switch(env: &Env, visit: &Visit, tool_id: &str, index: &str) -> ApiResult<Response> {
    let on = visit.field("on") == Some("1");
    let (agent_id, changed) = change_shown(env, visit, tool_id, index, |actions, i| {
        actions[i].set_enabled(on)
    })
    .await?;
    let done = match (changed, on) {
        (false, _) => "changed",
        (true, true) => "on",
        (true, false) => "paused",
    };
    to_page(&agent_id, tool_id, done)
}

/// Changes the post-action at `index` of form `tool_id` with `change` (the list and the
/// index), if it is still the one the button showed (its `action`, as stored then: two
/// alike but for their routing are told apart). Made on the list as the write reads it: an
/// edit saved since the page was shown is kept, and a button whose place now holds another
/// integration, or this one changed (someone edited the form meanwhile), changes nothing:
/// `false`, for the page to say so. The form's agent comes first.
pub(super) async fn change_shown(
    env: &Env,
    visit: &Visit,
    tool_id: &str,
    index: &str,
    change: impl Fn(&mut Vec<PostAction>, usize),
) -> ApiResult<(String, bool)> {
    let shown = visit.field("action").unwrap_or_default();
    let index = index.parse::<usize>().ok();
    let mut agent_id = String::new();
    let changed = owner_tools::patch_with(&visit.principal, env, tool_id, |now| {
        agent_id.clone_from(&now.agent_id);
        let mut actions = now.post_actions.clone();
        match index.filter(|i| {
            actions
                .get(*i)
                .and_then(|a| serde_json::to_string(a).ok())
                .as_deref()
                == Some(shown)
        }) {
            Some(i) => {
                change(&mut actions, i);
                Ok(json!({ "postActions": actions }))
            }
            None => Err(ApiError::Conflict {
                code: "changed",
                message: "the form's integrations changed meanwhile".into(),
            }),
        }
    })
    .await;
    match changed {
        Ok(_) => Ok((agent_id, true)),
        Err(ApiError::Conflict { code: "changed", .. }) => Ok((agent_id, false)),
        Err(other) => Err(other),
    }
}

/// The Integrations page after a change, saying `done`, at the form's section.
pub(super) fn to_page(agent_id: &str, tool_id: &str, done: &str) -> ApiResult<Response> {
    view::redirect(&format!(
        "/dashboard/integrations?agent={}&done={done}#form-{}",
        view::urlencode(agent_id),
        view::urlencode(tool_id)
    ))
}
