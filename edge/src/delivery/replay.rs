//! Replays: a new round of attempts for settled deliveries, aimed at the tool as it is now
//! (an owner fixes a URL, then replays), in a handful of D1 round trips however many are
//! replayed, so a bulk replay stays within the per-invocation query limit.

use super::{enqueue_all, DeliveryMessage};
use crate::clock::now_ms;
use crate::storage::deliveries::{self, Delivery};
use crate::storage::submissions;
use crate::storage::tools::{self, Tool};
use leadform_core::form::ExecutionMode;
use leadform_core::post_actions::PostAction;
use std::collections::HashMap;
use worker::{D1Database, Env, Result};

/// Starts a new round for each settled delivery of `candidates` (others are left in their
/// round), reopens the webhook part of the submissions whose primary webhook is replayed,
/// and queues the first attempts. The deliveries as replayed.
pub async fn replay(env: &Env, db: &D1Database, candidates: &[Delivery]) -> Result<Vec<Delivery>> {
    let settled: Vec<&Delivery> = candidates.iter().filter(|d| d.is_settled()).collect();
    if settled.is_empty() {
        return Ok(vec![]);
    }
    let submission_ids: Vec<&str> = settled
        .iter()
        .filter_map(|d| d.submission_id.as_deref())
        .collect();
    let submissions = submissions::get_many(db, &submission_ids).await?;
    let tool_ids: Vec<&str> = submissions.iter().map(|s| s.tool_id.as_str()).collect();
    let tools: HashMap<String, Tool> = tools::get_many(db, &tool_ids)
        .await?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    let submission_of = |id: &str| submissions.iter().find(|s| s.id == id);

    let now = now_ms();
    let mut statements = Vec::new();
    for delivery in &settled {
        let submission = delivery.submission_id.as_deref().and_then(submission_of);
        let tool = submission.and_then(|s| tools.get(&s.tool_id));
        let (target, action) = aim(delivery, tool, submission.and_then(|s| s.qualification.as_ref()));
        statements.push(deliveries::replay(
            db,
            &delivery.id,
            &target,
            action.as_deref(),
            now,
        )?);
    }
    let ids: Vec<&str> = settled.iter().map(|d| d.id.as_str()).collect();
    statements.push(deliveries::dead_letters_replayed(db, &ids, now)?);
    for submission in &submissions {
        // The webhook part reopens for the form's webhook, or for a store-only form's
        // post-action (its part: `core::status`).
        let part_replayed = settled.iter().any(|d| {
            d.submission_id.as_deref() == Some(submission.id.as_str())
                && (d.is_primary()
                    || (submission.execution_mode == ExecutionMode::Store && d.action.is_some()))
        });
        if part_replayed {
            statements.push(submissions::reopen_webhook_statement(db, submission)?);
        }
    }
    db.batch(statements).await?;

    // What actually moved: a delivery another request replayed first is not ours to queue.
    let replayed: Vec<Delivery> = deliveries::get_many(db, &ids)
        .await?
        .into_iter()
        .filter(|d| !d.is_settled() && d.updated_at == now && d.attempts == d.round_start)
        .collect();
    let messages: Vec<DeliveryMessage> = replayed.iter().map(DeliveryMessage::for_delivery).collect();
    enqueue_all(env, &messages, 0).await;
    Ok(replayed)
}

/// Where a replayed delivery goes now, and with which post-action configuration: the
/// primary webhook follows the tool's current webhook URL; a post-action its current
/// counterpart for the lead's qualification (`PostAction::current`: one whose `when` the
/// lead no longer matches is none); anything the owner removed keeps its snapshot.
fn aim(
    delivery: &Delivery,
    tool: Option<&Tool>,
    qualification: Option<&leadform_core::qualification::Outcome>,
) -> (String, Option<String>) {
    let kept = (delivery.target_url.clone(), delivery.action.clone());
    let Some(tool) = tool else {
        return kept;
    };
    match delivery.action.as_deref() {
        None if delivery.is_primary() => match &tool.webhook_url {
            Some(url) => (url.clone(), None),
            None => kept,
        },
        Some(snapshot) => {
            let current = serde_json::from_str::<PostAction>(snapshot)
                .ok()
                .and_then(|snapshot| {
                    PostAction::current(&snapshot, &tool.post_actions, qualification).cloned()
                });
            match current {
                Some(action) => (action.target(), serde_json::to_string(&action).ok()),
                None => kept,
            }
        }
        None => kept,
    }
}
