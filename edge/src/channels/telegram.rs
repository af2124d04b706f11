//! Telegram: connecting a bot (its webhook set to this edge with a secret token), the
//! webhook route that takes its updates, sending through `sendMessage`, fetching files.

use super::fetch::{self, json_headers};
use super::Message;
use crate::bindings;
use crate::config;
use crate::delivery::send::OutgoingRequest;
use crate::error::{ApiError, ApiResult};
use crate::http::json_body_within;
use crate::storage::channels::{self as stored, Channel};
use leadform_core::channels::telegram as bot_api;
use leadform_core::signin::same_secret;
use leadform_core::validate::{FieldError, MAX_FILE_BYTES};
use serde_json::{json, Value};
use worker::{Env, Method, Request, Response};

/// Largest update read: an update is a few KB (files are fetched separately).
const UPDATE_BYTES: usize = 256 * 1024;

/// `POST /channels/telegram/{channelId}`: an update from Telegram, taken only with the
/// channel's secret token. A 2xx tells Telegram it was handled; anything else makes it
/// deliver the update again.
pub async fn webhook(mut req: Request, env: &Env, channel_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    let channel = stored::get(&db, channel_id)
        .await?
        .filter(|c| c.kind == "telegram")
        .ok_or_else(|| ApiError::not_found("channel", channel_id))?;
    let given = req.headers().get(bot_api::SECRET_HEADER)?.unwrap_or_default();
    if !same_secret(&channel.secrets.secret_token, &given) {
        return Err(ApiError::BadToken {
            code: "bad_signature",
            message: format!("{} is missing or wrong", bot_api::SECRET_HEADER),
        });
    }
    let body = json_body_within(&mut req, UPDATE_BYTES).await?;
    let inbound = bot_api::parse_update(&body).map_err(|why| FieldError::new("body", why))?;
    if let Some(inbound) = inbound {
        super::receive(env, &channel, &inbound).await?;
    }
    Ok(Response::from_json(&json!({"ok": true}))?)
}

/// One Bot API call with `token`: its `result`, or Telegram's reason.
async fn call(env: &Env, token: &str, method: &str, body: Value) -> Result<Value, String> {
    bot_api::result_of(&send(env, token, method, body).await?.text())
}

/// One Bot API call with `token`, as answered; an error only when Telegram did not answer.
async fn send(env: &Env, token: &str, method: &str, body: Value) -> Result<fetch::Answer, String> {
    let url = bot_api::method_url(&config::telegram_api_url(env), token, method);
    fetch::call(
        Method::Post,
        &url,
        json_headers(None)?,
        Some(body.to_string()),
        64 * 1024,
    )
    .await
}

/// Connects the bot `bot_token` to `agent_id`: checks the token with `getMe`, then points
/// the bot's webhook at this edge with a fresh secret token.
pub async fn connect(
    env: &Env,
    agent_id: &str,
    bot_token: &str,
    edge_url: &str,
    id: &str,
    now: i64,
) -> ApiResult<Channel> {
    if !bot_api::is_bot_token(bot_token) {
        return Err(FieldError::new("botToken", "must be a bot token from @BotFather (123456:ABC…)").into());
    }
    let answer = fetch::credentials_checked(
        "Telegram",
        "botToken",
        send(env, bot_token, "getMe", json!({})).await,
    )?;
    let me = bot_api::result_of(&answer.text())
        .map_err(|why| FieldError::new("botToken", format!("Telegram refused it: {why}")))?;
    let username = me
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let secret_token: String = crate::ids::random_bytes::<24>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let webhook_url = format!("{}/channels/telegram/{id}", edge_url.trim_end_matches('/'));
    call(
        env,
        bot_token,
        "setWebhook",
        bot_api::set_webhook_body(&webhook_url, &secret_token),
    )
    .await
    .map_err(|why| ApiError::Upstream(format!("Telegram did not set the webhook: {why}")))?;
    Ok(Channel {
        id: id.to_string(),
        agent_id: agent_id.to_string(),
        kind: "telegram".into(),
        account: username,
        secrets: stored::Secrets {
            bot_token: bot_token.to_string(),
            secret_token,
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    })
}

/// Whether the bot still answers with its token (`getMe`): the bot's username, or why not.
pub async fn test(env: &Env, channel: &Channel) -> Result<String, String> {
    let me = call(env, &channel.secrets.bot_token, "getMe", json!({})).await?;
    Ok(me
        .get("username")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string())
}

/// Stops Telegram sending updates here (best effort: the channel goes either way).
pub async fn disconnect(env: &Env, channel: &Channel) -> Result<(), String> {
    call(env, &channel.secrets.bot_token, "deleteWebhook", json!({}))
        .await
        .map(|_| ())
}

/// The `sendMessage` request of a channel message delivery.
pub fn send_request(env: &Env, channel: &Channel, message: &Message) -> Result<OutgoingRequest, String> {
    Ok(OutgoingRequest {
        method: worker::Method::Post,
        url: bot_api::method_url(
            &config::telegram_api_url(env),
            &channel.secrets.bot_token,
            "sendMessage",
        ),
        headers: json_headers(None)?,
        body: bot_api::send_message_body(&message.chat_id, &message.outbound()).to_string(),
    })
}

/// A file a person sent: `getFile` for its path, then its bytes (at most 5 MB).
pub async fn fetch_file(
    env: &Env,
    channel: &Channel,
    file_id: &str,
) -> Result<(Vec<u8>, Option<String>), String> {
    let token = &channel.secrets.bot_token;
    let file = call(env, token, "getFile", json!({"file_id": file_id})).await?;
    let path = file
        .get("file_path")
        .and_then(Value::as_str)
        .ok_or("Telegram gave no file_path")?;
    let url = bot_api::file_url(&config::telegram_api_url(env), token, path);
    let answer = fetch::call(Method::Get, &url, worker::Headers::new(), None, MAX_FILE_BYTES).await?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("Telegram answered HTTP {} for the file", answer.status));
    }
    Ok((answer.body, answer.content_type))
}
