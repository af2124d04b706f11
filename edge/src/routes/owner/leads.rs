//! The pipeline: an agent's leads (filtered, keyset-paged, counted), one lead with its
//! submissions, trail and delivery log, its changes (through `crate::leads`), deletion,
//! and the CSV export, streamed page by page.

use super::deliveries::{self, DeliveryLog};
use super::Caller;
use crate::auth;
use crate::bindings;
use crate::clock::{iso8601, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, query_pairs, query_param, request_origin};
use crate::leads;
use crate::storage::files::Links;
use crate::storage::leads::{self as stored, Lead};
use crate::storage::{agents, submissions};
use futures_util::stream;
use leadform_core::csv_export::{self, Profile, Row};
use leadform_core::lead::{
    check_custom_names, etag, if_match, ActivityOut, Attribute, LeadOut, LeadPatch, StageCounts,
};
use leadform_core::query::{next_cursor, Cursor, LeadQuery};
use leadform_core::validate::FieldError;
use serde::Serialize;
use serde_json::json;
use worker::{Env, Request, Response};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeadListOut {
    leads: Vec<LeadOut>,
    next_cursor: Option<String>,
    total: i64,
}

/// A submission as a lead's detail lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadSubmissionOut {
    pub id: String,
    pub tool_id: String,
    pub status: String,
    pub submitted_at: i64,
    pub conversation_id: Option<String>,
    pub source: String,
    pub form_data: serde_json::Map<String, serde_json::Value>,
    pub attribution: Option<leadform_core::lead::Attribution>,
    /// How the visitor qualified in the chat before this submission.
    pub qualification: Option<leadform_core::qualification::Outcome>,
}

/// A conversation a lead came from, with its summary when the edge keeps it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadConversationOut {
    pub id: String,
    /// The edge keeps its transcript (`GET /v1/conversations/{id}`).
    pub kept: bool,
    pub summary: Option<String>,
}

/// Everything about one lead: what the API's lead detail and the dashboard's lead page show.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadDetailOut {
    pub lead: LeadOut,
    pub submissions: Vec<LeadSubmissionOut>,
    pub conversation_ids: Vec<String>,
    pub conversations: Vec<LeadConversationOut>,
    pub activity: Vec<ActivityOut>,
    pub deliveries: Vec<DeliveryLog>,
}

#[derive(Serialize)]
struct LeadChangedOut {
    lead: LeadOut,
    activity: Vec<ActivityOut>,
}

pub async fn list(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let query = LeadQuery::parse(&query_pairs(req))?;
    let db = env.d1(bindings::DB)?;
    let (page, more) = stored::list(&db, agent_id, &query, query.cursor.as_ref(), query.limit).await?;
    let total = stored::count(&db, agent_id, &query).await?;
    let links = Links::new(env, request_origin(req));
    let next_cursor = next_cursor(&page, more, |l| (l.created_at, l.id.clone()));
    json(
        &LeadListOut {
            leads: page.iter().map(|lead| shown(lead, &links)).collect(),
            next_cursor,
            total,
        },
        200,
    )
}

pub async fn counters(env: &Env, agent_id: &str) -> ApiResult<Response> {
    let counters: StageCounts = stored::counters(&env.d1(bindings::DB)?, agent_id).await?;
    json(&counters, 200)
}

/// `GET /v1/agents/{agentId}/leads/origins?limit=`: where the agent's leads come from.
pub async fn origins(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let limit = leadform_core::origins::parse_limit(query_param(req, "limit").as_deref())?;
    let rows = stored::origins(&env.d1(bindings::DB)?, agent_id, limit).await?;
    json(&json!({ "origins": leadform_core::origins::group(rows) }), 200)
}

/// Reasons an agent's leads are lost for, the most first (seed 004: Lost records "the
/// reason for future analysis").
pub const SHOWN_LOST_REASONS: u32 = 50;

/// `GET /v1/agents/{id}/leads/lost-reasons` → `{lostReasons: [{reason, leads}]}`.
pub async fn lost_reasons(env: &Env, agent_id: &str) -> ApiResult<Response> {
    let reasons = stored::lost_reasons(&env.d1(bindings::DB)?, agent_id, SHOWN_LOST_REASONS).await?;
    json(&json!({ "lostReasons": reasons }), 200)
}

pub async fn get(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<Response> {
    let detail = detail(caller, req, env, id).await?;
    with_etag(json(&detail, 200)?, detail.lead.version)
}

/// The lead's version as its `ETag`, for a change sent back with `If-Match`.
fn with_etag(mut response: Response, version: i64) -> ApiResult<Response> {
    response.headers_mut().set("ETag", &etag(version))?;
    Ok(response)
}

/// What a lead's detail lists at most, the newest kept: anyone who knows a lead's email can
/// add submissions to it (and with them trail entries and deliveries), and a lead a script
/// submitted to ten thousand times must still open, and be deleted. `submissionCount` says
/// how many it has in all; the agent's submission list pages through every one.
const SHOWN_SUBMISSIONS: u32 = 100;
const SHOWN_ACTIVITY: u32 = 200;
const SHOWN_DELIVERIES: u32 = 200;
/// Conversations read for their summaries (one read each).
const SHOWN_CONVERSATIONS: usize = 10;

/// The lead `id` with its newest submissions, trail and delivery log, if the caller may see it.
pub async fn detail(caller: &Caller, req: &Request, env: &Env, id: &str) -> ApiResult<LeadDetailOut> {
    let db = env.d1(bindings::DB)?;
    let lead = find(caller, &db, id).await?;
    let links = Links::new(env, request_origin(req));
    let submissions = submissions::for_lead(&db, id, &lead.agent_id, SHOWN_SUBMISSIONS).await?;
    let mut conversation_ids: Vec<String> = Vec::new();
    // Only conversations the lead's submissions proved were theirs: an id alone (a
    // stranger naming someone's chat) does not make a transcript this lead's.
    for cid in submissions
        .iter()
        .rev()
        .filter(|s| s.conversation_proven)
        .filter_map(|s| s.conversation_id.as_ref())
    {
        if conversation_ids.len() == SHOWN_CONVERSATIONS {
            break;
        }
        if !conversation_ids.contains(cid) {
            conversation_ids.push(cid.clone());
        }
    }
    conversation_ids.reverse(); // oldest first, as the submissions
    let mut conversations = Vec::with_capacity(conversation_ids.len());
    for cid in &conversation_ids {
        // Only a conversation of the lead's own agent: a submission may name any id.
        let kept = crate::storage::conversations::get(&db, cid)
            .await?
            .filter(|c| c.agent_id == lead.agent_id);
        conversations.push(LeadConversationOut {
            id: cid.clone(),
            kept: kept.is_some(),
            summary: kept.and_then(|c| c.summary),
        });
    }
    let newest = crate::storage::deliveries::for_lead(&db, id, SHOWN_DELIVERIES).await?;
    let log = deliveries::log(caller, &db, &newest).await?;
    Ok(LeadDetailOut {
        lead: shown(&lead, &links),
        submissions: submissions
            .into_iter()
            .map(|s| LeadSubmissionOut {
                form_data: links.show(&s.form_data),
                id: s.id,
                tool_id: s.tool_id,
                status: s.status,
                submitted_at: s.submitted_at,
                conversation_id: s.conversation_id,
                source: s.source,
                attribution: s.attribution,
                qualification: s.qualification,
            })
            .collect(),
        conversation_ids,
        conversations,
        activity: stored::activity_of(&db, id, SHOWN_ACTIVITY).await?,
        deliveries: log,
    })
}

/// `PATCH /v1/leads/{id}`; with `If-Match`, only to the lead as it was read (a 412 once
/// another change got there first).
pub async fn update(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let seen = match req.headers().get("If-Match")? {
        Some(header) => if_match(&header)?,
        None => None,
    };
    let patch = LeadPatch::from_json(&json_body(&mut req).await?)?;
    let changed = change(caller, env, id, patch, seen.as_deref()).await?;
    let db = env.d1(bindings::DB)?;
    let out = LeadChangedOut {
        lead: shown(&changed, &Links::new(env, request_origin(&req))),
        activity: stored::activity_of(&db, id, SHOWN_ACTIVITY).await?,
    };
    with_etag(json(&out, 200)?, changed.version)
}

/// Applies an owner's change (stage, lost reason, note, custom fields, contact) to lead
/// `id`; when `seen` names versions, only if the lead is still at one of them.
pub async fn change(
    caller: &Caller,
    env: &Env,
    id: &str,
    patch: LeadPatch,
    seen: Option<&[i64]>,
) -> ApiResult<Lead> {
    let db = env.d1(bindings::DB)?;
    let lead = find(caller, &db, id).await?;
    let agent = agents::get(&db, &lead.agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &lead.agent_id))?;
    // Names set by hand are columns of every export: capped per agent, counting the names
    // some lead still has.
    if let Some(changes) = &patch.custom_fields {
        let set: Vec<&str> = changes
            .iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(name, _)| name.as_str())
            .collect();
        if !set.is_empty() {
            let (known, fresh) = stored::custom_names(&db, &lead.agent_id, &set).await?;
            if check_custom_names(known, fresh).is_err() {
                // Names no lead has any more do not count: forget them, then count again.
                stored::forget_unused_custom_names(&db, &lead.agent_id).await?;
                let (known, fresh) = stored::custom_names(&db, &lead.agent_id, &set).await?;
                check_custom_names(known, fresh)?;
            }
        }
    }
    // An email is the key later submissions find their lead by: one lead per email.
    let new_email = patch
        .contact
        .iter()
        .flatten()
        .find_map(|(attribute, value)| (*attribute == Attribute::Email).then_some(value.as_deref()))
        .flatten();
    if let Some(email) = new_email {
        if let Some(other) = stored::other_with_email(&db, &lead.agent_id, email, &lead.id).await? {
            return Err(FieldError::new(
                "contact.email",
                format!(
                    "is the email of another lead ({other}): one lead per email, so edit or delete that one"
                ),
            )
            .into());
        }
    }
    leads::change(
        env,
        &db,
        id,
        patch.events(),
        &caller.actor(),
        &agent.lost_reasons(),
        seen,
    )
    .await
}

pub async fn delete(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    remove(caller, env, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// Deletes lead `id` for good (its submissions and files too), if the caller may see it;
/// the lead as it was.
pub async fn remove(caller: &Caller, env: &Env, id: &str) -> ApiResult<Lead> {
    let db = env.d1(bindings::DB)?;
    let lead = find(caller, &db, id).await?;
    leads::delete(env, &db, &lead).await?;
    Ok(lead)
}

/// Leads read per step of the export: one D1 read each, so the worker holds one page.
const EXPORT_PAGE: u32 = 500;

/// `GET /v1/agents/{id}/leads.csv?profile=crm|excel&<filters>`: RFC 4180, streamed.
pub async fn export(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let pairs = query_pairs(req);
    // The list's filters; its paging (`limit`, `cursor`) means nothing to an export of
    // every lead, and is left aside rather than checked.
    let filters: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "limit" && k != "cursor")
        .cloned()
        .collect();
    let query = LeadQuery::parse(&filters)?;
    let profile = match pairs
        .iter()
        .find(|(k, _)| k == "profile")
        .map(|(_, v)| v.as_str())
    {
        None | Some("") => Profile::Crm,
        Some(text) => {
            Profile::parse(text).ok_or_else(|| FieldError::new("profile", "must be crm or excel"))?
        }
    };
    let db = env.d1(bindings::DB)?;
    // Refused before the first byte rather than cut off half way: each page is a D1 query,
    // and an invocation may make only so many.
    let max = crate::config::export_max_leads(env);
    let total = stored::count(&db, agent_id, &query).await?;
    if total as u64 > max {
        return Err(FieldError::new(
            "to",
            format!("this export holds {total} leads and one file holds at most {max}: export by date range (from, to)"),
        )
        .into());
    }
    let custom_keys = stored::custom_keys(&db, agent_id).await?;
    let header = csv_export::header(profile, &custom_keys);
    let state = Export {
        env: env.clone(),
        agent_id: agent_id.to_string(),
        query,
        cursor: None,
        done: false,
        profile,
        custom_keys,
    };
    // The header first, then one chunk per page of leads until a page comes back short.
    let pages = stream::try_unfold(state, |mut state| async move {
        if state.done {
            return Ok(None);
        }
        let db = state.env.d1(bindings::DB)?;
        let (page, more) = stored::list(
            &db,
            &state.agent_id,
            &state.query,
            state.cursor.as_ref(),
            EXPORT_PAGE,
        )
        .await?;
        let mut chunk = Vec::new();
        for lead in &page {
            chunk.extend(record(state.profile, lead, &state.custom_keys));
        }
        state.cursor = page.last().map(|last| Cursor {
            at: last.created_at,
            id: last.id.clone(),
        });
        state.done = !more;
        Ok::<_, worker::Error>(Some((chunk, state)))
    });
    let body = futures_util::StreamExt::chain(stream::once(async { Ok::<_, worker::Error>(header) }), pages);
    let response = Response::from_stream(body)?;
    let headers = response.headers();
    headers.set("Content-Type", "text/csv; charset=utf-8")?;
    let day = iso8601(now_ms()).chars().take(10).collect::<String>();
    headers.set(
        "Content-Disposition",
        &format!("attachment; filename=\"leads-{agent_id}-{day}.csv\""),
    )?;
    headers.set("Cache-Control", "private, no-store")?;
    Ok(response)
}

/// Where an export stands between two pages.
struct Export {
    env: Env,
    agent_id: String,
    query: LeadQuery,
    cursor: Option<Cursor>,
    done: bool,
    profile: Profile,
    custom_keys: Vec<String>,
}

fn record(profile: Profile, lead: &Lead, custom_keys: &[String]) -> Vec<u8> {
    let contact = &lead.state.contact;
    let created_at = iso8601(lead.created_at);
    let updated_at = iso8601(lead.updated_at);
    csv_export::record(
        profile,
        &Row {
            first_name: contact.first_name.as_deref(),
            last_name: contact.last_name.as_deref(),
            email: contact.email.as_deref(),
            phone: contact.phone.as_deref(),
            company: contact.company.as_deref(),
            website: contact.website.as_deref(),
            stage: lead.state.stage.as_str(),
            source: &lead.source,
            created_at: &created_at,
            landing_page: lead.attribution.landing_page.as_deref(),
            utm_source: lead.attribution.utm.source.as_deref(),
            utm_medium: lead.attribution.utm.medium.as_deref(),
            utm_campaign: lead.attribution.utm.campaign.as_deref(),
            lost_reason: lead.state.lost_reason.as_deref(),
            id: &lead.id,
            updated_at: &updated_at,
            custom_fields: &lead.state.custom_fields,
        },
        custom_keys,
    )
}

/// A lead as the owner sees it: files among its custom fields as signed links.
fn shown(lead: &Lead, links: &Links) -> LeadOut {
    let mut out = LeadOut::from(lead);
    out.custom_fields = links.show(&out.custom_fields);
    out
}

/// The lead, if the caller may see its agent.
async fn find(caller: &Caller, db: &worker::D1Database, id: &str) -> ApiResult<Lead> {
    let lead = stored::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("lead", id))?;
    let agent_id = lead.agent_id.clone();
    auth::visible(caller, "lead", id, &agent_id, lead)
}
