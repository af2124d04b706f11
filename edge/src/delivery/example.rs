//! `POST /v1/tools/{id}/test`: an example delivery to a form's webhook or to one of its
//! post-actions (Slack, email, Google Sheets, Mailchimp, another webhook), sent now and
//! reported, never stored. An owner (or the developer of the receiver) sees what their
//! integration gets, and whether it takes it, before the first visitor fills the form in
//! (seed 004: an integration "enabled, tested successfully, and toggled to Active").

use super::attempt::AttemptResult;
use super::send::{self, OutgoingRequest};
use super::view;
use super::webhook;
use crate::clock::{iso8601, now_ms};
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::storage::files::Links;
use crate::storage::members;
use crate::storage::tools::Tool;
use leadform_core::post_actions::{self, PostAction};
use leadform_core::validate::FieldError;
use leadform_core::webhook::derived_secret;
use leadform_core::wire::WebhookPayload;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use worker::{D1Database, Env};

/// The header that tells a receiver an example apart from a visitor's submission (the ids
/// say it too: `sub_test_…`, `msg_test_…`).
pub const TEST_HEADER: &str = "leadform-test";

/// What the example delivery did.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOut {
    /// `webhook` (the form's), or `postActions[i]`.
    pub target: String,
    /// `webhook`, `slack`, `email`, `google_sheets` or `mailchimp`.
    pub kind: &'static str,
    /// Whether the receiver answered 2xx (for Mailchimp: whether the audience could be read).
    pub delivered: bool,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    /// Why it did not arrive (no answer in time, the receiver's status), as the delivery
    /// log says it.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_snippet: Option<String>,
    /// The `webhook-id` it carried (a webhook's test).
    pub webhook_id: Option<String>,
    /// What a webhook was sent: seed 002's payload, an example value in every field.
    pub payload: Option<WebhookPayload>,
    /// What another kind was sent: the method, URL and JSON body (no credentials).
    pub request: Option<SentOut>,
}

#[derive(Serialize)]
pub struct SentOut {
    pub method: &'static str,
    pub url: String,
    pub body: Option<Value>,
}

/// The example submission a test shows: an id that says it is one, a value in every field.
struct Example {
    submission_id: String,
    form_data: Map<String, Value>,
    at: i64,
}

impl Example {
    fn of(tool: &Tool) -> Self {
        let submission_id = new_id("sub_test");
        let form_data = leadform_core::example::form_data(&tool.fields, &format!("test/{submission_id}"));
        Example {
            submission_id,
            form_data,
            at: now_ms(),
        }
    }

    fn payload(&self, tool: &Tool, links: &Links) -> WebhookPayload {
        WebhookPayload {
            submission_id: self.submission_id.clone(),
            tool_id: tool.id.clone(),
            tool_name: tool.name.clone(),
            conversation_id: None,
            form_data: links.show(&self.form_data),
            submitted_at: iso8601(self.at),
            qualification: None,
        }
    }
}

/// Sends `tool`'s webhook (`post_action` `None`) or its post-action at that index an example
/// submission, as a real one is sent (a webhook signed, both secrets during a rotation),
/// once, with the delivery time-out. A post-action is tested whether it is on or paused,
/// and whatever its `when`. A form without a webhook URL is a 409 for the webhook's test.
pub async fn send(
    env: &Env,
    db: &D1Database,
    tool: &Tool,
    post_action: Option<usize>,
    links: &Links,
) -> ApiResult<TestOut> {
    let example = Example::of(tool);
    let Some(index) = post_action else {
        let Some(url) = tool.webhook_url.as_deref() else {
            return Err(ApiError::Conflict {
                code: "no_webhook",
                message: "this form has no webhookUrl to test; its post-actions are tested with postAction"
                    .into(),
            });
        };
        let secrets = tool
            .signing_secrets(example.at)
            .into_iter()
            .map(str::to_string)
            .collect();
        let signed = Signed {
            url,
            secrets,
            headers: &BTreeMap::new(),
        };
        return signed
            .send(env, example.payload(tool, links), "webhook".into())
            .await;
    };
    let target = format!("postActions[{index}]");
    let action = tool
        .post_actions
        .get(index)
        .ok_or_else(|| ApiError::from(FieldError::new("postAction", "no such post-action")))?;
    if let PostAction::Webhook { url, headers, .. } = action {
        // Its own secret, derived from the form's, as its deliveries are signed.
        let secrets = tool
            .signing_secrets(example.at)
            .into_iter()
            .map(|secret| derived_secret(secret, url))
            .collect();
        let signed = Signed {
            url,
            secrets,
            headers,
        };
        return signed.send(env, example.payload(tool, links), target).await;
    }
    // An email to members goes to their addresses as the dashboard has them now.
    let addresses = members::of_ids(db, action.member_ids()).await?;
    let action = action
        .clone()
        .with_member_addresses(addresses.into_iter().map(|m| m.email).collect());
    let mut shown = view::answers(
        &example.submission_id,
        tool,
        &example.form_data,
        example.at,
        links,
    );
    shown.summary = Some("The conversation's summary goes here (this is a test: no visitor sent it).".into());
    let out = post_actions::test_request(&action, &shown, &config::services(env), &new_id("test"))
        .map_err(not_sendable)?;
    let request = SentOut {
        method: out.method,
        url: out.url.clone(),
        body: serde_json::from_str(&out.body).ok(),
    };
    let attempt = send::send(OutgoingRequest::from_core(out)?, config::attempt_timeout_ms(env)).await;
    Ok(TestOut {
        request: Some(request),
        ..TestOut::of(target, action.kind(), attempt)
    })
}

/// A webhook's test: the example's seed 002 payload to `url`, signed with each of
/// `secrets`, with `headers` and the test's mark.
struct Signed<'a> {
    url: &'a str,
    secrets: Vec<String>,
    headers: &'a BTreeMap<String, String>,
}

impl Signed<'_> {
    async fn send(self, env: &Env, payload: WebhookPayload, target: String) -> ApiResult<TestOut> {
        let webhook_id = new_id("msg_test");
        let mut marked = self.headers.clone();
        marked.insert(TEST_HEADER.to_string(), "true".to_string());
        let body = serde_json::to_string(&payload)?;
        let request =
            webhook::signed(&webhook_id, &self.secrets, self.url, body, &marked)?.map_err(not_sendable)?;
        let attempt = send::send(request, config::attempt_timeout_ms(env)).await;
        Ok(TestOut {
            webhook_id: Some(webhook_id),
            payload: Some(payload),
            ..TestOut::of(target, "webhook", attempt)
        })
    }
}

impl TestOut {
    /// What `attempt` did, as a test of `kind` at `target` reports it.
    fn of(target: String, kind: &'static str, attempt: AttemptResult) -> Self {
        TestOut {
            target,
            kind,
            delivered: attempt
                .status_code()
                .is_some_and(|code| (200..300).contains(&code)),
            status_code: attempt.status_code(),
            latency_ms: attempt.latency_ms,
            error: attempt.error,
            response_snippet: attempt.snippet,
            webhook_id: None,
            payload: None,
            request: None,
        }
    }
}

/// Why nothing could be sent (a service this edge has no address for, no signing secret).
fn not_sendable(reason: String) -> ApiError {
    ApiError::Conflict {
        code: "not_sendable",
        message: reason,
    }
}
