//! Settings read from wrangler.toml vars and secrets, with the defaults the seeds give.

use crate::bindings;
use leadform_core::retry::DEFAULT_SCHEDULE_SECS;
use worker::Env;

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

pub fn api_key(env: &Env) -> Option<String> {
    var(env, bindings::API_KEY).filter(|k| !k.is_empty())
}

pub fn allow_loopback(env: &Env) -> bool {
    var(env, bindings::ALLOW_LOOPBACK).is_some_and(|v| v == "true")
}

pub fn retry_schedule(env: &Env) -> Vec<u32> {
    var(env, bindings::RETRY_SCHEDULE)
        .and_then(|text| {
            text.split(',')
                .map(|d| d.trim().parse().ok())
                .collect::<Option<Vec<u32>>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SCHEDULE_SECS.to_vec())
}

pub fn first_attempt_wait_ms(env: &Env) -> u64 {
    var(env, bindings::FIRST_ATTEMPT_WAIT)
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

pub fn attempt_timeout_ms(env: &Env) -> u64 {
    var(env, bindings::ATTEMPT_TIMEOUT)
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000)
}

/// The edge's address as webhooks should link to it; `None` when not configured.
pub fn public_url(env: &Env) -> Option<String> {
    var(env, bindings::PUBLIC_URL).filter(|u| !u.is_empty())
}

pub fn file_url_ttl_secs(env: &Env) -> i64 {
    var(env, bindings::FILE_URL_TTL)
        .and_then(|v| v.parse().ok())
        .unwrap_or(7 * 24 * 3600)
}

/// The key file links are signed with (see `files::link_secret`).
pub fn file_link_secret(env: &Env) -> Vec<u8> {
    leadform_core::files::link_secret(&api_key(env).unwrap_or_default())
}

/// Where post-actions send, with their keys; an empty URL means "not configured".
pub fn services(env: &Env) -> leadform_core::post_actions::Services {
    let get = |name| var(env, name).unwrap_or_default();
    leadform_core::post_actions::Services {
        email_api_url: get(bindings::EMAIL_API_URL),
        email_api_key: get(bindings::EMAIL_API_KEY),
        email_from: var(env, bindings::EMAIL_FROM)
            .unwrap_or_else(|| "leadform <leads@leadform.invalid>".into()),
        sheets_api_url: get(bindings::GOOGLE_SHEETS_API_URL),
        sheets_token: get(bindings::GOOGLE_SHEETS_TOKEN),
        mailchimp_api_url: get(bindings::MAILCHIMP_API_URL),
        mailchimp_api_key: get(bindings::MAILCHIMP_API_KEY),
    }
}

/// The link to a conversation, if a template is configured and the lead has one.
pub fn conversation_url(env: &Env, conversation_id: Option<&str>) -> Option<String> {
    let template = var(env, bindings::CONVERSATION_URL).filter(|t| !t.is_empty())?;
    Some(template.replace("{conversationId}", conversation_id?))
}

pub fn sweep_grace_ms(env: &Env) -> i64 {
    var(env, bindings::SWEEP_GRACE)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(60)
        * 1000
}

/// Whether the rate limits apply ("off" only for load tests on one's own machine).
pub fn rate_limits_on(env: &Env) -> bool {
    var(env, bindings::RATE_LIMITS).is_none_or(|v| v != "off")
}
