//! Calls to a platform's API (Telegram's, WhatsApp's) with a time-out, never following
//! redirects, reading at most so many bytes: the answers and files of a platform are still
//! input the edge did not write.

use futures_util::future::{select, Either};
use leadform_core::validate::FieldError;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

/// What the platform answered.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Time given to a platform call made while a person waits for an answer.
pub const TIMEOUT_MS: u64 = 10_000;

pub async fn call(
    method: Method,
    url: &str,
    headers: Headers,
    body: Option<String>,
    max_bytes: usize,
) -> Result<Answer, String> {
    let mut init = RequestInit::new();
    init.with_redirect(RequestRedirect::Manual)
        .with_method(method)
        .with_headers(headers)
        .with_body(body.map(Into::into));
    let request = Request::new_with_init(url, &init).map_err(|e| format!("bad request: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetching = Box::pin(async move {
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(|e| format!("connection failed: {e}"))?;
        let declared = response
            .headers()
            .get("Content-Length")
            .ok()
            .flatten()
            .and_then(|l| l.parse::<usize>().ok());
        if declared.is_some_and(|l| l > max_bytes) {
            return Err(format!("the answer is over {} MB", max_bytes / (1024 * 1024)));
        }
        let content_type = response.headers().get("Content-Type").ok().flatten();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the answer failed: {e}"))?;
        if body.len() > max_bytes {
            return Err(format!("the answer is over {} MB", max_bytes / (1024 * 1024)));
        }
        Ok(Answer {
            status: response.status_code(),
            body,
            content_type,
        })
    });
    let timer = Box::pin(Delay::from(Duration::from_millis(TIMEOUT_MS)));
    match select(fetching, timer).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => {
            controller.abort();
            Err(format!("no answer within {} s", TIMEOUT_MS / 1000))
        }
    }
}

/// A platform's answer to the check of credentials the owner is connecting, or why it
/// could not be made. Out of reach, or answering 5xx or 429, the platform says nothing of
/// them: the owner reads that they could not be checked, not that they are wrong (a 400 at
/// `field` still, since a 5xx would say this edge failed).
pub fn credentials_checked(
    platform: &str,
    field: &str,
    sent: Result<Answer, String>,
) -> Result<Answer, FieldError> {
    let unchecked = |why: String| FieldError::new(field, format!("could not be checked, try again: {why}"));
    let answer = sent.map_err(|why| unchecked(format!("{platform} could not be reached ({why})")))?;
    if answer.status >= 500 || answer.status == 429 {
        return Err(unchecked(format!("{platform} answered HTTP {}", answer.status)));
    }
    Ok(answer)
}

/// JSON request headers, with a bearer token when given.
pub fn json_headers(bearer: Option<&str>) -> Result<Headers, String> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("Content-Type", "application/json")?;
    if let Some(token) = bearer {
        set("Authorization", &format!("Bearer {token}"))?;
    }
    Ok(headers)
}
