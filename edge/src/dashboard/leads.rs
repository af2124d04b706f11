//! The leads module (seed 004's "/dashboard/leads"): the pipeline's counters and table, one
//! lead's page, and the writes a member makes there. Data comes from, and changes go
//! through, the owner API's own functions (`routes::owner::leads`, `::deliveries`).

use super::view::{self, query_string, render, shown_time, Layout};
use super::Visit;
use crate::bindings;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::query_pairs;
use crate::routes::owner::{deliveries, leads as owner_leads};
use crate::storage::agents::{self, Agent};
use crate::storage::leads::{self as stored};
use crate::storage::{members, tools};
use askama::Template;
use leadform_core::access::{Need, Scope};
use leadform_core::csv_export::source_label;
use leadform_core::lead::{ActivityKind, LeadPatch, Stage, MAX_NOTE_CHARS};
use leadform_core::links;
use leadform_core::query::{Cursor, LeadQuery};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use worker::{Env, Request, Response};

/// Lead sources the filter offers (any lower-case word is accepted by the API).
const SOURCES: [&str; 4] = ["widget", "api", "telegram", "whatsapp"];
const PAGE: u32 = 25;

pub struct AgentChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The agent a page works on: `?agent=`, else the first one. An `?agent=` that names no
/// agent is a 404: another agent's leads under a mistyped link would read as that one's.
pub async fn chosen_agent(req: &Request, env: &Env) -> ApiResult<(Vec<AgentChoice>, Option<Agent>)> {
    let db = env.d1(bindings::DB)?;
    let all = agents::list(&db).await?;
    let wanted = query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == "agent")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty()); // the links of an edge with no agent yet
    let chosen = match wanted {
        Some(id) => Some(
            all.iter()
                .find(|a| a.id == id)
                .ok_or_else(|| ApiError::not_found("agent", id))?,
        ),
        None => all.first(),
    }
    .cloned();
    let choices = all
        .into_iter()
        .map(|a| AgentChoice {
            selected: chosen.as_ref().is_some_and(|c| c.id == a.id),
            id: a.id,
            name: a.name,
        })
        .collect();
    Ok((choices, chosen))
}

#[derive(Default)]
struct Filters {
    q: String,
    stage: String,
    source: String,
    tool_id: String,
    from: String,
    to: String,
    landing_page: String,
    utm_source: String,
    utm_campaign: String,
    lost_reason: String,
}

#[derive(Template)]
#[template(path = "leads.html")]
struct LeadsPage {
    layout: Layout,
    agent_name: Option<String>,
    agents: Vec<AgentChoice>,
    notice: Option<&'static str>,
    filters: Filters,
    stages: Vec<(&'static str, &'static str)>,
    sources: Vec<(String, String)>,
    forms: Vec<(String, String, bool)>,
    error: Option<String>,
    error_field: String,
    export_params: Vec<(&'static str, String)>,
    /// The origin filters in force (from "Where leads come from"): parameter, what it is,
    /// value; kept through the filter form.
    origin_filters: Vec<(&'static str, &'static str, String)>,
    counters_html: String,
    list_html: String,
    origins_html: String,
}

#[derive(Template)]
#[template(path = "lead_origins.html")]
struct LeadOrigins {
    tables: Vec<OriginTable>,
    /// Why leads were lost.
    lost: Vec<LostRow>,
}

/// A reason leads were lost for: how many are, and the link to them.
struct LostRow {
    reason: String,
    leads: i64,
    href: String,
}

/// One kind of origin on the leads page: its rows link to the leads they count.
struct OriginTable {
    title: &'static str,
    column: &'static str,
    rows: Vec<OriginRow>,
}

struct OriginRow {
    label: String,
    href: String,
    leads: leadform_core::lead::StageCounts,
    rate: String,
}

/// Origins of each kind the leads page shows.
const ORIGINS_SHOWN: u32 = 5;

struct LeadRow {
    id: String,
    name: String,
    email: String,
    company: String,
    source: String,
    stage: &'static str,
    stage_label: &'static str,
    form: String,
    captured: String,
    captured_iso: String,
}

#[derive(Template)]
#[template(path = "lead_counters.html")]
struct LeadCounters {
    counters: Vec<(&'static str, i64)>,
    /// In a refresh: swapped in place of the page's counters (htmx out-of-band).
    refresh: bool,
}

#[derive(Template)]
#[template(path = "lead_list.html")]
struct LeadList {
    refresh: bool,
    counters_html: String,
    total: i64,
    filtered: bool,
    rows: Vec<LeadRow>,
    live_url: Option<String>,
    first_url: Option<String>,
    next_url: Option<String>,
}

fn stages() -> Vec<(&'static str, &'static str)> {
    Stage::ALL.iter().map(|s| (s.as_str(), stage_label(*s))).collect()
}

pub fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::New => "New",
        Stage::Contacted => "Contacted",
        Stage::Qualified => "Qualified",
        Stage::Converted => "Converted",
        Stage::Lost => "Lost",
    }
}

/// `GET /dashboard/leads`: counters, filters, the table and export. An htmx refresh (every
/// 10 s on the first page, so new leads appear) gets the counters and table only.
pub async fn list(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let (choices, agent) = chosen_agent(req, env).await?;
    let agent_id = agent.as_ref().map(|a| a.id.clone()).unwrap_or_default();
    let pairs = query_pairs(req);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let filters = Filters {
        q: get("q"),
        stage: get("stage"),
        source: get("source"),
        tool_id: get("toolId"),
        from: get("from"),
        to: get("to"),
        landing_page: get("landingPage"),
        utm_source: get("utmSource"),
        utm_campaign: get("utmCampaign"),
        lost_reason: get("lostReason"),
    };
    let filter_pairs = [
        ("q", filters.q.as_str()),
        ("stage", filters.stage.as_str()),
        ("source", filters.source.as_str()),
        ("toolId", filters.tool_id.as_str()),
        ("from", filters.from.as_str()),
        ("to", filters.to.as_str()),
        ("landingPage", filters.landing_page.as_str()),
        ("utmSource", filters.utm_source.as_str()),
        ("utmCampaign", filters.utm_campaign.as_str()),
        ("lostReason", filters.lost_reason.as_str()),
    ];
    let owned: Vec<(String, String)> = filter_pairs
        .iter()
        .chain([("cursor", get("cursor").as_str())].iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([("limit".to_string(), PAGE.to_string())])
        .collect();
    let db = env.d1(bindings::DB)?;
    let forms = match &agent {
        Some(a) => tools::choices_of_agent(&db, &a.id).await?,
        None => Vec::new(),
    };
    let refresh = req.headers().get("HX-Request").ok().flatten().is_some();
    let ((counters_html, list_html), error) = match (LeadQuery::parse(&owned), &agent) {
        (Ok(query), Some(agent)) => {
            let base = query_string(&[[("agent", agent.id.as_str())].as_slice(), &filter_pairs].concat());
            (lead_list(env, &agent.id, &query, &base, refresh).await?, None)
        }
        (Ok(_), None) => (Default::default(), None),
        (Err(wrong), _) => (Default::default(), Some(wrong)),
    };
    if refresh && error.is_none() {
        return view::html(list_html, 200);
    }
    let notice = match get("done").as_str() {
        "deleted" => Some("The lead was deleted."),
        _ => None,
    };
    let export_params = filter_pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    let status = if error.is_some() { 400 } else { 200 };
    let origin_filters = [
        ("landingPage", "landing page", &filters.landing_page),
        ("utmSource", "utm_source", &filters.utm_source),
        ("utmCampaign", "utm_campaign", &filters.utm_campaign),
        ("lostReason", "lost reason", &filters.lost_reason),
    ]
    .into_iter()
    .filter(|(_, _, value)| !value.is_empty())
    .map(|(name, what, value)| (name, what, value.clone()))
    .collect();
    let origins_html = match &agent {
        Some(agent) => origins_card(&db, &agent.id).await?,
        None => String::new(),
    };
    render(
        &LeadsPage {
            layout: Layout::new(&visit.session, "leads", &agent_id),
            agent_name: agent.as_ref().map(|a| a.name.clone()),
            agents: choices,
            notice,
            stages: stages(),
            sources: SOURCES.iter().map(|s| (s.to_string(), source_label(s))).collect(),
            forms,
            error_field: error.as_ref().map(|e| e.field.clone()).unwrap_or_default(),
            error: error.map(|e| format!("{}: {}", e.field, e.reason)),
            filters,
            export_params,
            origin_filters,
            counters_html,
            list_html,
            origins_html,
        },
        status,
    )
}

/// "Where leads come from": the agent's top origins of each kind (seed 004: "Which
/// channels or pages generate the best leads?"), each linking to its leads; nothing when
/// the agent has no leads yet.
async fn origins_card(db: &worker::D1Database, agent_id: &str) -> ApiResult<String> {
    let origins = leadform_core::origins::group(stored::origins(db, agent_id, ORIGINS_SHOWN).await?);
    let table = |title,
                 column,
                 param: &str,
                 list: Vec<leadform_core::origins::Origin>,
                 label: &dyn Fn(&str) -> String| {
        OriginTable {
            title,
            column,
            rows: list
                .into_iter()
                .map(|o| OriginRow {
                    label: label(&o.value),
                    href: format!(
                        "/dashboard/leads?agent={}&{param}={}",
                        view::urlencode(agent_id),
                        view::urlencode(&o.value)
                    ),
                    leads: o.leads,
                    rate: leadform_core::charts::percent(o.conversion_rate / 100.0),
                })
                .collect(),
        }
    };
    let as_is = |value: &str| value.to_string();
    // A page reads best without its scheme; the link still filters by the whole of it.
    let page = |value: &str| {
        value
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_string()
    };
    let tables: Vec<OriginTable> = [
        table("By channel", "Channel", "source", origins.source, &|v| {
            source_label(v)
        }),
        table(
            "By landing page",
            "Landing page",
            "landingPage",
            origins.page,
            &page,
        ),
        table(
            "By utm_source",
            "utm_source",
            "utmSource",
            origins.utm_source,
            &as_is,
        ),
        table(
            "By utm_campaign",
            "utm_campaign",
            "utmCampaign",
            origins.utm_campaign,
            &as_is,
        ),
    ]
    .into_iter()
    .filter(|t| !t.rows.is_empty())
    .collect();
    let lost: Vec<LostRow> = stored::lost_reasons(db, agent_id, owner_leads::SHOWN_LOST_REASONS)
        .await?
        .into_iter()
        .map(|r| LostRow {
            href: format!(
                "/dashboard/leads?agent={}&stage=lost&lostReason={}",
                view::urlencode(agent_id),
                view::urlencode(&r.reason)
            ),
            reason: r.reason,
            leads: r.leads,
        })
        .collect();
    if tables.is_empty() && lost.is_empty() {
        return Ok(String::new());
    }
    LeadOrigins { tables, lost }
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))
}

async fn lead_list(
    env: &Env,
    agent_id: &str,
    query: &LeadQuery,
    base: &str,
    refresh: bool,
) -> ApiResult<(String, String)> {
    let db = env.d1(bindings::DB)?;
    let (page, more) = stored::list(&db, agent_id, query, query.cursor.as_ref(), query.limit).await?;
    let total = stored::count(&db, agent_id, query).await?;
    let counters = stored::counters(&db, agent_id).await?;
    // Deleted forms too: their leads stay.
    let form_names = tools::names_of_agent(&db, agent_id).await?;
    let rows = page
        .iter()
        .map(|lead| {
            let c = &lead.state.contact;
            LeadRow {
                id: lead.id.clone(),
                name: display_name(c).unwrap_or_else(|| "(no name)".into()),
                email: c.email.clone().unwrap_or_default(),
                company: c.company.clone().unwrap_or_default(),
                source: source_label(&lead.source),
                stage: lead.state.stage.as_str(),
                stage_label: stage_label(lead.state.stage),
                form: lead
                    .tool_id
                    .as_deref()
                    .map(|id| form_names.get(id).map_or(id, String::as_str).to_string())
                    .unwrap_or_default(),
                captured: shown_time(lead.created_at),
                captured_iso: crate::clock::iso8601(lead.created_at),
            }
        })
        .collect();
    let next_url = more.then(|| page.last()).flatten().map(|last| {
        let cursor = Cursor {
            at: last.created_at,
            id: last.id.clone(),
        }
        .encode();
        format!("/dashboard/leads?{base}&cursor={}", view::urlencode(&cursor))
    });
    let paged = query.cursor.is_some();
    let template = |e: askama::Error| ApiError::Internal(format!("template: {e}"));
    let counters_html = LeadCounters {
        counters: vec![
            ("Total leads", counters.total),
            ("New", counters.of_stage(Stage::New)),
            ("Contacted", counters.of_stage(Stage::Contacted)),
            ("Qualified", counters.of_stage(Stage::Qualified)),
            ("Converted", counters.of_stage(Stage::Converted)),
            ("Lost", counters.of_stage(Stage::Lost)),
        ],
        refresh,
    }
    .render()
    .map_err(template)?;
    let list = LeadList {
        refresh,
        counters_html: if refresh {
            counters_html.clone()
        } else {
            String::new()
        },
        total,
        filtered: !query.counts_by_stage_only() || query.stage.is_some(),
        rows,
        // Only the first page refreshes itself: a later page would jump under the reader.
        live_url: (!paged).then(|| format!("/dashboard/leads?{base}")),
        first_url: paged.then(|| format!("/dashboard/leads?{base}")),
        next_url,
    };
    Ok((counters_html, list.render().map_err(template)?))
}

fn display_name(c: &leadform_core::lead::Contact) -> Option<String> {
    c.name.clone().filter(|n| !n.trim().is_empty()).or_else(|| {
        let full = [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.trim().is_empty()).then_some(full)
    })
}

/// A label and its value, with a link when it has one.
pub struct Fact {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

fn fact(label: &str, value: Option<&str>) -> Option<Fact> {
    let value = value?.trim();
    (!value.is_empty()).then(|| Fact {
        label: label.into(),
        value: value.into(),
        href: None,
    })
}

fn linked(label: &str, value: Option<&str>, href: impl Fn(&str) -> Option<String>) -> Option<Fact> {
    fact(label, value).map(|mut f| {
        f.href = href(&f.value);
        f
    })
}

struct DeliveryRow {
    id: String,
    kind: String,
    target: String,
    status: &'static str,
    attempts: i64,
    error: String,
    replayable: bool,
}

/// One input of the contact correction form.
struct ContactInput {
    /// The attribute (`contact.<key>` in the API), also the input's name.
    key: &'static str,
    label: &'static str,
    kind: &'static str,
    value: String,
}

struct ActivityRow {
    at: String,
    at_iso: String,
    what: String,
    by: String,
    text: Option<String>,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    layout: Layout,
    id: String,
    title: String,
    stage: &'static str,
    stage_label: &'static str,
    /// The lead's version as the page shows it: a move is made only on that.
    version: i64,
    /// The stage the move form shows: the one the member chose when a move was refused.
    move_to: String,
    lost_reason: String,
    /// A note that was refused, given back to edit rather than typed again.
    note: String,
    max_note: usize,
    notice: Option<&'static str>,
    alert: Option<String>,
    error: String,
    error_field: String,
    can_write: bool,
    contact: Vec<Fact>,
    /// The contact as the correction form shows it (what was posted, after a refusal).
    contact_inputs: Vec<ContactInput>,
    source: Vec<Fact>,
    geo: Vec<Fact>,
    custom: Vec<Fact>,
    conversations: Vec<Fact>,
    /// The score and each answer of the last qualification; empty when none.
    qualification: Vec<Fact>,
    deliveries: Vec<DeliveryRow>,
    activity: Vec<ActivityRow>,
    stages: Vec<(&'static str, &'static str)>,
    lost_reasons: Vec<String>,
}

/// `GET /dashboard/leads/{id}`; also what a refused write shows again, with its error next
/// to the field at fault.
pub async fn detail(
    req: &Request,
    env: &Env,
    visit: &Visit,
    id: &str,
    refused: Option<ApiError>,
) -> ApiResult<Response> {
    let detail = owner_leads::detail(&visit.principal, req, env, id).await?;
    let db = env.d1(bindings::DB)?;
    let lead = &detail.lead;
    let agent = agents::get(&db, &lead.agent_id).await?;
    // Deleted forms too: the lead's older submissions name them.
    let forms: HashMap<String, String> = tools::names_of_agent(&db, &lead.agent_id).await?;
    let c = &lead.contact;
    let contact: Vec<Fact> = [
        fact("Name", display_name(c).as_deref()),
        linked("Email", c.email.as_deref(), links::mailto),
        linked("Phone", c.phone.as_deref(), links::tel),
        fact("Company", c.company.as_deref()),
        linked("Website", c.website.as_deref(), links::web),
    ]
    .into_iter()
    .flatten()
    .collect();
    let a = &lead.attribution;
    let form_name = lead
        .tool_id
        .as_ref()
        .map(|t| forms.get(t).cloned().unwrap_or_else(|| t.clone()));
    let source: Vec<Fact> = [
        fact("Channel", Some(&source_label(&lead.source))),
        fact("Form", form_name.as_deref()),
        linked("Page", a.page_url.as_deref(), links::web),
        linked("Landing page", a.landing_page.as_deref(), links::web),
        linked("Referrer", a.referrer.as_deref(), links::web),
        fact("UTM source", a.utm.source.as_deref()),
        fact("UTM medium", a.utm.medium.as_deref()),
        fact("UTM campaign", a.utm.campaign.as_deref()),
        fact("UTM term", a.utm.term.as_deref()),
        fact("UTM content", a.utm.content.as_deref()),
        fact("Captured", Some(&shown_time(lead.created_at))),
        fact("Submissions", Some(&lead.submission_count.to_string())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let g = &lead.geo;
    let local_now = g.timezone.as_deref().and_then(view::local_time_now);
    let mut geo: Vec<Fact> = [
        fact("Country", g.country.as_deref()),
        fact("Region", g.region.as_deref()),
        fact("City", g.city.as_deref()),
        fact("Time zone", g.timezone.as_deref()),
        fact("Their time now", local_now.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if geo.is_empty() {
        geo.push(Fact {
            label: "Location".into(),
            value: "Unknown".into(),
            href: None,
        });
    }
    let custom = custom_facts(&lead.custom_fields);
    let qualification: Vec<Fact> = lead
        .qualification
        .iter()
        .flat_map(|q| {
            let verdict = if q.qualified {
                "qualified"
            } else {
                "below the threshold"
            };
            std::iter::once(Fact {
                label: "Score".into(),
                value: format!("{} ({verdict})", q.score),
                href: None,
            })
            .chain(q.answers.iter().map(|a| Fact {
                label: a.question.clone(),
                value: format!("{} ({} points)", a.answer, a.points),
                href: None,
            }))
        })
        .collect();
    let conversations: Vec<Fact> = detail
        .conversations
        .iter()
        .map(|c| Fact {
            label: c.summary.clone().unwrap_or_else(|| "No summary".into()),
            value: c.id.clone(),
            // The edge's own transcript page when it keeps the conversation; else the
            // configured link, if any.
            href: match c.kept {
                true => Some(format!("/dashboard/conversations/{}", view::urlencode(&c.id))),
                false => config::conversation_url(env, Some(&c.id)).filter(|u| links::web(u).is_some()),
            },
        })
        .collect();
    let member_emails: HashMap<String, String> = members::list(&db)
        .await?
        .into_iter()
        .map(|m| (format!("member:{}", m.id), m.email))
        .collect();
    let activity = detail
        .activity
        .iter()
        .rev()
        .map(|entry| {
            let e = &entry.entry;
            let what = match e.kind {
                ActivityKind::StageChanged => format!(
                    "Stage {} → {}",
                    e.from.map(stage_label).unwrap_or("?"),
                    e.to.map(stage_label).unwrap_or("?")
                ),
                other => activity_label(other).to_string(),
            };
            let text = match (&e.reason, &e.note) {
                (Some(reason), Some(note)) => Some(format!("Reason: {reason}; note: {note}")),
                (Some(reason), None) => Some(format!("Reason: {reason}")),
                (None, Some(note)) => Some(note.clone()),
                _ => None,
            };
            ActivityRow {
                at: shown_time(e.at),
                at_iso: crate::clock::iso8601(e.at),
                what,
                by: member_emails.get(&e.by).cloned().unwrap_or_else(|| e.by.clone()),
                text,
            }
        })
        .collect();
    let deliveries = detail
        .deliveries
        .iter()
        .map(|log| {
            let d = &log.delivery;
            DeliveryRow {
                id: d.id.clone(),
                kind: d.kind.clone(),
                target: d.target_url.clone(),
                status: d.status.as_str(),
                attempts: d.attempts,
                error: d.last_error.clone().unwrap_or_default(),
                replayable: d.status == leadform_core::delivery::DeliveryStatus::Failed,
            }
        })
        .collect();
    let notice = match query_pairs(req)
        .iter()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.as_str())
    {
        Some("stage") => Some("Stage updated."),
        Some("note") => Some("Note added."),
        Some("contact") => Some("Contact saved."),
        Some("replay") => Some("Delivery replayed: a new round of attempts has started."),
        _ => None,
    };
    let (error, error_field, status) = match &refused {
        Some(err) => (err.message(), err.field().unwrap_or_default(), 400),
        None => (String::new(), String::new(), 200),
    };
    let alert = refused
        .as_ref()
        .filter(|e| e.field().is_none())
        .map(|e| e.message());
    let title = display_name(c)
        .or_else(|| c.email.clone())
        .unwrap_or_else(|| "Lead".into());
    render(
        &LeadPage {
            layout: Layout::new(&visit.session, "leads", &lead.agent_id),
            id: lead.id.clone(),
            title,
            stage: lead.stage.as_str(),
            stage_label: stage_label(lead.stage),
            version: lead.version,
            move_to: visit
                .field("stage")
                .filter(|_| refused.is_some())
                .unwrap_or(lead.stage.as_str())
                .to_string(),
            note: visit
                .field("note")
                .filter(|_| refused.is_some())
                .unwrap_or_default()
                .to_string(),
            max_note: MAX_NOTE_CHARS,
            lost_reason: visit
                .field("lostReason")
                .map(str::to_string)
                .or_else(|| lead.lost_reason.clone())
                .unwrap_or_default(),
            notice,
            alert,
            error,
            error_field,
            can_write: visit.may(Need::Scope(Scope::LeadsWrite)),
            contact_inputs: contact_inputs(c, visit, refused.is_some()),
            contact,
            source,
            geo,
            custom,
            conversations,
            qualification,
            deliveries,
            activity,
            stages: stages(),
            lost_reasons: agent.map(|a| a.lost_reasons()).unwrap_or_default(),
        },
        if refused.as_ref().is_some_and(|e| e.field().is_none()) {
            409
        } else {
            status
        },
    )
}

fn activity_label(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Created => "Captured",
        ActivityKind::Submitted => "Submitted again",
        ActivityKind::StageChanged => "Stage changed",
        ActivityKind::Note => "Note",
        ActivityKind::FieldsEdited => "Fields edited",
        ActivityKind::ContactEdited => "Contact corrected",
    }
}

/// The correction form's inputs: the contact as stored, or as posted when a save was refused.
fn contact_inputs(c: &leadform_core::lead::Contact, visit: &Visit, refused: bool) -> Vec<ContactInput> {
    let posted = |key: &str| visit.field(key).filter(|_| refused).map(str::to_string);
    [
        ("name", "Name", "text", &c.name),
        ("email", "Email", "email", &c.email),
        ("phone", "Phone", "tel", &c.phone),
        ("company", "Company", "text", &c.company),
        ("website", "Website", "url", &c.website),
    ]
    .into_iter()
    .map(|(key, label, kind, stored)| ContactInput {
        key,
        label,
        kind,
        value: posted(key).or_else(|| stored.clone()).unwrap_or_default(),
    })
    .collect()
}

/// Custom fields as facts: text as it is, lists joined, files as download links.
fn custom_facts(fields: &Map<String, Value>) -> Vec<Fact> {
    fields
        .iter()
        .map(|(key, value)| {
            let (value, href) = match value {
                Value::String(s) => (s.clone(), None),
                Value::Array(items) => (leadform_core::form::list_text(items), None),
                Value::Object(file) if file.get("url").and_then(Value::as_str).is_some() => {
                    let name = file.get("name").and_then(Value::as_str).unwrap_or("file");
                    let size = file.get("size").and_then(Value::as_i64).unwrap_or(0);
                    (
                        format!("{name} ({} KB)", (size + 1023) / 1024),
                        file.get("url").and_then(Value::as_str).and_then(links::web),
                    )
                }
                Value::Null => (String::new(), None),
                other => (other.to_string(), None),
            };
            Fact {
                label: key.clone(),
                value,
                href,
            }
        })
        .collect()
}

/// `POST /dashboard/leads/{id}/{stage|notes|contact|delete}`: through the owner API's own
/// change and delete; a refusal shows the lead again with the error at its field.
pub async fn write(req: &Request, env: &Env, visit: &Visit, id: &str, action: &str) -> ApiResult<Response> {
    let text = |name: &str| visit.field(name).map(str::trim).filter(|v| !v.is_empty());
    let outcome = match action {
        "stage" => {
            // The reason goes only with a move to lost: the select still shows a lost lead's
            // reason, and the API refuses one with any other move.
            let stage = text("stage");
            let reason = text("lostReason").filter(|_| stage == Some(Stage::Lost.as_str()));
            let body = json!({ "stage": stage, "lostReason": reason });
            // The move is made on the lead the member saw: if a colleague moved it since,
            // the page shows it as it is now, with the member's choice still selected.
            let seen: Option<[i64; 1]> = text("version").and_then(|v| v.parse().ok()).map(|v| [v]);
            match LeadPatch::from_json(&body) {
                Ok(patch) => {
                    owner_leads::change(&visit.principal, env, id, patch, seen.as_ref().map(|v| &v[..]))
                        .await
                        .map(|_| "stage")
                        .map_err(|err| stale_as("Your move was not made: choose again.", err))
                }
                Err(wrong) => Err(wrong.into()),
            }
        }
        "contact" => {
            // Every input as posted (an emptied one clears its attribute); only what differs
            // from the lead as it is changes. Made on the lead the member saw, as a move is.
            let fields: serde_json::Map<String, Value> = ["name", "email", "phone", "company", "website"]
                .into_iter()
                .map(|key| (key.to_string(), json!(visit.field(key).unwrap_or(""))))
                .collect();
            let seen: Option<[i64; 1]> = text("version").and_then(|v| v.parse().ok()).map(|v| [v]);
            match LeadPatch::from_json(&json!({ "contact": fields })) {
                Ok(patch) => {
                    owner_leads::change(&visit.principal, env, id, patch, seen.as_ref().map(|v| &v[..]))
                        .await
                        .map(|_| "contact")
                        .map_err(|err| stale_as("Your correction was not saved: make it again.", err))
                }
                Err(wrong) => Err(wrong.into()),
            }
        }
        "notes" => {
            let body = json!({ "note": visit.field("note").unwrap_or("") });
            match LeadPatch::from_json(&body) {
                Ok(patch) if text("note").is_some() => {
                    owner_leads::change(&visit.principal, env, id, patch, None)
                        .await
                        .map(|_| "note")
                }
                Ok(_) => Err(leadform_core::validate::FieldError::new(
                    "note",
                    "is empty: write something first",
                )
                .into()),
                Err(wrong) => Err(wrong.into()),
            }
        }
        "delete" => {
            if text("confirm").map(str::to_lowercase).as_deref() != Some("delete") {
                Err(leadform_core::validate::FieldError::new("confirm", "type delete to confirm").into())
            } else {
                let lead = owner_leads::remove(&visit.principal, env, id).await?;
                return view::redirect(&format!(
                    "/dashboard/leads?agent={}&done=deleted",
                    view::urlencode(&lead.agent_id)
                ));
            }
        }
        _ => return Err(ApiError::not_found("page", action)),
    };
    match outcome {
        Ok(done) => view::redirect(&format!("/dashboard/leads/{}?done={done}", view::urlencode(id))),
        Err(err @ (ApiError::InvalidField(_) | ApiError::Conflict { .. })) => {
            detail(req, env, visit, id, Some(err)).await
        }
        Err(other) => Err(other),
    }
}

/// A write refused because the lead changed after the member opened it, said in words: the
/// page shows the lead as it is now, with what was not done.
fn stale_as(not_done: &str, err: ApiError) -> ApiError {
    match err {
        ApiError::Stale { .. } => ApiError::Conflict {
            code: "stale",
            message: format!(
                "This lead changed after you opened it (a colleague's move, note or correction, \
                 or a new submission); it shows as it is now. {not_done}"
            ),
        },
        other => other,
    }
}

/// `POST /dashboard/deliveries/{id}/replay` (from a lead's delivery log).
pub async fn replay(req: &Request, env: &Env, visit: &Visit, id: &str) -> ApiResult<Response> {
    let replayed = deliveries::replay(&visit.principal, env, id).await;
    let lead_id = visit.field("lead").unwrap_or_default().to_string();
    match (replayed, lead_id.is_empty()) {
        (Ok(_), false) => view::redirect(&format!(
            "/dashboard/leads/{}?done=replay",
            view::urlencode(&lead_id)
        )),
        (Ok(delivery), true) => view::redirect(&format!(
            "/dashboard/leads/{}?done=replay",
            view::urlencode(delivery.lead_id.as_deref().unwrap_or_default())
        )),
        (Err(err @ ApiError::Conflict { .. }), false) => detail(req, env, visit, &lead_id, Some(err)).await,
        (Err(err), _) => Err(err),
    }
}
