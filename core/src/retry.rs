//! When to try a delivery again. The schedule is a plain list of delays the caller passes
//! (per tool in the edge), so tests can shorten it without touching this code.

/// Seed 002: attempt 1 immediately, 2 after one minute, 3 after five minutes.
pub const DEFAULT_SCHEDULE_SECS: [u32; 3] = [0, 60, 300];

/// Delay before the next attempt after `attempts_made` attempts, or `None` when the
/// schedule is used up. `schedule[0]` is the delay of the first attempt.
pub fn next_delay(schedule: &[u32], attempts_made: u32) -> Option<u32> {
    schedule.get(attempts_made as usize).copied()
}

/// Longest delay a queue message can carry (Cloudflare Queues: 12 hours). A longer wait
/// is chained: the message arrives early and is sent on again for the rest.
pub const MAX_QUEUE_DELAY_SECS: u32 = 12 * 3600;

/// The delay to put on a queue message for a wait of `secs`.
pub fn queue_delay(secs: u32) -> u32 {
    secs.min(MAX_QUEUE_DELAY_SECS)
}

/// How an attempt ended, from the receiver's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// HTTP status of the answer.
    Answered(u16),
    /// A `409` to a request sent with an `Idempotency-Key`: the service is still at work on
    /// an earlier request with that key (Resend's `concurrent_idempotent_requests`), say one
    /// the fast lane gave up waiting for and handed to the slow lane. Asked again later, it
    /// answers as it answered that one: worth another attempt, not a refusal.
    KeyInUse,
    /// No answer in time, or the connection failed.
    NoAnswer,
    /// We could not build the request (the submission or its tool is gone, the secret
    /// is broken): nothing was sent and trying again would not change that.
    NotSent,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Worth another attempt (time-out, network error, 5xx, 408, 425, 429, a key in use).
    Retry,
    /// The receiver refused it for good (other 4xx, 3xx; redirects are not followed), or it
    /// could not be sent at all: retrying would not help.
    Reject,
}

pub fn verdict(result: AttemptResult) -> Verdict {
    match result {
        AttemptResult::Answered(code) if (200..300).contains(&code) => Verdict::Delivered,
        // 408 and 425: a proxy in front of a slow receiver, a time-out by another name.
        AttemptResult::Answered(408 | 425 | 429) | AttemptResult::NoAnswer | AttemptResult::KeyInUse => {
            Verdict::Retry
        }
        AttemptResult::Answered(code) if code >= 500 => Verdict::Retry,
        AttemptResult::Answered(_) | AttemptResult::NotSent => Verdict::Reject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_past_the_queue_limit_are_chained() {
        assert_eq!(queue_delay(60), 60);
        assert_eq!(queue_delay(MAX_QUEUE_DELAY_SECS), MAX_QUEUE_DELAY_SECS);
        // A day: one 12 h hop now; the message arrives early and hops the remaining 12 h.
        assert_eq!(queue_delay(86_400), 43_200);
        assert_eq!(queue_delay(86_400 - queue_delay(86_400)), 43_200);
    }

    #[test]
    fn the_default_schedule_gives_three_attempts() {
        let s = &DEFAULT_SCHEDULE_SECS;
        assert_eq!(next_delay(s, 0), Some(0));
        assert_eq!(next_delay(s, 1), Some(60));
        assert_eq!(next_delay(s, 2), Some(300));
        assert_eq!(next_delay(s, 3), None);
    }

    #[test]
    fn verdicts_follow_the_status_code() {
        use AttemptResult::*;
        let table = [
            (Answered(200), Verdict::Delivered),
            (Answered(204), Verdict::Delivered),
            (Answered(429), Verdict::Retry),
            (Answered(408), Verdict::Retry),
            (Answered(425), Verdict::Retry),
            (Answered(409), Verdict::Reject),
            (KeyInUse, Verdict::Retry),
            (Answered(500), Verdict::Retry),
            (Answered(503), Verdict::Retry),
            (NoAnswer, Verdict::Retry),
            (Answered(400), Verdict::Reject),
            (Answered(410), Verdict::Reject),
            (Answered(301), Verdict::Reject),
            (NotSent, Verdict::Reject),
        ];
        for (result, expected) in table {
            assert_eq!(verdict(result), expected, "{result:?}");
        }
    }
}
