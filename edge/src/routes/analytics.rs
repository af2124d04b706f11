//! `GET /form-submissions/analytics?agentId=…[&from=YYYY-MM-DD&to=YYYY-MM-DD]`: the funnel
//! of every form of an agent (seed 002), behind the owner key.

use crate::auth::{self, authenticate};
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, query_param};
use crate::storage::{agents, analytics, tools};
use leadform_core::access::{Need, Scope};
use leadform_core::analytics::{report, DayRange, FormAnalytics};
use leadform_core::field_analysis;
use leadform_core::validate::FieldError;
use serde_json::json;
use worker::{D1Database, Env, Request, Response};

pub async fn get(req: &Request, env: &Env) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let caller = authenticate(req, env, &db).await?;
    auth::require(&caller, Need::Scope(Scope::AnalyticsRead))?;
    let agent_id = query_param(req, "agentId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| FieldError::new("agentId", "is required"))?;
    let range = DayRange::parse(
        query_param(req, "from").as_deref(),
        query_param(req, "to").as_deref(),
    )?;
    auth::visible(&caller, "agent", &agent_id, &agent_id, ())?;
    agents::get(&db, &agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &agent_id))?;
    let forms = forms_report(&db, &agent_id, &range).await?;
    json(&json!({ "analytics": forms, "range": range }), 200)
}

/// The funnel of every form of `agent_id` over `range`, as the API and the dashboard show it.
pub async fn forms_report(
    db: &D1Database,
    agent_id: &str,
    range: &DayRange,
) -> ApiResult<Vec<FormAnalytics>> {
    let counters = analytics::counters(db, agent_id, range).await?;
    let field_counts = analytics::field_counts(db, agent_id, range).await?;
    let field_times = analytics::field_times(db, agent_id, range).await?;
    let field_drops = analytics::field_drops(db, agent_id, range).await?;
    let no_fields = Default::default();
    Ok(tools::list_for_agent(db, agent_id)
        .await?
        .iter()
        .map(|tool| {
            let names: Vec<String> = tool.fields.iter().map(|f| f.name.clone()).collect();
            let mut form = report(
                &tool.id,
                &tool.name,
                &counters.get(&tool.id).cloned().unwrap_or_default(),
                &names,
                field_counts.get(&tool.id).unwrap_or(&no_fields),
            );
            let drops: Vec<(String, u64)> = field_drops
                .get(&tool.id)
                .map(|d| d.iter().map(|(k, n)| (k.clone(), *n)).collect())
                .unwrap_or_default();
            let times = field_times.get(&tool.id).map(Vec::as_slice).unwrap_or(&[]);
            (form.field_time_ms, form.drop_off_by_field) = field_analysis::report(&names, times, &drops);
            form
        })
        .collect())
}
