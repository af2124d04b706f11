//! Building and signing what the owner's webhook receives, per the Standard Webhooks spec:
//! `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `"{id}.{timestamp}.{body}"`, keyed with the base64 part of a `whsec_` secret.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret from 24 random bytes the caller supplies (randomness is I/O).
pub fn secret_from_bytes(bytes: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header value, or `None` if the secret is not a valid `whsec_`.
pub fn sign(secret: &str, msg_id: &str, timestamp_secs: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp_secs}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` value for every secret in force, space-separated as Standard
/// Webhooks allows: during a rotation's overlap both the new and the old secret sign, so a
/// receiver verifies with whichever it has. Invalid secrets are left out; `None` if none is
/// valid (a lead is never sent unsigned).
pub fn sign_all(secrets: &[&str], msg_id: &str, timestamp_secs: i64, body: &str) -> Option<String> {
    let signatures: Vec<String> = secrets
        .iter()
        .filter_map(|secret| sign(secret, msg_id, timestamp_secs, body))
        .collect();
    (!signatures.is_empty()).then(|| signatures.join(" "))
}

/// The secrets that sign at `now` (ms): `current`, and `previous` until `previous_until`,
/// the end of the last rotation's overlap.
pub fn secrets_in_force<'a>(
    current: &'a str,
    previous: Option<&'a str>,
    previous_until: Option<i64>,
    now: i64,
) -> Vec<&'a str> {
    match (previous, previous_until) {
        (Some(previous), Some(until)) if now < until => vec![current, previous],
        _ => vec![current],
    }
}

/// The secret a `webhook` post-action's receiver gets: derived from the tool's secret and the
/// receiver's URL, so each third party has its own (it cannot sign as the tool's primary
/// webhook, nor as another post-action), and a rotation of the tool's secret rotates it too.
pub fn derived_secret(tool_secret: &str, target_url: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(tool_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("leadform post-action\n{target_url}").as_bytes());
    secret_from_bytes(&mac.finalize().into_bytes()[..24])
}

/// A receiver URL's user and password as what `fetch` would not send for them: the URL
/// without them and `Authorization: Basic …` (RFC 7617), as curl and most HTTP clients do
/// with `https://user:pass@host/`. A URL without them is as it is, with no header.
pub fn basic_auth_from_url(url: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_string(), None);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return (url.to_string(), None);
    }
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .into_owned()
    };
    let pair = format!(
        "{}:{}",
        decode(parsed.username()),
        decode(parsed.password().unwrap_or(""))
    );
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    (
        parsed.to_string(),
        Some(format!("Basic {}", STANDARD.encode(pair))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_secret_signs_until_its_overlap_ends() {
        let during = secrets_in_force("whsec_new", Some("whsec_old"), Some(1_000), 999);
        assert_eq!(during, ["whsec_new", "whsec_old"]);
        assert_eq!(
            secrets_in_force("whsec_new", Some("whsec_old"), Some(1_000), 1_000),
            ["whsec_new"]
        );
        // Never rotated, or rotated with no overlap recorded: the current secret alone.
        assert_eq!(secrets_in_force("whsec_new", None, None, 0), ["whsec_new"]);
        assert_eq!(
            secrets_in_force("whsec_new", Some("whsec_old"), None, 0),
            ["whsec_new"]
        );
    }

    #[test]
    fn credentials_in_a_receiver_url_become_basic_auth() {
        assert_eq!(
            basic_auth_from_url("https://zap:s%40cret@hooks.example.com/in?x=1"),
            (
                "https://hooks.example.com/in?x=1".to_string(),
                Some("Basic emFwOnNAY3JldA==".to_string())
            )
        );
        assert_eq!(
            basic_auth_from_url("https://token@crm.example/"),
            (
                "https://crm.example/".to_string(),
                Some("Basic dG9rZW46".to_string())
            )
        );
        assert_eq!(
            basic_auth_from_url("https://crm.example/in"),
            ("https://crm.example/in".to_string(), None)
        );
    }

    /// The example of the Standard Webhooks specification (README, "Signature scheme").
    #[test]
    fn matches_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_bad_secret_signs_nothing() {
        assert_eq!(sign("whsec_not base64!", "m", 1, "{}"), None);
    }

    #[test]
    fn during_a_rotation_both_secrets_sign() {
        let (new, old) = (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=",
        );
        let both = sign_all(&[new, old], "msg_1", 1614265330, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(
            parts,
            [
                sign(new, "msg_1", 1614265330, "{}").unwrap(),
                sign(old, "msg_1", 1614265330, "{}").unwrap()
            ]
        );
        assert_eq!(
            sign_all(&[new, "whsec_bad secret"], "m", 1, "{}"),
            sign(new, "m", 1, "{}")
        );
        assert_eq!(sign_all(&["whsec_bad secret"], "m", 1, "{}"), None);
    }

    #[test]
    fn each_post_action_receiver_has_its_own_secret() {
        let tool = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let a = derived_secret(tool, "https://a.example/hook");
        assert!(a.starts_with("whsec_"));
        assert_eq!(a, derived_secret(tool, "https://a.example/hook"), "stable");
        assert_ne!(a, derived_secret(tool, "https://b.example/hook"));
        assert_ne!(a, tool);
        assert_ne!(
            a,
            derived_secret("whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=", "https://a.example/hook")
        );
        assert!(sign(&a, "m", 1, "{}").is_some());
    }

    #[test]
    fn new_secrets_carry_the_prefix() {
        assert!(secret_from_bytes(&[7; 24]).starts_with("whsec_"));
    }
}
