//! The agent: the one place a conversation gets its next turns. It reads what the
//! conversation holds, asks core's rules (an explicit request, then each form's rules), then
//! the LLM when one is configured, then the trigger words; and writes the visitor's message,
//! the reply and any form shown in one batch.

mod llm;

use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::storage::agents::Agent;
use crate::storage::conversations::{self, Conversation, NewTurn, Turn, MAX_TURNS};
use crate::storage::tools::{self, Tool};
use leadform_core::conversation::{decide_by_rules, decide_by_triggers, Candidate, History, Reason};
use leadform_core::llm::{FormOffer, Turn as LlmTurn};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::{console_warn, D1Database, Env};

/// What the agent says when it shows a form, and when it has nothing to offer (without an
/// LLM, or when the LLM only called the tool).
pub const OFFER_REPLY: &str = "Happy to help. Leave your details here and we'll get back to you.";
pub const FALLBACK_REPLY: &str =
    "Thanks for your message! If you'd like someone from our team to follow up, just say so.";

/// A turn as the widget reads it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub role: &'static str,
    pub text: String,
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<FormRef>,
}

/// The form the widget is to show.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormRef {
    pub tool_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub prefill: Map<String, Value>,
}

/// Starts a conversation: stored with the agent's greeting as its first turn.
pub async fn start(
    db: &D1Database,
    agent: &Agent,
    page: Option<&str>,
) -> ApiResult<(Conversation, Vec<MessageOut>)> {
    let now = now_ms();
    let conversation = Conversation {
        id: new_id("conv"),
        agent_id: agent.id.clone(),
        page_url: page.map(str::to_string),
        visitor_messages: 0,
        turns: 0,
        summary: None,
        created_at: now,
        updated_at: now,
    };
    let mut batch = vec![conversations::insert(db, &conversation)?];
    if !agent.greeting.is_empty() {
        batch.extend(conversations::append(
            db,
            &conversation.id,
            &[NewTurn::message("agent", &agent.greeting)],
            None,
            now,
        )?);
    }
    db.batch(batch).await?;
    let greeting = (!agent.greeting.is_empty()).then(|| MessageOut {
        role: "agent",
        text: agent.greeting.clone(),
        at: now,
        form: None,
    });
    Ok((conversation, greeting.into_iter().collect()))
}

/// The agent's answer to the visitor's `text`: its reply, and the form it shows if any.
pub async fn answer(
    env: &Env,
    agent: &Agent,
    conversation: &Conversation,
    text: &str,
    page: Option<&str>,
) -> ApiResult<Vec<MessageOut>> {
    if conversation.turns + 3 > MAX_TURNS {
        return Err(ApiError::Conflict {
            code: "conversation_full",
            message: format!("this conversation has reached {MAX_TURNS} turns; start a new one"),
        });
    }
    let db = env.d1(bindings::DB)?;
    let turns = conversations::turns(&db, &conversation.id).await?;
    let forms = tools::list_for_agent(&db, &agent.id).await?;
    let mut history = history_of(&turns);
    history.visitor_messages += 1;
    history.page = page.map(str::to_string).or_else(|| conversation.page_url.clone());
    let candidates: Vec<Candidate> = forms
        .iter()
        .map(|t| Candidate {
            tool_id: &t.id,
            triggers: &t.triggers,
            rules: &t.rules,
        })
        .collect();

    // Step 4 of the decision, also where the LLM fails or says nothing.
    let by_triggers = || decide_by_triggers(text, &candidates, &history).map(|(i, why)| (i, why, Map::new()));
    let mut decision = decide_by_rules(text, &candidates, &history).map(|(i, why)| (i, why, Map::new()));
    let mut reply = None;
    if decision.is_none() {
        match config::llm(env) {
            Some(llm) => {
                let allowed: Vec<&Tool> = candidates
                    .iter()
                    .zip(&forms)
                    .filter(|(c, _)| leadform_core::conversation::allowed(c, &history, false))
                    .map(|(_, t)| t)
                    .collect();
                let offers: Vec<FormOffer> = allowed
                    .iter()
                    .map(|t| FormOffer {
                        name: &t.name,
                        title: &t.title,
                        description: &t.description,
                    })
                    .collect();
                let mut said: Vec<LlmTurn> = turns
                    .iter()
                    .filter(|t| t.kind == "message")
                    .map(|t| LlmTurn {
                        role: if t.role == "visitor" { "user" } else { "assistant" },
                        text: &t.text,
                    })
                    .collect();
                said.push(LlmTurn { role: "user", text });
                match llm::ask(&llm, &agent.name, &agent.instructions, &offers, &said).await {
                    Ok(answer) => {
                        if let Some(problem) = &answer.problem {
                            console_warn!("agent {}: LLM tool call set aside: {problem}", agent.id);
                        }
                        decision = answer.show_form.and_then(|(name, prefill)| {
                            forms
                                .iter()
                                .position(|t| t.name == name)
                                .map(|i| (i, Reason::Llm, prefill))
                        });
                        reply = answer.text;
                        // A reply with neither text nor a form falls back to the rules below.
                        if reply.is_none() && decision.is_none() {
                            decision = by_triggers();
                        }
                    }
                    Err(why) => {
                        console_warn!(
                            "agent {}: LLM unavailable, answering by the rules: {why}",
                            agent.id
                        );
                        decision = by_triggers();
                    }
                }
            }
            None => decision = by_triggers(),
        }
    }

    let shown = decision.map(|(i, why, prefill)| (&forms[i], why, prefill));
    let reply = reply.unwrap_or_else(|| {
        if shown.is_some() {
            OFFER_REPLY
        } else {
            FALLBACK_REPLY
        }
        .to_string()
    });
    let now = now_ms();
    let reason = shown.as_ref().map(|(_, why, _)| reason_text(*why));
    let mut new_turns = vec![
        NewTurn::message("visitor", text),
        NewTurn::message("agent", &reply),
    ];
    if let Some((tool, _, _)) = &shown {
        new_turns.push(NewTurn {
            role: "agent",
            kind: "form_shown",
            text: &tool.name,
            tool_id: Some(&tool.id),
            reason: reason.as_deref(),
            submission_id: None,
        });
    }
    db.batch(conversations::append(
        &db,
        &conversation.id,
        &new_turns,
        page,
        now,
    )?)
    .await?;
    Ok(vec![MessageOut {
        role: "agent",
        text: reply,
        at: now,
        form: shown.map(|(tool, _, prefill)| FormRef {
            tool_id: tool.id.clone(),
            name: tool.name.clone(),
            prefill,
        }),
    }])
}

fn reason_text(reason: Reason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// What the stored turns say for the rules: messages, forms shown, dismissed, submitted.
fn history_of(turns: &[Turn]) -> History {
    let mut history = History::default();
    for turn in turns {
        let tool = || turn.tool_id.clone().unwrap_or_default();
        match (turn.role.as_str(), turn.kind.as_str()) {
            ("visitor", "message") => history.visitor_messages += 1,
            (_, "form_shown") => history.shown.push((tool(), history.visitor_messages)),
            (_, "form_dismissed") => history.dismissed.push((tool(), history.visitor_messages)),
            (_, "form_submitted") => history.submitted.push(tool()),
            _ => {}
        }
    }
    history
}

/// The statements that note a form event of the widget's (dismissed, submitted) in its
/// conversation, when the edge keeps that conversation for the form's agent.
pub fn note_form_event(
    db: &D1Database,
    conversation_id: &str,
    tool: &Tool,
    kind: &'static str,
    submission_id: Option<&str>,
) -> ApiResult<Vec<worker::D1PreparedStatement>> {
    let turn = NewTurn {
        role: "visitor",
        kind,
        text: &tool.name,
        tool_id: Some(&tool.id),
        reason: None,
        submission_id,
    };
    Ok(conversations::note_if_kept(
        db,
        conversation_id,
        &tool.agent_id,
        &turn,
        now_ms(),
    )?)
}
