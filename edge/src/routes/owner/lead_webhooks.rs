//! Endpoints that receive an agent's lead events (`lead.created`, `lead.updated`,
//! `lead.deleted`) as Standard Webhooks; their secret is shown once, at creation.

use super::{parse, Caller};
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::ids::{new_id, random_bytes};
use crate::storage::lead_webhooks::{self, LeadWebhook};
use leadform_core::owner::check_webhook_url;
use leadform_core::validate::FieldError;
use leadform_core::webhook::secret_from_bytes;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

/// The lead events an endpoint can follow.
pub const EVENT_TYPES: [&str; 3] = ["lead.created", "lead.updated", "lead.deleted"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointIn {
    url: String,
    #[serde(default)]
    events: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct EndpointCreatedOut {
    #[serde(flatten)]
    pub endpoint: LeadWebhook,
    /// Signs every event to this endpoint (`whsec_…`): shown here and never again.
    pub secret: String,
}

#[derive(Serialize)]
struct EndpointListOut {
    endpoints: Vec<LeadWebhook>,
}

pub async fn create(mut req: Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    json(&make(env, agent_id, json_body(&mut req).await?).await?, 201)
}

/// Adds an endpoint from `{url, events?}` (the API's body, or the dashboard's form).
pub async fn make(env: &Env, agent_id: &str, body: serde_json::Value) -> ApiResult<EndpointCreatedOut> {
    let input: EndpointIn = parse(body)?;
    check_webhook_url(&input.url, config::allow_loopback(env))
        .map_err(|e| FieldError::new("url", e.reason))?;
    let events = input
        .events
        .unwrap_or_else(|| EVENT_TYPES.iter().map(|e| e.to_string()).collect());
    if events.is_empty() {
        return Err(FieldError::new("events", "must list at least one event type").into());
    }
    if let Some(unknown) = events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        return Err(FieldError::new(
            "events",
            format!("{unknown:?} is not one of: {}", EVENT_TYPES.join(", ")),
        )
        .into());
    }
    let db = env.d1(bindings::DB)?;
    crate::storage::agents::get(&db, agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", agent_id))?;
    let endpoint = LeadWebhook {
        id: new_id("lwh"),
        agent_id: agent_id.to_string(),
        url: input.url,
        secret: secret_from_bytes(&random_bytes::<24>()),
        events,
        created_at: now_ms(),
    };
    lead_webhooks::insert(&db, &endpoint).await?;
    let secret = endpoint.secret.clone();
    Ok(EndpointCreatedOut { endpoint, secret })
}

pub async fn list(env: &Env, agent_id: &str) -> ApiResult<Response> {
    let endpoints = lead_webhooks::for_agent(&env.d1(bindings::DB)?, agent_id).await?;
    json(&EndpointListOut { endpoints }, 200)
}

pub async fn delete(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let endpoint = lead_webhooks::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead webhook", id))?;
    auth::visible(caller, "lead webhook", id, &endpoint.agent_id, ())?;
    lead_webhooks::delete(&db, id).await?;
    Ok(Response::empty()?.with_status(204))
}
