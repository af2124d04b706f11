//! The guess that lets a usual submit make one D1 round trip instead of two: the writes are
//! planned on what this isolate expects to read (the tool as it last read it, no earlier
//! answer to the idempotency key, no lead for this person yet, no lead-event endpoints, a
//! display that scores as if shown when its token was issued and not yet used up), and
//! the batch is led by a guard that checks exactly that in the same transaction. A wrong
//! guess writes nothing; the submit then reads and plans as it would have anyway.
//!
//! Only where the plan needs nothing else from D1 and nothing happens before the batch: no
//! file fields (uploaded to R2 first), no qualification questions (scored on the turns),
//! no LLM summary of a conversation (written from the turns), and no person this isolate
//! has already seen a lead of (a returning visitor: the guard would fail on their lead,
//! and the submit would pay a batch for nothing before its reads).

use crate::config;
use crate::error::ApiResult;
use crate::storage::assumptions::Assumptions;
use crate::storage::tools::{Tool, WidgetTool};
use crate::storage::{display_tokens, lead_webhooks, leads, submissions, tools};
use leadform_core::form::FieldKind;
use leadform_core::lead::{email_key, phone_key, Contact};
use leadform_core::spam::{same_fill_points_until, TokenCheck};
use leadform_core::wire::SubmitIn;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use worker::{D1Database, D1PreparedStatement, Env};

thread_local! {
    /// Agents this isolate last saw with lead-event endpoints: their submits plan lead
    /// events, so they are not guessed (the guard would only fail).
    static WITH_LEAD_ENDPOINTS: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
}

/// Most agents remembered; past that, it starts over.
const KEPT_AGENTS: usize = 256;

thread_local! {
    /// People (an agent and an email or phone key, hashed) this isolate stored or found a
    /// lead for. A hash that collides only costs a guess: the submit reads first.
    static WITH_LEAD: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
}

/// Most people remembered (8 bytes each, about 1 MB in all); past that, it starts over.
const KEPT_PEOPLE: usize = 65_536;

/// Whether a submit of `input` to `tool` can be planned before its reads: the person it
/// plans for (the [`guard`] checks they have no lead yet), or `None`.
pub fn possible(env: &Env, tool: &Tool, input: &SubmitIn, form_data: &Map<String, Value>) -> Option<Contact> {
    let files = tool.fields.iter().any(|f| f.kind == FieldKind::File);
    let llm_summary = input.conversation_id.is_some() && config::llm(env).is_some();
    let endpoints = WITH_LEAD_ENDPOINTS.with(|seen| seen.borrow().get(&tool.agent_id).copied());
    if files || llm_summary || tool.qualification.is_some() || endpoints == Some(true) {
        return None;
    }
    let (contact, _) = leadform_core::lead::extract(&tool.fields, form_data);
    let returning = WITH_LEAD.with(|seen| {
        let seen = seen.borrow();
        person_keys(&tool.agent_id, &contact).any(|key| seen.contains(&key))
    });
    (!returning).then_some(contact)
}

/// Remembers that `contact` has a lead of `agent_id` (one a submit stored or found).
pub fn note_lead_of(agent_id: &str, contact: &Contact) {
    WITH_LEAD.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() >= KEPT_PEOPLE {
            seen.clear();
        }
        seen.extend(person_keys(agent_id, contact));
    });
}

/// What a person is known by: their email's key and their phone's, each with the agent.
fn person_keys<'a>(agent_id: &'a str, contact: &Contact) -> impl Iterator<Item = u64> + 'a {
    let email = contact.email.as_deref().and_then(email_key).map(|k| ("email", k));
    let phone = contact.phone.as_deref().and_then(phone_key).map(|k| ("phone", k));
    email.into_iter().chain(phone).map(move |key| {
        let mut hasher = DefaultHasher::new();
        (agent_id, key).hash(&mut hasher);
        hasher.finish()
    })
}

/// Remembers whether `agent_id` has lead-event endpoints, as a submit just read.
pub fn note_lead_endpoints(agent_id: &str, any: bool) {
    WITH_LEAD_ENDPOINTS.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.len() >= KEPT_AGENTS {
            seen.clear();
        }
        seen.insert(agent_id.to_string(), any);
    });
}

/// The statement that leads the guessed batch: every assumption of the guess, checked.
pub fn guard(
    db: &D1Database,
    kept: &WidgetTool,
    input: &SubmitIn,
    token: &TokenCheck,
    person: &Contact,
    now: i64,
) -> ApiResult<D1PreparedStatement> {
    let tool = &kept.tool;
    let mut assumed = Assumptions::default();
    assumed.hold(tools::unchanged_condition(kept));
    if let Some(key) = &input.idempotency_key {
        assumed.hold(submissions::no_idempotency_hit_condition(&tool.id, key));
    }
    if let TokenCheck::Valid { issued_at, nonce } = token {
        assumed.hold(display_tokens::unused_and_shown_by_condition(
            &tool.id,
            input.idempotency_key.as_deref(),
            nonce,
            same_fill_points_until(*issued_at, now, input.started_at.is_some()),
        ));
    }
    if let Some(no_match) = leads::no_match_condition(&tool.agent_id, person) {
        assumed.hold(no_match);
    }
    assumed.hold(lead_webhooks::none_condition(&tool.agent_id));
    Ok(assumed.statement(db)?)
}
