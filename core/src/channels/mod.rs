//! Messaging channels (issue 13): what Telegram's Bot API and WhatsApp's Cloud API send the
//! edge and what the edge sends back, read and written here; the edge only moves bytes.
//! Both come down to the same [`Inbound`] message, so one conversation logic serves both.

pub mod telegram;
pub mod whatsapp;

use crate::chat_form::Known;

/// The channels a lead can come from besides the widget and the API.
pub const KINDS: [&str; 2] = ["telegram", "whatsapp"];

/// One message a person sent, as both platforms come down to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inbound {
    /// The platform's id of this delivery (Telegram's `update_id`, WhatsApp's message id):
    /// the platforms deliver again when unsure, and the edge acts once per id.
    pub update_id: String,
    /// Where to answer (Telegram's chat id, WhatsApp's sender number).
    pub chat_id: String,
    /// The person's id on the platform (kept with the submission).
    pub user_id: String,
    /// What they wrote (or the button they pressed).
    pub text: Option<String>,
    /// A document or photo they sent.
    pub file: Option<FileRef>,
    /// What the platform tells about them.
    pub known: Known,
    /// The language their app is set to (`de`, `pt-br`), when the platform tells it
    /// (Telegram's `language_code`); WhatsApp does not, so there it is the usual language
    /// of the number's country (`whatsapp::language_of_number`).
    pub language: Option<String>,
}

/// A file on the platform, fetched only when a form asks for one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileRef {
    pub id: String,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    /// As the platform declares it, when it does (checked again on the bytes).
    pub size: Option<u64>,
}

/// An answer to send: text, and the choices as buttons where the platform has them. `None`
/// choices with `clear` remove a keyboard left from an earlier question.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outbound {
    pub text: String,
    pub choices: Vec<String>,
    /// The chat's language (an index into `locale::LOCALES`), for the platform's own
    /// controls around the choices (WhatsApp's list button).
    pub locale: usize,
}

/// Longest message sent (Telegram's limit is 4,096 characters, WhatsApp's 4,096).
pub const MAX_TEXT: usize = 4_000;

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Where a file a person sent for a form waits in R2 until the form is sent (a data URL of
/// up to 5 MB does not fit the chat's row in D1). The key starts with when it was parked,
/// in zero-padded milliseconds, so a listing of [`PARKED_PREFIX`] comes oldest first and
/// the sweep of abandoned ones ([`parked_at`]) stops at the first young one.
pub fn parked_key(at_ms: i64, channel_id: &str, display_id: &str, field: &str) -> String {
    format!("{PARKED_PREFIX}{at_ms:013}/{channel_id}/{display_id}/{field}")
}

/// Every parked file's key begins with this.
pub const PARKED_PREFIX: &str = "parked/";

/// When the file at `key` was parked; `None` for a key [`parked_key`] did not make.
pub fn parked_at(key: &str) -> Option<i64> {
    let stamp = key.strip_prefix(PARKED_PREFIX)?.split('/').next()?;
    (stamp.len() == 13 && stamp.bytes().all(|b| b.is_ascii_digit()))
        .then(|| stamp.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parked_keys_sort_by_time_and_tell_it() {
        let early = parked_key(999_999_999_999, "chan_b", "disp_1", "plan");
        let later = parked_key(1_764_512_345_678, "chan_a", "disp_2", "my/odd field");
        assert!(
            early < later,
            "a listing comes oldest first, whatever the channel"
        );
        assert_eq!(parked_at(&early), Some(999_999_999_999));
        assert_eq!(parked_at(&later), Some(1_764_512_345_678));
        for key in [
            "sub_1/plan",
            "parked/",
            "parked/12345/chan/disp/f",
            "parked/17645123456x8/c/d/f",
        ] {
            assert_eq!(parked_at(key), None, "{key}");
        }
    }
}
