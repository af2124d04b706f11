//! Errors a caller sees, kept apart from internal ones: a caller gets a JSON body with a
//! stable code, a readable message and the field at fault; internal details go to the log.

use leadform_core::validate::FieldError;
use leadform_core::wire::{ErrorBody, ErrorOut};
use worker::Response;

#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON at all.
    InvalidJson(String),
    /// A field of the body (or of formData) is missing or wrong.
    InvalidField(FieldError),
    /// A file is over the 5 MB limit: 400 as seed 002 documents.
    FileTooLarge(FieldError),
    /// The whole body is over the size the edge reads.
    PayloadTooLarge(FieldError),
    /// The body stopped arriving (`http::BODY_IDLE`): what came of it is dropped.
    BodyStalled,
    NotFound {
        what: &'static str,
        id: String,
    },
    Unauthorized,
    /// A proof other than the owner key is missing or wrong (a client token).
    BadToken {
        code: &'static str,
        message: String,
    },
    /// A submit repeating an idempotency key with other answers than the key's first.
    IdempotencyKeyReused,
    /// The request is valid but clashes with what is stored (e.g. a second client result).
    Conflict {
        code: &'static str,
        message: String,
    },
    /// A change sent with `If-Match` to something that changed since it was read (another
    /// owner got there first): nothing was written; its version now.
    Stale {
        what: &'static str,
        version: i64,
    },
    /// A browser page on an origin the agent does not list in `allowedOrigins`.
    OriginNotAllowed(String),
    /// A submission to a form its owner paused, from a sender it was not shown to: the id.
    FormPaused(String),
    /// Authenticated some other way (a signed link) and the proof does not hold.
    Forbidden {
        code: &'static str,
        message: String,
    },
    /// The path exists, not with this method: the methods it takes (the `Allow` header).
    MethodNotAllowed {
        method: String,
        allow: String,
    },
    /// Over a rate limit (see `limits`): try again after this long.
    RateLimited {
        retry_after_secs: u32,
    },
    /// Not now, with nothing done: a write kept meeting others to the same rows (one
    /// person's submissions at once), large bodies already held, a message being handled by
    /// an earlier delivery. The same request a moment later will go through; why, in words.
    Busy(&'static str),
    /// The edge's configuration is wrong: what is wrong, for an operator; `None` for a visitor.
    Misconfigured(Option<String>),
    /// A platform the edge called on the owner's behalf (Telegram, WhatsApp) refused or
    /// did not answer: what it said.
    Upstream(String),
    /// Something on our side; the message is logged, the caller sees a generic one.
    Internal(String),
}

impl ApiError {
    /// An unknown id, echoed in the message at most [`ECHOED_CHARS`] long (a caller's
    /// 60 KB id is not sent back whole).
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        let id: String = id.into();
        let id = match id.char_indices().nth(ECHOED_CHARS) {
            Some((cut, _)) => format!("{}…", &id[..cut]),
            None => id,
        };
        ApiError::NotFound { what, id }
    }

    fn status(&self) -> u16 {
        match self {
            ApiError::InvalidJson(_) | ApiError::InvalidField(_) | ApiError::FileTooLarge(_) => 400,
            ApiError::PayloadTooLarge(_) => 413,
            ApiError::BodyStalled => 408,
            ApiError::NotFound { .. } => 404,
            ApiError::Unauthorized | ApiError::BadToken { .. } => 401,
            ApiError::OriginNotAllowed(_) | ApiError::Forbidden { .. } => 403,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } | ApiError::IdempotencyKeyReused | ApiError::FormPaused(_) => 409,
            ApiError::Stale { .. } => 412,
            ApiError::RateLimited { .. } => 429,
            ApiError::Misconfigured(_) | ApiError::Busy(_) => 503,
            ApiError::Upstream(_) => 502,
            ApiError::Internal(_) => 500,
        }
    }

    /// What the caller reads, as the JSON body's `message` says it.
    pub fn message(&self) -> String {
        self.body().message
    }

    /// The field at fault, when there is one.
    pub fn field(&self) -> Option<String> {
        self.body().field
    }

    fn body(&self) -> ErrorBody {
        let (code, message, field) = match self {
            ApiError::InvalidJson(detail) => (
                "invalid_json",
                format!("request body is not valid JSON: {detail}"),
                None,
            ),
            ApiError::InvalidField(e) => ("invalid_field", e.to_string(), Some(e.field.clone())),
            ApiError::FileTooLarge(e) => ("file_too_large", e.to_string(), Some(e.field.clone())),
            ApiError::PayloadTooLarge(e) => ("payload_too_large", e.to_string(), Some(e.field.clone())),
            ApiError::BodyStalled => (
                "body_stalled",
                format!(
                    "body: nothing more of it arrived for {} s; send it again",
                    crate::http::BODY_IDLE.as_secs()
                ),
                Some("body".into()),
            ),
            ApiError::NotFound { what, id } => (not_found_code(what), format!("{what} {id} not found"), None),
            ApiError::Unauthorized => (
                "unauthorized",
                "missing or wrong API key (Authorization: Bearer <key>)".into(),
                None,
            ),
            ApiError::Conflict { code, message }
            | ApiError::Forbidden { code, message }
            | ApiError::BadToken { code, message } => (*code, message.clone(), None),
            ApiError::Stale { what, version } => (
                "stale",
                format!(
                    "the {what} changed since it was read (it is at version {version} now): \
                     nothing was changed; read it again and decide"
                ),
                Some("If-Match".into()),
            ),
            ApiError::OriginNotAllowed(origin) => (
                "origin_not_allowed",
                format!("pages on {origin} may not use this agent (see allowedOrigins)"),
                None,
            ),
            ApiError::FormPaused(id) => (
                "form_paused",
                format!("toolId: form {id} is paused by its owner and takes no new submissions"),
                Some("toolId".into()),
            ),
            ApiError::IdempotencyKeyReused => (
                "idempotency_key_reused",
                "idempotencyKey: was first used with other answers; a new submission needs a new key".into(),
                Some("idempotencyKey".into()),
            ),
            ApiError::MethodNotAllowed { method, allow } => (
                "method_not_allowed",
                format!("{method} is not allowed here; this path takes {allow}"),
                None,
            ),
            ApiError::RateLimited { retry_after_secs } => (
                "rate_limited",
                format!("too many requests from this address; try again in {retry_after_secs} seconds"),
                None,
            ),
            ApiError::Busy(why) => ("busy", format!("{why}; try again in a second"), None),
            ApiError::Misconfigured(detail) => (
                "misconfigured",
                match detail {
                    Some(detail) => format!("this edge is misconfigured: {detail}"),
                    None => "this service is not available right now".into(),
                },
                None,
            ),
            ApiError::Upstream(detail) => ("upstream_failed", detail.clone(), None),
            ApiError::Internal(_) => (
                "internal",
                "something went wrong on our side; please try again".into(),
                None,
            ),
        };
        ErrorBody {
            code: code.into(),
            message,
            field,
        }
    }

    pub fn into_response(self) -> worker::Result<Response> {
        if let ApiError::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let out = ErrorOut {
            success: false,
            error: self.body(),
        };
        let response = Response::from_json(&out)?.with_status(self.status());
        match &self {
            ApiError::RateLimited { retry_after_secs } => {
                response
                    .headers()
                    .set("Retry-After", &retry_after_secs.to_string())?;
            }
            ApiError::Busy(_) => response.headers().set("Retry-After", "1")?,
            _ => {}
        }
        if let ApiError::MethodNotAllowed { allow, .. } = &self {
            response.headers().set("Allow", allow)?;
        }
        Ok(response)
    }
}

fn not_found_code(what: &str) -> &'static str {
    match what {
        "tool" => "tool_not_found",
        "agent" => "agent_not_found",
        "submission" => "submission_not_found",
        "file" => "file_not_found",
        "delivery" => "delivery_not_found",
        "lead" => "lead_not_found",
        "key" => "key_not_found",
        "lead webhook" => "lead_webhook_not_found",
        "conversation" => "conversation_not_found",
        "member" => "member_not_found",
        "channel" => "channel_not_found",
        _ => "not_found",
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::InvalidField(e)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Longest id an error message repeats.
const ECHOED_CHARS: usize = 128;
