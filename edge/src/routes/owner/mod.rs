//! The owner API under `/v1`. Every route passes [`need_of`] (the scope it needs) and, when
//! its path names an agent, that agent's visibility to the caller, here and only here; routes
//! that name another resource (a lead, a tool, ...) load it and check its agent with
//! `auth::visible` before anything else.

pub mod agents;
pub mod channels;
pub mod conversations;
pub mod deliveries;
pub mod keys;
pub mod lead_webhooks;
pub mod leads;
mod members;
mod rotation;
mod submissions;
pub mod tools;

use crate::auth::{self, authenticate};
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use leadform_core::access::{Need, Principal, Scope};
use leadform_core::validate::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use worker::{Env, Method, Request, Response};

/// Every owner answer, refusals too: they carry people's details and signed file links
/// (or say which ids exist), so no cache keeps them, and no browser reads them as anything
/// but what they say they are.
pub async fn handle(req: Request, env: &Env, method: Method, path: &[&str]) -> ApiResult<Response> {
    let mut response = answer(req, env, method, path)
        .await
        .or_else(ApiError::into_response)?;
    let headers = response.headers_mut();
    headers.set("Cache-Control", "private, no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}

/// The caller, the scope and agent checks, then the route.
async fn answer(req: Request, env: &Env, method: Method, path: &[&str]) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let caller = authenticate(&req, env, &db).await?;
    let need = need_of(&method, path).ok_or_else(|| not_found(&method, path))?;
    auth::require(&caller, need)?;
    if let ["agents", agent_id, ..] = path {
        auth::visible(&caller, "agent", agent_id, agent_id, ())?;
    }
    // An agent's leads, submissions, forms...: a 404 for an agent that is not there (a
    // typo must not read as an agent with nothing), for every caller alike.
    if let ["agents", agent_id, _, ..] = path {
        crate::storage::agents::get(&db, agent_id)
            .await?
            .ok_or_else(|| ApiError::not_found("agent", *agent_id))?;
    }
    route(&caller, req, env, &method, path).await
}

/// The owner API's route table, once the caller may take the route.
async fn route(c: &Caller, req: Request, env: &Env, method: &Method, path: &[&str]) -> ApiResult<Response> {
    match (method.clone(), path) {
        (Method::Post, ["agents"]) => agents::create(req, env).await,
        (Method::Get, ["agents", id]) => agents::get(env, id).await,
        (Method::Patch, ["agents", id]) => agents::update(req, env, id).await,
        (Method::Get, ["agents", id, "tools"]) => tools::list(env, id).await,
        (Method::Post, ["agents", id, "tools"]) => tools::create(req, env, id).await,
        (Method::Get, ["tools", id]) => tools::get(c, env, id).await,
        (Method::Patch, ["tools", id]) => tools::update(c, req, env, id).await,
        (Method::Delete, ["tools", id]) => tools::delete(c, env, id).await,
        (Method::Get, ["tools", id, "secret"]) => tools::secret(c, env, id).await,
        (Method::Post, ["tools", id, "secret", "rotate"]) => tools::rotate(c, req, env, id).await,
        (Method::Post, ["tools", id, "test"]) => tools::test_route(c, req, env, id).await,
        (Method::Get, ["submissions", id]) => submissions::get(c, &req, env, id).await,
        (Method::Get, ["submissions", id, "deliveries"]) => deliveries::list(c, env, id).await,
        (Method::Post, ["submissions", id, "release"]) => submissions::release(c, &req, env, id).await,
        (Method::Get, ["agents", id, "submissions"]) => submissions::list(&req, env, id).await,
        (Method::Post, ["deliveries", id, "replay"]) => deliveries::replay_one(c, env, id).await,
        (Method::Post, ["agents", id, "deliveries", "replay"]) => {
            deliveries::replay_failed(req, env, id).await
        }
        (Method::Get, ["agents", id, "dead-letters"]) => deliveries::dead_letters(&req, env, id).await,
        (Method::Get, ["agents", id, "conversations"]) => conversations::list(&req, env, id).await,
        (Method::Get, ["conversations", id]) => conversations::get(c, &req, env, id).await,
        (Method::Get, ["agents", id, "leads"]) => leads::list(&req, env, id).await,
        (Method::Get, ["agents", id, "leads", "counters"]) => leads::counters(env, id).await,
        (Method::Get, ["agents", id, "leads", "origins"]) => leads::origins(&req, env, id).await,
        (Method::Get, ["agents", id, "leads", "lost-reasons"]) => leads::lost_reasons(env, id).await,
        (Method::Get, ["agents", id, "leads.csv"]) => leads::export(&req, env, id).await,
        (Method::Get, ["leads", id]) => leads::get(c, &req, env, id).await,
        (Method::Patch, ["leads", id]) => leads::update(c, req, env, id).await,
        (Method::Delete, ["leads", id]) => leads::delete(c, env, id).await,
        (Method::Post, ["members"]) => members::create(c, req, env).await,
        (Method::Get, ["members"]) => members::list(env).await,
        (Method::Patch, ["members", id]) => members::update(req, env, id).await,
        (Method::Delete, ["members", id]) => members::delete(env, id).await,
        (Method::Post, ["keys"]) => keys::create(req, env).await,
        (Method::Get, ["keys"]) => keys::list(env).await,
        (Method::Delete, ["keys", id]) => keys::revoke(env, id).await,
        (Method::Post, ["agents", id, "lead-webhooks"]) => lead_webhooks::create(req, env, id).await,
        (Method::Get, ["agents", id, "lead-webhooks"]) => lead_webhooks::list(env, id).await,
        (Method::Delete, ["lead-webhooks", id]) => lead_webhooks::delete(c, env, id).await,
        (Method::Post, ["lead-webhooks", id, "secret", "rotate"]) => {
            lead_webhooks::rotate(c, req, env, id).await
        }
        (Method::Post, ["agents", id, "channels"]) => channels::create(req, env, id).await,
        (Method::Get, ["agents", id, "channels"]) => channels::list(&req, env, id).await,
        (Method::Post, ["channels", id, "test"]) => channels::test(c, env, id).await,
        (Method::Delete, ["channels", id]) => channels::delete(c, env, id).await,
        _ => Err(not_found(method, path)),
    }
}

/// What each route needs beyond a valid key: the one table of scopes.
fn need_of(method: &Method, path: &[&str]) -> Option<Need> {
    use Scope::*;
    let scope = match (method, path) {
        (Method::Post, ["agents"]) | (_, ["keys", ..]) | (_, ["members", ..]) => return Some(Need::Admin),
        (Method::Get | Method::Patch, ["agents", _])
        | (Method::Get | Method::Post, ["agents", _, "tools"])
        | (Method::Get | Method::Patch | Method::Delete, ["tools", _])
        | (Method::Get, ["tools", _, "secret"])
        | (Method::Post, ["tools", _, "secret", "rotate"] | ["tools", _, "test"])
        | (Method::Get | Method::Post, ["agents", _, "lead-webhooks"])
        | (Method::Delete, ["lead-webhooks", _])
        | (Method::Post, ["lead-webhooks", _, "secret", "rotate"])
        | (Method::Get | Method::Post, ["agents", _, "channels"])
        | (Method::Post, ["channels", _, "test"])
        | (Method::Delete, ["channels", _]) => ConfigWrite,
        (Method::Get, ["submissions", ..])
        | (
            Method::Get,
            ["agents", _, "submissions" | "dead-letters" | "leads" | "leads.csv" | "conversations"],
        )
        | (Method::Get, ["conversations", _])
        | (Method::Get, ["agents", _, "leads", "counters" | "origins" | "lost-reasons"])
        | (Method::Get, ["leads", _]) => LeadsRead,
        (Method::Post, ["deliveries", _, "replay"])
        | (Method::Post, ["agents", _, "deliveries", "replay"])
        | (Method::Post, ["submissions", _, "release"])
        | (Method::Patch | Method::Delete, ["leads", _]) => LeadsWrite,
        _ => return None,
    };
    Some(Need::Scope(scope))
}

/// No route for this method and path: a 405 when the path takes other methods, else 404.
fn not_found(method: &Method, path: &[&str]) -> ApiError {
    super::openapi::no_route(method.as_ref(), &format!("/v1/{}", path.join("/")))
}

/// The caller of an owner route, once authenticated.
pub type Caller = Principal;

/// Reads an owner DTO; the error names the field at fault by its path (`fields[0].type`).
/// A body is an object: serde would fill a struct from a list, by position.
fn parse<T: DeserializeOwned>(value: Value) -> ApiResult<T> {
    if !value.is_object() {
        return Err(FieldError::new("body", "must be a JSON object").into());
    }
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let message = e.inner().to_string();
        // "missing field `name`" is reported at the parent: name the missing field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (e.path().to_string().as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (".", None) => "body".to_string(),
            (path, Some(name)) => format!("{path}.{name}"),
            (path, None) => path.to_string(),
        };
        ApiError::InvalidField(FieldError::new(field, message))
    })
}

/// [`parse`] for a DTO that writes itself back as it reads: also refuses a list given
/// where the DTO holds an object at any depth (`"look": [null, null]`), naming it.
fn parse_shaped<T: Serialize + DeserializeOwned>(value: Value) -> ApiResult<T> {
    let read: T = parse(value.clone())?;
    if let Some(field) = leadform_core::wire::list_read_as_object(&value, &serde_json::to_value(&read)?) {
        return Err(FieldError::new(field, "must be an object, not a list").into());
    }
    Ok(read)
}

/// A `PATCH` of the resource `id`: the stored resource with the body's keys laid over it.
/// An `id` in the body may only repeat the path's: an id is never changed, and a caller
/// who sends another must not think it was.
fn merge<T: Serialize + DeserializeOwned>(id: &str, current: &T, patch: Value) -> ApiResult<T> {
    let Value::Object(changes) = patch else {
        return Err(FieldError::new("body", "must be a JSON object").into());
    };
    if changes.get("id").is_some_and(|given| given.as_str() != Some(id)) {
        return Err(FieldError::new("id", "cannot be changed: leave it out, or give the path's id").into());
    }
    let mut merged = serde_json::to_value(current)?;
    if let Value::Object(fields) = &mut merged {
        fields.extend(changes);
    }
    parse_shaped(merged)
}
