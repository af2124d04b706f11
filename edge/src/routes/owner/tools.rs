use super::{merge, parse, Caller};
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::ids::{new_id, random_bytes};
use crate::storage::{agents, tools};
use leadform_core::owner::ToolIn;
use leadform_core::validate::FieldError;
use leadform_core::webhook::secret_from_bytes;
use worker::{Env, Request, Response};

pub async fn list(env: &Env, agent_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    agents::get(&db, agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", agent_id))?;
    json(&tools::list_for_agent(&db, agent_id).await?, 200)
}

pub async fn create(mut req: Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    agents::get(&db, agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", agent_id))?;
    let input: ToolIn = parse(json_body(&mut req).await?)?;
    if let Some(id) = &input.id {
        if tools::get(&db, id).await?.is_some_and(|t| t.agent_id != agent_id) {
            return Err(FieldError::new("id", "belongs to another agent").into());
        }
    }
    save(env, agent_id, input, 201).await
}

pub async fn get(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let tool = find(caller, env, id).await?;
    json(&tool, 200)
}

pub async fn update(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let tool = find(caller, env, id).await?;
    let mut input: ToolIn = merge(&tool.to_input(), json_body(&mut req).await?)?;
    input.id = Some(tool.id);
    save(env, &tool.agent_id, input, 200).await
}

/// The tool, if the caller may see its agent.
async fn find(caller: &Caller, env: &Env, id: &str) -> ApiResult<tools::Tool> {
    let tool = tools::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", id))?;
    let agent_id = tool.agent_id.clone();
    auth::visible(caller, "tool", id, &agent_id, tool)
}

async fn save(env: &Env, agent_id: &str, input: ToolIn, status: u16) -> ApiResult<Response> {
    input.check(config::allow_loopback(env))?;
    let db = env.d1(bindings::DB)?;
    let id = input.id.clone().unwrap_or_else(|| new_id("tool"));
    if tools::name_taken(&db, agent_id, &input.name, &id).await? {
        return Err(FieldError::new("name", "is already used by another form of this agent").into());
    }
    // Only used when the tool is new; an update keeps the secret it has.
    let secret = secret_from_bytes(&random_bytes::<24>());
    tools::upsert(&db, &id, agent_id, &input, &secret, now_ms()).await?;
    let tool = tools::get(&db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("tool {id} vanished")))?;
    json(&tool, status)
}
