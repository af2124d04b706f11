//! The dead-letter queue: messages the delivery consumer itself failed on too often (sent
//! there by Queues, after `max_retries`). A delivery whose attempts ran out is recorded by
//! the attempt that failed it, in the same transaction (`deliveries::record_attempt`); a
//! message here records its delivery only if D1 says it has failed too, and brings a
//! settled delivery's outcome to its submission. One still due is the sweep's: D1, not the
//! queue, is the truth about what is due. The lead is never touched.

use super::DeliveryMessage;
use crate::bindings;
use crate::clock::now_ms;
use crate::storage::deliveries;
use worker::{Env, MessageBatch, MessageExt, Result};

pub async fn consume(batch: MessageBatch<DeliveryMessage>, env: Env) {
    let Ok(messages) = batch.messages() else {
        batch.retry_all();
        return;
    };
    for message in messages {
        match record(&env, message.body()).await {
            Ok(()) => message.ack(),
            Err(err) => {
                worker::console_error!("dead letter {} not recorded: {err}", message.body().delivery_id);
                message.retry();
            }
        }
    }
}

async fn record(env: &Env, msg: &DeliveryMessage) -> Result<()> {
    let db = env.d1(bindings::DB)?;
    deliveries::dead_letter(&db, &msg.delivery_id, now_ms())?
        .run()
        .await?;
    // A settled delivery whose submission was not updated (D1 failed the consumer after the
    // attempt was recorded): nothing else would bring its outcome to the submission.
    match deliveries::get(&db, &msg.delivery_id).await? {
        Some(delivery) if delivery.is_settled() => super::repair_outcome(&db, &delivery).await,
        _ => Ok(()),
    }
}
