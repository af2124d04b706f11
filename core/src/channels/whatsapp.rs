//! WhatsApp's Cloud API (Meta's Graph API): the webhook's verification handshake, the
//! notifications it posts (signed with the app secret in `X-Hub-Signature-256`), and the
//! messages endpoint the edge answers through, with reply buttons or a list for choices.

use super::{clip, FileRef, Inbound, Outbound, MAX_TEXT};
use crate::chat_form::Known;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// The Graph API's default address (`WHATSAPP_API_URL` replaces it, e.g. in tests).
pub const DEFAULT_API_URL: &str = "https://graph.facebook.com/v21.0";

/// The verification handshake (`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`):
/// the challenge to echo when the token is the channel's, else `None` (a 403).
pub fn challenge<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    verify_token: &str,
) -> Option<&'a str> {
    let token_ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(verify_token.as_bytes())));
    (mode == Some("subscribe") && token_ok && !verify_token.is_empty())
        .then_some(challenge?)
        .filter(|c| !c.is_empty() && c.len() <= 200)
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of the raw `body` with the app
/// secret, compared in constant time. Never with an empty secret (a channel whose secret
/// is missing): anyone can sign with that.
pub fn signature_ok(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(hex) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Some(given) = decode_hex(hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    given.len() == expected.len() && bool::from(given.as_slice().ct_eq(expected.as_slice()))
}

/// `sha256=<hex>` for `body`: what a sender (a test, a replayed delivery) signs with.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.len() > 128 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The messages of a notification addressed to `phone_number_id` (a business may point
/// several numbers at one webhook), each as [`Inbound`]. Status updates (sent, read) carry
/// no message and give none.
pub fn parse_notification(body: &Value, phone_number_id: &str) -> Result<Vec<Inbound>, String> {
    let entries = body
        .get("entry")
        .and_then(Value::as_array)
        .ok_or("a notification needs an entry array")?;
    let mut inbound = Vec::new();
    for change in entries
        .iter()
        .filter_map(|e| e.get("changes").and_then(Value::as_array))
        .flatten()
    {
        let Some(value) = change.get("value") else {
            continue;
        };
        if value.pointer("/metadata/phone_number_id").and_then(Value::as_str) != Some(phone_number_id) {
            continue;
        }
        let contacts = value.get("contacts").and_then(Value::as_array);
        for message in value
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(id), Some(from)) = (
                message.get("id").and_then(Value::as_str),
                message.get("from").and_then(Value::as_str),
            ) else {
                continue;
            };
            let name = contacts
                .and_then(|c| {
                    c.iter()
                        .find(|c| c.get("wa_id").and_then(Value::as_str) == Some(from))
                })
                .and_then(|c| c.pointer("/profile/name"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let kind = message.get("type").and_then(Value::as_str).unwrap_or_default();
            let text = match kind {
                "text" => message.pointer("/text/body"),
                "button" => message.pointer("/button/text"),
                "interactive" => message
                    .pointer("/interactive/button_reply/title")
                    .or_else(|| message.pointer("/interactive/list_reply/title")),
                "document" | "image" => message.pointer(&format!("/{kind}/caption")),
                _ => None,
            }
            .and_then(Value::as_str)
            .map(|t| clip(t, 2_000));
            let file = matches!(kind, "document" | "image")
                .then(|| message.get(kind))
                .flatten()
                .and_then(|media| {
                    Some(FileRef {
                        id: media.get("id")?.as_str()?.to_string(),
                        name: media
                            .get("filename")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .or_else(|| (kind == "image").then(|| "photo.jpg".to_string())),
                        mime_type: media.get("mime_type").and_then(Value::as_str).map(str::to_string),
                        size: None,
                    })
                });
            inbound.push(Inbound {
                update_id: id.to_string(),
                chat_id: from.to_string(),
                user_id: from.to_string(),
                text,
                file,
                known: Known {
                    // The sender's number is the WhatsApp account's: the platform vouches for it.
                    phone: Some(format!("+{}", from.trim_start_matches('+'))),
                    name,
                },
                language: language_of_number(from).map(str::to_string),
            });
        }
    }
    Ok(inbound)
}

/// Country calling codes whose country mostly speaks one of the widget's languages
/// (`locale::LOCALES`). WhatsApp tells no language, but the sender's number tells its
/// country. Countries of several languages (Switzerland, Belgium, Canada) are left out:
/// their people get the agent's setting or English, as before. Calling codes are a prefix
/// code (none begins another), so the first match is the only one; the North American
/// plan's "1" is not here, only its Spanish-speaking Dominican Republic (1 809/829/849).
#[rustfmt::skip]
const CALLING_CODES: &[(&str, &str)] = &[
    ("49", "de"), ("43", "de"), ("423", "de"),
    ("33", "fr"), ("377", "fr"), ("221", "fr"), ("223", "fr"), ("224", "fr"), ("225", "fr"),
    ("226", "fr"), ("227", "fr"), ("228", "fr"), ("229", "fr"), ("241", "fr"), ("242", "fr"),
    ("243", "fr"), ("262", "fr"), ("590", "fr"), ("594", "fr"), ("596", "fr"), ("687", "fr"),
    ("689", "fr"),
    ("34", "es"), ("52", "es"), ("53", "es"), ("54", "es"), ("56", "es"), ("57", "es"),
    ("51", "es"), ("58", "es"), ("240", "es"), ("502", "es"), ("503", "es"), ("504", "es"),
    ("505", "es"), ("506", "es"), ("507", "es"), ("591", "es"), ("593", "es"), ("595", "es"),
    ("598", "es"), ("1809", "es"), ("1829", "es"), ("1849", "es"),
    ("351", "pt"), ("55", "pt"), ("244", "pt"), ("238", "pt"), ("239", "pt"), ("245", "pt"),
    ("258", "pt"),
    ("81", "ja"),
    ("20", "ar"), ("212", "ar"), ("213", "ar"), ("216", "ar"), ("218", "ar"), ("222", "ar"),
    ("249", "ar"), ("961", "ar"), ("962", "ar"), ("963", "ar"), ("964", "ar"), ("965", "ar"),
    ("966", "ar"), ("967", "ar"), ("968", "ar"), ("970", "ar"), ("971", "ar"), ("973", "ar"),
    ("974", "ar"),
];

/// The language most people with this number speak, by its country calling code
/// (`4915112345678` → `de`); `None` for a country of several languages or one the widget
/// does not speak. The agent's own setting still comes first (`locale::pick`).
pub fn language_of_number(number: &str) -> Option<&'static str> {
    let digits = number.trim_start_matches('+');
    CALLING_CODES
        .iter()
        .find(|(code, _)| digits.starts_with(code))
        .map(|&(_, language)| language)
}

/// The messages endpoint's body: plain text; up to 3 short choices as reply buttons; more
/// (up to 10) as a list; beyond that the choices are written out in the text.
pub fn send_body(to: &str, message: &Outbound) -> Value {
    let text = clip(&message.text, MAX_TEXT);
    let choices = &message.choices;
    if choices.is_empty() {
        return json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": {"body": text}});
    }
    let short = |max: usize| choices.iter().all(|c| c.chars().count() <= max);
    if choices.len() <= 3 && short(20) {
        let buttons: Vec<Value> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"type": "reply", "reply": {"id": format!("choice_{i}"), "title": c}}))
            .collect();
        return json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "interactive", "interactive": {"type": "button", "body": {"text": clip(&text, 1_024)},
            "action": {"buttons": buttons}}});
    }
    if choices.len() <= 10 && short(24) {
        let choose = crate::chat_words::word(message.locale, crate::chat_words::W::Choose);
        let section = crate::chat_words::word(message.locale, crate::chat_words::W::Choices);
        let rows: Vec<Value> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"id": format!("choice_{i}"), "title": c}))
            .collect();
        return json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "interactive", "interactive": {"type": "list", "body": {"text": clip(&text, 1_024)},
            "action": {"button": choose, "sections": [{"title": section, "rows": rows}]}}});
    }
    let listed: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}. {c}", i + 1))
        .collect();
    let body = clip(&format!("{text}\n{}", listed.join("\n")), MAX_TEXT);
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "text", "text": {"body": body}})
}

/// The URL of the messages endpoint of a business number.
pub fn messages_url(api_url: &str, phone_number_id: &str) -> String {
    format!("{}/{phone_number_id}/messages", api_url.trim_end_matches('/'))
}

/// The URL that describes a media item (its download `url`).
pub fn media_url(api_url: &str, media_id: &str) -> String {
    format!("{}/{media_id}", api_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(message: Value) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp",
              "metadata": {"display_phone_number": "15550001111", "phone_number_id": "PNID"},
              "contacts": [{"profile": {"name": "Kai Lee"}, "wa_id": "4915112345678"}],
              "messages": [message]}}]}]})
    }

    #[test]
    fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
        assert_eq!(
            challenge(Some("subscribe"), Some("vt"), Some("1158201444"), "vt"),
            Some("1158201444")
        );
        assert_eq!(challenge(Some("subscribe"), Some("nope"), Some("1"), "vt"), None);
        assert_eq!(challenge(Some("unsubscribe"), Some("vt"), Some("1"), "vt"), None);
        assert_eq!(challenge(Some("subscribe"), Some(""), Some("1"), ""), None);
    }

    #[test]
    fn signatures_are_checked_on_the_raw_body() {
        let body = br#"{"entry":[]}"#;
        let good = signature("app-secret", body);
        assert!(signature_ok("app-secret", body, Some(&good)));
        assert!(!signature_ok("other", body, Some(&good)));
        assert!(
            !signature_ok("app-secret", b"{\"entry\": []}", Some(&good)),
            "one byte off"
        );
        assert!(!signature_ok("app-secret", body, None));
        // A channel without its secret refuses everything, even what is signed with "".
        assert!(!signature_ok("", body, Some(&signature("", body))));
        assert!(!signature_ok("app-secret", body, Some("sha256=zz")));
        assert!(!signature_ok(
            "app-secret",
            body,
            Some(good.trim_start_matches("sha256="))
        ));
    }

    #[test]
    fn text_buttons_and_documents_read_as_inbound() {
        let text = notification(
            json!({"from": "4915112345678", "id": "wamid.1", "timestamp": "1", "type": "text", "text": {"body": "Hi there"}}),
        );
        let inbound = &parse_notification(&text, "PNID").unwrap()[0];
        assert_eq!(
            (inbound.update_id.as_str(), inbound.chat_id.as_str()),
            ("wamid.1", "4915112345678")
        );
        assert_eq!(inbound.text.as_deref(), Some("Hi there"));
        assert_eq!(inbound.known.phone.as_deref(), Some("+4915112345678"));
        assert_eq!(inbound.known.name.as_deref(), Some("Kai Lee"));
        let button = notification(
            json!({"from": "4915112345678", "id": "wamid.2", "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": "choice_1", "title": "11-50"}}}),
        );
        assert_eq!(
            parse_notification(&button, "PNID").unwrap()[0].text.as_deref(),
            Some("11-50")
        );
        let doc = notification(
            json!({"from": "4915112345678", "id": "wamid.3", "type": "document",
            "document": {"id": "MEDIA1", "mime_type": "application/pdf", "filename": "cv.pdf"}}),
        );
        let file = parse_notification(&doc, "PNID").unwrap()[0].file.clone().unwrap();
        assert_eq!(
            (file.id.as_str(), file.name.as_deref()),
            ("MEDIA1", Some("cv.pdf"))
        );
        assert!(
            parse_notification(&text, "OTHER").unwrap().is_empty(),
            "another number's message"
        );
        let statuses = json!({"entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "PNID"}, "statuses": [{"id": "x"}]}}]}]});
        assert!(parse_notification(&statuses, "PNID").unwrap().is_empty());
        assert!(parse_notification(&json!({}), "PNID").is_err());
    }

    #[test]
    fn a_number_tells_its_country_s_language_where_there_is_one() {
        assert_eq!(language_of_number("4915112345678"), Some("de"));
        assert_eq!(language_of_number("+33612345678"), Some("fr"));
        assert_eq!(language_of_number("5511987654321"), Some("pt"));
        assert_eq!(language_of_number("818012345678"), Some("ja"));
        assert_eq!(language_of_number("966501234567"), Some("ar"));
        assert_eq!(
            language_of_number("18095551234"),
            Some("es"),
            "the Dominican Republic"
        );
        // Several languages (Switzerland, Canada), or one the widget does not speak.
        for number in [
            "41791234567",
            "14165551234",
            "15551234567",
            "447700900123",
            "8613812345678",
            "",
        ] {
            assert_eq!(language_of_number(number), None, "{number}");
        }
        // A prefix code: no calling code begins another, so the order of the table is moot.
        for (a, language) in CALLING_CODES {
            for (b, _) in CALLING_CODES {
                assert!(a == b || !b.starts_with(a), "{a} begins {b}");
            }
            assert!(
                crate::locale::index(language).is_some(),
                "{language} is a widget language"
            );
        }
        // And the notification's sender gets it.
        let from_berlin = json!({"entry": [{"changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "PN"},
            "messages": [{"id": "wamid.1", "from": "4915112345678", "type": "text", "text": {"body": "Hallo"}}]}}]}]});
        assert_eq!(
            parse_notification(&from_berlin, "PN").unwrap()[0]
                .language
                .as_deref(),
            Some("de")
        );
    }

    #[test]
    fn choices_become_buttons_a_list_or_numbered_text() {
        let ask = |choices: &[&str]| Outbound {
            text: "Pick".into(),
            choices: choices.iter().map(|c| c.to_string()).collect(),
            locale: 0,
        };
        let plain = send_body("49151", &ask(&[]));
        assert_eq!(plain["type"], "text");
        assert_eq!(plain["text"]["body"], "Pick");
        let buttons = send_body("49151", &ask(&["Yes", "No"]));
        assert_eq!(buttons["interactive"]["type"], "button");
        assert_eq!(
            buttons["interactive"]["action"]["buttons"][1]["reply"]["title"],
            "No"
        );
        let list = send_body("49151", &ask(&["a", "b", "c", "d"]));
        assert_eq!(list["interactive"]["type"], "list");
        assert_eq!(
            list["interactive"]["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(list["interactive"]["action"]["button"], "Choose");
        assert_eq!(list["interactive"]["action"]["sections"][0]["title"], "Choices");
        // The list's button is WhatsApp's control, in the chat's language.
        let german = send_body(
            "49151",
            &Outbound {
                locale: 1,
                ..ask(&["a", "b", "c", "d"])
            },
        );
        assert_eq!(german["interactive"]["action"]["button"], "Auswählen");
        let long: Vec<String> = (0..12).map(|i| format!("option {i}")).collect();
        let many = send_body(
            "49151",
            &Outbound {
                text: "Pick".into(),
                choices: long,
                locale: 0,
            },
        );
        assert_eq!(many["type"], "text");
        assert!(many["text"]["body"].as_str().unwrap().contains("12. option 11"));
    }
}
