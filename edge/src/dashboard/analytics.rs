//! `/dashboard/analytics` (seed 000's Forms analytics): per form, the funnel, its rates,
//! the average completion time, field completion and submissions per day over a date range
//! (the last 30 days unless chosen). The figures are the owner API's (`routes::analytics`).

use super::leads::{chosen_agent, AgentChoice};
use super::view::{render, Layout};
use super::Visit;
use crate::bindings;
use crate::clock::{iso8601, now_ms};
use crate::error::ApiResult;
use crate::http::query_param;
use crate::routes::analytics::forms_report;
use crate::storage::analytics;
use askama::Template;
use leadform_core::analytics::DayRange;
use leadform_core::charts::{self, percent};
use worker::{Env, Request, Response};

const DAY_MS: i64 = 86_400_000;
const DEFAULT_DAYS: i64 = 30;
/// Longest range the per-day chart draws (a year); longer ranges show its last year.
const MAX_CHART_DAYS: i64 = 366;

struct FormView {
    name: String,
    figures: Vec<(&'static str, String)>,
    funnel_svg: String,
    fields_svg: String,
    days_svg: String,
    /// Per field: its name, median time to fill, drop-offs there.
    field_rows: Vec<(String, String, u64)>,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    layout: Layout,
    agent_name: Option<String>,
    agents: Vec<AgentChoice>,
    from: String,
    to: String,
    error: Option<String>,
    error_field: String,
    forms: Vec<FormView>,
}

fn day(ms: i64) -> String {
    iso8601(ms)[..10].to_string()
}

pub async fn page(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let (choices, agent) = chosen_agent(req, env).await?;
    let today = now_ms();
    let from = query_param(req, "from").unwrap_or_else(|| day(today - (DEFAULT_DAYS - 1) * DAY_MS));
    let to = query_param(req, "to").unwrap_or_else(|| day(today));
    let mut page = AnalyticsPage {
        layout: Layout::new(
            &visit.session,
            "analytics",
            agent.as_ref().map(|a| a.id.as_str()).unwrap_or(""),
        ),
        agent_name: agent.as_ref().map(|a| a.name.clone()),
        agents: choices,
        from: from.clone(),
        to: to.clone(),
        error: None,
        error_field: String::new(),
        forms: Vec::new(),
    };
    let range = match DayRange::parse(Some(&from), Some(&to)) {
        Ok(range) => range,
        Err(wrong) => {
            page.error = Some(format!("{}: {}", wrong.field, wrong.reason));
            page.error_field = wrong.field;
            return render(&page, 400);
        }
    };
    let Some(agent) = agent else {
        return render(&page, 200);
    };
    let db = env.d1(bindings::DB)?;
    let per_day = analytics::submitted_per_day(&db, &agent.id, &range).await?;
    let days = days_of(&range);
    for report in forms_report(&db, &agent.id, &range).await? {
        let funnel = charts::funnel(
            &report.tool_name,
            &[
                ("Impressions", report.impressions),
                ("Starts", report.started),
                ("Submissions", report.submitted),
                ("Successful", report.successful),
            ],
        );
        let rates: Vec<(String, f64)> = report
            .field_completion_rates
            .iter()
            .map(|(name, rate)| (name.clone(), rate.as_f64().unwrap_or(0.0) / 100.0))
            .collect();
        let rate_refs: Vec<(&str, f64)> = rates.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        let counts = per_day.get(&report.tool_id);
        let daily: Vec<(String, u64)> = days
            .iter()
            .map(|d| (d.clone(), counts.and_then(|c| c.get(d)).copied().unwrap_or(0)))
            .collect();
        let field_rows = report
            .drop_off_by_field
            .iter()
            .map(|(name, drops)| {
                let time = report
                    .field_time_ms
                    .get(name)
                    .and_then(|ms| ms.as_u64())
                    .map(|ms| format!("{:.1} s", ms as f64 / 1000.0))
                    .unwrap_or_else(|| "–".into());
                (name.clone(), time, drops.as_u64().unwrap_or(0))
            })
            .collect();
        page.forms.push(FormView {
            field_rows,
            figures: vec![
                ("Impressions", report.impressions.to_string()),
                ("Starts", report.started.to_string()),
                ("Submissions", report.submitted.to_string()),
                ("Successful", report.successful.to_string()),
                ("Conversion", percent(report.conversion_rate / 100.0)),
                ("Completion", percent(report.completion_rate / 100.0)),
                ("Drop-off", percent(report.drop_off_rate / 100.0)),
                (
                    "Avg. time to complete",
                    report
                        .average_completion_time_ms
                        .map(|ms| format!("{:.1} s", ms as f64 / 1000.0))
                        .unwrap_or_else(|| "–".into()),
                ),
            ],
            funnel_svg: funnel,
            fields_svg: charts::completion_bars(
                &format!("{} field completion", report.tool_name),
                &rate_refs,
            ),
            days_svg: charts::per_day(&format!("{} submissions per day", report.tool_name), &daily),
            name: report.tool_name,
        });
    }
    render(&page, 200)
}

/// The days of `range` (at most the last [`MAX_CHART_DAYS`]; open ends become the last 30
/// days up to today).
fn days_of(range: &DayRange) -> Vec<String> {
    let parse = |d: &str| crate::clock::parse_iso8601(&format!("{d}T00:00:00Z"));
    let today = now_ms();
    let to = parse(&range.to).unwrap_or(today).min(today.max(0) + DAY_MS);
    let from = parse(&range.from)
        .unwrap_or(to - (DEFAULT_DAYS - 1) * DAY_MS)
        .max(to - (MAX_CHART_DAYS - 1) * DAY_MS);
    let mut days = Vec::new();
    let mut at = from;
    while at <= to {
        days.push(day(at));
        at += DAY_MS;
    }
    days
}
