//! Small request/response helpers shared by the routes.

use crate::error::{ApiError, ApiResult};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use leadform_core::validate::FieldError;
use leadform_core::wire::{json_values_within, MAX_JSON_VALUES};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use worker::{Delay, Headers, Request, Response};

/// Largest submission body: a few files of 5 MB each, base64-encoded, plus the text fields.
pub const SUBMIT_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Largest owner body (an agent, a form with its fields and post-actions, a lead update).
pub const BODY_BYTES: usize = 1024 * 1024;
/// Largest body of the small widget calls (events, client results).
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Reads the body as JSON, at most [`BODY_BYTES`].
pub async fn json_body(req: &mut Request) -> ApiResult<Value> {
    json_body_within(req, BODY_BYTES).await
}

/// Reads the body as JSON, refusing it (413) as soon as it passes `max` bytes: a declared
/// length over the limit is refused before anything is read, and a body without one
/// (chunked) is read piece by piece and dropped at the limit, never held whole.
pub async fn json_body_within(req: &mut Request, max: usize) -> ApiResult<Value> {
    optional_json_body_within(req, max)
        .await?
        .ok_or_else(|| ApiError::InvalidJson("the body is empty".into()))
}

/// Reads the body as JSON, at most [`BODY_BYTES`]; `None` when there is none (a call whose
/// body only carries options).
pub async fn optional_json_body(req: &mut Request) -> ApiResult<Option<Value>> {
    optional_json_body_within(req, BODY_BYTES).await
}

/// The reading both share: the body's bytes within `max`, then JSON.
async fn optional_json_body_within(req: &mut Request, max: usize) -> ApiResult<Option<Value>> {
    parse_json(&read_body_within(req, max).await?)
}

/// Reads the body as JSON as [`json_body_within`] does, piece by piece, each piece first
/// given to `take` (a share of what the isolate holds at once), whose refusal ends the read
/// with its error (the rest read and dropped).
pub async fn json_body_counted(
    req: &mut Request,
    max: usize,
    take: impl FnMut(usize) -> ApiResult<()>,
) -> ApiResult<Value> {
    parse_json(&read_counted(req, max, take).await?)?
        .ok_or_else(|| ApiError::InvalidJson("the body is empty".into()))
}

/// A body's bytes as JSON; `None` for none.
fn parse_json(bytes: &[u8]) -> ApiResult<Option<Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // Parsing builds every value: a body of millions of tiny ones is refused before it.
    if !json_values_within(bytes, MAX_JSON_VALUES) {
        return Err(ApiError::PayloadTooLarge(FieldError::new(
            "body",
            format!("holds more than {MAX_JSON_VALUES} JSON values"),
        )));
    }
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    leadform_core::wire::whole_numbers_as_integers(&mut value);
    Ok(Some(value))
}

/// The raw body (a signature is checked over its exact bytes): the declared length is
/// checked first, and a body without one (chunked) is read piece by piece and refused (413)
/// as soon as it passes `max`, never held whole.
pub async fn read_body_within(req: &mut Request, max: usize) -> ApiResult<Vec<u8>> {
    let declared = declared_length(req);
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    if declared.is_some() {
        // A body with a declared length within `max` is no longer than that (the runtime
        // frames it by its length): read whole, in one call. A stream reader costs CPU on
        // every request (its chunks, its lock), a measured share of a submit's.
        let bytes = req
            .bytes()
            .await
            .map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        if bytes.len() > max {
            return Err(too_large(max));
        }
        return Ok(bytes);
    }
    read_counted(req, max, |_| Ok(())).await
}

/// The body read piece by piece, however its length is declared (a declared one over `max`
/// refused first), refused (413) as soon as it passes `max`; each piece is first given to
/// `take`, whose error ends the read (the rest read and dropped). Nothing is set aside
/// ahead of the bytes: a client that declares 30 MB and sends little holds little.
pub async fn read_counted(
    req: &mut Request,
    max: usize,
    mut take: impl FnMut(usize) -> ApiResult<()>,
) -> ApiResult<Vec<u8>> {
    if declared_length(req).is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let mut bytes = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(bytes);
    };
    loop {
        // A client that stops sending gives its share back (see `BODY_IDLE`).
        let next = match select(Box::pin(stream.next()), Box::pin(Delay::from(BODY_IDLE))).await {
            Either::Left((next, _)) => next,
            Either::Right(_) => return Err(ApiError::BodyStalled),
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk = chunk.map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        if bytes.len() + chunk.len() > max {
            linger(&mut stream).await;
            return Err(too_large(max));
        }
        if let Err(refused) = take(chunk.len()) {
            linger(&mut stream).await;
            return Err(refused);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// How long a body read piece by piece may stop arriving before the read gives up (408):
/// a large submission's bytes are held as a share of what the isolate holds at once, and a
/// client that sends most of one and then waits must not keep that share for ever. A
/// person's upload on a slow link still sends something every few seconds.
pub const BODY_IDLE: Duration = Duration::from_secs(30);

/// The body's length as its `Content-Length` declares it; `None` for a chunked body.
pub fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok())
}

/// Most of a refused body read and thrown away before answering: a client still sending when
/// the answer comes would often see its connection reset instead of the 413 (HTTP servers'
/// "lingering close"). Bounded, so a client that never stops costs little.
const LINGER_BYTES: usize = 1024 * 1024;

/// A body refused before it was read: most of it read and dropped (see [`linger`]).
pub async fn drop_body(req: &mut Request) {
    if let Ok(mut stream) = req.stream() {
        linger(&mut stream).await;
    }
}

async fn linger(stream: &mut worker::ByteStream) {
    let mut drained = 0;
    while drained < LINGER_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => drained += chunk.len(),
            _ => break,
        }
    }
}

fn too_large(max: usize) -> ApiError {
    let reason = if max >= 1024 * 1024 {
        format!("request body is over {} MB", max / 1024 / 1024)
    } else {
        format!("request body is over {} KB", max / 1024)
    };
    ApiError::PayloadTooLarge(FieldError::new("body", reason))
}

pub fn json<T: Serialize>(value: &T, status: u16) -> ApiResult<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The visitor's language for the widget's texts: the agent's setting, else the first of
/// the browser's `Accept-Language` (what `navigator.language` says), else English.
pub fn visitor_locale(req: &Request, agent_locale: Option<&str>) -> usize {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    let browser = accept.as_deref().and_then(|a| a.split([',', ';']).next());
    leadform_core::locale::pick(agent_locale, browser.map(str::trim))
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let url = req.url().ok()?;
    let value = url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    value.filter(|v| !v.is_empty())
}

/// Every query parameter, in order, decoded.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|url| {
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `scheme://host[:port]` of the request, where the owner reached the edge.
pub fn request_origin(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}

/// The edge's own address for links people and platforms follow later (an invitation,
/// the embed snippet, a channel's webhook): `PUBLIC_URL` when it is set (and, deployed, not
/// loopback), else the address this request came to (which, off Cloudflare's routes, is
/// whatever `Host` the caller sent).
pub fn edge_address(env: &worker::Env, req: &Request) -> String {
    match crate::config::public_url(env) {
        Ok(Some(url)) => url.trim_end_matches('/').to_string(),
        _ => request_origin(req).unwrap_or_default(),
    }
}

/// CORS headers for a widget endpoint: the request's origin is echoed only when the agent
/// allows it, so a page elsewhere cannot read the answer. `requested`: a preflight's
/// `Access-Control-Request-Headers`.
pub fn cors_headers(headers: &Headers, origin: &str, requested: Option<&str>) -> worker::Result<()> {
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")?;
    shared_cors(headers, requested)
}

/// What every cross-origin answer of the edge says besides its origin and methods.
///
/// A page's `fetch` wrapper may send the widget's calls with credentials (`credentials:
/// 'include'`, meant for the page's own API), and may add headers of its own (tracing:
/// `traceparent`, …). With credentials, a browser takes neither a `*` origin nor a `*` list of
/// headers, so the headers asked for are named back and credentials are allowed: no widget
/// route reads a cookie (analytics, which takes a dashboard session, is the owner's and
/// answers no page: `routes/mod.rs`), so a cookie sent along changes nothing.
pub fn shared_cors(headers: &Headers, requested: Option<&str>) -> worker::Result<()> {
    headers.set("Access-Control-Allow-Credentials", "true")?;
    headers.set(
        "Access-Control-Allow-Headers",
        &leadform_core::wire::cors_allowed_headers(requested),
    )?;
    headers.set("Access-Control-Max-Age", "600")?;
    headers.append("Vary", "Origin")?;
    headers.append("Vary", "Access-Control-Request-Headers")
}

pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|a| a == "*" || a == origin)
}
