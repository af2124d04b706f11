//! The delivery log and replay: every delivery of a submission with its attempts; replay
//! of one delivery, or of every failed delivery of an agent since a time; dead letters.

use super::Caller;
use crate::auth;
use crate::bindings;
use crate::delivery::replay;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, query_param};
use crate::storage::deliveries::{self, Attempt, DeadLetter, Delivery};
use leadform_core::access::{Need, Scope};
use leadform_core::query::{next_cursor, Cursor};
use leadform_core::validate::FieldError;
use serde::Serialize;
use serde_json::Value;
use worker::{D1Database, Env, Request, Response};

/// Replays per call at most (one D1 batch of this many statements); the owner calls again
/// with the answer's `nextCursor` for more.
const REPLAY_BATCH: i64 = 100;

/// One delivery of the log with every attempt it made.
#[derive(Serialize)]
pub struct DeliveryLog {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

#[derive(Serialize)]
struct DeliveryLogOut {
    deliveries: Vec<DeliveryLog>,
}

#[derive(Serialize)]
struct ReplayedOut {
    delivery: Delivery,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplayedManyOut {
    replayed: usize,
    delivery_ids: Vec<String>,
    /// Where this call stopped when more failed deliveries are left: the next call passes
    /// it as `cursor` (a later `since` would skip deliveries made in the same millisecond,
    /// and one that fails again at once would come back first).
    next_cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeadLettersOut {
    dead_letters: Vec<DeadLetter>,
    /// More were recorded than one answer holds: the next call passes it as `cursor`.
    next_cursor: Option<String>,
}

/// Dead letters in one answer: past it, `nextCursor` pages on (an outage can fail
/// thousands, and the newest must be reachable too).
const DEAD_LETTERS_PAGE: i64 = 1_000;

/// The log of `deliveries` as `caller` may read it: each with its attempts (one read for
/// all of them).
pub async fn log(caller: &Caller, db: &D1Database, deliveries: &[Delivery]) -> ApiResult<Vec<DeliveryLog>> {
    let attempts = deliveries::attempts_of(db, deliveries).await?;
    Ok(deliveries
        .iter()
        .cloned()
        .zip(attempts)
        .map(|(delivery, attempts)| DeliveryLog {
            delivery: shown_to(caller, delivery),
            attempts,
        })
        .collect())
}

/// A delivery as `caller` may read it: its full target URL only with `config:write`, since
/// a webhook URL is often a secret itself (`leadform_core::delivery::target_origin`).
pub fn shown_to(caller: &Caller, mut delivery: Delivery) -> Delivery {
    if caller.allows(Need::Scope(Scope::ConfigWrite)).is_err() {
        delivery.target_url = leadform_core::delivery::target_origin(&delivery.target_url);
    }
    delivery
}

pub async fn list(caller: &Caller, env: &Env, submission_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    super::submissions::find(caller, &db, submission_id).await?;
    let log = log(
        caller,
        &db,
        &deliveries::for_submission(&db, submission_id).await?,
    )
    .await?;
    json(&DeliveryLogOut { deliveries: log }, 200)
}

/// `POST /v1/deliveries/{id}/replay`: a new round of attempts for a settled delivery.
pub async fn replay_one(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    json(
        &ReplayedOut {
            delivery: shown_to(caller, replay(caller, env, id).await?),
        },
        202,
    )
}

/// A new round of attempts for delivery `id`, once it has settled (409 while it runs).
pub async fn replay(caller: &Caller, env: &Env, id: &str) -> ApiResult<Delivery> {
    let db = env.d1(bindings::DB)?;
    let current = deliveries::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery", id))?;
    let agent_id = current.agent_id.clone();
    let current = auth::visible(caller, "delivery", id, &agent_id, current)?;
    let Some(replayed) = replay::replay(env, &db, std::slice::from_ref(&current))
        .await?
        .pop()
    else {
        return Err(ApiError::Conflict {
            code: "delivery_in_progress",
            message: format!(
                "delivery {id} is still {}; replay it once it has settled",
                current.status.as_str()
            ),
        });
    };
    Ok(replayed)
}

/// `POST /v1/agents/{agentId}/deliveries/replay` with `{"since": <ms or ISO 8601>}`.
pub async fn replay_failed(mut req: Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let body = json_body(&mut req).await?;
    let since = since(body.get("since"), "since")?;
    // Read as the lists read theirs: empty is none (the first call of a loop).
    let after = match body.get("cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Cursor::given(text)?,
        Some(_) => {
            return Err(FieldError::new("cursor", "must be a string (the last answer's nextCursor)").into())
        }
    };
    let mut failed =
        deliveries::failed_for_agent(&db, agent_id, since, after.as_ref(), REPLAY_BATCH + 1).await?;
    let more = failed.len() as i64 > REPLAY_BATCH;
    failed.truncate(REPLAY_BATCH as usize);
    let next_cursor = next_cursor(&failed, more, |d| (d.created_at, d.id.clone()));
    let replayed: Vec<String> = replay::replay(env, &db, &failed)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    json(
        &ReplayedManyOut {
            replayed: replayed.len(),
            delivery_ids: replayed,
            next_cursor,
        },
        202,
    )
}

/// `GET /v1/agents/{agentId}/dead-letters?since=&cursor=`: deliveries whose attempts ran
/// out, oldest first.
pub async fn dead_letters(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let since = match query_param(req, "since") {
        Some(text) => self::since(Some(&Value::String(text)), "since")?,
        None => 0,
    };
    let after = Cursor::given(&query_param(req, "cursor").unwrap_or_default())?;
    let mut letters =
        deliveries::dead_letters(&db, agent_id, since, after.as_ref(), DEAD_LETTERS_PAGE + 1).await?;
    let more = letters.len() as i64 > DEAD_LETTERS_PAGE;
    letters.truncate(DEAD_LETTERS_PAGE as usize);
    let next_cursor = next_cursor(&letters, more, |d| (d.recorded_at, d.delivery_id.clone()));
    json(
        &DeadLettersOut {
            dead_letters: letters,
            next_cursor,
        },
        200,
    )
}

/// A point in time given as milliseconds since the epoch or an ISO 8601 date-time.
fn since(value: Option<&Value>, field: &str) -> ApiResult<i64> {
    let parsed = match value {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(text)) => text
            .parse::<i64>()
            .ok()
            .or_else(|| crate::clock::parse_iso8601(text)),
        _ => None,
    };
    parsed
        .filter(|ms| *ms >= 0)
        .ok_or_else(|| FieldError::new(field, "must be a time: milliseconds since 1970 or ISO 8601").into())
}
