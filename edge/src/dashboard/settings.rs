//! `/dashboard/settings` (admins only): members, API keys, and per agent its settings, its
//! forms and its lead-events endpoints. Every save goes through the owner API's own
//! function with the API's JSON body (`core::form_post` turns the posted form into it), so
//! the same checks run and an error names the input at fault.

use super::integrations;
use super::view::{self, render, Layout};
use super::Visit;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{edge_address, query_param};
use crate::members;
use crate::routes::owner::{
    agents as owner_agents, channels as owner_channels, keys as owner_keys, lead_webhooks as owner_endpoints,
    tools as owner_tools,
};
use crate::storage::{agents, keys, lead_webhooks, members as stored, tools};
use askama::Template;
use leadform_core::access::{Role, Scope};
use leadform_core::form::FieldKind;
use leadform_core::form_post::{self, Posted, BLANK_FIELD_ROWS};
use leadform_core::owner::ToolIn;
use serde_json::json;
use worker::{Env, Request, Response};

struct AgentLink {
    id: String,
    name: String,
    forms: usize,
}

struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    notice: Option<&'static str>,
    alert: Option<String>,
    invite_url: Option<String>,
    invited_email: String,
    members: Vec<stored::Member>,
    roles: Vec<&'static str>,
    email: String,
    error: String,
    error_field: String,
    agents: Vec<AgentLink>,
    keys: Vec<KeyRow>,
    scopes: Vec<&'static str>,
    new_key: Option<String>,
    key_name: String,
    key_error: String,
    key_error_field: String,
}

/// What the page shows after a write, besides the lists.
#[derive(Default)]
pub struct Outcome {
    invite: Option<members::Invited>,
    refused: Option<ApiError>,
    email: String,
    new_key: Option<String>,
    key_refused: Option<ApiError>,
    key_name: String,
}

/// The error of a refused save split for the page: (message, field) when it names a field,
/// else an alert.
fn split(refused: &Option<ApiError>) -> (String, String, Option<String>) {
    match refused {
        Some(err) if err.field().is_some() => (err.message(), err.field().unwrap_or_default(), None),
        Some(err) => (String::new(), String::new(), Some(err.message())),
        None => (String::new(), String::new(), None),
    }
}

fn status_of(refused: &[&Option<ApiError>]) -> u16 {
    match refused.iter().find_map(|r| r.as_ref()) {
        Some(ApiError::Conflict { .. }) => 409,
        Some(_) => 400,
        None => 200,
    }
}

/// Whether a refusal is the owner's to fix (shown on the page) rather than ours.
fn fixable(err: &ApiError) -> bool {
    matches!(err, ApiError::InvalidField(_) | ApiError::Conflict { .. })
}

pub async fn page(req: &Request, env: &Env, visit: &Visit, outcome: Option<Outcome>) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let all_agents = agents::list(&db).await?;
    let form_counts = tools::count_by_agent(&db).await?;
    let agent_links: Vec<AgentLink> = all_agents
        .iter()
        .map(|a| AgentLink {
            forms: form_counts.get(&a.id).copied().unwrap_or(0),
            id: a.id.clone(),
            name: a.name.clone(),
        })
        .collect();
    let agent_id = query_param(req, "agent")
        .filter(|id| all_agents.iter().any(|a| &a.id == id))
        .or_else(|| all_agents.first().map(|a| a.id.clone()))
        .unwrap_or_default();
    let outcome = outcome.unwrap_or_default();
    let notice = match query_param(req, "done").as_deref() {
        Some("role") => Some("Role saved. The member signs in again to use it."),
        Some("removed") => Some("Member removed."),
        Some("revoked") => Some("Key revoked."),
        _ => None,
    };
    let (error, error_field, alert) = split(&outcome.refused);
    let (key_error, key_error_field, key_alert) = split(&outcome.key_refused);
    let status = status_of(&[&outcome.refused, &outcome.key_refused]);
    let keys = keys::list(&db)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            scopes: k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            last_used: k
                .last_used_at
                .map(view::shown_time)
                .unwrap_or_else(|| "never".into()),
            revoked: k.revoked_at.is_some(),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
        })
        .collect();
    render(
        &SettingsPage {
            layout: Layout::new(&visit.session, "settings", &agent_id),
            notice,
            alert: alert.or(key_alert),
            invited_email: outcome
                .invite
                .as_ref()
                .map(|i| i.member.email.clone())
                .unwrap_or_default(),
            invite_url: outcome.invite.map(|i| i.invite_url),
            members: stored::list(&db).await?,
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            email: outcome.email,
            error,
            error_field,
            agents: agent_links,
            keys,
            scopes: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            new_key: outcome.new_key,
            key_name: outcome.key_name,
            key_error,
            key_error_field,
        },
        status,
    )
}

/// `POST /dashboard/settings/members`: invites a member and shows their link once.
pub async fn invite(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let email = visit.field("email").unwrap_or_default().to_string();
    let result = match members::parse_role("role", visit.field("role").unwrap_or_default()) {
        Ok(role) => members::invite(&db, &visit.principal, &email, role, &edge_address(env, req)).await,
        Err(wrong) => Err(wrong),
    };
    let outcome = match result {
        Ok(invited) => Outcome {
            invite: Some(invited),
            ..Default::default()
        },
        Err(err) if fixable(&err) => Outcome {
            refused: Some(err),
            email,
            ..Default::default()
        },
        Err(other) => return Err(other),
    };
    page(req, env, visit, Some(outcome)).await
}

/// `POST /dashboard/settings/members/{id}/{role|remove}`.
pub async fn change_member(
    req: &Request,
    env: &Env,
    visit: &Visit,
    id: &str,
    action: &str,
) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let result = match action {
        "role" => match members::parse_role("role", visit.field("role").unwrap_or_default()) {
            Ok(role) => members::set_role(&db, id, role).await.map(|_| "role"),
            Err(wrong) => Err(wrong),
        },
        "remove" => members::remove(&db, id).await.map(|_| "removed"),
        _ => return Err(ApiError::not_found("page", action)),
    };
    match result {
        Ok(done) => view::redirect(&format!("/dashboard/settings?done={done}")),
        Err(err) if fixable(&err) => {
            let outcome = Outcome {
                refused: Some(err),
                ..Default::default()
            };
            page(req, env, visit, Some(outcome)).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/settings/keys`: makes a key and shows it once.
pub async fn make_key(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let outcome = match owner_keys::make(env, form_post::key_body(&Posted(&visit.form))).await {
        Ok(made) => Outcome {
            new_key: Some(made.text),
            ..Default::default()
        },
        Err(err) if fixable(&err) => Outcome {
            key_refused: Some(err),
            key_name: visit.field("name").unwrap_or_default().to_string(),
            ..Default::default()
        },
        Err(other) => return Err(other),
    };
    page(req, env, visit, Some(outcome)).await
}

/// `POST /dashboard/settings/keys/{id}/revoke`.
pub async fn revoke_key(env: &Env, id: &str) -> ApiResult<Response> {
    if !keys::revoke(&env.d1(bindings::DB)?, id, crate::clock::now_ms()).await? {
        return Err(ApiError::not_found("key", id));
    }
    view::redirect("/dashboard/settings?done=revoked")
}

/// One text input of a settings form.
pub struct Input {
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) hint: &'static str,
    pub(super) value: String,
    pub(super) multiline: bool,
    pub(super) error: Option<String>,
}

pub(super) fn input(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    multiline: bool,
) -> Input {
    Input {
        name,
        label,
        hint,
        value,
        multiline,
        error: None,
    }
}

/// Puts a refusal's message on the input it names (its path's first part).
fn mark(inputs: &mut [Input], refused: &Option<ApiError>) -> Option<String> {
    let err = refused.as_ref()?;
    let field = err.field()?;
    let top = field.split(['[', '.']).next().unwrap_or("");
    let at = match inputs.iter().position(|i| i.name == field) {
        Some(exact) => Some(exact),
        None => inputs.iter().position(|i| i.name == top),
    };
    match at.map(|i| &mut inputs[i]) {
        Some(input) => {
            input.error = Some(err.message());
            None
        }
        None => Some(err.message()),
    }
}

#[derive(Template)]
#[template(path = "agent_settings.html")]
struct AgentPage {
    layout: Layout,
    id: String,
    name: String,
    snippet: String,
    notice: Option<String>,
    alert: Option<String>,
    inputs: Vec<Input>,
    forms: Vec<(String, String, bool)>,
    endpoints: Vec<(String, String, String)>,
    event_types: Vec<&'static str>,
    new_secret: Option<String>,
    /// The endpoint a [`AgentOutcome::rotated`] new secret is for, and until when the old
    /// one signs.
    rotated: Option<(String, Option<String>)>,
    endpoint_url: String,
    endpoint_error: String,
    endpoint_error_field: String,
    channels: Vec<ChannelRow>,
    /// Which connect form a refusal belongs to (`telegram`, `whatsapp`), its field, its text.
    channel_kind: String,
    channel_error: String,
    channel_error_field: String,
    /// What a connected WhatsApp number needs in Meta's app (its webhook URL and verify
    /// token, shown once).
    channel_setup: Option<(String, String)>,
}

/// A connected channel as the settings page lists it.
struct ChannelRow {
    id: String,
    kind: &'static str,
    account: String,
    webhook_url: String,
}

#[derive(Default)]
pub struct AgentOutcome {
    refused: Option<ApiError>,
    endpoint_refused: Option<ApiError>,
    new_secret: Option<String>,
    /// After a rotation: which endpoint the new secret is for, and until when the old one
    /// signs too.
    rotated: Option<(String, Option<String>)>,
    channel_refused: Option<(String, ApiError)>,
    channel_setup: Option<(String, String)>,
    channel_notice: Option<String>,
    channel_alert: Option<String>,
}

/// `GET /dashboard/settings/agents/{id}`; after a refused save, the posted values again.
pub async fn agent_page(
    req: &Request,
    env: &Env,
    visit: &Visit,
    id: &str,
    outcome: AgentOutcome,
) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let agent = agents::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", id))?;
    let posted = outcome.refused.is_some();
    let value = |name: &str, stored: String| {
        if posted {
            visit.field(name).unwrap_or_default().to_string()
        } else {
            stored
        }
    };
    let look = agent.look.clone().unwrap_or_default();
    let mut inputs = vec![
        input("name", "Name", "", value("name", agent.name.clone()), false),
        input(
            "greeting",
            "Greeting",
            "The first message a visitor reads.",
            value("greeting", agent.greeting.clone()),
            true,
        ),
        input(
            "quickReplies",
            "Quick replies",
            "One per line: the buttons under the greeting.",
            value("quickReplies", agent.quick_replies.join("\n")),
            true,
        ),
        input(
            "allowedOrigins",
            "Allowed origins",
            "One per line, like https://www.example.com: the sites whose pages may show this agent.",
            value("allowedOrigins", agent.allowed_origins.join("\n")),
            true,
        ),
        input(
            "look.brandColor",
            "Brand color",
            "Like #0b7285: the bubble, header and buttons (darkened if text would not read on it). Empty: the widget's blue.",
            value(
                "look.brandColor",
                look.brand_color.clone().unwrap_or_default(),
            ),
            false,
        ),
        input(
            "look.position",
            "Corner",
            "left or right (default): where the bubble sits.",
            value("look.position", look.position.clone().unwrap_or_default()),
            false,
        ),
        input(
            "look.launcherLabel",
            "Launcher label",
            "Words next to the bubble's icon, like Questions? Chat with us. Empty: the icon alone.",
            value(
                "look.launcherLabel",
                look.launcher_label.clone().unwrap_or_default(),
            ),
            false,
        ),
        input(
            "lostReasons",
            "Reasons a lead is lost",
            "One per line; empty for the default list.",
            value(
                "lostReasons",
                agent.lost_reasons.clone().unwrap_or_default().join("\n"),
            ),
            true,
        ),
    ];
    let alert = mark(&mut inputs, &outcome.refused);
    let (endpoint_error, endpoint_error_field, endpoint_alert) = split(&outcome.endpoint_refused);
    let notice = match query_param(req, "done").as_deref() {
        Some("saved") => Some("Agent saved."),
        Some("endpoint-deleted") => Some("Endpoint deleted."),
        Some("form-deleted") => Some("Form deleted. Its leads and submissions are kept."),
        Some("channel-connected") => Some("Channel connected."),
        Some("channel-disconnected") => Some("Channel disconnected."),
        _ => None,
    };
    let (channel_kind, channel_refused) = match outcome.channel_refused {
        Some((kind, err)) => (kind, Some(err)),
        None => (String::new(), None),
    };
    let (channel_error, channel_error_field, channel_alert) = split(&channel_refused);
    let status = status_of(&[&outcome.refused, &outcome.endpoint_refused, &channel_refused]);
    let base = edge_address(env, req);
    let channels = crate::storage::channels::for_agent(&db, &agent.id)
        .await?
        .into_iter()
        .map(|c| ChannelRow {
            webhook_url: format!("{}/channels/{}/{}", base.trim_end_matches('/'), c.kind, c.id),
            kind: if c.kind == "telegram" {
                "Telegram"
            } else {
                "WhatsApp"
            },
            id: c.id,
            account: c.account,
        })
        .collect();
    let origin = edge_address(env, req);
    render(
        &AgentPage {
            layout: Layout::new(&visit.session, "settings", &agent.id),
            snippet: format!(
                "<script src=\"{origin}/leadform.js\" data-agent-id=\"{}\" async></script>",
                agent.id
            ),
            notice: outcome.channel_notice.or(notice.map(str::to_string)),
            alert: alert
                .or(endpoint_alert)
                .or(channel_alert)
                .or(outcome.channel_alert),
            inputs,
            forms: tools::list_for_agent(&db, &agent.id)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name, !t.enabled))
                .collect(),
            endpoints: lead_webhooks::for_agent(&db, &agent.id)
                .await?
                .into_iter()
                .map(|e| (e.id, e.url, e.events.join(", ")))
                .collect(),
            event_types: owner_endpoints::EVENT_TYPES.to_vec(),
            new_secret: outcome.new_secret,
            rotated: outcome.rotated,
            endpoint_url: if outcome.endpoint_refused.is_some() {
                visit.field("url").unwrap_or_default().to_string()
            } else {
                String::new()
            },
            endpoint_error,
            endpoint_error_field,
            channels,
            channel_kind,
            channel_error,
            channel_error_field,
            channel_setup: outcome.channel_setup,
            id: agent.id,
            name: agent.name,
        },
        status,
    )
}

/// `POST /dashboard/settings/agents/{id}`: saves the agent through the API's PATCH.
pub async fn save_agent(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    match owner_agents::patch(env, id, form_post::agent_changes(&Posted(&visit.form))).await {
        Ok(_) => view::redirect(&format!(
            "/dashboard/settings/agents/{}?done=saved",
            view::urlencode(id)
        )),
        Err(err) if fixable(&err) => {
            let outcome = AgentOutcome {
                refused: Some(err),
                ..Default::default()
            };
            agent_page(req, env, visit, id, outcome).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/settings/agents/{id}/lead-webhooks`: adds an endpoint, its secret shown once.
pub async fn add_endpoint(req: &Request, env: &Env, visit: &Visit, agent_id: &str) -> ApiResult<Response> {
    let outcome = match owner_endpoints::make(
        env,
        agent_id,
        form_post::lead_webhook_body(&Posted(&visit.form)),
    )
    .await
    {
        Ok(made) => AgentOutcome {
            new_secret: Some(made.secret),
            ..Default::default()
        },
        Err(err) if fixable(&err) => AgentOutcome {
            endpoint_refused: Some(err),
            ..Default::default()
        },
        Err(other) => return Err(other),
    };
    agent_page(req, env, visit, agent_id, outcome).await
}

/// `POST /dashboard/settings/agents/{id}/channels`: connects a Telegram bot or a WhatsApp
/// number through the API's own function; a WhatsApp number's setup is shown once.
pub async fn connect_channel(req: &Request, env: &Env, visit: &Visit, agent_id: &str) -> ApiResult<Response> {
    let kind = visit.field("kind").unwrap_or_default().to_string();
    let mut body = serde_json::Map::new();
    for name in [
        "kind",
        "botToken",
        "phoneNumberId",
        "accessToken",
        "appSecret",
        "verifyToken",
    ] {
        if let Some(value) = visit.field(name).map(str::trim).filter(|v| !v.is_empty()) {
            body.insert(name.into(), value.into());
        }
    }
    let base = edge_address(env, req);
    let outcome = match owner_channels::connect(env, agent_id, serde_json::Value::Object(body), &base).await {
        Ok(connected) => match connected.verify_token {
            Some(token) => AgentOutcome {
                channel_setup: Some((connected.webhook_url, token)),
                channel_notice: Some("WhatsApp number connected: enter its webhook in Meta's app.".into()),
                ..Default::default()
            },
            None => {
                return view::redirect(&format!(
                    "/dashboard/settings/agents/{}?done=channel-connected",
                    view::urlencode(agent_id)
                ))
            }
        },
        Err(err) if fixable(&err) || matches!(err, ApiError::Upstream(_)) => AgentOutcome {
            channel_refused: Some((kind, err)),
            ..Default::default()
        },
        Err(other) => return Err(other),
    };
    agent_page(req, env, visit, agent_id, outcome).await
}

/// `POST /dashboard/settings/channels/{id}/test`: the platform's word, on the agent's page.
pub async fn test_channel(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let channel = crate::storage::channels::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel", id))?;
    let outcome = match owner_channels::try_channel(&visit.principal, env, id).await {
        Ok(account) => AgentOutcome {
            channel_notice: Some(format!("The {} channel answers ({account}).", channel.kind)),
            ..Default::default()
        },
        Err(err) => AgentOutcome {
            channel_alert: Some(err.message()),
            ..Default::default()
        },
    };
    agent_page(req, env, visit, &channel.agent_id, outcome).await
}

/// `POST /dashboard/settings/channels/{id}/delete`.
pub async fn disconnect_channel(env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let agent_id = owner_channels::disconnect(&visit.principal, env, id).await?;
    view::redirect(&format!(
        "/dashboard/settings/agents/{}?done=channel-disconnected",
        view::urlencode(&agent_id)
    ))
}

/// `POST /dashboard/settings/lead-webhooks/{id}/rotate`: a new secret, shown once; the old
/// one signs too for a day, while the receiver switches.
pub async fn rotate_endpoint(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let endpoint = lead_webhooks::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead webhook", id))?;
    let outcome = match owner_endpoints::rotate_secret(&visit.principal, env, id, json!({})).await {
        Ok(rotated) => AgentOutcome {
            rotated: Some((
                rotated.endpoint.url,
                rotated.previous_secret_expires_at.map(view::shown_time),
            )),
            new_secret: Some(rotated.secret),
            ..Default::default()
        },
        // Said in the dashboard's words (the API's names `overlapSecs`).
        Err(ApiError::Conflict { code, .. }) => AgentOutcome {
            endpoint_refused: Some(ApiError::Conflict {
                code,
                message: format!(
                    "A rotation is under way: the secret before the last one still signs until {}. Rotate again after that; to stop every old secret now, delete the endpoint and add it again.",
                    view::shown_time(endpoint.previous_secret_until.unwrap_or_else(crate::clock::now_ms))
                ),
            }),
            ..Default::default()
        },
        Err(other) => return Err(other),
    };
    agent_page(req, env, visit, &endpoint.agent_id, outcome).await
}

/// `POST /dashboard/settings/lead-webhooks/{id}/delete`.
pub async fn delete_endpoint(env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let endpoint = lead_webhooks::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead webhook", id))?;
    lead_webhooks::delete(&db, id).await?;
    view::redirect(&format!(
        "/dashboard/settings/agents/{}?done=endpoint-deleted",
        view::urlencode(&endpoint.agent_id)
    ))
}

/// A row of the fields editor.
#[derive(Default)]
struct FieldRow {
    index: usize,
    was: String,
    position: String,
    name: String,
    label: String,
    kind: String,
    required: bool,
    options: String,
    /// The step's title (multi-step forms).
    step: String,
    /// A consent's link or a hidden field's source.
    detail: String,
    remove: bool,
    error_prop: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "form_settings.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    agent_id: String,
    agent_name: String,
    tool_id: String,
    action: String,
    button: &'static str,
    notice: Option<&'static str>,
    alert: Option<String>,
    new_secret: Option<String>,
    secret: Option<String>,
    /// What "Send a test" can go to: the webhook, each post-action.
    test_targets: Vec<integrations::TestTarget>,
    /// What the last "Send a test" did: whether it arrived, in words.
    tested: Option<(bool, String)>,
    inputs: Vec<Input>,
    modes: Vec<(&'static str, &'static str)>,
    require_client_token: bool,
    /// Offered to visitors (a new form is).
    enabled: bool,
    /// The delete button's refusal (nothing typed to confirm).
    confirm_error: Option<String>,
    rows: Vec<FieldRow>,
    types: Vec<&'static str>,
    fields_error: Option<String>,
    post_actions: String,
    post_actions_error: Option<String>,
    qualification: String,
    qualification_error: Option<String>,
}

/// Which form the page edits: an existing one, or a new one of an agent.
pub enum Editing<'a> {
    Form(&'a str),
    New { agent_id: &'a str },
}

#[derive(Default)]
pub struct FormOutcome {
    refused: Option<ApiError>,
    new_secret: Option<String>,
    tested: Option<(bool, String)>,
}

/// `GET /dashboard/settings/forms/{id}` and `…/agents/{id}/forms/new`; after a refused save
/// the posted values again, with the error at its input.
pub async fn form_page(
    req: &Request,
    env: &Env,
    visit: &Visit,
    editing: Editing<'_>,
    outcome: FormOutcome,
) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let (tool, agent_id) = match editing {
        Editing::Form(id) => {
            let tool = tools::get(&db, id)
                .await?
                .filter(|t| t.deleted_at.is_none())
                .ok_or_else(|| ApiError::not_found("tool", id))?;
            let agent_id = tool.agent_id.clone();
            (Some(tool), agent_id)
        }
        Editing::New { agent_id } => (None, agent_id.to_string()),
    };
    let agent = agents::get(&db, &agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &agent_id))?;
    let stored: Option<ToolIn> = tool.as_ref().map(|t| t.to_input());
    let form = Posted(&visit.form);
    // The editor's own post refused: its values again. (A refused rotation or delete posted
    // none of them: the form as stored.)
    let posted = outcome.refused.is_some() && form.text("name").is_some();
    let text = |name: &str, stored: String| {
        if posted {
            form.text(name).unwrap_or_default().to_string()
        } else {
            stored
        }
    };
    let s = stored.as_ref();
    let mut inputs = vec![
        input(
            "name",
            "Name (what page handlers use)",
            "Letters, digits and _ ; unique per agent.",
            text("name", s.map(|t| t.name.clone()).unwrap_or_default()),
            false,
        ),
        input(
            "title",
            "Title",
            "Shown above the form.",
            text("title", s.and_then(|t| t.title.clone()).unwrap_or_default()),
            false,
        ),
        input(
            "description",
            "When to ask",
            "What this form is for: the agent reads it.",
            text(
                "description",
                s.map(|t| t.description.clone()).unwrap_or_default(),
            ),
            true,
        ),
        input(
            "triggers",
            "Trigger words",
            "Comma-separated words that make the agent offer this form.",
            text("triggers", s.map(|t| t.triggers.join(", ")).unwrap_or_default()),
            false,
        ),
        input(
            "successMessage",
            "Success message",
            "",
            text(
                "successMessage",
                s.and_then(|t| t.success_message.clone()).unwrap_or_default(),
            ),
            true,
        ),
        input(
            "dismissMessage",
            "Dismiss message",
            "",
            text(
                "dismissMessage",
                s.map(|t| t.dismiss_message.clone()).unwrap_or_default(),
            ),
            true,
        ),
        input(
            "executionMode",
            "Execution mode",
            "",
            text(
                "executionMode",
                s.map(|t| {
                    serde_json::to_value(t.execution_mode)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                })
                .unwrap_or_else(|| "webhook".into()),
            ),
            false,
        ),
        input(
            "webhookUrl",
            "Webhook URL",
            "Where each submission is POSTed, signed.",
            text(
                "webhookUrl",
                s.and_then(|t| t.webhook_url.clone()).unwrap_or_default(),
            ),
            false,
        ),
        input(
            "retrySchedule",
            "Retry schedule (seconds)",
            "Delays before each attempt, like 0,60,300; empty for the edge's default.",
            text(
                "retrySchedule",
                s.and_then(|t| t.retry_schedule.as_ref())
                    .map(|r| r.iter().map(u32::to_string).collect::<Vec<_>>().join(","))
                    .unwrap_or_default(),
            ),
            false,
        ),
    ];
    let error_field = outcome
        .refused
        .as_ref()
        .and_then(|e| e.field())
        .unwrap_or_default();
    let error_message = outcome.refused.as_ref().map(|e| e.message());
    let confirm_error = (error_field == "confirm")
        .then(|| error_message.clone())
        .flatten();
    let mut alert = if error_field.starts_with("fields")
        || error_field.starts_with("postActions")
        || error_field == "confirm"
    {
        None
    } else {
        mark(&mut inputs, &outcome.refused)
    };
    if outcome.refused.as_ref().is_some_and(|e| e.field().is_none()) {
        alert = error_message.clone();
    }
    let mut rows: Vec<FieldRow> = if posted {
        let count = (0..100)
            .take_while(|i| {
                form.text(&format!("fields[{i}].was")).is_some()
                    || form.text(&format!("fields[{i}].name")).is_some()
            })
            .count();
        (0..count)
            .map(|i| {
                let at = |p: &str| {
                    form.text(&format!("fields[{i}].{p}"))
                        .unwrap_or_default()
                        .to_string()
                };
                FieldRow {
                    index: i,
                    was: at("was"),
                    position: at("position"),
                    name: at("name"),
                    label: at("label"),
                    kind: at("type"),
                    required: !at("required").is_empty(),
                    options: at("options"),
                    step: at("step"),
                    detail: at("detail"),
                    remove: !at("remove").is_empty(),
                    ..Default::default()
                }
            })
            .collect()
    } else {
        // A new form starts as seed 004 advises: name and email.
        let fields = s
            .map(|t| t.fields.clone())
            .unwrap_or_else(leadform_core::collect_leads::starter_fields);
        let mut rows: Vec<FieldRow> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| FieldRow {
                index: i,
                was: f.name.clone(),
                position: (i + 1).to_string(),
                name: f.name.clone(),
                label: f.label.clone().unwrap_or_default(),
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                required: f.required,
                options: f.options.join("\n"),
                step: f.step.clone().unwrap_or_default(),
                detail: f.link.clone().or_else(|| f.from.clone()).unwrap_or_default(),
                remove: false,
                error_prop: String::new(),
                error: None,
            })
            .collect();
        for _ in 0..BLANK_FIELD_ROWS {
            let i = rows.len();
            rows.push(FieldRow {
                index: i,
                position: (i + 1).to_string(),
                kind: "text".into(),
                ..Default::default()
            });
        }
        rows
    };
    // `fields[2].type` → row 2's type input; `fields` alone → the whole editor.
    let mut fields_error = None;
    if let Some(rest) = error_field.strip_prefix("fields[") {
        let index = rest.split(']').next().and_then(|i| i.parse::<usize>().ok());
        let prop = rest
            .split("].")
            .nth(1)
            .unwrap_or("name")
            .split(['.', '['])
            .next()
            .unwrap_or("name");
        match index.and_then(|i| rows.iter_mut().find(|r| r.index == i)) {
            Some(row) => {
                row.error_prop = prop.to_string();
                row.error = error_message.clone();
            }
            None => fields_error = error_message.clone(),
        }
    } else if error_field == "fields" {
        fields_error = error_message.clone();
    }
    let post_actions_error = error_field
        .starts_with("postActions")
        .then(|| error_message.clone())
        .flatten();
    let post_actions = if posted {
        form.text("postActions").unwrap_or_default().to_string()
    } else {
        s.map(|t| serde_json::to_string_pretty(&t.post_actions).unwrap_or_default())
            .filter(|p| p != "[]")
            .unwrap_or_default()
    };
    let qualification_error = error_field
        .starts_with("qualification")
        .then(|| error_message.clone())
        .flatten();
    let qualification = if posted {
        form.text("qualification").unwrap_or_default().to_string()
    } else {
        s.and_then(|t| t.qualification.as_ref())
            .map(|q| serde_json::to_string_pretty(q).unwrap_or_default())
            .unwrap_or_default()
    };
    let (heading, action, button) = match &tool {
        Some(t) => (
            format!("Form {}", t.name),
            format!("/dashboard/settings/forms/{}", view::urlencode(&t.id)),
            "Save form",
        ),
        None => (
            "New form".to_string(),
            format!(
                "/dashboard/settings/agents/{}/forms/new",
                view::urlencode(&agent.id)
            ),
            "Create form",
        ),
    };
    let notice = match query_param(req, "done").as_deref() {
        Some("saved") => Some("Form saved."),
        Some("rotated") => Some("Secret rotated: the old one keeps signing during the overlap."),
        _ => None,
    };
    render(
        &FormPage {
            layout: Layout::new(&visit.session, "settings", &agent.id),
            heading,
            agent_id: agent.id.clone(),
            agent_name: agent.name.clone(),
            tool_id: tool.as_ref().map(|t| t.id.clone()).unwrap_or_default(),
            action,
            button,
            notice,
            alert,
            new_secret: outcome.new_secret,
            secret: tool.as_ref().map(|t| t.webhook_secret.clone()),
            test_targets: tool
                .as_ref()
                .map(integrations::TestTarget::of)
                .unwrap_or_default(),
            tested: outcome.tested,
            inputs,
            modes: vec![
                ("webhook", "Webhook: the edge delivers each submission"),
                ("client", "Client: a handler on your page handles it"),
                ("both", "Both"),
                ("store", "Store only: the lead is kept, post-actions run"),
            ],
            require_client_token: if posted {
                form.text("requireClientToken").is_some()
            } else {
                s.is_some_and(|t| t.require_client_token)
            },
            enabled: if posted {
                form.text("enabled").is_some()
            } else {
                s.is_none_or(|t| t.enabled)
            },
            confirm_error,
            rows,
            types: FieldKind::ALL.iter().map(|k| k.as_str()).collect(),
            fields_error,
            post_actions,
            post_actions_error,
            qualification,
            qualification_error,
        },
        status_of(&[&outcome.refused]),
    )
}

/// `POST` of the form editor: creates the form or saves it, through the API's functions.
pub async fn save_form(req: &Request, env: &Env, visit: &Visit, editing: Editing<'_>) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let existing = match &editing {
        Editing::Form(id) => tools::get(&db, id).await?.map(|t| t.fields).unwrap_or_default(),
        Editing::New { .. } => Vec::new(),
    };
    let saved = match form_post::tool_body(&Posted(&visit.form), &existing) {
        Err(wrong) => Err(ApiError::from(wrong)),
        Ok((body, rows)) => {
            let saved = match &editing {
                Editing::Form(id) => owner_tools::patch(&visit.principal, env, id, body)
                    .await
                    .map(|t| (t, false)),
                Editing::New { agent_id } => owner_tools::make(env, agent_id, body).await.map(|t| (t, true)),
            };
            // The API names a field of the body; the page shows it at the row it came from.
            saved.map_err(|err| match err {
                ApiError::InvalidField(mut e) => {
                    e.field = form_post::row_path(&e.field, &rows);
                    ApiError::InvalidField(e)
                }
                other => other,
            })
        }
    };
    match saved {
        Ok((tool, false)) => view::redirect(&format!(
            "/dashboard/settings/forms/{}?done=saved",
            view::urlencode(&tool.id)
        )),
        Ok((tool, true)) => {
            // A new form: its page, with the signing secret shown once.
            let outcome = FormOutcome {
                new_secret: Some(tool.webhook_secret.clone()),
                ..Default::default()
            };
            form_page(
                req,
                env,
                &Visit {
                    form: Vec::new(),
                    ..visit.clone_session()
                },
                Editing::Form(&tool.id),
                outcome,
            )
            .await
        }
        Err(err) if fixable(&err) => {
            let outcome = FormOutcome {
                refused: Some(err),
                ..Default::default()
            };
            form_page(req, env, visit, editing, outcome).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/settings/forms/{id}/rotate`: a new secret, the old one signing for the
/// overlap.
pub async fn rotate(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let hours = visit.field("overlapHours").unwrap_or("24").trim();
    let body = match hours.parse::<f64>() {
        Ok(h) if h.is_finite() && h >= 0.0 => json!({ "overlapSecs": (h * 3600.0).round() as i64 }),
        _ => json!({ "overlapSecs": -1 }),
    };
    match owner_tools::rotate_secret(&visit.principal, env, id, body).await {
        Ok(_) => view::redirect(&format!(
            "/dashboard/settings/forms/{}?done=rotated",
            view::urlencode(id)
        )),
        Err(err) if fixable(&err) => {
            let reason = match err {
                ApiError::InvalidField(e) => e.reason,
                other => other.message(),
            };
            let outcome = FormOutcome {
                refused: Some(
                    leadform_core::validate::FieldError::new("overlapHours", format!("The overlap {reason}"))
                        .into(),
                ),
                ..Default::default()
            };
            form_page(req, env, &visit.clone_session(), Editing::Form(id), outcome).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /dashboard/settings/forms/{id}/delete`: the API's delete, once the owner typed
/// "delete"; back to the agent's page.
pub async fn delete_form(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    if visit.field("confirm").map(|t| t.trim().to_lowercase()).as_deref() != Some("delete") {
        let outcome = FormOutcome {
            refused: Some(
                leadform_core::validate::FieldError::new("confirm", "type delete to confirm").into(),
            ),
            ..Default::default()
        };
        return form_page(req, env, &visit.clone_session(), Editing::Form(id), outcome).await;
    }
    let agent_id = owner_tools::remove(&visit.principal, env, id).await?;
    view::redirect(&format!(
        "/dashboard/settings/agents/{}?done=form-deleted",
        view::urlencode(&agent_id)
    ))
}

/// `POST /dashboard/settings/forms/{id}/test`: an example submission to the form's webhook
/// or to the post-action its button names (`delivery::example`), and what the receiver
/// did, on the form's page.
pub async fn test_form(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let tested = integrations::send_test(req, env, visit, id).await?;
    let outcome = FormOutcome {
        tested: Some(tested),
        ..Default::default()
    };
    form_page(req, env, &visit.clone_session(), Editing::Form(id), outcome).await
}
