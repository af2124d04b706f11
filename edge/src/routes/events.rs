//! `POST /form-submissions/events`: impression, start and dismiss of a form display. An
//! event counts only with a display token the edge issued for the form's agent (from
//! `GET /widget/config`), so analytics count displays the edge handed out; an event
//! without one is a 400 naming `displayToken`, and is not recorded. A dismissal names its
//! conversation's transcript only with the conversation's token (`X-Leadform-Conversation-Token`).

use super::widget_tool;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body_within, SMALL_BODY_BYTES};
use crate::storage::{display_tokens, events};
use leadform_core::spam::TokenCheck;
use leadform_core::validate::FieldError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

/// `leave`: the visitor left the page with the form started and unsent (sent on
/// `pagehide`); it counts a drop-off only, and is not a display event of its own.
const KINDS: [&str; 4] = ["impression", "start", "dismiss", "leave"];

pub async fn record(mut req: Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    let body = json_body_within(&mut req, SMALL_BODY_BYTES).await?;
    let text = |key: &str| -> ApiResult<String> {
        match body.get(key) {
            Some(Value::String(s)) if s.chars().count() > 128 => {
                Err(FieldError::new(key, "must be at most 128 characters").into())
            }
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(FieldError::new(key, "is required (a string of at most 128 characters)").into()),
        }
    };
    let tool_id = text("toolId")?;
    let display_id = text("displayId")?;
    let kind = text("type")?;
    if !KINDS.contains(&kind.as_str()) {
        return Err(FieldError::new("type", "must be impression, start, dismiss or leave").into());
    }
    // The conversation the form was shown in (optional): a dismissal is part of its transcript.
    // Read as the submit reads it: "" is none, as the schema allows.
    let conversation_id = match body.as_object() {
        Some(fields) => leadform_core::wire::optional_id(fields, "conversationId")?,
        None => None,
    };
    let db = env.d1(bindings::DB)?;
    let tool = widget_tool(&db, &tool_id, origin).await?;
    // A paused form's open displays still count; a deleted form has no analytics to add to.
    // (A client result still settles a deleted form's submission: it was accepted.)
    if tool.deleted_at.is_some() {
        return Err(ApiError::not_found("tool", &tool_id));
    }
    let now = now_ms();
    let token = body.get("displayToken").and_then(Value::as_str);
    let nonce = match config::check_display_token(env, &tool.agent_id, token, now) {
        TokenCheck::Valid { nonce, .. } => Ok(nonce),
        TokenCheck::Absent => Err("is required: the displayToken of GET /widget/config"),
        TokenCheck::Expired => Err("has expired: fetch GET /widget/config again"),
        TokenCheck::Invalid => Err("is not a display token this edge issued for the form's agent"),
    }
    .map_err(|reason| FieldError::new("displayToken", reason))?;
    // The last field a dismissed or left form was at: the field the visitor gave up on.
    // A name the form does not have (a field removed while the page was open) counts the
    // drop-off without a field to blame; anything but a name is a caller's mistake.
    if !matches!(body.get("lastField"), None | Some(Value::Null | Value::String(_))) {
        return Err(FieldError::new("lastField", "must be a field name (a string) or null").into());
    }
    let last_field = leadform_core::field_analysis::read_last_field(body.get("lastField"), &tool.fields);
    // The display counts against its token's displays first; its events only once counted.
    let mut writes = vec![display_tokens::count_display(
        &db,
        &nonce,
        &tool.id,
        &display_id,
        now,
    )?];
    // A leave is sent only for a started form (the widget's `pagehide`): it implies the start
    // (and so the impression), as a start implies the impression. The start's own request
    // may have been cut off by the very navigation that sends the leave as a beacon; the
    // drop-off below counts only a started display.
    let recorded = if kind == "leave" { "start" } else { kind.as_str() };
    writes.push(events::insert_counted(
        &db,
        &nonce,
        &tool.id,
        &display_id,
        recorded,
        now,
    )?);
    if let (Some(field), "dismiss" | "leave") = (&last_field, kind.as_str()) {
        writes.extend(events::drop_off(&db, &nonce, &tool.id, &display_id, field, now)?);
    }
    let results = db.batch(writes).await?;
    // Noted in the transcript once, and only for a display its token counted: a repeated
    // dismissal would otherwise fill the conversation with turns. And only by whoever holds
    // the conversation (its token, as a submission proves it): its id shows in Slack, email
    // and the CRM, and a stranger's dismissals would close the visitor's form and start its
    // cooldown.
    let counted = kind != "leave"
        && results
            .get(1)
            .and_then(|r| r.meta().ok().flatten())
            .and_then(|m| m.changes)
            .unwrap_or(0)
            > 0;
    let proven = |id: &str| super::conversations::carries_token(&req, env, id);
    if let (Some(id), "dismiss", true) = (
        &conversation_id,
        kind.as_str(),
        counted && conversation_id.as_deref().is_some_and(proven),
    ) {
        db.batch(crate::agent::note_form_event(
            &db,
            id,
            &tool,
            "form_dismissed",
            None,
        )?)
        .await?;
    }
    json(&json!({ "success": true }), 202)
}
