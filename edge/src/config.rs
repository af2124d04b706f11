//! Settings from wrangler.toml vars and secrets, parsed once per isolate by
//! `leadform_core::settings::parse` (strict: a bad value is an error naming the variable).
//! The entry points refuse to work on a bad configuration (see `lib.rs`), so the getters
//! below only ever read a configuration that parsed.

use crate::bindings;
use leadform_core::settings::{self, ConfigError, Settings};
use std::cell::OnceCell;
use worker::Env;

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| env.secret(name).ok().map(|s| s.to_string()))
}

thread_local! {
    // An isolate runs one deployment, whose vars do not change under it.
    static PARSED: OnceCell<Result<Settings, ConfigError>> = const { OnceCell::new() };
}

/// The configuration, or what is wrong with it.
pub fn check(env: &Env) -> Result<Settings, ConfigError> {
    PARSED.with(|parsed| {
        parsed
            .get_or_init(|| settings::parse(&|name| var(env, name)))
            .clone()
    })
}

/// The parsed configuration; only reached once [`check`] passed at the entry point (the
/// defaults stand in for the impossible case rather than a panic).
fn current(env: &Env) -> Settings {
    check(env).unwrap_or_else(|_| Settings {
        api_key: String::new(),
        retry_schedule: leadform_core::retry::DEFAULT_SCHEDULE_SECS.to_vec(),
        first_attempt_wait_ms: 0,
        attempt_timeout_ms: 30_000,
        allow_loopback: false,
        public_url: None,
        file_url_ttl_secs: 1,
        sweep_grace_secs: 60,
        rate_limits: true,
        client_report_timeout_secs: 900,
        export_max_leads: leadform_core::settings::DEFAULT_EXPORT_MAX_LEADS,
        first_admin: None,
        llm: None,
    })
}

/// The agent's LLM, when `AGENT_LLM_BASE_URL` is set.
pub fn llm(env: &Env) -> Option<leadform_core::settings::LlmSettings> {
    current(env).llm
}

/// The dashboard's first admin (email, password) from `LEADFORM_ADMIN_EMAIL` and
/// `LEADFORM_ADMIN_PASSWORD`, when both are set.
pub fn first_admin(env: &Env) -> Option<(String, String)> {
    current(env).first_admin
}

pub fn api_key(env: &Env) -> Option<String> {
    Some(current(env).api_key).filter(|k| !k.is_empty())
}

/// A fresh display token for a widget load of `agent_id` (signed with a key derived from
/// the owner key, as client tokens are: no second secret to keep).
pub fn display_token(env: &Env, agent_id: &str, now: i64) -> String {
    let nonce: String = crate::ids::random_bytes::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    leadform_core::spam::display_token(&current(env).api_key, agent_id, now, &nonce)
}

/// What a display token sent with an event or a submission for `agent_id` says.
pub fn check_display_token(
    env: &Env,
    agent_id: &str,
    token: Option<&str>,
    now: i64,
) -> leadform_core::spam::TokenCheck {
    leadform_core::spam::check_display_token(&current(env).api_key, agent_id, token, now)
}

pub fn allow_loopback(env: &Env) -> bool {
    current(env).allow_loopback
}

pub fn retry_schedule(env: &Env) -> Vec<u32> {
    current(env).retry_schedule
}

pub fn first_attempt_wait_ms(env: &Env) -> u64 {
    current(env).first_attempt_wait_ms
}

pub fn attempt_timeout_ms(env: &Env) -> u64 {
    current(env).attempt_timeout_ms
}

/// The edge's address for file links, or why none can be minted from it (a loopback
/// `PUBLIC_URL` outside local development); `Ok(None)` when it is not set.
pub fn public_url(env: &Env) -> Result<Option<String>, String> {
    let settings = current(env);
    match settings::links_refused(&settings) {
        Some(reason) => Err(reason),
        None => Ok(settings.public_url),
    }
}

pub fn file_url_ttl_secs(env: &Env) -> i64 {
    current(env).file_url_ttl_secs
}

/// The key file links are signed with (see `files::link_secret`).
pub fn file_link_secret(env: &Env) -> Vec<u8> {
    leadform_core::files::link_secret(&current(env).api_key)
}

pub fn sweep_grace_ms(env: &Env) -> i64 {
    current(env).sweep_grace_secs * 1000
}

/// Most leads one CSV export holds (`EXPORT_MAX_LEADS`).
pub fn export_max_leads(env: &Env) -> u64 {
    current(env).export_max_leads
}

/// How long a page's handler has to report a client result.
pub fn client_report_timeout_ms(env: &Env) -> i64 {
    current(env).client_report_timeout_secs * 1000
}

/// Whether the rate limits apply ("off" only for load tests on one's own machine).
pub fn rate_limits_on(env: &Env) -> bool {
    current(env).rate_limits
}

/// Where post-actions send, with their keys; an empty URL means "not configured" (such a
/// post-action fails with that reason in its delivery log).
pub fn services(env: &Env) -> leadform_core::post_actions::Services {
    let get = |name| var(env, name).unwrap_or_default();
    leadform_core::post_actions::Services {
        email_api_url: get(bindings::EMAIL_API_URL),
        email_api_key: get(bindings::EMAIL_API_KEY),
        email_from: get(bindings::EMAIL_FROM),
        sheets_api_url: get(bindings::GOOGLE_SHEETS_API_URL),
        sheets_token: get(bindings::GOOGLE_SHEETS_TOKEN),
        mailchimp_api_url: get(bindings::MAILCHIMP_API_URL),
        mailchimp_api_key: get(bindings::MAILCHIMP_API_KEY),
    }
}

/// Telegram's Bot API address (`TELEGRAM_API_URL`; a local server in tests).
pub fn telegram_api_url(env: &Env) -> String {
    var(env, bindings::TELEGRAM_API_URL)
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| leadform_core::channels::telegram::DEFAULT_API_URL.into())
}

/// WhatsApp's Cloud API address (`WHATSAPP_API_URL`; a local server in tests).
pub fn whatsapp_api_url(env: &Env) -> String {
    var(env, bindings::WHATSAPP_API_URL)
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| leadform_core::channels::whatsapp::DEFAULT_API_URL.into())
}

/// The link to a conversation: `CONVERSATION_URL_TEMPLATE` with `{conversationId}` filled in,
/// else its page on this edge's dashboard (under `PUBLIC_URL`).
pub fn conversation_url(env: &Env, conversation_id: Option<&str>) -> Option<String> {
    // A submission's conversation id is the visitor's text: encoded, it stays one segment.
    let id: String = url::form_urlencoded::byte_serialize(conversation_id?.as_bytes()).collect();
    match var(env, bindings::CONVERSATION_URL).filter(|t| !t.is_empty()) {
        Some(template) => Some(template.replace("{conversationId}", &id)),
        // By default, the transcript's page on this edge's dashboard (sign-in required).
        None => public_url(env)
            .ok()
            .flatten()
            .map(|base| format!("{}/dashboard/conversations/{id}", base.trim_end_matches('/'))),
    }
}
