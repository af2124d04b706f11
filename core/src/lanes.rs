//! Two lanes for delivery attempts, so one receiver that takes long to answer does not hold
//! up everyone else's leads.
//!
//! A queue hands its consumer a batch and waits for the whole batch before the next one
//! (the local runtime runs one batch at a time per queue), and a Worker has six requests
//! waiting for an answer at once. A receiver that never answers would so hold every lead
//! behind it, of every agent, for the attempt's whole time-out (30 s). So attempts go first
//! on the fast lane with a short budget ([`FAST_BUDGET_MS`]); one that has no answer by then
//! is handed over to the slow lane, whose queue makes it with the full time-out, and its
//! target (the URL's origin) is remembered as slow for a while, so the next deliveries to it
//! go straight there and cost the fast lane nothing. Any attempt that takes the budget, on
//! either lane, answered or not (a status, then a body that stalls), remembers its target
//! again; one answered in time forgets it.
//!
//! Handing over aborts the request: a receiver that took it anyway gets it again from the
//! slow lane, with the same `webhook-id` (Standard Webhooks: receivers drop repeats) and the
//! same email `Idempotency-Key`; a Sheets append is handed over only once the aborted one
//! has had the whole time-out to land, so the slow lane's row check sees it. A Slack or chat
//! message has no key: one the receiver took after 5 s and answered late is posted twice,
//! as after any time-out. A delivery is at least once.
//!
//! What is slow is remembered per worker isolate: another isolate (production runs many)
//! learns it with one 5 s try of its own.

use std::collections::HashMap;

/// The lane an attempt is made on: which queue its message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Fast,
    Slow,
}

/// How long an attempt on the fast lane waits for an answer before it is handed over.
/// Receivers that answer at all answer well within it (Slack, the email APIs and Sheets
/// in well under a second; Standard Webhooks asks receivers to answer quickly).
pub const FAST_BUDGET_MS: u64 = 5_000;

/// How long a target stays known as slow after an attempt to it had no answer in the budget.
pub const SLOW_FOR_MS: i64 = 10 * 60_000;

/// Most targets remembered at once: an owner who names many hanging URLs must not grow the
/// worker's memory without end (past it, the oldest half is forgotten).
pub const MAX_REMEMBERED: usize = 1_000;

/// Whether a time-out of `timeout_ms` leaves a slow lane at all (a shorter one than the
/// fast lane's budget is waited out on the fast lane).
pub fn has_slow_lane(timeout_ms: u64) -> bool {
    FAST_BUDGET_MS < timeout_ms
}

/// How long a handed-over attempt waits before the slow lane makes it: at once, but for
/// an append that is only made after a check that it is not there yet (Sheets), which
/// waits until the aborted one has had the whole `timeout_ms` to land.
pub fn hand_over_delay_secs(timeout_ms: u64, checked_append: bool) -> u32 {
    if checked_append {
        timeout_ms.saturating_sub(FAST_BUDGET_MS).div_ceil(1000) as u32
    } else {
        0
    }
}

/// How long an attempt on `lane` may wait for its answer, of the configured `timeout_ms`.
pub fn budget_ms(lane: Lane, timeout_ms: u64) -> u64 {
    match lane {
        Lane::Fast => timeout_ms.min(FAST_BUDGET_MS),
        Lane::Slow => timeout_ms,
    }
}

/// Whether an attempt that took `waited_ms` (for its answer, or for its body after the
/// status) took the fast lane's whole budget: its target is slow, whatever it answered. A
/// receiver that sends its status and then stalls the body costs the lane as much as one
/// that never answers. (The budget's timer fires at the budget, or a little before.)
pub fn took_the_budget(waited_ms: i64) -> bool {
    waited_ms + 100 >= FAST_BUDGET_MS as i64
}

/// Whether an attempt on `lane` that waited `waited_ms` with no answer goes on in the slow
/// lane: it had no answer within the fast lane's budget, and the full time-out is longer.
pub fn hand_over(lane: Lane, timeout_ms: u64, no_answer: bool, waited_ms: i64) -> bool {
    // A failed connection ends well before the budget: a failure, not a slow receiver.
    lane == Lane::Fast && has_slow_lane(timeout_ms) && no_answer && took_the_budget(waited_ms)
}

/// What a target is remembered by: the origin of its URL (scheme, host, port). A host that
/// hangs hangs on every path, and a new path must not buy a fresh 5 s of the fast lane.
pub fn target_key(url: &str) -> String {
    match crate::delivery::with_origin(url) {
        Some((_, origin)) => origin,
        None => url.to_string(),
    }
}

/// Targets (a delivery URL's origin, [`target_key`]) known to take longer than the fast
/// lane's budget, until when.
#[derive(Debug, Default)]
pub struct SlowTargets {
    until: HashMap<String, i64>,
}

impl SlowTargets {
    /// Remembers `target` as slow from `now` on.
    pub fn remember(&mut self, target: &str, now: i64) {
        if self.until.len() >= MAX_REMEMBERED {
            self.until.retain(|_, until| *until > now);
        }
        if self.until.len() >= MAX_REMEMBERED {
            let mut ends: Vec<i64> = self.until.values().copied().collect();
            ends.sort_unstable();
            let keep_after = ends[ends.len() / 2];
            self.until.retain(|_, until| *until > keep_after);
        }
        self.until.insert(target.to_string(), now + SLOW_FOR_MS);
    }

    /// Whether `target` is known as slow at `now`.
    pub fn is_slow(&self, target: &str, now: i64) -> bool {
        self.until.get(target).is_some_and(|until| *until > now)
    }

    /// Forgets `target`: it answered in time.
    pub fn forget(&mut self, target: &str) {
        self.until.remove(target);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.until.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_lane_waits_its_budget_the_slow_lane_the_whole_time_out() {
        assert_eq!(budget_ms(Lane::Fast, 30_000), FAST_BUDGET_MS);
        assert_eq!(budget_ms(Lane::Slow, 30_000), 30_000);
        // A time-out shorter than the budget is the budget: nothing to hand over.
        assert_eq!(budget_ms(Lane::Fast, 1_500), 1_500);
    }

    #[test]
    fn only_a_fast_attempt_that_waited_out_its_budget_is_handed_over() {
        assert!(hand_over(Lane::Fast, 30_000, true, 5_000));
        assert!(
            hand_over(Lane::Fast, 30_000, true, 4_950),
            "timers fire a little early"
        );
        // A refused connection fails at once: a failure, not a slow receiver.
        assert!(!hand_over(Lane::Fast, 30_000, true, 40));
        // An answer, however late, is the answer.
        assert!(!hand_over(Lane::Fast, 30_000, false, 5_000));
        // The slow lane waits the whole time-out; a short time-out has no slow lane.
        assert!(!hand_over(Lane::Slow, 30_000, true, 30_000));
        assert!(!hand_over(Lane::Fast, 1_500, true, 1_500));
    }

    #[test]
    fn a_checked_append_is_handed_over_once_the_aborted_one_could_have_landed() {
        assert_eq!(hand_over_delay_secs(30_000, false), 0);
        assert_eq!(hand_over_delay_secs(30_000, true), 25);
        assert_eq!(hand_over_delay_secs(12_500, true), 8);
        assert!(has_slow_lane(5_001) && !has_slow_lane(5_000));
    }

    #[test]
    fn a_target_is_its_origin() {
        assert_eq!(
            target_key("https://hooks.example.com/a/b?x=1"),
            "https://hooks.example.com"
        );
        assert_eq!(
            target_key("http://127.0.0.1:9000/one"),
            target_key("http://127.0.0.1:9000/two")
        );
        assert_ne!(
            target_key("http://127.0.0.1:9000/"),
            target_key("http://127.0.0.1:9001/")
        );
        assert_eq!(target_key("not a url"), "not a url");
        assert!(took_the_budget(4_950) && !took_the_budget(4_000));
    }

    #[test]
    fn a_slow_target_is_remembered_for_a_while_then_forgotten() {
        let mut slow = SlowTargets::default();
        slow.remember("https://hangs.example/hook", 1_000);
        assert!(slow.is_slow("https://hangs.example/hook", 1_000 + SLOW_FOR_MS - 1));
        assert!(!slow.is_slow("https://hangs.example/hook", 1_000 + SLOW_FOR_MS));
        assert!(!slow.is_slow("https://fine.example/hook", 1_000));
        slow.forget("https://hangs.example/hook");
        assert!(!slow.is_slow("https://hangs.example/hook", 2_000));
    }

    #[test]
    fn memory_stays_bounded_however_many_targets_hang() {
        let mut slow = SlowTargets::default();
        for i in 0..(MAX_REMEMBERED as i64 * 3) {
            slow.remember(&format!("https://h{i}.example/"), i);
        }
        assert!(slow.len() <= MAX_REMEMBERED, "{}", slow.len());
        // The newest is always remembered.
        let last = MAX_REMEMBERED as i64 * 3 - 1;
        assert!(slow.is_slow(&format!("https://h{last}.example/"), last));
    }
}
