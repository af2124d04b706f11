//! Dashboard sign-in, the pure part: how passwords are stored, what a new password must be,
//! when repeated failures lock an account, and the session cookie. The hashing itself runs
//! in the edge through WebCrypto (`crypto.subtle`), which is native code there.

use crate::validate::{is_email, FieldError};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;

/// PBKDF2-SHA256 iterations for new passwords. 100,000 is the most Cloudflare's WebCrypto
/// accepts (it refuses higher counts); OWASP's 600,000 is out of reach on Workers, so a
/// long salt, a length minimum and the lock-out below carry the rest.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
/// Bytes of random salt per password, and of derived key.
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;

pub const PASSWORD_MIN_CHARS: usize = 10;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const PASSWORD_MAX_BYTES: usize = 1024;
pub const EMAIL_MAX_BYTES: usize = 254;

/// How a password is stored: `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64). The
/// iteration count travels with each hash, so raising it later leaves old ones readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    pub fn encode(&self) -> String {
        format!(
            "pbkdf2-sha256${}${}${}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('$');
        if parts.next()? != "pbkdf2-sha256" {
            return None;
        }
        let iterations = parts.next()?.parse().ok().filter(|n| *n > 0)?;
        let salt = B64.decode(parts.next()?).ok()?;
        let hash = B64.decode(parts.next()?).ok()?;
        (parts.next().is_none() && !salt.is_empty() && hash.len() == HASH_BYTES).then_some(PasswordHash {
            iterations,
            salt,
            hash,
        })
    }

    /// Whether `derived` (the same password run through the same salt and count) matches,
    /// compared in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.hash.as_slice().ct_eq(derived))
    }
}

/// A member's email as stored and compared: trimmed and lower-cased.
pub fn normalize_email(field: &str, email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if email.len() > EMAIL_MAX_BYTES || !is_email(&email) {
        return Err(FieldError::new(
            field,
            "must be an email address like name@example.com",
        ));
    }
    Ok(email)
}

/// What a new password must be.
pub fn check_new_password(field: &str, password: &str, email: &str) -> Result<(), FieldError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(FieldError::new(field, "is too long"));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(FieldError::new(field, "must not be your email address"));
    }
    Ok(())
}

/// Consecutive failed sign-ins an account takes before it locks.
pub const LOCK_AFTER_FAILURES: u32 = 5;
const FIRST_LOCK_MS: i64 = 15 * 60 * 1000;
const LONGEST_LOCK_MS: i64 = 24 * 60 * 60 * 1000;

/// How long an account stays locked after its `failures`-th consecutive failure: nothing
/// before [`LOCK_AFTER_FAILURES`], then 15 minutes, doubling with each further failure up to
/// a day. A success resets the count. (A per-address rate limit slows guessing across
/// accounts; this stops it against one.)
pub fn lock_for_ms(failures: u32) -> Option<i64> {
    let beyond = failures.checked_sub(LOCK_AFTER_FAILURES)?;
    let doubled = FIRST_LOCK_MS.saturating_mul(1i64 << beyond.min(16));
    Some(doubled.min(LONGEST_LOCK_MS))
}

/// A signed-in session lasts this long from sign-in; signing out or losing the member ends it
/// sooner.
pub const SESSION_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// An invitation link works for this long.
pub const INVITE_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

pub const SESSION_COOKIE: &str = "lf_session";

/// The `Set-Cookie` of a new session: `HttpOnly` (scripts never see it), `SameSite=Lax` (not
/// sent on another site's form posts), `Secure` except on a local plain-HTTP edge, scoped to
/// the dashboard and the owner API that both read it.
pub fn session_cookie(value: &str, secure: bool, max_age_secs: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The `Set-Cookie` that ends a session in the browser.
pub fn cleared_session_cookie(secure: bool) -> String {
    session_cookie("", secure, 0)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then_some(value)
    })
}

/// Whether `given` equals `expected`, in constant time (CSRF tokens, invitation tokens).
pub fn same_secret(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Whether `next` may be where sign-in sends a member: a path of the dashboard and only
/// there. Printable ASCII only (it goes into a `Location` header), no backslash (browsers
/// read it as a slash), and no `.` or `..` segment, written out or percent-encoded, which
/// the browser would resolve to a path outside `/dashboard/`.
pub fn is_dashboard_path(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    next.starts_with("/dashboard/")
        && !next.contains('\\')
        && next.chars().all(|c| c.is_ascii_graphic())
        && path
            .split('/')
            .map(|segment| segment.to_ascii_lowercase().replace("%2e", "."))
            .all(|segment| segment != "." && segment != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_goes_on_to_a_dashboard_path_only() {
        for fine in [
            "/dashboard/leads",
            "/dashboard/leads/lead_1?agent=a&x=..",
            "/dashboard/a.b/..c",
        ] {
            assert!(is_dashboard_path(fine), "{fine}");
        }
        for wrong in [
            "/dashboard/../v1/agents/a/leads.csv",
            "/dashboard/%2e%2E/v1/keys",
            "/dashboard/./x",
            "/dashboard/..",
            "//evil.example/dashboard/",
            "/dashboard/\\evil",
            "/dashboard/a b",
            "/dashboard/\r\nSet-Cookie:x",
            "https://evil.example/dashboard/",
            "/v1/agents",
        ] {
            assert!(!is_dashboard_path(wrong), "{wrong}");
        }
    }

    #[test]
    fn a_password_hash_round_trips_and_refuses_other_text() {
        let stored = PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt: vec![1; SALT_BYTES],
            hash: vec![2; HASH_BYTES],
        };
        let text = stored.encode();
        assert!(text.starts_with("pbkdf2-sha256$100000$"));
        assert_eq!(PasswordHash::parse(&text), Some(stored.clone()));
        assert!(stored.matches(&[2; HASH_BYTES]));
        assert!(!stored.matches(&[3; HASH_BYTES]));
        assert!(!stored.matches(&[2; 31]));
        for bad in [
            "",
            "plain",
            "pbkdf2-sha1$1000$AQ$Ag",
            "pbkdf2-sha256$0$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "pbkdf2-sha256$100000$$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
            "pbkdf2-sha256$100000$AQ$Ag",
            "pbkdf2-sha256$100000$AQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI$x",
        ] {
            assert_eq!(PasswordHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("email", "  Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        assert_eq!(normalize_email("email", "").unwrap_err().field, "email");
        assert!(normalize_email("email", "not an email").is_err());
        assert!(normalize_email("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn new_passwords_are_long_enough_and_not_the_email() {
        assert!(check_new_password("password", "correct horse", "a@b.co").is_ok());
        let short = check_new_password("password", "short", "a@b.co").unwrap_err();
        assert_eq!(short.field, "password");
        assert!(short.reason.contains("10 characters"));
        // Counted in characters, not bytes.
        assert!(check_new_password("password", "ääääääääää", "a@b.co").is_ok());
        assert!(check_new_password("password", "ana@example.com", "ANA@example.com").is_err());
        assert!(check_new_password("password", &"x".repeat(2000), "a@b.co").is_err());
    }

    #[test]
    fn repeated_failures_lock_for_longer_each_time_up_to_a_day() {
        assert_eq!(lock_for_ms(0), None);
        assert_eq!(lock_for_ms(LOCK_AFTER_FAILURES - 1), None);
        assert_eq!(lock_for_ms(LOCK_AFTER_FAILURES), Some(15 * 60 * 1000));
        assert_eq!(lock_for_ms(LOCK_AFTER_FAILURES + 1), Some(30 * 60 * 1000));
        assert_eq!(lock_for_ms(LOCK_AFTER_FAILURES + 20), Some(24 * 60 * 60 * 1000));
        assert_eq!(lock_for_ms(u32::MAX), Some(24 * 60 * 60 * 1000));
    }

    #[test]
    fn the_session_cookie_is_http_only_lax_and_secure_outside_local_dev() {
        let cookie = session_cookie("abc", true, 60);
        assert_eq!(
            cookie,
            "lf_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(!session_cookie("abc", false, 60).contains("Secure"));
        assert!(cleared_session_cookie(true).contains("Max-Age=0"));
    }

    #[test]
    fn a_cookie_is_found_by_its_exact_name() {
        let header = "theme=dark; xlf_session=evil; lf_session=tok123; other=1";
        assert_eq!(cookie(header, "lf_session"), Some("tok123"));
        assert_eq!(cookie("lf_session=", "lf_session"), None);
        assert_eq!(cookie("", "lf_session"), None);
    }

    #[test]
    fn secrets_compare_whole_and_never_empty() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", ""));
    }
}
