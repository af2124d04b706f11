//! The HTTP API. The route table below is the whole API at a glance; each resource has its
//! own module. Widget endpoints are public and CORS-checked; `/v1/...` is the owner API,
//! behind the owner key.

pub mod analytics;
mod client_result;
mod conversations;
mod events;
mod files;
pub mod openapi;
pub mod owner;
pub mod submit;
mod widget_config;
pub mod widget_wasm;

use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::http::cors_headers;
use crate::limits::{self, Limit};
use crate::storage::agents;
use crate::storage::tools::{self, Tool};
use worker::{D1Database, Env, Method, Request, Response, Result};

pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let origin = req.headers().get("Origin")?;
    let requested_headers = req.headers().get("Access-Control-Request-Headers")?;
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // HEAD is GET without its body (RFC 9110): routed as GET, and the runtime sends the
    // answer's status and headers only. Link checkers and uptime monitors use it.
    let method = match req.method() {
        Method::Head => Method::Get,
        method => method,
    };
    // Analytics sits beside the widget's calls (seed 002's path) but is the owner's: it takes
    // the owner key or a dashboard session, so no page may read it with a visitor's browser.
    let widget_route = matches!(
        segments.as_slice(),
        ["widget", ..] | ["form-submissions", ..] | ["conversations", ..]
    ) && segments != ["form-submissions", "analytics"];
    let preflight = method == Method::Options;
    // The runtime reads a method it does not know as GET: the method as sent decides.
    let sent = req.inner().method().to_ascii_uppercase();
    let known = openapi::ROUTED_METHODS.contains(&sent.as_str());

    // File links are public too (whoever holds one): counted like the widget's calls.
    let public = widget_route || matches!(segments.as_slice(), ["files", ..]);
    let result = match limit_public(&req, &env, public, preflight).await {
        Ok(()) if !known => Err(openapi::no_route(&sent, &path)),
        Ok(()) => route(req, &env, origin.as_deref(), &method, &path, &segments).await,
        Err(refused) => Err(refused),
    };
    // Every widget handler checks the origin against its own agent (`check_origin`), so a
    // success already vouches for it; preflights and errors ask whether any agent allows it,
    // except a 429 (a preflight's too): it tells no page anything, and a refused caller must
    // cost no read.
    let vouched = match &result {
        Ok(_) => !preflight,
        Err(ApiError::RateLimited { .. }) => true,
        Err(_) => false,
    };
    let mut response = result.or_else(ApiError::into_response)?;
    if let (true, Some(origin)) = (widget_route, origin.as_deref()) {
        if vouched || agents::any_allows_origin(&env.d1(bindings::DB)?, origin).await? {
            cors_headers(response.headers_mut(), origin, requested_headers.as_deref())?;
        }
    }
    Ok(response)
}

/// The answer to every request while the configuration is wrong: a 503 that names the
/// variable to the operator (never its value), and says nothing of it to a visitor.
pub fn misconfigured(req: &Request, wrong: &leadform_core::settings::ConfigError) -> Result<Response> {
    let path = req.path();
    let public = path.starts_with("/widget")
        || path.starts_with("/form-submissions")
        || path.starts_with("/conversations")
        || path.starts_with("/files")
        || path.starts_with("/channels");
    let detail = if public { None } else { Some(wrong.to_string()) };
    ApiError::Misconfigured(detail).into_response()
}

/// The route table: the whole API at a glance.
async fn route(
    req: Request,
    env: &Env,
    origin: Option<&str>,
    method: &Method,
    path: &str,
    segments: &[&str],
) -> ApiResult<Response> {
    match (method.clone(), segments) {
        (Method::Options, ["widget", ..] | ["form-submissions", ..] | ["conversations", ..]) => {
            Ok(Response::empty()?.with_status(204))
        }
        (Method::Get, ["widget", "config"]) => widget_config::get(&req, env, origin).await,
        (Method::Post, ["form-submissions", "submit"]) => submit::submit(req, env, origin).await,
        (Method::Post, ["form-submissions", "client-result"]) => {
            client_result::record(req, env, origin).await
        }
        (Method::Post, ["form-submissions", "events"]) => events::record(req, env, origin).await,
        (Method::Post, ["conversations"]) => conversations::start(req, env, origin).await,
        (Method::Get, ["conversations", id]) => conversations::get(&req, env, origin, id).await,
        (Method::Post, ["conversations", id, "messages"]) => {
            conversations::message(req, env, origin, id).await
        }
        (Method::Get, ["form-submissions", "analytics"]) => analytics::get(&req, env).await,
        (Method::Get, ["files", submission_id, field]) => files::get(&req, env, submission_id, field).await,
        // Messaging platforms post here; each call proves itself (secret token, signature).
        (_, ["channels", ..]) => {
            let client = limits::client(&req);
            let answer = match (method.clone(), segments) {
                (Method::Post, ["channels", "telegram", id]) => {
                    crate::channels::telegram::webhook(req, env, id).await
                }
                (Method::Get, ["channels", "whatsapp", id]) => {
                    crate::channels::whatsapp::verify(&req, env, id).await
                }
                (Method::Post, ["channels", "whatsapp", id]) => {
                    crate::channels::whatsapp::webhook(req, env, id).await
                }
                _ => Err(openapi::no_route(method.as_ref(), path)),
            };
            count_channel_failure(env, &client, answer).await
        }
        (_, ["v1", rest @ ..]) => owner::handle(req, env, method.clone(), rest).await,
        (_, ["dashboard", rest @ ..]) => crate::dashboard::handle(req, env, method.clone(), rest).await,
        (Method::Get, ["openapi.json"]) => openapi::get(req, env).await,
        (Method::Get, [""]) => Ok(Response::ok("leadform edge: see README for the API")?),
        _ => Err(openapi::no_route(method.as_ref(), path)),
    }
}

/// Every public widget call counts against the widget limit before anything is read, per
/// client address: not per the agent or form a call names, since the caller picks those,
/// and a made-up one would buy a fresh allowance (the read that finds it unknown included).
/// File links count on their own, and so do preflights: each one reads whether any agent
/// allows its origin, and a browser sends one per endpoint every ten minutes at most
/// (`Access-Control-Max-Age`), so a visitor's own never eat into their calls.
async fn limit_public(req: &Request, env: &Env, public: bool, preflight: bool) -> ApiResult<()> {
    if !public {
        return Ok(());
    }
    let scope = match (preflight, req.path().starts_with("/files/")) {
        (true, _) => "preflight",
        (false, true) => "files",
        (false, false) => "public",
    };
    limits::check(env, Limit::Widget, &limits::client(req), scope).await
}

/// A channel's webhook is called by its platform, whose calls name a connected channel and
/// carry its secret: a caller that names none, or fails the secret, is guessing. Such
/// failures count like failed owner keys (per client address, a few a minute, then 429),
/// so guessing costs the caller and not the edge; the platform's own calls never count.
async fn count_channel_failure(env: &Env, client: &str, answer: ApiResult<Response>) -> ApiResult<Response> {
    if let Err(ApiError::NotFound { .. } | ApiError::BadToken { .. } | ApiError::Forbidden { .. }) = &answer {
        limits::check(env, Limit::AuthFailure, client, "channel").await?;
    }
    answer
}

/// The tool a widget call names, once its agent allows the calling page. Calls without an
/// `Origin` (curl, servers) are not from a browser page and pass; a page on an origin the
/// agent does not list in `allowedOrigins` is refused.
pub async fn widget_tool(db: &D1Database, tool_id: &str, origin: Option<&str>) -> ApiResult<Tool> {
    // One read: the tool joined with its agent.
    let found = tools::get_for_widget(db, tool_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", tool_id))?;
    check_origin(&found.allowed_origins, origin)?;
    Ok(found.tool)
}

pub fn check_origin(allowed: &[String], origin: Option<&str>) -> ApiResult<()> {
    match origin {
        Some(origin) if !crate::http::origin_allowed(allowed, origin) => {
            Err(ApiError::OriginNotAllowed(origin.into()))
        }
        _ => Ok(()),
    }
}
