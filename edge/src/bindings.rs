//! Names of the bindings and variables declared in wrangler.toml, in one place.

pub const DB: &str = "DB";
pub const DELIVERIES: &str = "DELIVERIES";
/// The slow lane's queue (`leadform_core::lanes`).
pub const DELIVERIES_SLOW: &str = "DELIVERIES_SLOW";
/// Queue names, to tell the consumers apart in the one `queue` handler.
pub const DEAD_LETTER_QUEUE: &str = "leadform-deliveries-dlq";
pub const SLOW_QUEUE: &str = "leadform-deliveries-slow";

/// R2 bucket holding the files visitors attach.
pub const FILES: &str = "FILES";
/// The static assets (the loader, the widget's glue and wasm: `[assets]` in wrangler.toml).
pub const ASSETS: &str = "ASSETS";
// The variables the edge's settings are made of are in `leadform_core::settings::vars`.
/// Post-action services: base URLs (tests point them at 127.0.0.1) and their keys.
pub const EMAIL_API_URL: &str = "EMAIL_API_URL";
pub const TELEGRAM_API_URL: &str = "TELEGRAM_API_URL";
pub const WHATSAPP_API_URL: &str = "WHATSAPP_API_URL";
pub const EMAIL_API_KEY: &str = "EMAIL_API_KEY";
pub const EMAIL_FROM: &str = "EMAIL_FROM";
pub const GOOGLE_SHEETS_API_URL: &str = "GOOGLE_SHEETS_API_URL";
pub const GOOGLE_SHEETS_TOKEN: &str = "GOOGLE_SHEETS_TOKEN";
pub const MAILCHIMP_API_URL: &str = "MAILCHIMP_API_URL";
pub const MAILCHIMP_API_KEY: &str = "MAILCHIMP_API_KEY";
/// Link to a conversation in notifications; `{conversationId}` is filled in.
pub const CONVERSATION_URL: &str = "CONVERSATION_URL_TEMPLATE";
/// Rate limiters (wrangler.toml `[[ratelimits]]`).
pub const WIDGET_LIMIT: &str = "WIDGET_LIMIT";
pub const SUBMIT_LIMIT: &str = "SUBMIT_LIMIT";
pub const AUTH_FAIL_LIMIT: &str = "AUTH_FAIL_LIMIT";
/// Rate limit on visitors' messages to the agent, per client and conversation.
pub const MESSAGE_LIMIT: &str = "MESSAGE_LIMIT";
