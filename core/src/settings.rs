//! The edge's configuration (wrangler.toml vars and secrets), read in one place and checked
//! strictly: a value that does not parse is an error naming the variable, never a silent
//! default. Absent optional variables take the documented defaults.

use crate::owner::{MAX_ATTEMPTS, MAX_RETRY_DELAY_SECS};
use crate::retry::DEFAULT_SCHEDULE_SECS;

/// The variables read here (wrangler.toml `[vars]`, or secrets).
pub mod vars {
    /// Secret: the admin owner key (`Authorization: Bearer ...`).
    pub const API_KEY: &str = "LEADFORM_API_KEY";
    /// Comma-separated delays in seconds before each delivery attempt (default 0,60,300).
    pub const RETRY_SCHEDULE: &str = "RETRY_SCHEDULE_SECS";
    /// How long a submit waits for the webhook's first attempt before answering (ms).
    pub const FIRST_ATTEMPT_WAIT: &str = "FIRST_ATTEMPT_WAIT_MS";
    /// Time-out of one delivery attempt (ms); the seed says 30 seconds.
    pub const ATTEMPT_TIMEOUT: &str = "DELIVERY_TIMEOUT_MS";
    /// "true" lets webhooks target loopback addresses: local development and tests only.
    pub const ALLOW_LOOPBACK: &str = "ALLOW_LOOPBACK_WEBHOOKS";
    /// The edge's public address, for file links in webhooks.
    pub const PUBLIC_URL: &str = "PUBLIC_URL";
    /// How long a file link works, in seconds (default 7 days).
    pub const FILE_URL_TTL: &str = "FILE_URL_TTL_SECS";
    /// How late (seconds) a due delivery must be before the cron sweep re-enqueues it.
    pub const SWEEP_GRACE: &str = "SWEEP_GRACE_SECS";
    /// "off" skips the rate limits: only for load tests on one's own machine.
    pub const RATE_LIMITS: &str = "RATE_LIMITS";
    /// How long (seconds) a page's handler has to report before its part settles as failed.
    pub const CLIENT_REPORT_TIMEOUT: &str = "CLIENT_REPORT_TIMEOUT_SECS";
    /// Most leads one CSV export holds: each page of them is a D1 query, and an invocation
    /// may make only so many (1,000 on Workers Paid, 50 on Free).
    pub const EXPORT_MAX_LEADS: &str = "EXPORT_MAX_LEADS";
    /// The dashboard's first admin: signing in with this email and password (a secret)
    /// creates the member when no member has that email yet.
    pub const ADMIN_EMAIL: &str = "LEADFORM_ADMIN_EMAIL";
    pub const ADMIN_PASSWORD: &str = "LEADFORM_ADMIN_PASSWORD";
    /// The agent's LLM: an OpenAI-compatible chat-completions base URL (`…/v1`), its key (a
    /// secret, optional for a local server), the model, and how long to wait for it.
    pub const LLM_BASE_URL: &str = "AGENT_LLM_BASE_URL";
    pub const LLM_API_KEY: &str = "AGENT_LLM_API_KEY";
    pub const LLM_MODEL: &str = "AGENT_LLM_MODEL";
    pub const LLM_TIMEOUT: &str = "AGENT_LLM_TIMEOUT_MS";
}

/// The agent's LLM, when one is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSettings {
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub timeout_ms: u64,
}

/// 800 pages of 500 leads: within Workers Paid's 1,000 D1 queries per invocation, with room
/// for the reads before them. On Workers Free (50 queries) set 20,000.
pub const DEFAULT_EXPORT_MAX_LEADS: u64 = 400_000;

/// Shortest owner key accepted: anything shorter could be guessed.
pub const MIN_API_KEY_CHARS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub api_key: String,
    pub retry_schedule: Vec<u32>,
    pub first_attempt_wait_ms: u64,
    pub attempt_timeout_ms: u64,
    pub allow_loopback: bool,
    pub public_url: Option<String>,
    pub file_url_ttl_secs: i64,
    pub sweep_grace_secs: i64,
    pub rate_limits: bool,
    pub client_report_timeout_secs: i64,
    pub export_max_leads: u64,
    /// The dashboard's first admin (email, password), when configured.
    pub first_admin: Option<(String, String)>,
    pub llm: Option<LlmSettings>,
}

/// Which variable is wrong, and why (never its value: it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.var, self.reason)
    }
}

/// Reads every setting through `get` (the variable's text, `None` when unset).
pub fn parse(get: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let fail = |var: &'static str, reason: &str| ConfigError {
        var,
        reason: reason.to_string(),
    };
    let set = |var: &'static str| get(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let number = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
        match set(var) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| fail(var, &format!("must be a whole number from 0 to {max}"))),
        }
    };
    let flag = |var: &'static str, default: &str, on: &str, off: &str| -> Result<bool, ConfigError> {
        match set(var).as_deref().unwrap_or(default) {
            v if v == on => Ok(true),
            v if v == off => Ok(false),
            _ => Err(fail(var, &format!("must be {on} or {off}"))),
        }
    };

    let api_key = set(vars::API_KEY).ok_or_else(|| {
        fail(
            vars::API_KEY,
            "is missing: set it as a secret (wrangler secret put)",
        )
    })?;
    if api_key.chars().count() < MIN_API_KEY_CHARS {
        return Err(fail(
            vars::API_KEY,
            &format!("must be at least {MIN_API_KEY_CHARS} characters"),
        ));
    }
    // Unset is the default; set but blank is a mistake (a deploy that meant to set it).
    let retry_schedule = match get(vars::RETRY_SCHEDULE).map(|v| v.trim().to_string()) {
        None => DEFAULT_SCHEDULE_SECS.to_vec(),
        Some(text) => {
            let delays: Option<Vec<u32>> = text.split(',').map(|d| d.trim().parse().ok()).collect();
            delays
                .filter(|d| (1..=MAX_ATTEMPTS).contains(&d.len()) && d.iter().all(|s| *s <= MAX_RETRY_DELAY_SECS))
                .ok_or_else(|| {
                    fail(
                        vars::RETRY_SCHEDULE,
                        &format!("must be 1 to {MAX_ATTEMPTS} comma-separated delays in seconds, each at most 30 days"),
                    )
                })?
        }
    };
    let allow_loopback = flag(vars::ALLOW_LOOPBACK, "false", "true", "false")?;
    let public_url = match set(vars::PUBLIC_URL) {
        None => None,
        Some(url) if crate::validate::is_http_url(&url) => Some(url),
        Some(_) => return Err(fail(vars::PUBLIC_URL, "must be an http:// or https:// address")),
    };
    let first_admin = match (
        set(vars::ADMIN_EMAIL),
        get(vars::ADMIN_PASSWORD).filter(|p| !p.is_empty()),
    ) {
        (None, None) => None,
        (Some(email), Some(password)) => {
            let email = crate::signin::normalize_email(vars::ADMIN_EMAIL, &email)
                .map_err(|e| fail(vars::ADMIN_EMAIL, &e.reason))?;
            crate::signin::check_new_password(vars::ADMIN_PASSWORD, &password, &email)
                .map_err(|e| fail(vars::ADMIN_PASSWORD, &e.reason))?;
            Some((email, password))
        }
        (Some(_), None) => {
            return Err(fail(
                vars::ADMIN_PASSWORD,
                "is missing: set it with LEADFORM_ADMIN_EMAIL",
            ))
        }
        (None, Some(_)) => {
            return Err(fail(
                vars::ADMIN_EMAIL,
                "is missing: set it with LEADFORM_ADMIN_PASSWORD",
            ))
        }
    };
    let llm = match set(vars::LLM_BASE_URL) {
        None => None,
        Some(url) if !crate::validate::is_http_url(&url) => {
            return Err(fail(vars::LLM_BASE_URL, "must be an http:// or https:// address"))
        }
        Some(url) => Some(LlmSettings {
            base_url: url.trim_end_matches('/').to_string(),
            api_key: set(vars::LLM_API_KEY),
            model: set(vars::LLM_MODEL).ok_or_else(|| {
                fail(
                    vars::LLM_MODEL,
                    "is missing: name the model AGENT_LLM_BASE_URL serves",
                )
            })?,
            timeout_ms: number(vars::LLM_TIMEOUT, 10_000, 60_000)?.max(100),
        }),
    };
    Ok(Settings {
        api_key,
        first_admin,
        llm,
        retry_schedule,
        first_attempt_wait_ms: number(vars::FIRST_ATTEMPT_WAIT, 2_000, 30_000)?,
        attempt_timeout_ms: number(vars::ATTEMPT_TIMEOUT, 30_000, 120_000)?.max(1),
        allow_loopback,
        public_url,
        file_url_ttl_secs: number(vars::FILE_URL_TTL, 7 * 24 * 3600, 365 * 24 * 3600)?.max(1) as i64,
        sweep_grace_secs: number(vars::SWEEP_GRACE, 60, 24 * 3600)? as i64,
        rate_limits: flag(vars::RATE_LIMITS, "on", "on", "off")?,
        client_report_timeout_secs: number(vars::CLIENT_REPORT_TIMEOUT, 900, 7 * 24 * 3600)?.max(1) as i64,
        export_max_leads: number(vars::EXPORT_MAX_LEADS, DEFAULT_EXPORT_MAX_LEADS, 10_000_000)?.max(1),
    })
}

/// Whether file links may point at `public_url`: a loopback address only works on the
/// machine itself, so it is refused unless loopback is allowed (local development).
pub fn links_refused(settings: &Settings) -> Option<String> {
    let url = settings.public_url.as_deref()?;
    (crate::owner::names_this_machine(url) && !settings.allow_loopback).then(|| {
        format!("PUBLIC_URL is a loopback address ({url}): set it to the edge's public address so file links work")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse_with(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(&|name| map.get(name).cloned())
    }

    const KEY: (&str, &str) = ("LEADFORM_API_KEY", "0123456789abcdef0123");

    #[test]
    fn defaults_fill_what_is_unset() {
        let s = parse_with(&[KEY]).unwrap();
        assert_eq!(s.retry_schedule, vec![0, 60, 300]);
        assert_eq!((s.first_attempt_wait_ms, s.attempt_timeout_ms), (2_000, 30_000));
        assert!(!s.allow_loopback && s.rate_limits);
        assert_eq!(s.public_url, None);
        assert_eq!((s.file_url_ttl_secs, s.sweep_grace_secs), (604_800, 60));
        assert_eq!(s.client_report_timeout_secs, 900);
        assert_eq!(s.export_max_leads, 400_000);
        assert_eq!(s.first_admin, None);
        assert_eq!(s.llm, None);
        let llm = parse_with(&[
            KEY,
            ("AGENT_LLM_BASE_URL", "http://127.0.0.1:8080/v1/"),
            ("AGENT_LLM_MODEL", "m"),
        ])
        .unwrap()
        .llm
        .unwrap();
        assert_eq!(
            (llm.base_url.as_str(), llm.timeout_ms, llm.api_key),
            ("http://127.0.0.1:8080/v1", 10_000, None)
        );
        let with_admin = parse_with(&[
            KEY,
            ("LEADFORM_ADMIN_EMAIL", " Owner@Example.com "),
            ("LEADFORM_ADMIN_PASSWORD", "a long password"),
        ])
        .unwrap();
        assert_eq!(
            with_admin.first_admin,
            Some(("owner@example.com".into(), "a long password".into()))
        );
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        let cases: [(&[(&str, &str)], &str); 18] = [
            (
                &[KEY, ("AGENT_LLM_BASE_URL", "http://127.0.0.1:9/v1")],
                "AGENT_LLM_MODEL",
            ),
            (&[KEY, ("AGENT_LLM_BASE_URL", "llm.local")], "AGENT_LLM_BASE_URL"),
            (
                &[KEY, ("LEADFORM_ADMIN_EMAIL", "owner@example.com")],
                "LEADFORM_ADMIN_PASSWORD",
            ),
            (
                &[KEY, ("LEADFORM_ADMIN_PASSWORD", "a long password")],
                "LEADFORM_ADMIN_EMAIL",
            ),
            (
                &[
                    KEY,
                    ("LEADFORM_ADMIN_EMAIL", "owner@example.com"),
                    ("LEADFORM_ADMIN_PASSWORD", "short"),
                ],
                "LEADFORM_ADMIN_PASSWORD",
            ),
            (&[], "LEADFORM_API_KEY"),
            (&[("LEADFORM_API_KEY", "  ")], "LEADFORM_API_KEY"),
            (&[("LEADFORM_API_KEY", "short")], "LEADFORM_API_KEY"),
            (&[KEY, ("RETRY_SCHEDULE_SECS", "0,1m,5m")], "RETRY_SCHEDULE_SECS"),
            (&[KEY, ("RETRY_SCHEDULE_SECS", "0,-1")], "RETRY_SCHEDULE_SECS"),
            (&[KEY, ("RETRY_SCHEDULE_SECS", " ")], "RETRY_SCHEDULE_SECS"),
            (
                &[KEY, ("RETRY_SCHEDULE_SECS", "0,99999999")],
                "RETRY_SCHEDULE_SECS",
            ),
            (&[KEY, ("FIRST_ATTEMPT_WAIT_MS", "2s")], "FIRST_ATTEMPT_WAIT_MS"),
            (&[KEY, ("DELIVERY_TIMEOUT_MS", "999999")], "DELIVERY_TIMEOUT_MS"),
            (
                &[KEY, ("ALLOW_LOOPBACK_WEBHOOKS", "yes")],
                "ALLOW_LOOPBACK_WEBHOOKS",
            ),
            (&[KEY, ("PUBLIC_URL", "edge.example.com")], "PUBLIC_URL"),
            (&[KEY, ("RATE_LIMITS", "false")], "RATE_LIMITS"),
            (&[KEY, ("SWEEP_GRACE_SECS", "soon")], "SWEEP_GRACE_SECS"),
        ];
        for (vars, var) in cases {
            let err = parse_with(vars).unwrap_err();
            assert_eq!(err.var, var, "{vars:?}");
            assert!(!err.to_string().contains("0123456789abcdef"), "never the value");
        }
        let ok = parse_with(&[KEY, ("RETRY_SCHEDULE_SECS", " 0, 2 ,4 "), ("RATE_LIMITS", "off")]).unwrap();
        assert_eq!(ok.retry_schedule, vec![0, 2, 4]);
        assert!(!ok.rate_limits);
    }

    #[test]
    fn a_loopback_public_url_makes_no_links_outside_local_development() {
        let deployed = parse_with(&[KEY, ("PUBLIC_URL", "http://127.0.0.1:8787")]).unwrap();
        assert!(links_refused(&deployed).unwrap().contains("PUBLIC_URL"));
        let local = parse_with(&[
            KEY,
            ("PUBLIC_URL", "http://127.0.0.1:8787"),
            ("ALLOW_LOOPBACK_WEBHOOKS", "true"),
        ])
        .unwrap();
        assert_eq!(links_refused(&local), None);
        let public = parse_with(&[KEY, ("PUBLIC_URL", "https://leads.example.com")]).unwrap();
        assert_eq!(links_refused(&public), None);
        for url in [
            "http://localhost:8787/",
            "http://LOCALHOST:8787",
            "http://edge.localhost",
            "http://[::1]:8787",
            "http://[::ffff:127.0.0.1]",
            "http://a@127.0.0.1",
            "http://0.0.0.0:8787",
            "http://[::]:8787",
            "http://127.1",
        ] {
            let machine = parse_with(&[KEY, ("PUBLIC_URL", url)]).unwrap();
            assert!(links_refused(&machine).is_some(), "{url}");
        }
    }
}
