//! `GET /widget/config?agentId=`: the agent's greeting and its forms, without secrets, and
//! a display token for this widget load, and the widget's texts in the visitor's language.

use super::check_origin;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_param, visitor_locale};
use crate::storage::{agents, tools};
use leadform_core::locale::{texts_for, LOCALES};
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
    let forms = tools::offered_by_agent(&db, &agent.id)
        .await?
        .iter()
        .map(|t| t.public())
        .collect();
    let locale = visitor_locale(req, agent.locale.as_deref());
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
        locale: LOCALES[locale].to_string(),
        texts: texts_for(locale),
    };
    let mut response = json(&out, 200)?;
    // The texts depend on the browser's language: no cache may hand one visitor's to another.
    response.headers_mut().append("Vary", "Accept-Language")?;
    Ok(response)
}
