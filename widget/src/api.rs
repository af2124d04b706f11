//! Calls to the edge. Errors come back as the edge's `{ error: { message, field } }` so the
//! form can point at the field at fault.

use crate::i18n::{t, tf};
use crate::js;
use crate::text::num;
use leadform_core::locale::T;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

/// Why a call failed, in words for the visitor, with the field at fault if there is one.
#[derive(Debug, Clone)]
pub struct CallError {
    pub message: String,
    pub field: Option<String>,
    /// The edge may take it later: no answer (network), a 5xx or a 429. Any other answer
    /// is final, and a submission is not kept for a second try.
    pub retry: bool,
    /// The answer's HTTP status (0: none came).
    pub status: u16,
}

/// The parts of a submit answer the widget acts on.
pub struct Submitted {
    pub submission_id: String,
    /// Set for `client` and `both`: the name the page's handler is registered under.
    pub client_handler: Option<String>,
    /// Set with `client_handler`: sent back with the handler's report.
    pub client_token: Option<String>,
    /// A fresh display token for the forms shown from now on.
    pub display_token: Option<String>,
}

/// A message of the conversation as the edge sends it; `form` when the agent shows one:
/// its tool id and the values to prefill it with.
pub struct Message {
    pub role: String,
    pub text: String,
    pub form: Option<(String, JsValue)>,
    /// Choices offered with the message (a qualification question's answers).
    pub quick_replies: Vec<String>,
}

fn messages(answer: &JsValue) -> Vec<Message> {
    js::items(answer, "messages")
        .iter()
        .map(|m| {
            let form = js::get(m, "form");
            Message {
                role: js::text(m, "role"),
                text: js::text(m, "text"),
                form: js::string(&form, "toolId").map(|id| (id, js::get(&form, "prefill"))),
                quick_replies: js::strings(m, "quickReplies"),
            }
        })
        .collect()
}

#[derive(Clone)]
pub struct Api {
    base: String,
}

/// The header that proves a conversation is this browser's (the edge's answer gave it).
const TOKEN: &str = "X-Leadform-Conversation-Token";

/// How long a call waits for the edge before it counts as no answer (`Api::call`).
const GIVE_UP_MS: u32 = 75_000;

impl Api {
    pub fn new(base: String) -> Self {
        Api {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// The edge's origin, as the offline queue scopes what it keeps.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Starts a conversation on the edge: its id, its token and the greeting.
    pub async fn start_conversation(
        &self,
        agent_id: &str,
        page: &str,
    ) -> Result<(String, String, Vec<Message>), CallError> {
        let body = js::object(&[("agentId", agent_id.into()), ("page", page.into())]);
        let answer = self.post("/conversations", &body, "").await?;
        Ok((
            js::text(&answer, "conversationId"),
            js::text(&answer, "conversationToken"),
            messages(&answer),
        ))
    }

    /// The messages of a conversation so far (the visit's earlier pages), with its token.
    pub async fn conversation(&self, id: &str, token: &str) -> Result<Vec<Message>, CallError> {
        let url = [&self.base, "/conversations/", &js::uri_component(id)].concat();
        Ok(messages(
            &self.call("GET", &url, None, Some((TOKEN, token)), false).await?,
        ))
    }

    /// The visitor's message; the agent's reply (and the form it shows, if any).
    pub async fn say(
        &self,
        id: &str,
        token: &str,
        text: &str,
        page: &str,
    ) -> Result<Vec<Message>, CallError> {
        let body = js::object(&[("text", text.into()), ("page", page.into())]);
        let url = [&self.base, "/conversations/", &js::uri_component(id), "/messages"].concat();
        Ok(messages(
            &self
                .call("POST", &url, Some(&body), Some((TOKEN, token)), false)
                .await?,
        ))
    }

    /// POSTs a submission (seed 002's request body, built by the form), with the chat's
    /// conversation token when it has one: the edge writes the submission into the
    /// conversation it names (its transcript, its summary) only when the token is that
    /// conversation's.
    pub async fn submit(&self, body: &JsValue, conversation_token: &str) -> Result<Submitted, CallError> {
        let answer = self
            .post("/form-submissions/submit", body, conversation_token)
            .await?;
        Ok(Submitted {
            submission_id: js::text(&answer, "submissionId"),
            client_handler: js::string(&answer, "clientHandler"),
            client_token: js::string(&answer, "clientToken"),
            display_token: js::string(&answer, "displayToken"),
        })
    }

    pub async fn client_result(
        &self,
        submitted: &Submitted,
        success: bool,
        message: Option<&str>,
        data: JsValue,
    ) {
        let submission_id = submitted.submission_id.as_str();
        // What a page's handler returned is made to fit what the edge takes (a message of
        // at most 1,000 characters without control characters, data that is an object of
        // at most 16 KB of JSON), not sent to be refused: a refused report is lost, and the
        // sweep would record a failure in its place.
        let message: Option<String> = message.map(|m| {
            m.chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
                .take(1_000)
                .collect()
        });
        let size = js::stringify(&data).len();
        let fits = data.is_object() && !js_sys::Array::is_array(&data) && (1..=16_000).contains(&size);
        let body = js::object(&[
            ("submissionId", submission_id.into()),
            ("success", success.into()),
            ("message", js::opt_str(message.as_deref())),
            ("data", if fits { data } else { JsValue::NULL }),
        ]);
        // The token proves this report comes from the page that made the submission.
        let token = submitted
            .client_token
            .as_deref()
            .map(|t| ("X-Leadform-Client-Token", t));
        let url = [&self.base, "/form-submissions/client-result"].concat();
        // Kept alive past the page: a handler that sends the visitor on (`location.href =
        // "/thanks"`) would otherwise cancel its own report, and the edge would record the
        // part as failed, "no report". A page's keepalive requests share 64 KB in all (its
        // own beacons too): one the browser refuses for that is sent again plainly.
        if matches!(self.call("POST", &url, Some(&body), token, true).await, Err(e) if e.retry) {
            let _ = self.call("POST", &url, Some(&body), token, false).await;
        }
    }

    /// Fire-and-forget analytics event; a lost event must never disturb the visitor. It
    /// counts only with the config's display token.
    pub async fn event(
        &self,
        tool_id: &str,
        display_id: &str,
        kind: &str,
        token: JsValue,
        (conversation_id, conversation_token): (&str, &str),
        last_field: Option<&str>,
    ) {
        let body = js::object(&[
            ("toolId", tool_id.into()),
            ("displayId", display_id.into()),
            ("type", kind.into()),
            ("displayToken", token),
            ("conversationId", conversation_id.into()),
            ("lastField", js::opt_str(last_field)),
        ]);
        if kind == "leave" {
            // Sent as the page goes away: a beacon outlives the page, and as a simple
            // request (text/plain) it needs no preflight.
            let url = [&self.base, "/form-submissions/events"].concat();
            let window = web_sys::window().map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
            let navigator = js::get(&window, "navigator");
            if let Ok(send) = js::get(&navigator, "sendBeacon").dyn_into::<js_sys::Function>() {
                let _ = send.call2(&navigator, &url.into(), &js::stringify(&body).into());
            }
            return;
        }
        let _ = self
            .post("/form-submissions/events", &body, conversation_token)
            .await;
    }

    /// POSTs `body`, with the conversation's token when there is one: a submission or a
    /// dismissal is written into the conversation it names only with it.
    async fn post(&self, path: &str, body: &JsValue, conversation_token: &str) -> Result<JsValue, CallError> {
        let header = (!conversation_token.is_empty()).then_some((TOKEN, conversation_token));
        self.call("POST", &[&self.base, path].concat(), Some(body), header, false)
            .await
    }

    async fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<&JsValue>,
        header: Option<(&str, &str)>,
        keepalive: bool,
    ) -> Result<JsValue, CallError> {
        let network = |_| CallError {
            message: t(T::Offline).into(),
            field: None,
            retry: true,
            status: 0,
        };
        // A URL string and a plain init, headers as a plain object: what a page's own
        // `fetch` wrapper expects (one that reads only string URLs would turn a `Request`
        // into a GET, or fetch "[object Request]").
        let init = RequestInit::new();
        init.set_method(method);
        let mut headers = Vec::new();
        let mut size = 0;
        if let Some(body) = body {
            let text = js::stringify(body);
            size = text.len();
            init.set_body(&text.into());
            headers.push(("Content-Type", "application/json".into()));
        }
        // A connection that stalls (a tunnel, a dead Wi-Fi) would leave the form "Sending…"
        // for minutes: the call gives up in 75 s (more than the edge may take: its wait for
        // a first attempt, an LLM's reply, each at most 60 s), plus a second per 16 KB sent
        // (a 5 MB file on a slow line still goes), and counts as no answer: a submission is
        // kept and sent later, under its idempotency key. (Browsers without
        // `AbortSignal.timeout` wait as before.)
        let _ = js::timeout_signal(GIVE_UP_MS + (size / 16_384) as u32 * 1_000)
            .map(|signal| js_sys::Reflect::set(&init, &"signal".into(), &signal));
        if let Some((name, value)) = header {
            headers.push((name, value.into()));
        }
        if keepalive {
            let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
        }
        init.set_headers(&js::object(&headers));
        let window = web_sys::window().ok_or(CallError {
            message: "no window".into(),
            field: None,
            retry: false,
            status: 0,
        })?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(network)?
            .unchecked_into();
        let text = JsFuture::from(response.text().map_err(network)?)
            .await
            .map_err(network)?
            .as_string()
            .unwrap_or_default();
        let parsed = js::parse(&text);
        // Only the edge's own refusal is final: JSON with its `error`. Any other answer (a
        // captive portal's page on hotel Wi-Fi, a proxy's or firewall's error) never came
        // from the edge, so a submission stays kept and is sent again.
        let refusal = parsed
            .as_ref()
            .map(|value| js::get(value, "error"))
            .filter(JsValue::is_object);
        match (response.ok(), parsed, refusal) {
            (true, Some(value), _) => Ok(value),
            // The edge's words are English: a fault at a field is translated by the form
            // (its reason is one the table knows); any other the visitor reads as its
            // status: to try again later, or a refusal they cannot mend.
            (false, _, Some(error)) => {
                let status = response.status();
                let retry = matches!(status, 429 | 500..);
                let field = js::string(&error, "field");
                let code = num(status.into());
                Err(CallError {
                    message: match (&field, retry) {
                        (Some(_), _) => js::text(&error, "message"),
                        (None, true) => tf(T::Status, &[&code]),
                        (None, false) => tf(T::Refused, &[&code]),
                    },
                    field,
                    retry,
                    status,
                })
            }
            (ok, _, _) => Err(CallError {
                message: if ok {
                    t(T::Unreadable).into()
                } else {
                    tf(T::Status, &[&num(response.status().into())])
                },
                field: None,
                retry: true,
                status: response.status(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Makes fetch answer `http://retry.test/...` with `status` (0: no answer at all, as
    /// offline); returns the function that puts the real fetch back.
    fn answer_with(status: u16) -> js_sys::Function {
        answer_body_with(status, r#"{"error":{"message":"no"}}"#)
    }

    /// As [`answer_with`], with `body` as the answer.
    fn answer_body_with(status: u16, body: &str) -> js_sys::Function {
        js_sys::Function::new_with_args(
            "status, body",
            "const real = globalThis.fetch;
             globalThis.fetch = (url, init) => !String(url).startsWith('http://retry.test/') ? real(url, init)
               : status === 0 ? Promise.reject(new TypeError('Failed to fetch'))
               : Promise.resolve(new Response(body, { status }));
             return () => { globalThis.fetch = real; };",
        )
        .call2(&JsValue::NULL, &status.into(), &body.into())
        .unwrap()
        .unchecked_into()
    }

    /// What the offline queue keeps: a submission the edge may still take, never one it
    /// refused for good.
    #[wasm_bindgen_test]
    async fn only_no_answer_a_5xx_or_a_429_may_be_tried_again() {
        let cases = [
            (0, true),
            (500, true),
            (503, true),
            (429, true),
            (400, false),
            (403, false),
            (404, false),
            (409, false),
            (413, false),
        ];
        for (status, retry) in cases {
            let restore = answer_with(status);
            let result = Api::new("http://retry.test".into())
                .submit(&js::object(&[]), "")
                .await;
            restore.call0(&JsValue::NULL).unwrap();
            assert_eq!(result.err().map(|e| e.retry), Some(retry), "status {status}");
        }
        // Answers that never came from the edge (a captive portal's page, a proxy's error,
        // JSON that is no refusal of ours) are tried again: the submission stays kept.
        for (status, body) in [
            (200, "<html>Sign in to Hotel Wi-Fi</html>"),
            (403, "<html>Blocked by your network</html>"),
            (407, ""),
            (502, r#"{"message":"bad gateway"}"#),
            (400, r#"{"error":"nope"}"#),
        ] {
            let restore = answer_body_with(status, body);
            let result = Api::new("http://retry.test".into())
                .submit(&js::object(&[]), "")
                .await;
            restore.call0(&JsValue::NULL).unwrap();
            assert_eq!(result.err().map(|e| e.retry), Some(true), "{status} {body}");
        }
    }

    /// The edge's words are English: a refusal at a field keeps them (the form translates
    /// its reason and puts the field's label first); any other is read as its status, in
    /// the visitor's language, never as "tool tool_x not found" or an allowedOrigins hint.
    #[wasm_bindgen_test]
    async fn a_refusal_not_at_a_field_is_told_as_its_status() {
        let restore = answer_body_with(
            403,
            r#"{"error":{"code":"origin_not_allowed","message":"pages on https://a.example may not use this agent (see allowedOrigins)"}}"#,
        );
        let result = Api::new("http://retry.test".into())
            .submit(&js::object(&[]), "")
            .await;
        restore.call0(&JsValue::NULL).unwrap();
        let error = result.err().unwrap();
        assert_eq!(error.message, tf(T::Refused, &["403"]));
        assert_eq!((error.field, error.status, error.retry), (None, 403, false));
        // One the edge may take later (a 503 `busy`) says to try again.
        let restore = answer_body_with(503, r#"{"error":{"code":"busy","message":"busy"}}"#);
        let result = Api::new("http://retry.test".into())
            .submit(&js::object(&[]), "")
            .await;
        restore.call0(&JsValue::NULL).unwrap();
        assert_eq!(result.err().unwrap().message, tf(T::Status, &["503"]));
        let restore = answer_body_with(
            400,
            r#"{"error":{"code":"invalid_field","message":"email: must be an email address like name@example.com","field":"email"}}"#,
        );
        let result = Api::new("http://retry.test".into())
            .submit(&js::object(&[]), "")
            .await;
        restore.call0(&JsValue::NULL).unwrap();
        let error = result.err().unwrap();
        assert_eq!(
            error.message,
            "email: must be an email address like name@example.com"
        );
        assert_eq!(error.field.as_deref(), Some("email"));
    }

    /// A connection that stalls gives up (the browser's `AbortSignal.timeout`, made quick
    /// here) and counts as no answer: the submission is kept, not left "Sending…".
    #[wasm_bindgen_test]
    async fn a_stalled_call_gives_up_and_may_be_tried_again() {
        let restore: js_sys::Function = js_sys::Function::new_no_args(
            "const realFetch = globalThis.fetch, realTimeout = AbortSignal.timeout;
             globalThis.asked = [];
             AbortSignal.timeout = (ms) => {
               globalThis.asked.push(ms);
               const c = new AbortController();
               setTimeout(() => c.abort(new DOMException('signal timed out', 'TimeoutError')), 10);
               return c.signal;
             };
             globalThis.fetch = (url, init) => !String(url).startsWith('http://stall.test/') ? realFetch(url, init)
               : new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
             return () => { globalThis.fetch = realFetch; AbortSignal.timeout = realTimeout; };",
        )
        .call0(&JsValue::NULL)
        .unwrap()
        .unchecked_into();
        let result = Api::new("http://stall.test".into())
            .submit(&js::object(&[]), "")
            .await;
        restore.call0(&JsValue::NULL).unwrap();
        assert_eq!(result.err().map(|e| e.retry), Some(true));
        let asked = js::get(&js_sys::global(), "asked");
        assert_eq!(
            js_sys::Array::from(&asked).get(0).as_f64(),
            Some(75_000.0),
            "75 s for a small body"
        );
    }
}
