//! `GET /widget/config?agentId=`: the agent's greeting and its forms, without secrets, and
//! a display token for this widget load.

use super::check_origin;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_param};
use crate::storage::{agents, tools};
use leadform_core::validate::FieldError;
use leadform_core::wire::{AgentPublic, WidgetConfigOut};
use worker::{Env, Request, Response};

pub async fn get(req: &Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    let agent_id = query_param(req, "agentId").ok_or_else(|| FieldError::new("agentId", "is required"))?;
    let db = env.d1(bindings::DB)?;
    let agent = agents::get(&db, &agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &agent_id))?;
    check_origin(&agent.allowed_origins, origin)?;
    let forms = tools::list_for_agent(&db, &agent.id)
        .await?
        .iter()
        .map(|t| t.public())
        .collect();
    let out = WidgetConfigOut {
        agent: AgentPublic {
            id: agent.id,
            name: agent.name,
            greeting: agent.greeting,
            quick_replies: agent.quick_replies,
            look: agent.look.as_ref().and_then(|l| l.for_widget()),
            locale: agent.locale,
            greetings: agent.greetings,
        },
        forms,
        display_token: Some(config::display_token(env, &agent_id, now_ms())),
    };
    json(&out, 200)
}
