//! The cron side of delivery: D1 is the truth about what is due, queues are not (a local
//! queue lives in memory and a restart loses it). Anything due for a while and still not
//! settled goes back on the queue.

use super::{enqueue, DeliveryMessage};
use crate::bindings;
use crate::clock::now_ms;
use crate::storage::deliveries;

/// How late a delivery must be before the sweep assumes no queue holds it.
const GRACE_MS: i64 = 60_000;
const BATCH: i64 = 500;

pub async fn sweep(env: &worker::Env) -> worker::Result<usize> {
    let db = env.d1(bindings::DB)?;
    let due = deliveries::due(&db, now_ms() - GRACE_MS, BATCH).await?;
    for delivery in &due {
        let msg = DeliveryMessage {
            delivery_id: delivery.id.clone(),
            submission_id: delivery.submission_id.clone(),
        };
        enqueue(env, &msg, 0).await?;
    }
    Ok(due.len())
}
