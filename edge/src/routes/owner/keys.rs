//! Owner keys: made by the admin with scopes and optional agents, shown once, revoked at
//! once. Only their SHA-256 is stored.

use super::parse;
use crate::bindings;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body};
use crate::ids::{new_id, random_bytes};
use crate::storage::agents;
use crate::storage::keys::{self, ApiKey, NewKey};
use leadform_core::access::{key_hash, key_prefix, key_text, Scope};
use leadform_core::validate::FieldError;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyIn {
    name: String,
    scopes: Vec<Scope>,
    #[serde(default)]
    agents: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCreatedOut {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key itself: shown here and never again.
    #[serde(rename = "key")]
    pub text: String,
}

#[derive(Serialize)]
struct KeyListOut {
    keys: Vec<ApiKey>,
}

pub async fn create(mut req: Request, env: &Env) -> ApiResult<Response> {
    json(&make(env, json_body(&mut req).await?).await?, 201)
}

/// Makes a key from `{name, scopes, agents?}` (the API's body, or the dashboard's form).
pub async fn make(env: &Env, body: serde_json::Value) -> ApiResult<KeyCreatedOut> {
    let input: KeyIn = parse(body)?;
    if input.name.trim().is_empty() {
        return Err(FieldError::new("name", "is required").into());
    }
    leadform_core::owner::cap("name", &input.name, 100)?;
    if input.scopes.is_empty() {
        return Err(FieldError::new("scopes", "must list at least one scope").into());
    }
    if let Some(agents) = &input.agents {
        if agents.is_empty() || agents.len() > 100 {
            return Err(FieldError::new(
                "agents",
                "must list 1 to 100 agent ids (or be left out for every agent)",
            )
            .into());
        }
    }
    let db = env.d1(bindings::DB)?;
    // A key for an agent that is not there would serve nobody now, and would serve
    // whoever makes an agent of that name later.
    if let Some(ids) = &input.agents {
        if let Some(place) = agents::first_unknown(&db, ids).await? {
            return Err(FieldError::new(
                format!("agents[{place}]"),
                format!("{:?} is no agent of this edge", ids[place]),
            )
            .into());
        }
    }
    let id = new_id("key");
    let text = key_text(&random_bytes::<32>());
    let mut scopes = input.scopes.clone();
    scopes.sort();
    scopes.dedup();
    keys::insert(
        &db,
        &NewKey {
            id: &id,
            name: input.name.trim(),
            hash: &key_hash(&text),
            prefix: &key_prefix(&text),
            scopes: &scopes,
            agents: input.agents.as_deref(),
            now: now_ms(),
        },
    )
    .await?;
    let key = keys::get(&db, &id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("key {id} vanished")))?;
    Ok(KeyCreatedOut { key, text })
}

pub async fn list(env: &Env) -> ApiResult<Response> {
    let keys = keys::list(&env.d1(bindings::DB)?).await?;
    json(&KeyListOut { keys }, 200)
}

pub async fn revoke(env: &Env, id: &str) -> ApiResult<Response> {
    if !keys::revoke(&env.d1(bindings::DB)?, id, now_ms()).await? {
        return Err(ApiError::not_found("key", id));
    }
    Ok(Response::empty()?.with_status(204))
}
