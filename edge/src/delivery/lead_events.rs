//! Lead events (`lead.created`, `lead.updated`, `lead.deleted`) to an agent's lead-webhook
//! endpoints, through the same outbox as leads: each event to each endpoint is a delivery
//! row written in the batch that makes the change, with its body fixed at that moment (an
//! event says what happened then), signed per Standard Webhooks on every attempt.

use super::send::OutgoingRequest;
use super::DeliveryMessage;
use crate::clock::{iso8601, now_ms};
use crate::ids::new_id;
use crate::storage::deliveries::{self, Delivery, NewDelivery, LEAD_EVENT};
use crate::storage::lead_webhooks::{self, LeadWebhook};
use leadform_core::lead::{ActivityOut, LeadOut};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{D1Database, D1PreparedStatement, Result};

/// What happened, as the event's `data`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LeadEvent {
    Created {
        lead: LeadOut,
    },
    Updated {
        lead: LeadOut,
        activity: ActivityOut,
    },
    Deleted {
        id: String,
        #[serde(rename = "agentId")]
        agent_id: String,
    },
}

impl LeadEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            LeadEvent::Created { .. } => "lead.created",
            LeadEvent::Updated { .. } => "lead.updated",
            LeadEvent::Deleted { .. } => "lead.deleted",
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: &'a LeadEvent,
}

/// Which endpoint a lead-event delivery goes to (the delivery's `action`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    endpoint_id: String,
}

/// Deliveries still to be committed and then queued.
#[derive(Default)]
pub struct Outbox {
    pub statements: Vec<D1PreparedStatement>,
    pub messages: Vec<DeliveryMessage>,
}

/// The delivery rows of `events` for every endpoint that follows them.
pub fn plan(
    db: &D1Database,
    endpoints: &[LeadWebhook],
    events: &[LeadEvent],
    agent_id: &str,
    lead_id: &str,
    schedule: &[u32],
    now: i64,
) -> Result<Outbox> {
    let mut outbox = Outbox::default();
    for event in events {
        let body = serde_json::to_string(&Body {
            kind: event.kind(),
            timestamp: iso8601(now),
            data: event,
        })?;
        for endpoint in endpoints.iter().filter(|e| e.wants(event.kind())) {
            let id = new_id("dlv");
            let action = serde_json::to_string(&Target {
                endpoint_id: endpoint.id.clone(),
            })?;
            outbox.statements.push(deliveries::insert(
                db,
                &NewDelivery {
                    id: &id,
                    submission_id: None,
                    agent_id,
                    lead_id: Some(lead_id),
                    kind: LEAD_EVENT,
                    target_url: &endpoint.url,
                    action: Some(&action),
                    payload: Some(&body),
                    schedule,
                    due: now,
                    now,
                },
            )?);
            outbox.messages.push(DeliveryMessage {
                delivery_id: id,
                attempts_made: 0,
            });
        }
    }
    Ok(outbox)
}

/// The signed request for one attempt, or why none can be made (the endpoint was removed).
pub async fn request(
    db: &D1Database,
    delivery: &Delivery,
) -> Result<std::result::Result<OutgoingRequest, String>> {
    let target: Option<Target> = delivery
        .action
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok());
    let Some(target) = target else {
        return Ok(Err("unreadable lead event target".into()));
    };
    let Some(endpoint) = lead_webhooks::get(db, &target.endpoint_id).await? else {
        return Ok(Err(format!("lead webhook {} was removed", target.endpoint_id)));
    };
    let body = delivery.payload.clone().unwrap_or_default();
    // Both secrets during a rotation's overlap: the receiver verifies with either.
    let secrets: Vec<String> = endpoint
        .signing_secrets(now_ms())
        .into_iter()
        .map(str::to_string)
        .collect();
    super::webhook::signed(
        &delivery.id,
        &secrets,
        &delivery.target_url,
        body,
        &BTreeMap::new(),
    )
}
