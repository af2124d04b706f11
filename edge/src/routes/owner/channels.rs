//! An agent's messaging channels: connect a Telegram bot or a WhatsApp number, list them,
//! test that the platform still takes their credentials, disconnect. Secrets are taken,
//! never shown again (a WhatsApp verify token is shown once, when connected).

use super::{parse, Caller};
use crate::auth;
use crate::bindings;
use crate::channels::{telegram, whatsapp};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::{edge_address, json, json_body};
use crate::ids::new_id;
use crate::storage::channels::{self as stored, Channel};
use leadform_core::validate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, Request, Response};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TelegramIn {
    bot_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedOut {
    #[serde(flatten)]
    pub channel: Channel,
    /// Where the platform posts: set on Telegram by the edge; to enter in Meta's app
    /// settings for WhatsApp.
    pub webhook_url: String,
    /// WhatsApp: the token Meta's verification handshake must send; shown here only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
}

#[derive(Serialize)]
struct ListOut {
    channels: Vec<ChannelOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChannelOut {
    #[serde(flatten)]
    channel: Channel,
    webhook_url: String,
}

fn webhook_url(base: &str, channel: &Channel) -> String {
    format!(
        "{}/channels/{}/{}",
        base.trim_end_matches('/'),
        channel.kind,
        channel.id
    )
}

/// `POST /v1/agents/{agentId}/channels`: `{kind: "telegram", botToken}` or `{kind:
/// "whatsapp", phoneNumberId, accessToken, appSecret, verifyToken?}` → 201. A second
/// channel of the same kind replaces the first.
pub async fn create(mut req: Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let body = json_body(&mut req).await?;
    let base = edge_address(env, &req);
    json(&connect(env, agent_id, body, &base).await?, 201)
}

/// Connects a channel from the API's body or the dashboard's form; `base` is the edge's
/// address as the platform will reach it.
pub async fn connect(env: &Env, agent_id: &str, mut body: Value, base: &str) -> ApiResult<ConnectedOut> {
    let db = env.d1(bindings::DB)?;
    crate::storage::agents::get(&db, agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", agent_id))?;
    // The kind picks the shape of the rest.
    let kind = body
        .as_object_mut()
        .and_then(|fields| fields.remove("kind"))
        .and_then(|k| k.as_str().map(str::to_string));
    // Connecting again keeps the channel's id (its chats and queued answers go on); a new
    // bot in place of another stops the old one's webhook first.
    let earlier = stored::for_agent(&db, agent_id)
        .await?
        .into_iter()
        .find(|c| kind.as_deref() == Some(c.kind.as_str()));
    let id = earlier.as_ref().map_or_else(|| new_id("chan"), |c| c.id.clone());
    let now = now_ms();
    let (channel, verify_token) = match kind.as_deref() {
        Some("telegram") => {
            let input: TelegramIn = parse(body)?;
            (
                telegram::connect(env, agent_id, &input.bot_token, base, &id, now).await?,
                None,
            )
        }
        Some("whatsapp") => {
            let input: whatsapp::ConnectIn = parse(body)?;
            let (channel, token) = whatsapp::connect(env, agent_id, &input, &id, now).await?;
            (channel, Some(token))
        }
        _ => return Err(FieldError::new("kind", "must be telegram or whatsapp").into()),
    };
    if let Some(old) =
        earlier.filter(|c| c.kind == "telegram" && c.secrets.bot_token != channel.secrets.bot_token)
    {
        if let Err(why) = telegram::disconnect(env, &old).await {
            worker::console_warn!(
                "channel {}: the replaced bot's deleteWebhook failed: {why}",
                old.id
            );
        }
    }
    stored::upsert(&db, &channel).await?;
    let channel = stored::get(&db, &channel.id).await?.unwrap_or(channel);
    Ok(ConnectedOut {
        webhook_url: webhook_url(base, &channel),
        channel,
        verify_token,
    })
}

pub async fn list(req: &Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let base = edge_address(env, req);
    let channels = stored::for_agent(&env.d1(bindings::DB)?, agent_id)
        .await?
        .into_iter()
        .map(|channel| ChannelOut {
            webhook_url: webhook_url(&base, &channel),
            channel,
        })
        .collect();
    json(&ListOut { channels }, 200)
}

async fn find(caller: &Caller, env: &Env, id: &str) -> ApiResult<Channel> {
    let channel = stored::get(&env.d1(bindings::DB)?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("channel", id))?;
    let agent_id = channel.agent_id.clone();
    auth::visible(caller, "channel", id, &agent_id, channel)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TestOut {
    ok: bool,
    /// The bot's username, or the number as WhatsApp shows it.
    account: String,
}

/// `POST /v1/channels/{channelId}/test`: whether the platform still takes the channel's
/// credentials → 200, else 502 with what the platform said.
pub async fn test(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let account = try_channel(caller, env, id).await?;
    json(&TestOut { ok: true, account }, 200)
}

/// The platform's word on the channel's credentials: its account name, or a 502.
pub async fn try_channel(caller: &Caller, env: &Env, id: &str) -> ApiResult<String> {
    let channel = find(caller, env, id).await?;
    let tested = match channel.kind.as_str() {
        "telegram" => telegram::test(env, &channel).await,
        _ => whatsapp::test(env, &channel).await,
    };
    tested.map_err(|why| ApiError::Upstream(format!("{} refused: {why}", channel.kind)))
}

/// `DELETE /v1/channels/{channelId}` → 204.
pub async fn delete(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    disconnect(caller, env, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// Disconnects: the platform stops posting here (Telegram's webhook is removed), the
/// credentials are forgotten, the transcripts stay. The channel's agent, for the caller.
pub async fn disconnect(caller: &Caller, env: &Env, id: &str) -> ApiResult<String> {
    let channel = find(caller, env, id).await?;
    if channel.kind == "telegram" {
        if let Err(why) = telegram::disconnect(env, &channel).await {
            worker::console_warn!("channel {id}: deleteWebhook failed, disconnected anyway: {why}");
        }
    }
    stored::delete(&env.d1(bindings::DB)?, id).await?;
    Ok(channel.agent_id)
}
