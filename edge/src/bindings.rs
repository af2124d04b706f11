//! Names of the bindings and variables declared in wrangler.toml, in one place.

pub const DB: &str = "DB";
pub const DELIVERIES: &str = "DELIVERIES";
/// Producer of the dead-letter queue: deliveries whose attempts ran out go there.
pub const DEAD_LETTERS: &str = "DEAD_LETTERS";
/// Queue names, to tell the two consumers apart in the one `queue` handler.
pub const DEAD_LETTER_QUEUE: &str = "leadform-deliveries-dlq";

/// Secret: the owner API key (`Authorization: Bearer ...`).
pub const API_KEY: &str = "LEADFORM_API_KEY";
/// "true" lets webhooks target loopback addresses: local development and tests only.
pub const ALLOW_LOOPBACK: &str = "ALLOW_LOOPBACK_WEBHOOKS";
/// Comma-separated delays in seconds between delivery attempts (default 0,60,300).
pub const RETRY_SCHEDULE: &str = "RETRY_SCHEDULE_SECS";
/// How long a submit waits for the webhook's first attempt before answering (ms).
pub const FIRST_ATTEMPT_WAIT: &str = "FIRST_ATTEMPT_WAIT_MS";
/// Time-out of one delivery attempt (ms); the seed says 30 seconds.
pub const ATTEMPT_TIMEOUT: &str = "DELIVERY_TIMEOUT_MS";
/// R2 bucket holding the files visitors attach.
pub const FILES: &str = "FILES";
/// The edge's public address, for file links in webhooks (the API uses the request's own).
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// How long a file link works, in seconds (default 7 days).
pub const FILE_URL_TTL: &str = "FILE_URL_TTL_SECS";
/// Post-action services: base URLs (tests point them at 127.0.0.1) and their keys.
pub const EMAIL_API_URL: &str = "EMAIL_API_URL";
pub const EMAIL_API_KEY: &str = "EMAIL_API_KEY";
pub const EMAIL_FROM: &str = "EMAIL_FROM";
pub const GOOGLE_SHEETS_API_URL: &str = "GOOGLE_SHEETS_API_URL";
pub const GOOGLE_SHEETS_TOKEN: &str = "GOOGLE_SHEETS_TOKEN";
pub const MAILCHIMP_API_URL: &str = "MAILCHIMP_API_URL";
pub const MAILCHIMP_API_KEY: &str = "MAILCHIMP_API_KEY";
/// Link to a conversation in notifications; `{conversationId}` is filled in.
pub const CONVERSATION_URL: &str = "CONVERSATION_URL_TEMPLATE";
/// How late (seconds) a due delivery must be before the cron sweep re-enqueues it.
pub const SWEEP_GRACE: &str = "SWEEP_GRACE_SECS";
/// Rate limiters (wrangler.toml `[[ratelimits]]`).
pub const WIDGET_LIMIT: &str = "WIDGET_LIMIT";
pub const SUBMIT_LIMIT: &str = "SUBMIT_LIMIT";
pub const AUTH_FAIL_LIMIT: &str = "AUTH_FAIL_LIMIT";
/// "off" skips the rate limits: only for load tests on one's own machine (default "on").
pub const RATE_LIMITS: &str = "RATE_LIMITS";
