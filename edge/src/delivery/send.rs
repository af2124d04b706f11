//! Sending one request of a delivery: POST with a time-out, no redirects followed, and
//! what came back (status, `Retry-After`, a snippet) as an attempt result.

use super::attempt::AttemptResult;
use crate::clock::now_ms;
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use leadform_core::retry::AttemptResult as Answer;
use std::time::Duration;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Result};

/// Longest part of a receiver's answer kept in the delivery log.
const SNIPPET_CHARS: usize = 512;

pub struct OutgoingRequest {
    /// POST, but for an upsert (Mailchimp's member PUT) and a read (a Sheets row check).
    pub method: Method,
    pub url: String,
    pub headers: Headers,
    pub body: String,
}

/// POSTs and reports what happened; never fails: a network error is an attempt result.
pub async fn send(request: OutgoingRequest, timeout_ms: u64) -> AttemptResult {
    let started_at = now_ms();
    let outcome = post(&request, timeout_ms, SNIPPET_CHARS).await;
    let latency_ms = now_ms() - started_at;
    let keyed = matches!(request.headers.has("Idempotency-Key"), Ok(true));
    match outcome {
        Ok(answer) => AttemptResult {
            answer: match answer.code {
                409 if keyed => Answer::KeyInUse,
                code => Answer::Answered(code),
            },
            started_at,
            latency_ms,
            error: (!(200..300).contains(&answer.code))
                .then(|| format!("receiver answered HTTP {}", answer.code)),
            snippet: Some(answer.snippet),
            retry_after_secs: answer.retry_after_secs,
        },
        Err(error) => AttemptResult {
            answer: Answer::NoAnswer,
            started_at,
            latency_ms,
            error: Some(error),
            snippet: None,
            retry_after_secs: None,
        },
    }
}

/// What a server answered: its status, `Retry-After`, and the first `keep_chars` of its body.
pub struct ReceiverAnswer {
    pub code: u16,
    pub retry_after_secs: Option<u32>,
    pub snippet: String,
}

/// A request whose answer's headers came within its time-out.
struct Opened {
    response: worker::Response,
    controller: AbortController,
    /// What is left of the time-out for reading the body, in ms.
    left_ms: u64,
}

/// Sends `request`, waiting at most `timeout_ms` for the answer's status (the request is
/// aborted when it passes), never following redirects.
async fn open(request: &OutgoingRequest, timeout_ms: u64) -> std::result::Result<Opened, String> {
    let mut init = RequestInit::new();
    // Redirects are not followed: a 3xx is the receiver's answer (and following one could
    // take a signed lead past the SSRF guard).
    init.with_redirect(RequestRedirect::Manual)
        .with_method(request.method.clone())
        .with_headers(request.headers.clone());
    // (A GET with a body, even an empty one, is refused by fetch.)
    if request.method != Method::Get {
        init.with_body(Some(request.body.clone().into()));
    }
    let req = Request::new_with_init(&request.url, &init).map_err(|e| format!("bad request: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let started = now_ms();
    let fetch = Fetch::Request(req);
    let answered = match select(
        Box::pin(fetch.send_with_signal(&signal)),
        Box::pin(Delay::from(Duration::from_millis(timeout_ms))),
    )
    .await
    {
        Either::Left((answered, _)) => Some(answered),
        Either::Right(_) => None,
    };
    match answered {
        Some(Ok(response)) => Ok(Opened {
            response,
            controller,
            left_ms: (timeout_ms as i64 - (now_ms() - started)).max(0) as u64,
        }),
        Some(Err(e)) => Err(format!("connection failed: {e}")),
        None => {
            controller.abort();
            Err(format!("no answer within {}", seconds(timeout_ms)))
        }
    }
}

/// A time-out as the log says it, in tenths of a second: "30 s", "1.5 s" (not "1 s").
fn seconds(ms: u64) -> String {
    let tenths = (ms + 50) / 100;
    match tenths % 10 {
        0 => format!("{} s", tenths / 10),
        part => format!("{}.{part} s", tenths / 10),
    }
}

/// POSTs with a time-out for the answer's status, never following redirects.
pub async fn post(
    request: &OutgoingRequest,
    timeout_ms: u64,
    keep_chars: usize,
) -> std::result::Result<ReceiverAnswer, String> {
    let Opened {
        mut response,
        controller,
        left_ms,
    } = open(request, timeout_ms).await?;
    // The status is the answer: a 2xx whose body trickles, or never ends, was still taken,
    // and retrying it would deliver it again. The body is read for what is left of the
    // time-out; what came by then is the answer's text (the log's snippet).
    let code = response.status_code();
    let retry_after_secs = retry_after_of(&response);
    let mut prefix = Vec::new();
    let cut_short = matches!(
        select(
            Box::pin(read_prefix(&mut response, keep_chars * 4, &mut prefix)),
            Box::pin(Delay::from(Duration::from_millis(left_ms))),
        )
        .await,
        Either::Right(_)
    );
    if cut_short {
        controller.abort();
    }
    Ok(ReceiverAnswer {
        code,
        retry_after_secs,
        snippet: String::from_utf8_lossy(&prefix)
            .chars()
            .take(keep_chars)
            .collect(),
    })
}

/// Why [`answer_contains`] cannot tell: what was answered, if anything, and when the
/// server asked to be tried again.
pub struct Untold {
    pub answer: Answer,
    pub error: String,
    pub retry_after_secs: Option<u32>,
}

/// Whether the whole answer to `request` (a 2xx, read to its end within the time-out)
/// contains `needle`. The body is searched as it streams, so a long answer (a sheet's
/// columns) is never held whole. Anything else, a non-2xx or a body cut short, is an
/// error with what was answered: the caller cannot tell.
pub async fn answer_contains(
    request: &OutgoingRequest,
    timeout_ms: u64,
    needle: &[u8],
) -> std::result::Result<bool, Untold> {
    let no_answer = |error: String| Untold {
        answer: Answer::NoAnswer,
        error,
        retry_after_secs: None,
    };
    let Opened {
        mut response,
        controller,
        left_ms,
    } = open(request, timeout_ms).await.map_err(no_answer)?;
    let code = response.status_code();
    if !(200..300).contains(&code) {
        // A read quota's 429 says when to come back, as an append's would.
        return Err(Untold {
            answer: Answer::Answered(code),
            error: format!("answered HTTP {code}"),
            retry_after_secs: retry_after_of(&response),
        });
    }
    // (The runtime gives no stream for an empty body: it holds nothing.)
    let Ok(stream) = response.stream() else {
        return Ok(needle.is_empty());
    };
    match select(
        Box::pin(search(stream, needle)),
        Box::pin(Delay::from(Duration::from_millis(left_ms))),
    )
    .await
    {
        Either::Left((found, _)) => found.map_err(no_answer),
        Either::Right(_) => {
            controller.abort();
            Err(no_answer(format!(
                "the answer did not end within {}",
                seconds(timeout_ms)
            )))
        }
    }
}

/// Searches a body for `needle` chunk by chunk, keeping only the tail of the last chunk
/// that a match across two chunks could start in.
async fn search(mut stream: worker::ByteStream, needle: &[u8]) -> std::result::Result<bool, String> {
    if needle.is_empty() {
        return Ok(true);
    }
    let mut window: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("answer broken off: {e}"))?;
        window.extend_from_slice(&chunk);
        if window.windows(needle.len()).any(|w| w == needle) {
            return Ok(true);
        }
        let keep = window.len().min(needle.len().saturating_sub(1));
        window.drain(..window.len() - keep);
    }
    Ok(false)
}

/// At most the first `max` bytes of an answer's body into `kept`, read piece by piece
/// (what came before a time-out stays); the rest is never read (dropping the stream
/// cancels it).
async fn read_prefix(response: &mut worker::Response, max: usize, kept: &mut Vec<u8>) {
    let Ok(mut stream) = response.stream() else {
        return;
    };
    while let Some(Ok(chunk)) = stream.next().await {
        let room = max - kept.len();
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if kept.len() >= max {
            break;
        }
    }
}

/// An answer's `Retry-After`, as seconds from now.
fn retry_after_of(response: &worker::Response) -> Option<u32> {
    let value = response.headers().get("Retry-After").ok().flatten()?;
    retry_after_secs(&value)
}

/// `Retry-After` as seconds from now: either a number of seconds or an HTTP date.
fn retry_after_secs(value: &str) -> Option<u32> {
    if let Some(secs) = leadform_core::delivery::retry_after_seconds(value) {
        return Some(secs);
    }
    let at = js_sys::Date::parse(value.trim());
    (!at.is_nan()).then(|| ((at - js_sys::Date::now()) / 1000.0).ceil().max(0.0) as u32)
}

impl OutgoingRequest {
    /// A post-action's request as core built it.
    pub fn from_core(out: leadform_core::post_actions::Outgoing) -> Result<Self> {
        let headers = Headers::new();
        if out.method != "GET" {
            headers.set("Content-Type", "application/json")?;
        }
        headers.set("User-Agent", "leadform-webhooks/1")?;
        for (name, value) in &out.headers {
            headers.set(name, value)?;
        }
        Ok(OutgoingRequest {
            method: match out.method {
                "PUT" => Method::Put,
                "GET" => Method::Get,
                _ => Method::Post,
            },
            url: out.url,
            headers,
            body: out.body,
        })
    }
}
