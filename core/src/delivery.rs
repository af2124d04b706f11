//! A delivery's lifecycle, the one place its status changes: `pending` (not tried yet),
//! `retrying` (tried, the next attempt is scheduled), `delivered`, `failed` (attempts used up
//! or refused for good). The edge loads a delivery, asks [`after_attempt`] what it becomes,
//! and writes that with the attempt's log row in one batch.

use crate::retry::{next_delay, verdict, AttemptResult, Verdict};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    #[default]
    Pending,
    Retrying,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Retrying,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Delivered or failed: no attempt will follow unless the owner replays it.
    pub fn is_settled(self) -> bool {
        matches!(self, DeliveryStatus::Delivered | DeliveryStatus::Failed)
    }

    /// `Some(true)` once delivered, `Some(false)` once failed, `None` while open.
    pub fn succeeded(self) -> Option<bool> {
        match self {
            DeliveryStatus::Delivered => Some(true),
            DeliveryStatus::Failed => Some(false),
            DeliveryStatus::Pending | DeliveryStatus::Retrying => None,
        }
    }
}

/// Longest wait a receiver's `Retry-After` can ask for: beyond it a receiver could park a
/// lead for a century (`Retry-After: 4294967295`).
pub const MAX_RETRY_AFTER_SECS: u32 = 24 * 3600;

/// `Retry-After` given as a number of seconds (RFC 9110: digits only). A number too large
/// for a `u32` is the most there is, which the schedule caps like any other; not a number:
/// `None` (it may be an HTTP date).
pub fn retry_after_seconds(value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(value.parse::<u32>().unwrap_or(u32::MAX))
}

/// How far a scheduled retry moves at random: up to a tenth of its delay either way, so
/// deliveries that failed together (a receiver's outage) do not all come back at once.
pub const JITTER_PERCENT: u32 = 10;

/// A tenth of `delay`, rounded down.
fn tenth_of(delay: u32) -> u32 {
    delay / 100 * JITTER_PERCENT + delay % 100 * JITTER_PERCENT / 100
}

/// A tenth of `delay`, rounded up: a delay of a few seconds still moves, by one.
fn spread_of(delay: u32) -> u32 {
    tenth_of(delay) + u32::from(!delay.is_multiple_of(10))
}

/// `delay` moved by up to [`JITTER_PERCENT`] either way (earlier by a tenth rounded down,
/// later by a tenth rounded up: a delay of seconds is never halved, and still spreads);
/// `random` is any random number. An immediate attempt stays immediate.
pub fn jittered(delay: u32, random: u32) -> u32 {
    if delay == 0 {
        return 0;
    }
    let (earlier, later) = (tenth_of(delay), spread_of(delay));
    delay - earlier + random % (earlier + later + 1)
}

/// What the public submit answer may say about a delivery's error: the receiver's status
/// code or a time-out, never the configuration behind it (service URLs, missing keys,
/// secrets, hosts a connection failed to reach): the owner reads those in the delivery log.
pub fn public_error(logged: &str) -> String {
    let is_status = logged
        .strip_prefix("receiver answered HTTP ")
        .is_some_and(|code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()));
    if is_status {
        logged.to_string()
    } else if logged.starts_with("no answer within ") {
        "the receiver did not answer in time".into()
    } else {
        "not delivered; the owner's delivery log says why".into()
    }
}

/// A delivery's target as the log shows it to whoever may not read the tool's
/// configuration (`config:write`): its origin only. The rest of a webhook URL is often its
/// secret (a Slack incoming webhook's path, a `?token=`, a user and password), and a viewer
/// who holds it could post into the owner's Slack or CRM.
pub fn target_origin(url: &str) -> String {
    match with_origin(url) {
        Some((parsed, origin)) => {
            let whole = parsed.path() == "/" && parsed.query().is_none() && parsed.fragment().is_none();
            if whole && parsed.username().is_empty() && parsed.password().is_none() {
                format!("{origin}/")
            } else {
                format!("{origin}/…")
            }
        }
        None => "(hidden)".into(),
    }
}

/// A URL parsed, with its origin (scheme, host, port), when it has a host.
pub fn with_origin(url: &str) -> Option<(url::Url, String)> {
    let parsed = url::Url::parse(url).ok().filter(url::Url::has_host)?;
    let origin = parsed.origin().ascii_serialization();
    Some((parsed, origin))
}

/// What a delivery becomes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterAttempt {
    pub status: DeliveryStatus,
    /// Seconds until the next attempt, when one is scheduled.
    pub retry_in_secs: Option<u32>,
}

/// The delivery after an attempt that ended with `result`, the `round_attempts`-th of the
/// current round (this one included), on `schedule`. A retry waits its scheduled delay,
/// jittered with `random`, or longer when the receiver's `Retry-After` asks (up to
/// [`MAX_RETRY_AFTER_SECS`]).
pub fn after_attempt(
    result: AttemptResult,
    schedule: &[u32],
    round_attempts: u32,
    retry_after_secs: Option<u32>,
    random: u32,
) -> AfterAttempt {
    let asked = retry_after_secs.unwrap_or(0);
    let (status, retry_in_secs) = match verdict(result) {
        Verdict::Delivered => (DeliveryStatus::Delivered, None),
        Verdict::Retry => match next_delay(schedule, round_attempts) {
            Some(delay) => (
                DeliveryStatus::Retrying,
                Some(later_of(jittered(delay, random), asked, random)),
            ),
            None => (DeliveryStatus::Failed, None),
        },
        Verdict::Reject => (DeliveryStatus::Failed, None),
    };
    AfterAttempt {
        status,
        retry_in_secs,
    }
}

/// The scheduled (jittered) delay, or when the receiver asked for longer, its `asked` plus
/// up to a tenth more: never earlier than asked, and a burst that a receiver answered with
/// one `Retry-After` does not all come back in the same second. At most a day: a wait
/// asked beyond it is cut to within a tenth under the day, spread too (those receivers
/// all asked for more than we give, so none of them gets it early by our spreading).
fn later_of(scheduled: u32, asked: u32, random: u32) -> u32 {
    if asked <= scheduled {
        return scheduled;
    }
    if asked >= MAX_RETRY_AFTER_SECS {
        let spread = spread_of(MAX_RETRY_AFTER_SECS);
        return MAX_RETRY_AFTER_SECS - random % (spread + 1);
    }
    asked
        .saturating_add(random % (spread_of(asked) + 1))
        .min(MAX_RETRY_AFTER_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttemptResult::*;
    use DeliveryStatus::*;

    #[test]
    fn a_target_shown_without_configuration_rights_keeps_its_origin_only() {
        assert_eq!(
            target_origin("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            target_origin("https://crm.example.com:8443/in?token=abc#x"),
            "https://crm.example.com:8443/…"
        );
        assert_eq!(
            target_origin("https://user:pass@crm.example.com/"),
            "https://crm.example.com/…"
        );
        assert_eq!(
            target_origin("https://crm.example.com"),
            "https://crm.example.com/"
        );
        assert_eq!(target_origin("not a url"), "(hidden)");
    }

    #[test]
    fn the_public_answer_never_shows_configuration() {
        let cases = [
            ("receiver answered HTTP 503", "receiver answered HTTP 503"),
            ("no answer within 30 s", "the receiver did not answer in time"),
            (
                "EMAIL_API_URL is not configured on this edge",
                "not delivered; the owner's delivery log says why",
            ),
            (
                "connection failed: 10.0.0.8:443 refused",
                "not delivered; the owner's delivery log says why",
            ),
            (
                "receiver answered HTTP 503 from https://crm.internal",
                "not delivered; the owner's delivery log says why",
            ),
        ];
        for (logged, shown) in cases {
            assert_eq!(public_error(logged), shown, "{logged}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(Delivered.succeeded(), Some(true));
        assert_eq!(Failed.succeeded(), Some(false));
        assert!(!Retrying.is_settled() && !Pending.is_settled());
    }

    #[test]
    fn retry_after_in_seconds_is_read_however_large() {
        assert_eq!(retry_after_seconds("120"), Some(120));
        assert_eq!(retry_after_seconds(" 7 "), Some(7));
        assert_eq!(retry_after_seconds("99999999999"), Some(u32::MAX));
        assert_eq!(retry_after_seconds("1".repeat(400).as_str()), Some(u32::MAX));
        for not_seconds in ["", "-1", "1.5", "+3", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            assert_eq!(retry_after_seconds(not_seconds), None, "{not_seconds:?}");
        }
    }

    #[test]
    fn retries_spread_by_a_tenth_and_retry_after_is_capped() {
        for delay in [10, 60, 300, 3_600, 2_592_000] {
            let spread = delay / 10;
            let mut seen = std::collections::BTreeSet::new();
            for random in 0..1_000 {
                let j = jittered(delay, random);
                assert!(j >= delay - spread && j <= delay + spread, "{delay} -> {j}");
                seen.insert(j);
            }
            let window = (2 * spread + 1).min(1_000);
            assert_eq!(seen.len() as u32, window, "the randoms cover the window: {delay}");
        }
        // A few seconds move a second later at most, never earlier.
        let spread = |delay| {
            (0..100)
                .map(|random| jittered(delay, random))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(spread(1), [1, 2].into());
        assert_eq!(spread(5), [5, 6].into());
        assert_eq!(spread(9), [9, 10].into());
        assert_eq!(spread(15), [14, 15, 16, 17].into());
        assert_eq!(jittered(0, 12345), 0, "an immediate attempt stays immediate");
        assert_eq!(jittered(u32::MAX, 0), u32::MAX - u32::MAX / 10);
        let century = after_attempt(Answered(429), &[0, 60], 1, Some(u32::MAX), 0);
        assert_eq!(century.retry_in_secs, Some(MAX_RETRY_AFTER_SECS));
        let day_and_a_bit = after_attempt(Answered(503), &[0, 60], 1, Some(MAX_RETRY_AFTER_SECS + 1), 0);
        assert_eq!(day_and_a_bit.retry_in_secs, Some(MAX_RETRY_AFTER_SECS));
        // Receivers that all asked for more than a day are spread under it, not parked on it.
        let capped: std::collections::BTreeSet<u32> = (0..20_000)
            .map(|random| after_attempt(Answered(429), &[0, 60], 1, Some(u32::MAX), random))
            .map(|after| after.retry_in_secs.unwrap())
            .collect();
        assert_eq!(capped.last(), Some(&MAX_RETRY_AFTER_SECS));
        assert_eq!(
            capped.first(),
            Some(&(MAX_RETRY_AFTER_SECS - MAX_RETRY_AFTER_SECS / 10))
        );
        assert!(
            capped.len() > 8_000,
            "spread over the last tenth: {}",
            capped.len()
        );
    }

    #[test]
    fn a_retry_after_longer_than_the_schedule_is_kept_and_spread_by_a_tenth_beyond_it() {
        // 500 deliveries a receiver answered `429, Retry-After: 120` at once.
        let waits: std::collections::BTreeSet<u32> = (0..500)
            .map(|random| after_attempt(Answered(429), &[0, 60], 1, Some(120), random * 7919))
            .map(|after| after.retry_in_secs.unwrap())
            .collect();
        assert_eq!(waits.first(), Some(&120), "never earlier than asked");
        assert_eq!(waits.last(), Some(&132), "a tenth more at most");
        assert_eq!(waits.len(), 13, "spread over every second between");
        // Shorter than the schedule: the schedule's jittered delay.
        let after = after_attempt(Answered(429), &[0, 300], 1, Some(5), 6);
        assert_eq!(after.retry_in_secs, Some(300 - 30 + 6));
    }

    #[test]
    fn each_attempt_moves_the_delivery_per_the_schedule() {
        let schedule = [0, 60, 300];
        let cases = [
            (Answered(200), 1, None, Delivered, None),
            (Answered(500), 1, None, Retrying, Some(60)),
            (Answered(500), 2, None, Retrying, Some(270 + 6)),
            (Answered(500), 3, None, Failed, None),
            (NoAnswer, 1, None, Retrying, Some(60)),
            (Answered(429), 1, Some(120), Retrying, Some(126)),
            (Answered(429), 1, Some(5), Retrying, Some(60)),
            (Answered(404), 1, None, Failed, None),
            (Answered(302), 1, None, Failed, None),
            (NotSent, 1, None, Failed, None),
            (Answered(204), 3, None, Delivered, None),
        ];
        for (result, round, retry_after, status, retry_in) in cases {
            // random = 6 puts a jittered delay exactly on its schedule (60 -> 54 + 6).
            let after = after_attempt(result, &schedule, round, retry_after, 6);
            assert_eq!(
                (after.status, after.retry_in_secs),
                (status, retry_in),
                "{result:?} attempt {round}"
            );
        }
    }
}
