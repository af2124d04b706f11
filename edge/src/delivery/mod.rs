//! Getting stored submissions to the owner's systems. The queue carries only ids; each
//! attempt reads the delivery from D1, sends it, logs the attempt, and either settles the
//! delivery or schedules the next attempt per the retry schedule.

mod attempt;
mod dead_letters;
pub mod example;
pub mod lead_events;
pub mod replay;
pub mod send;
mod sheet_row;
mod sweep;
mod view;
mod webhook;

pub use sweep::{sweep, sweep_if_idle_for_a_while};

use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::storage::deliveries::{self, AttemptRecord, Delivery};
use crate::storage::files::Links;
use crate::storage::submissions::{self, Part};
use futures_util::{stream, StreamExt};
use leadform_core::delivery::{after_attempt, DeliveryStatus};
use leadform_core::lanes::{self, Lane, SlowTargets};
use leadform_core::retry::queue_delay;
use leadform_core::status::Outcome;
use serde::{Deserialize, Serialize};
use worker::{BatchMessageBuilder, Env, MessageBatch, MessageBuilder, MessageExt, Result};

/// A queue message: ids and which attempt it is for; the rest is read from D1 when the
/// message is handled.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryMessage {
    pub delivery_id: String,
    /// Attempts already made when this message was sent: a message whose number no longer
    /// matches D1 is stale and dropped.
    pub attempts_made: i64,
}

impl DeliveryMessage {
    pub fn for_delivery(delivery: &Delivery) -> Self {
        DeliveryMessage {
            delivery_id: delivery.id.clone(),
            attempts_made: delivery.attempts,
        }
    }
}

/// Queues the first attempt of deliveries just committed; a failure is left to the sweep
/// (the rows say they are due).
pub async fn enqueue_all(env: &Env, messages: &[DeliveryMessage], delay_secs: u32) {
    enqueue_many_on(env, Lane::Fast, messages, delay_secs).await;
}

/// Messages per `sendBatch` call: the platform takes at most 100 in one.
const MESSAGES_PER_SEND: usize = 100;

/// Puts deliveries on a lane's queue, a hundred per call rather than one call each: a bulk
/// replay or a sweep after an outage stays within an invocation's subrequests however many
/// it moves. A call that fails is logged and left to the sweep (the rows say they are due);
/// the calls after it still go.
async fn enqueue_many_on(env: &Env, lane: Lane, messages: &[DeliveryMessage], delay_secs: u32) {
    if messages.is_empty() {
        return;
    }
    let queue = match env.queue(lane_binding(lane)) {
        Ok(queue) => queue,
        Err(err) => return worker::console_error!("no queue for {lane:?}, left to the sweep: {err}"),
    };
    for chunk in messages.chunks(MESSAGES_PER_SEND) {
        let batch = BatchMessageBuilder::new()
            .messages(chunk.iter().cloned())
            .delay_seconds(queue_delay(delay_secs))
            .build();
        if let Err(err) = queue.send_batch(batch).await {
            worker::console_error!(
                "enqueue of {} deliveries from {} failed, left to the sweep: {err}",
                chunk.len(),
                chunk[0].delivery_id
            );
        }
    }
}

/// Puts one delivery on a lane's queue, to be tried after `delay_secs` (a wait longer than
/// a queue delay allows arrives early and is sent on again: see [`deliver`]).
async fn enqueue_on(env: &Env, lane: Lane, delivery: &DeliveryMessage, delay_secs: u32) -> Result<()> {
    env.queue(lane_binding(lane))?
        .send(
            MessageBuilder::new(delivery.clone())
                .delay_seconds(queue_delay(delay_secs))
                .build(),
        )
        .await
}

fn lane_binding(lane: Lane) -> &'static str {
    match lane {
        Lane::Fast => bindings::DELIVERIES,
        Lane::Slow => bindings::DELIVERIES_SLOW,
    }
}

/// Deliveries of one batch in flight at once (see `consume`).
const SENDS_AT_ONCE: usize = 6;

thread_local! {
    /// Targets this isolate found slow (`leadform_core::lanes`): their deliveries go
    /// straight to the slow lane for a while.
    static SLOW_TARGETS: std::cell::RefCell<SlowTargets> = std::cell::RefCell::new(SlowTargets::default());
}

/// Handles a batch of any of the queues: deliveries on either lane, or dead letters to record.
pub async fn consume(batch: MessageBatch<DeliveryMessage>, env: Env) {
    if batch.queue() == bindings::DEAD_LETTER_QUEUE {
        return dead_letters::consume(batch, env).await;
    }
    let lane = if batch.queue() == bindings::SLOW_QUEUE {
        Lane::Slow
    } else {
        Lane::Fast
    };
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(err) => {
            worker::console_error!("unreadable batch, retrying it: {err}");
            batch.retry_all();
            return;
        }
    };
    // At most six at once: a Worker has six connections waiting for response headers, and
    // a seventh fetch queues behind them while its time-out already runs, so receivers
    // that hang would cost the batch's other deliveries attempts they never made.
    // (Unordered, so one that hangs does not hold back the next start; put back in order.)
    let env = &env;
    let mut results: Vec<(usize, Result<()>)> = stream::iter(
        messages
            .iter()
            .enumerate()
            .map(|(i, m)| async move { (i, deliver(env, m.body(), lane).await) }),
    )
    .buffer_unordered(SENDS_AT_ONCE)
    .collect()
    .await;
    results.sort_by_key(|(i, _)| *i);
    let results = results.into_iter().map(|(_, result)| result);
    for (message, result) in messages.iter().zip(results) {
        match result {
            Ok(()) => message.ack(),
            Err(err) => {
                // D1 or the queue failed us; the row still says what is due, so a
                // redelivery (or the sweep) finishes the job.
                worker::console_error!("delivery {} not settled: {err}", message.body().delivery_id);
                message.retry();
            }
        }
    }
}

/// Makes the attempt a message asks for on `lane`, if it is still due and nobody else is
/// making it; one with no answer within the fast lane's budget goes on in the slow lane.
async fn deliver(env: &Env, msg: &DeliveryMessage, lane: Lane) -> Result<()> {
    let db = env.d1(bindings::DB)?;
    let Some(delivery) = deliveries::get(&db, &msg.delivery_id).await? else {
        worker::console_warn!("delivery {} is gone; dropping its message", msg.delivery_id);
        return Ok(());
    };
    if delivery.is_settled() {
        // A duplicate, or a redelivery after the submission update failed: make sure the
        // submission shows the outcome, then drop the message.
        return repair_outcome(&db, &delivery).await;
    }
    if delivery.attempts != msg.attempts_made {
        return Ok(()); // stale: that attempt was made
    }
    let now = now_ms();
    if let Some(due) = delivery.next_attempt_at.filter(|due| *due > now + 1_000) {
        // Early (queue delays are not exact): wait for the rest of the delay.
        return enqueue_on(env, lane, msg, ((due - now + 999) / 1000) as u32).await;
    }
    let timeout_ms = config::attempt_timeout_ms(env);
    let target = lanes::target_key(&delivery.target_url);
    let target = target.as_str();
    if lane == Lane::Fast
        && lanes::has_slow_lane(timeout_ms)
        && SLOW_TARGETS.with(|slow| slow.borrow().is_slow(target, now))
    {
        return enqueue_on(env, Lane::Slow, msg, 0).await;
    }
    let budget_ms = lanes::budget_ms(lane, timeout_ms);
    let services = config::services(env);
    // The lease outlives the attempt's time-out, so it only lapses if this worker died.
    let lease_until = now + timeout_ms as i64 + LEASE_MARGIN_MS;
    if !deliveries::claim(&db, &delivery.id, delivery.attempts, now, lease_until).await? {
        return Ok(());
    }
    let links = Links::for_delivery(env, delivery.created_at);
    let result = match attempt::make(env, &db, &delivery, budget_ms, &links, &services).await {
        Ok(result) => result,
        Err(err) => attempt::AttemptResult::failed_here(format!("not sent: {err}")),
    };
    let no_answer = result.status_code().is_none();
    let waited = now_ms() - now;
    if lanes::hand_over(lane, timeout_ms, no_answer, waited) {
        SLOW_TARGETS.with(|slow| slow.borrow_mut().remember(target, now));
        let delay = lanes::hand_over_delay_secs(timeout_ms, attempt::is_checked_append(&delivery));
        let at = now_ms() + i64::from(delay) * 1000;
        deliveries::hand_over(&db, &delivery.id, delivery.attempts, lease_until, at).await?;
        return enqueue_on(env, Lane::Slow, msg, delay).await;
    }
    SLOW_TARGETS.with(|slow| {
        let mut slow = slow.borrow_mut();
        if lanes::took_the_budget(waited) {
            // Slow on either lane, answer or not (a stalled body): remembered, or for
            // longer (a target that keeps hanging stays off the fast lane).
            slow.remember(target, now);
        } else if !no_answer {
            // It answers in time again: back on the fast lane.
            slow.forget(target);
        }
    });
    settle(env, &delivery, result, lane).await
}

/// How long past the attempt's time-out a lease holds.
const LEASE_MARGIN_MS: i64 = 30_000;

/// Logs the attempt's result, moves the delivery and the submission, schedules a retry.
async fn settle(env: &Env, delivery: &Delivery, result: attempt::AttemptResult, lane: Lane) -> Result<()> {
    let db = env.d1(bindings::DB)?;
    let attempt_no = delivery.attempts + 1;
    let now = now_ms();
    let after = after_attempt(
        result.answer,
        &delivery.schedule(),
        (delivery.round_attempts() + 1) as u32,
        result.retry_after_secs,
        u32::from_le_bytes(crate::ids::random_bytes::<4>()),
    );
    let retry_delay = after.retry_in_secs;
    let record = AttemptRecord {
        attempt: attempt_no,
        started_at: result.started_at,
        status_code: result.status_code(),
        latency_ms: result.latency_ms,
        error: result.error.as_deref(),
        response_snippet: result.snippet.as_deref(),
        new_status: after.status,
        next_attempt_at: retry_delay.map(|d| now + i64::from(d) * 1000),
    };
    // A failure that ends the round is recorded as a dead letter in the same write; the
    // lead stays.
    deliveries::record_attempt(&db, &delivery.id, &record, now).await?;
    if let (Some(success), true, Some(submission_id)) = (
        after.status.succeeded(),
        delivery.is_primary(),
        &delivery.submission_id,
    ) {
        let outcome = Outcome::from_success(success);
        submissions::set_outcome(&db, submission_id, Part::Webhook, outcome, None).await?;
    }
    if let (Some(_), Some(submission_id)) = (after.status.succeeded(), delivery.post_action_of()) {
        submissions::settle_post_actions(&db, submission_id).await?;
    }
    if let Some(delay) = retry_delay {
        let msg = DeliveryMessage {
            attempts_made: attempt_no,
            ..DeliveryMessage::for_delivery(delivery)
        };
        if let Err(err) = enqueue_on(env, lane, &msg, delay).await {
            // Not fatal: next_attempt_at is in D1 and the sweep re-enqueues it.
            worker::console_error!("could not schedule retry of {}: {err}", delivery.id);
        }
    }
    Ok(())
}

/// Brings the submission's webhook outcome in line with a settled delivery (a no-op when
/// it already is): the webhook's own, or a store-only form's post-actions'.
pub(super) async fn repair_outcome(db: &worker::D1Database, delivery: &Delivery) -> Result<()> {
    if let Some(submission_id) = delivery.post_action_of() {
        return submissions::settle_post_actions(db, submission_id).await;
    }
    let (true, Some(submission_id)) = (delivery.is_primary(), &delivery.submission_id) else {
        return Ok(());
    };
    let outcome = Outcome::from_success(delivery.status == DeliveryStatus::Delivered);
    submissions::set_outcome(db, submission_id, Part::Webhook, outcome, None).await?;
    Ok(())
}
