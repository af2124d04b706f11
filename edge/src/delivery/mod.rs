//! Getting stored submissions to the owner's systems. The queue carries only ids; each
//! attempt reads the delivery from D1, sends it, logs the attempt, and either settles the
//! delivery or schedules the next attempt per the retry schedule.

mod attempt;
mod sweep;
mod webhook;

pub use sweep::sweep;

use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::storage::deliveries::{self, AttemptRecord, Delivery};
use crate::storage::submissions::{self, Part};
use futures_util::future::join_all;
use leadform_core::retry::{next_delay, verdict, Verdict};
use leadform_core::status::Outcome;
use serde::{Deserialize, Serialize};
use worker::{Env, MessageBatch, MessageBuilder, MessageExt, Result};

/// A queue message: just ids, the rest is read from D1 when the message is handled.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryMessage {
    pub delivery_id: String,
    pub submission_id: String,
}

/// Puts a delivery on the queue, to be tried after `delay_secs`.
pub async fn enqueue(env: &Env, delivery: &DeliveryMessage, delay_secs: u32) -> Result<()> {
    let queue = env.queue(bindings::DELIVERIES)?;
    queue
        .send(
            MessageBuilder::new(delivery.clone())
                .delay_seconds(delay_secs)
                .build(),
        )
        .await
}

/// Handles a batch: every message concurrently, each settled on its own.
pub async fn consume(batch: MessageBatch<DeliveryMessage>, env: Env) {
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(err) => {
            worker::console_error!("unreadable batch, retrying it: {err}");
            batch.retry_all();
            return;
        }
    };
    let results = join_all(messages.iter().map(|m| deliver(&env, m.body()))).await;
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

/// Makes the attempt a message asks for, if it is still due.
async fn deliver(env: &Env, msg: &DeliveryMessage) -> Result<()> {
    let db = env.d1(bindings::DB)?;
    let Some(delivery) = deliveries::get(&db, &msg.delivery_id).await? else {
        worker::console_warn!("delivery {} is gone; dropping its message", msg.delivery_id);
        return Ok(());
    };
    if !matches!(delivery.status.as_str(), "pending" | "retrying") {
        return Ok(()); // settled already: a duplicate message
    }
    let now = now_ms();
    if let Some(due) = delivery.next_attempt_at.filter(|due| *due > now + 1_000) {
        // Early (the sweep and the queue both held it): wait for the rest of the delay.
        return enqueue(env, msg, ((due - now) / 1000) as u32).await;
    }
    let result = attempt::make(env, &db, &delivery).await?;
    settle(env, &delivery, result).await
}

/// Logs the attempt's result, moves the delivery and the submission, schedules a retry.
async fn settle(env: &Env, delivery: &Delivery, result: attempt::AttemptResult) -> Result<()> {
    let db = env.d1(bindings::DB)?;
    let schedule = config::retry_schedule(env);
    let attempt_no = delivery.attempts + 1;
    let now = now_ms();
    let retry_delay = match verdict(result.answer) {
        Verdict::Retry => {
            next_delay(&schedule, attempt_no as u32).map(|d| d.max(result.retry_after_secs.unwrap_or(0)))
        }
        _ => None,
    };
    let (new_status, outcome) = match (verdict(result.answer), retry_delay) {
        (Verdict::Delivered, _) => ("delivered", Some(Outcome::Succeeded)),
        (Verdict::Retry, Some(_)) => ("retrying", None),
        _ => ("failed", Some(Outcome::Failed)),
    };
    let record = AttemptRecord {
        attempt: attempt_no,
        started_at: result.started_at,
        status_code: result.status_code(),
        latency_ms: result.latency_ms,
        error: result.error.as_deref(),
        response_snippet: result.snippet.as_deref(),
        new_status,
        next_attempt_at: retry_delay.map(|d| now + i64::from(d) * 1000),
    };
    if !deliveries::record_attempt(&db, &delivery.id, &record, now).await? {
        return Ok(()); // another copy of this message recorded this attempt first
    }
    if let Some(outcome) = outcome {
        submissions::set_outcome(&db, &delivery.submission_id, Part::Webhook, outcome).await?;
    }
    if let Some(delay) = retry_delay {
        let msg = DeliveryMessage {
            delivery_id: delivery.id.clone(),
            submission_id: delivery.submission_id.clone(),
        };
        if let Err(err) = enqueue(env, &msg, delay).await {
            // Not fatal: next_attempt_at is in D1 and the sweep re-enqueues it.
            worker::console_error!("could not schedule retry of {}: {err}", delivery.id);
        }
    }
    Ok(())
}
