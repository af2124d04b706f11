//! The cron side of delivery: D1 is the truth about what is due, queues are not (a local
//! queue lives in memory and a restart loses it). Anything due for a while, unsettled and
//! not held by an attempt in flight goes back on the queue.

use super::{enqueue, DeliveryMessage};
use crate::bindings;
use crate::clock::now_ms;
use crate::storage::deliveries;

/// How late a delivery must be before the sweep assumes no queue holds it. A message that
/// was only late is harmless: whichever copy comes second finds the attempt claimed or
/// made, and sends nothing.
const GRACE_MS: i64 = 60_000;
/// Deliveries re-enqueued per run; the rest wait for the next minute.
const BATCH: i64 = 100;

pub async fn sweep(env: &worker::Env) -> worker::Result<usize> {
    let db = env.d1(bindings::DB)?;
    let now = now_ms();
    let due = deliveries::due(&db, now - GRACE_MS, now, BATCH).await?;
    for delivery in &due {
        enqueue(env, &DeliveryMessage::for_delivery(delivery), 0).await?;
    }
    Ok(due.len())
}
