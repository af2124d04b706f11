//! The cron side of delivery: D1 is the truth about what is due, queues are not (a local
//! queue lives in memory and a restart loses it). Anything due for a while, unsettled and
//! not held by an attempt in flight goes back on the queue.

use super::{enqueue_many_on, DeliveryMessage};
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::storage::submissions::{self, ClientReport, Part};
use crate::storage::{deliveries, display_tokens};
use leadform_core::lanes::Lane;
use leadform_core::status::Outcome;

/// Deliveries re-enqueued per run; the rest wait for the next run.
const BATCH: i64 = 100;
/// How often a busy isolate sweeps on its own (see [`sweep_if_idle_for_a_while`]).
const OPPORTUNISTIC_EVERY_MS: i64 = 60_000;

thread_local! {
    static LAST_SWEEP_MS: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// Re-enqueues deliveries due for longer than `SWEEP_GRACE_SECS` (60 s by default) that
/// no attempt holds. A message that was only late is harmless: whichever copy comes second
/// finds the attempt claimed or made, and sends nothing.
pub async fn sweep(env: &worker::Env) -> worker::Result<usize> {
    let db = env.d1(bindings::DB)?;
    let now = now_ms();
    LAST_SWEEP_MS.with(|last| last.set(now));
    let due = deliveries::due(&db, now - config::sweep_grace_ms(env), now, BATCH).await?;
    // One an attempt was begun for (handed over to the slow lane, or its worker died) goes
    // on in the slow lane: it may be slow, and must not hold the fast one again.
    let (slow, fast): (Vec<_>, Vec<_>) = due.iter().partition(|d| d.lease_until.is_some());
    for (lane, deliveries) in [(Lane::Slow, slow), (Lane::Fast, fast)] {
        let messages: Vec<DeliveryMessage> = deliveries
            .into_iter()
            .map(DeliveryMessage::for_delivery)
            .collect();
        enqueue_many_on(env, lane, &messages, 0).await;
    }
    settle_unreported(env, &db, now).await?;
    display_tokens::purge(&db, now - leadform_core::spam::TOKEN_TTL_MS).await?;
    Ok(due.len())
}

/// A page handler that never reported (the visitor closed the tab, the script failed to
/// load) would leave its submission open for ever: after `CLIENT_REPORT_TIMEOUT_SECS` its
/// client part settles as failed, "no report", so statuses and analytics settle too.
async fn settle_unreported(env: &worker::Env, db: &worker::D1Database, now: i64) -> worker::Result<()> {
    let timeout_ms = config::client_report_timeout_ms(env);
    let report = ClientReport {
        message: Some(format!(
            "no report from the page's handler within {} s",
            timeout_ms / 1000
        )),
        data: None,
    };
    for id in submissions::unreported(db, now - timeout_ms, BATCH).await? {
        submissions::set_outcome(db, &id, Part::Client, Outcome::Failed, Some(&report)).await?;
    }
    Ok(())
}

/// Whether this isolate has not swept for a minute. The cron trigger is what sweeps in
/// production; locally `wrangler dev` never fires crons, so there (loopback allowed: see
/// `lib.rs`) requests also sweep now and then (and right after a restart, when the
/// in-memory queues came back empty).
pub fn sweep_if_idle_for_a_while() -> bool {
    let now = now_ms();
    LAST_SWEEP_MS.with(|last| {
        let due = now - last.get() >= OPPORTUNISTIC_EVERY_MS;
        if due {
            last.set(now);
        }
        due
    })
}
