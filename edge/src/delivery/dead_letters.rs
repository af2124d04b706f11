//! The dead-letter queue: deliveries whose attempts ran out (sent there by `settle`), and
//! messages the delivery consumer itself failed on too often (sent there by Queues). Each
//! is recorded in D1, where the owner API lists and replays them. The lead is never touched.

use super::DeliveryMessage;
use crate::bindings;
use crate::clock::now_ms;
use crate::storage::deliveries;
use worker::{Env, MessageBatch, MessageExt, Result};

pub async fn send(env: &Env, msg: &DeliveryMessage) -> Result<()> {
    env.queue(bindings::DEAD_LETTERS)?.send(msg.clone()).await
}

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
    let Some(delivery) = deliveries::get(&db, &msg.delivery_id).await? else {
        worker::console_warn!("dead letter for unknown delivery {}", msg.delivery_id);
        return Ok(());
    };
    deliveries::record_dead_letter(&db, &delivery, now_ms()).await
}
