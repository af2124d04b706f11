//! Endpoints that receive an agent's lead events (`lead.created`, `lead.updated`,
//! `lead.deleted`) as Standard Webhooks; their secret is shown once, at creation and at
//! each rotation.

use super::{parse, rotation, Caller};
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, optional_json_body};
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
#[serde(rename_all = "camelCase")]
pub struct EndpointRotatedOut {
    #[serde(flatten)]
    pub endpoint: LeadWebhook,
    /// The new secret: shown here and never again.
    pub secret: String,
    /// Until when the secret before it still signs too; `null` after an emergency rotation.
    pub previous_secret_expires_at: Option<i64>,
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
        previous_secret: None,
        previous_secret_until: None,
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

/// The endpoint `id`, if the caller may see it.
async fn find(caller: &Caller, db: &worker::D1Database, id: &str) -> ApiResult<LeadWebhook> {
    let endpoint = lead_webhooks::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead webhook", id))?;
    let agent_id = endpoint.agent_id.clone();
    auth::visible(caller, "lead webhook", id, &agent_id, endpoint)
}

/// `POST /v1/lead-webhooks/{id}/secret/rotate {overlapSecs?}`: a new secret, shown once;
/// the old one signs too until the overlap ends.
pub async fn rotate(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let body = optional_json_body(&mut req).await?;
    let rotated = rotate_secret(caller, env, id, body.unwrap_or_else(|| serde_json::json!({}))).await?;
    json(&rotated, 200)
}

/// Rotates endpoint `id`'s secret with `{overlapSecs?}` (the API's body or the dashboard's
/// form).
pub async fn rotate_secret(
    caller: &Caller,
    env: &Env,
    id: &str,
    body: serde_json::Value,
) -> ApiResult<EndpointRotatedOut> {
    let db = env.d1(bindings::DB)?;
    let endpoint = find(caller, &db, id).await?;
    let now = now_ms();
    let rotation = rotation::plan(&endpoint.secret, endpoint.previous_secret_until, body, now)?;
    if !lead_webhooks::rotate_secret(&db, id, &rotation).await? {
        let winner = lead_webhooks::get(&db, id).await?;
        return Err(rotation::in_progress(
            winner.and_then(|e| e.previous_secret_until).unwrap_or(now),
        ));
    }
    let endpoint = lead_webhooks::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead webhook", id))?;
    Ok(EndpointRotatedOut {
        secret: endpoint.secret.clone(),
        previous_secret_expires_at: endpoint.previous_secret_until.filter(|until| *until > now),
        endpoint,
    })
}

pub async fn delete(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    find(caller, &db, id).await?;
    lead_webhooks::delete(&db, id).await?;
    Ok(Response::empty()?.with_status(204))
}
