//! WhatsApp (Cloud API): connecting a business number, the webhook's verification
//! handshake, notifications taken only with a valid `X-Hub-Signature-256`, sending through
//! the messages endpoint, fetching media.

use super::fetch::{self, json_headers};
use super::Message;
use crate::bindings;
use crate::config;
use crate::delivery::send::OutgoingRequest;
use crate::error::{ApiError, ApiResult};
use crate::http::{query_param, read_body_within};
use crate::storage::channels::{self as stored, Channel};
use leadform_core::channels::whatsapp as cloud_api;
use leadform_core::validate::{FieldError, MAX_FILE_BYTES};
use serde_json::Value;
use worker::{Env, Method, Request, Response};

/// Largest notification read (a batch of messages; media are fetched separately).
const NOTIFICATION_BYTES: usize = 1024 * 1024;

async fn channel(env: &Env, channel_id: &str) -> ApiResult<Channel> {
    stored::get(&env.d1(bindings::DB)?, channel_id)
        .await?
        .filter(|c| c.kind == "whatsapp")
        .ok_or_else(|| ApiError::not_found("channel", channel_id))
}

/// `GET /channels/whatsapp/{channelId}`: Meta's verification handshake, answered with the
/// challenge only for the channel's verify token.
pub async fn verify(req: &Request, env: &Env, channel_id: &str) -> ApiResult<Response> {
    let channel = channel(env, channel_id).await?;
    let (mode, token, challenge) = (
        query_param(req, "hub.mode"),
        query_param(req, "hub.verify_token"),
        query_param(req, "hub.challenge"),
    );
    match cloud_api::challenge(
        mode.as_deref(),
        token.as_deref(),
        challenge.as_deref(),
        &channel.secrets.verify_token,
    ) {
        Some(challenge) => Ok(Response::ok(challenge)?),
        None => Err(ApiError::Forbidden {
            code: "bad_verify_token",
            message: "hub.verify_token is not this channel's (or hub.mode is not subscribe)".into(),
        }),
    }
}

/// `POST /channels/whatsapp/{channelId}`: a notification, taken only when signed with the
/// app secret; each message in it handled once.
pub async fn webhook(mut req: Request, env: &Env, channel_id: &str) -> ApiResult<Response> {
    let channel = channel(env, channel_id).await?;
    let signature = req.headers().get(cloud_api::SIGNATURE_HEADER)?;
    let body = read_body_within(&mut req, NOTIFICATION_BYTES).await?;
    if !cloud_api::signature_ok(&channel.secrets.app_secret, &body, signature.as_deref()) {
        return Err(ApiError::BadToken {
            code: "bad_signature",
            message: format!("{} is missing or wrong", cloud_api::SIGNATURE_HEADER),
        });
    }
    let value: Value = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    let messages = cloud_api::parse_notification(&value, &channel.account)
        .map_err(|why| FieldError::new("body", why))?;
    // In order: one not handled (busy, or failed) ends the answer as an error, and WhatsApp
    // delivers the notification again, later messages with it (the ones handled are then
    // acknowledged as repeats), so a person's answers are never taken out of order.
    for inbound in &messages {
        super::receive(env, &channel, inbound).await?;
    }
    Ok(Response::ok("")?)
}

/// One Graph API call with the channel's token: the answer's JSON, or why not.
async fn call(access_token: &str, method: Method, url: &str, body: Option<String>) -> Result<Value, String> {
    result_of(&send(access_token, method, url, body).await?)
}

/// One Graph API call, as answered; an error only when the platform did not answer.
async fn send(
    access_token: &str,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<fetch::Answer, String> {
    fetch::call(method, url, json_headers(Some(access_token))?, body, 256 * 1024).await
}

/// A Graph API answer's JSON, or the platform's reason for refusing.
fn result_of(answer: &fetch::Answer) -> Result<Value, String> {
    let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if (200..300).contains(&answer.status) {
        Ok(value)
    } else {
        let why = value
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}", answer.status));
        Err(why.chars().take(300).collect())
    }
}

/// Connects the business number `phone_number_id`: checks the access token on it, and
/// keeps the app secret and a verify token for the webhook.
pub async fn connect(
    env: &Env,
    agent_id: &str,
    input: &ConnectIn,
    id: &str,
    now: i64,
) -> ApiResult<(Channel, String)> {
    let phone_ok = !input.phone_number_id.is_empty()
        && input.phone_number_id.len() <= 30
        && input.phone_number_id.bytes().all(|b| b.is_ascii_digit());
    if !phone_ok {
        return Err(FieldError::new("phoneNumberId", "must be the business number's id (digits)").into());
    }
    for (name, value) in [
        ("accessToken", &input.access_token),
        ("appSecret", &input.app_secret),
    ] {
        if value.trim().is_empty() || value.len() > 1_000 {
            return Err(FieldError::new(name, "is required (at most 1,000 characters)").into());
        }
    }
    let url = format!(
        "{}/{}",
        config::whatsapp_api_url(env).trim_end_matches('/'),
        input.phone_number_id
    );
    let answer = fetch::credentials_checked(
        "WhatsApp",
        "accessToken",
        send(&input.access_token, Method::Get, &url, None).await,
    )?;
    result_of(&answer)
        .map_err(|why| FieldError::new("accessToken", format!("WhatsApp refused it: {why}")))?;
    let verify_token = match &input.verify_token {
        Some(token) if !token.trim().is_empty() && token.len() <= 200 => token.clone(),
        Some(_) => return Err(FieldError::new("verifyToken", "must be 1 to 200 characters").into()),
        None => crate::ids::random_bytes::<16>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    };
    Ok((
        Channel {
            id: id.to_string(),
            agent_id: agent_id.to_string(),
            kind: "whatsapp".into(),
            account: input.phone_number_id.clone(),
            secrets: stored::Secrets {
                access_token: input.access_token.clone(),
                app_secret: input.app_secret.clone(),
                verify_token: verify_token.clone(),
                ..Default::default()
            },
            created_at: now,
            updated_at: now,
        },
        verify_token,
    ))
}

/// What the owner sends to connect a number.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectIn {
    pub phone_number_id: String,
    pub access_token: String,
    pub app_secret: String,
    #[serde(default)]
    pub verify_token: Option<String>,
}

/// Whether the token still works on the number: its display number, or why not.
pub async fn test(env: &Env, channel: &Channel) -> Result<String, String> {
    let url = format!(
        "{}/{}",
        config::whatsapp_api_url(env).trim_end_matches('/'),
        channel.account
    );
    let about = call(&channel.secrets.access_token, Method::Get, &url, None).await?;
    Ok(about
        .get("display_phone_number")
        .and_then(Value::as_str)
        .unwrap_or(&channel.account)
        .to_string())
}

/// The messages-endpoint request of a channel message delivery.
pub fn send_request(env: &Env, channel: &Channel, message: &Message) -> Result<OutgoingRequest, String> {
    Ok(OutgoingRequest {
        method: worker::Method::Post,
        url: cloud_api::messages_url(&config::whatsapp_api_url(env), &channel.account),
        headers: json_headers(Some(&channel.secrets.access_token))?,
        body: cloud_api::send_body(&message.chat_id, &message.outbound()).to_string(),
    })
}

/// A medium a person sent: its description for the download URL, then its bytes.
pub async fn fetch_file(
    env: &Env,
    channel: &Channel,
    media_id: &str,
) -> Result<(Vec<u8>, Option<String>), String> {
    let token = &channel.secrets.access_token;
    let about = call(
        token,
        Method::Get,
        &cloud_api::media_url(&config::whatsapp_api_url(env), media_id),
        None,
    )
    .await?;
    if about
        .get("file_size")
        .and_then(Value::as_u64)
        .is_some_and(|s| s > MAX_FILE_BYTES as u64)
    {
        return Err("the file is over 5 MB".into());
    }
    let url = about
        .get("url")
        .and_then(Value::as_str)
        .ok_or("WhatsApp gave no media url")?;
    let answer = fetch::call(Method::Get, url, json_headers(Some(token))?, None, MAX_FILE_BYTES).await?;
    if !(200..300).contains(&answer.status) {
        return Err(format!("WhatsApp answered HTTP {} for the media", answer.status));
    }
    let content_type = about
        .get("mime_type")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(answer.content_type);
    Ok((answer.body, content_type))
}
