//! Telegram's Bot API (https://core.telegram.org/bots/api): the `Update` it posts to the
//! webhook, the secret-token header that proves it is Telegram, and the `sendMessage`,
//! `setWebhook`, `deleteWebhook`, `getMe` and `getFile` calls the edge makes.

use super::{clip, FileRef, Inbound, Outbound, MAX_TEXT};
use crate::chat_form::Known;
use serde_json::{json, Value};

/// The header Telegram sends with every update when the webhook was set with a
/// `secret_token`.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Telegram's default API address (`TELEGRAM_API_URL` replaces it, e.g. in tests).
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// Whether `token` looks like a bot token (`123456:ABC-…`), before it is sent anywhere.
pub fn is_bot_token(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.len() <= 20
        && id.bytes().all(|b| b.is_ascii_digit())
        && (20..=100).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The URL of a Bot API method for `token`.
pub fn method_url(api_url: &str, token: &str, method: &str) -> String {
    format!("{}/bot{token}/{method}", api_url.trim_end_matches('/'))
}

/// The URL a file's bytes are downloaded from, given `getFile`'s `file_path`.
pub fn file_url(api_url: &str, token: &str, file_path: &str) -> String {
    format!("{}/file/bot{token}/{file_path}", api_url.trim_end_matches('/'))
}

/// `setWebhook`'s body: only messages, with the secret Telegram sends back in
/// [`SECRET_HEADER`].
pub fn set_webhook_body(url: &str, secret_token: &str) -> Value {
    json!({"url": url, "secret_token": secret_token, "allowed_updates": ["message"], "drop_pending_updates": false})
}

/// Reads an update; `Ok(None)` for updates that carry no message from a person (edits,
/// channel posts, a bot's own messages): acknowledged, nothing to do.
pub fn parse_update(body: &Value) -> Result<Option<Inbound>, String> {
    let update_id = body
        .get("update_id")
        .and_then(Value::as_i64)
        .ok_or("an update needs an integer update_id")?;
    let Some(message) = body.get("message").filter(|m| m.is_object()) else {
        return Ok(None);
    };
    let from = message.get("from");
    if from.and_then(|f| f.get("is_bot")).and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    // Only a person's private chat with the bot: in a group, one form would be answered by
    // whoever writes.
    if message
        .pointer("/chat/type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "private")
    {
        return Ok(None);
    }
    let chat_id = message
        .pointer("/chat/id")
        .and_then(Value::as_i64)
        .ok_or("message.chat.id is missing")?;
    let user_id = from
        .and_then(|f| f.get("id"))
        .and_then(Value::as_i64)
        .unwrap_or(chat_id);
    let name = from.map(|f| {
        [f.get("first_name"), f.get("last_name")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    });
    // A contact the person shared about themselves carries a number Telegram vouches for.
    let phone = message
        .get("contact")
        .filter(|c| c.get("user_id").and_then(Value::as_i64) == Some(user_id))
        .and_then(|c| c.get("phone_number"))
        .and_then(Value::as_str)
        .map(|p| {
            if p.starts_with('+') {
                p.to_string()
            } else {
                format!("+{p}")
            }
        });
    let text = message
        .get("text")
        .or_else(|| message.get("caption"))
        .and_then(Value::as_str)
        .map(|t| clip(t, 2_000));
    let file = message
        .get("document")
        .map(|d| FileRef {
            id: d
                .get("file_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            name: d.get("file_name").and_then(Value::as_str).map(str::to_string),
            mime_type: d.get("mime_type").and_then(Value::as_str).map(str::to_string),
            size: d.get("file_size").and_then(Value::as_u64),
        })
        .or_else(|| {
            // A photo comes in several sizes: the largest is the one sent.
            message.get("photo").and_then(Value::as_array).and_then(|sizes| {
                sizes.last().map(|p| FileRef {
                    id: p
                        .get("file_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    name: Some("photo.jpg".into()),
                    mime_type: Some("image/jpeg".into()),
                    size: p.get("file_size").and_then(Value::as_u64),
                })
            })
        })
        .filter(|f| !f.id.is_empty());
    Ok(Some(Inbound {
        update_id: update_id.to_string(),
        chat_id: chat_id.to_string(),
        user_id: user_id.to_string(),
        text: text.or_else(|| phone.clone()),
        file,
        known: Known {
            phone,
            name: name.filter(|n| !n.trim().is_empty()),
        },
        language: from
            .and_then(|f| f.get("language_code"))
            .and_then(Value::as_str)
            .map(|code| clip(code, 35)),
    }))
}

/// `sendMessage`'s body: the choices as a one-time reply keyboard, two to a row; without
/// choices, any keyboard an earlier question left is removed.
pub fn send_message_body(chat_id: &str, message: &Outbound) -> Value {
    let chat: Value = chat_id
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(chat_id));
    let markup = if message.choices.is_empty() {
        json!({"remove_keyboard": true})
    } else {
        let rows: Vec<Value> = message
            .choices
            .chunks(2)
            .map(|row| Value::Array(row.iter().map(|c| json!({"text": clip(c, 100)})).collect()))
            .collect();
        json!({"keyboard": rows, "one_time_keyboard": true, "resize_keyboard": true})
    };
    json!({"chat_id": chat, "text": clip(&message.text, MAX_TEXT), "reply_markup": markup})
}

/// The `result` of a Bot API answer (`{"ok": true, "result": …}`), or Telegram's
/// `description` of why not.
pub fn result_of(body: &str) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|_| "Telegram answered something that is not JSON".to_string())?;
    if value.get("ok").and_then(Value::as_bool) == Some(true) {
        Ok(value.get("result").cloned().unwrap_or(Value::Null))
    } else {
        Err(value
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("Telegram refused the call")
            .chars()
            .take(300)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_update_reads_as_inbound() {
        let update = json!({"update_id": 10001, "message": {"message_id": 5, "date": 1_700_000_000,
            "from": {"id": 42, "is_bot": false, "first_name": "Jane", "last_name": "Doe", "language_code": "en"},
            "chat": {"id": 42, "type": "private", "first_name": "Jane"}, "text": "Hello"}});
        let inbound = parse_update(&update).unwrap().unwrap();
        assert_eq!(inbound.update_id, "10001");
        assert_eq!((inbound.chat_id.as_str(), inbound.user_id.as_str()), ("42", "42"));
        assert_eq!(inbound.text.as_deref(), Some("Hello"));
        assert_eq!(inbound.known.name.as_deref(), Some("Jane Doe"));
        assert_eq!(inbound.language.as_deref(), Some("en"));
        assert_eq!(inbound.known.phone, None);
    }

    #[test]
    fn a_shared_own_contact_gives_the_phone_and_documents_and_photos_are_files() {
        let contact = json!({"update_id": 2, "message": {"from": {"id": 7, "is_bot": false, "first_name": "A"},
            "chat": {"id": 7}, "contact": {"phone_number": "4915112345678", "first_name": "A", "user_id": 7}}});
        let inbound = parse_update(&contact).unwrap().unwrap();
        assert_eq!(inbound.known.phone.as_deref(), Some("+4915112345678"));
        let someone_else = json!({"update_id": 3, "message": {"from": {"id": 7, "is_bot": false},
            "chat": {"id": 7}, "contact": {"phone_number": "+100", "user_id": 8}}});
        assert_eq!(parse_update(&someone_else).unwrap().unwrap().known.phone, None);
        let photo = json!({"update_id": 4, "message": {"from": {"id": 7}, "chat": {"id": 7},
            "photo": [{"file_id": "small", "file_size": 10}, {"file_id": "big", "file_size": 900}]}});
        assert_eq!(parse_update(&photo).unwrap().unwrap().file.unwrap().id, "big");
        let doc = json!({"update_id": 5, "message": {"from": {"id": 7}, "chat": {"id": 7},
            "document": {"file_id": "d1", "file_name": "cv.pdf", "mime_type": "application/pdf", "file_size": 1234}}});
        let file = parse_update(&doc).unwrap().unwrap().file.unwrap();
        assert_eq!((file.name.as_deref(), file.size), (Some("cv.pdf"), Some(1234)));
    }

    #[test]
    fn non_messages_and_bots_are_acknowledged_and_junk_refused() {
        assert_eq!(
            parse_update(&json!({"update_id": 1, "edited_message": {}})).unwrap(),
            None
        );
        let bot = json!({"update_id": 1, "message": {"from": {"id": 1, "is_bot": true}, "chat": {"id": 1}, "text": "x"}});
        assert_eq!(parse_update(&bot).unwrap(), None);
        let group = json!({"update_id": 2, "message": {"from": {"id": 1}, "chat": {"id": -100, "type": "group"}, "text": "hi"}});
        assert_eq!(parse_update(&group).unwrap(), None, "groups are not answered");
        assert!(parse_update(&json!({"message": {}})).is_err());
        assert!(parse_update(&json!({"update_id": 1, "message": {"text": "no chat"}})).is_err());
    }

    #[test]
    fn send_message_has_a_keyboard_for_choices_and_removes_it_otherwise() {
        let with = send_message_body(
            "42",
            &Outbound {
                text: "Team size?".into(),
                choices: vec!["1-10".into(), "11-50".into(), "Skip".into()],
                locale: 0,
            },
        );
        assert_eq!(with["chat_id"], 42);
        assert_eq!(
            with["reply_markup"]["keyboard"],
            json!([[{"text": "1-10"}, {"text": "11-50"}], [{"text": "Skip"}]])
        );
        assert_eq!(with["reply_markup"]["one_time_keyboard"], true);
        let without = send_message_body(
            "42",
            &Outbound {
                text: "Thanks".into(),
                choices: vec![],
                locale: 0,
            },
        );
        assert_eq!(without["reply_markup"], json!({"remove_keyboard": true}));
    }

    #[test]
    fn bot_tokens_and_answers_are_read_carefully() {
        assert!(is_bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        for bad in [
            "",
            "abc:def",
            "123456789",
            "123:short",
            "12/3:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ] {
            assert!(!is_bot_token(bad), "{bad}");
        }
        assert_eq!(
            result_of(r#"{"ok":true,"result":{"id":1}}"#).unwrap(),
            json!({"id": 1})
        );
        assert_eq!(
            result_of(r#"{"ok":false,"description":"Unauthorized"}"#).unwrap_err(),
            "Unauthorized"
        );
        assert!(result_of("<html>").is_err());
        assert_eq!(
            method_url("http://127.0.0.1:9/", "1:x", "getMe"),
            "http://127.0.0.1:9/bot1:x/getMe"
        );
    }
}
