//! Agents: made (or replaced) by the admin, read and changed with `config:write`.

use super::{merge, parse_shaped};
use crate::bindings;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::ids::new_id;
use crate::storage::agents::{self, Agent};
use leadform_core::owner::AgentIn;
use worker::{Env, Request, Response};

pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let input: AgentIn = parse_shaped(json_body(&mut req).await?)?;
    json(&save(env, input).await?, 201)
}

pub async fn get(env: &Env, id: &str) -> ApiResult<Response> {
    let agent = agents::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", id))?;
    json(&agent, 200)
}

pub async fn update(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    json(&patch(env, id, json_body(&mut req).await?).await?, 200)
}

/// Changes the fields `changes` gives (the API's PATCH body, or the dashboard's form).
pub async fn patch(env: &Env, id: &str, changes: serde_json::Value) -> ApiResult<Agent> {
    let agent = agents::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", id))?;
    let mut input: AgentIn = merge(&agent.id, &agent.to_input(), changes)?;
    input.id = Some(agent.id);
    save(env, input).await
}

async fn save(env: &Env, input: AgentIn) -> ApiResult<Agent> {
    input.check()?;
    let db = env.d1(bindings::DB)?;
    let id = input.id.clone().unwrap_or_else(|| new_id("agent"));
    agents::upsert(&db, &id, &input, now_ms()).await?;
    let agent = agents::get(&db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("agent {id} vanished")))?;
    Ok(agent)
}
