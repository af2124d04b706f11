//! What one client may cost per minute, with the Workers rate-limiting binding (its limits
//! are in wrangler.toml). A limit is checked before any work is done for the request, keyed
//! by the client's address and what it names (an agent, a form), so a flood from one place
//! is cut off without slowing anyone else.

use crate::bindings;
use crate::config;
use crate::error::{ApiError, ApiResult};
use worker::{Env, Request};

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Every public widget call.
    Widget,
    /// A form submission: each one fans out to the owner's systems.
    Submit,
    /// A failed owner-key check.
    AuthFailure,
    /// A visitor's message to the agent: each may cost an LLM call.
    Message,
}

impl Limit {
    fn binding(self) -> &'static str {
        match self {
            Limit::Widget => bindings::WIDGET_LIMIT,
            Limit::Submit => bindings::SUBMIT_LIMIT,
            Limit::AuthFailure => bindings::AUTH_FAIL_LIMIT,
            Limit::Message => bindings::MESSAGE_LIMIT,
        }
    }

    /// The binding's period (wrangler.toml): how long a refused client should wait.
    fn period_secs(self) -> u32 {
        60
    }
}

/// The client as the limits count it: Cloudflare sets `CF-Connecting-IP` on every request
/// (a client cannot forge it there), and an IPv6 client is its /64
/// (`leadform_core::client_address`); locally, requests without it share one bucket.
pub fn client(req: &Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .map(|ip| leadform_core::client_address::rate_key(&ip))
        .unwrap_or_else(|| "local".into())
}

/// Counts one request of `client` for `scope` against `limit`: a 429 with `Retry-After`
/// once over it.
pub async fn check(env: &Env, limit: Limit, client: &str, scope: &str) -> ApiResult<()> {
    if !config::rate_limits_on(env) {
        return Ok(());
    }
    let limiter = env.rate_limiter(limit.binding())?;
    let key: String = format!("{client}|{scope}").chars().take(256).collect();
    if limiter.limit(key).await?.success {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            retry_after_secs: limit.period_secs(),
        })
    }
}
