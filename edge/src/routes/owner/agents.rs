use super::{merge, parse};
use crate::bindings;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::ids::new_id;
use crate::storage::agents;
use leadform_core::owner::AgentIn;
use worker::{Env, Request, Response};

pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    let input: AgentIn = parse(json_body(&mut req).await?)?;
    save(env, input, 201).await
}

pub async fn get(env: &Env, id: &str) -> ApiResult<Response> {
    let agent = agents::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", id))?;
    json(&agent, 200)
}

pub async fn update(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let agent = agents::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", id))?;
    let mut input: AgentIn = merge(&agent.to_input(), json_body(&mut req).await?)?;
    input.id = Some(agent.id);
    save(env, input, 200).await
}

async fn save(env: &Env, input: AgentIn, status: u16) -> ApiResult<Response> {
    input.check()?;
    let db = env.d1(bindings::DB)?;
    let id = input.id.clone().unwrap_or_else(|| new_id("agent"));
    agents::upsert(&db, &id, &input, now_ms()).await?;
    let agent = agents::get(&db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("agent {id} vanished")))?;
    json(&agent, status)
}
