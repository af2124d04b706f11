//! The agent: the one place a conversation gets its next turns. It reads what the
//! conversation holds, asks core's rules (an explicit request, then each form's rules), then
//! the LLM when one is configured, then the trigger words; and writes the visitor's message,
//! the reply and any form shown in one batch.

mod llm;
pub mod qualification;
pub mod summary;

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
use leadform_core::qualification::{Progress, Question};
use serde::Serialize;
use serde_json::{Map, Value};
use worker::{console_warn, D1Database, Env};

/// What the agent says when it shows a form, and when it has nothing to offer (without an
/// LLM, or when the LLM only called the tool): the widget's own lines for the same cases,
/// from the one locale table, in the visitor's language (`locale`, an index into
/// `core::locale::LOCALES`).
fn offer_reply(locale: usize) -> &'static str {
    leadform_core::locale::text(locale, leadform_core::locale::T::Offer)
}

fn fallback_reply(locale: usize) -> &'static str {
    leadform_core::locale::text(locale, leadform_core::locale::T::Fallback)
}

/// A turn as the widget reads it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    pub role: &'static str,
    pub text: String,
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<FormRef>,
    /// Choices the visitor can answer with in one tap (a qualification question's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
}

impl MessageOut {
    fn text(text: &str) -> Self {
        MessageOut {
            role: "agent",
            text: text.to_string(),
            at: 0,
            form: None,
            quick_replies: Vec::new(),
        }
    }
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

/// Starts a conversation: stored with the agent's greeting (in `language`) as its first turn.
pub async fn start(
    db: &D1Database,
    agent: &Agent,
    page: Option<&str>,
    language: &str,
) -> ApiResult<(Conversation, Vec<MessageOut>)> {
    // The greeting in the person's language (`language`, a locale code), as they see it.
    let greeting = agent.greeting_in(language);
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
    if !greeting.is_empty() {
        batch.extend(conversations::append(
            db,
            &conversation.id,
            &[NewTurn::message("agent", greeting)],
            None,
            now,
        )?);
    }
    db.batch(batch).await?;
    let greeting = (!greeting.is_empty()).then(|| MessageOut {
        at: now,
        ..MessageOut::text(greeting)
    });
    Ok((conversation, greeting.into_iter().collect()))
}

/// The agent's answer to the visitor's `text`: its reply, a qualification question, or the
/// form it shows; its own lines in `locale` (the owner's texts and an LLM's words as they are).
pub async fn answer(
    env: &Env,
    agent: &Agent,
    conversation: &Conversation,
    text: &str,
    page: Option<&str>,
    locale: usize,
) -> ApiResult<Vec<MessageOut>> {
    // An answer writes at most four turns: the visitor's, a reply, a question, a form.
    if conversation.turns + 4 > MAX_TURNS {
        return Err(ApiError::Conflict {
            code: "conversation_full",
            message: format!("this conversation has reached {MAX_TURNS} turns; start a new one"),
        });
    }
    let db = env.d1(bindings::DB)?;
    let turns = conversations::turns(&db, &conversation.id).await?;
    let forms = tools::offered_by_agent(&db, &agent.id).await?;
    let mut said = Said {
        locale,
        ..Said::default()
    };

    // The visitor answers the question the agent just asked; anything else is answered as
    // any message is (the question comes back when the form is offered again).
    let pending = qualification::pending(&turns, &forms);
    if let Some((tool, question)) = pending {
        if let Some(choice) = leadform_core::qualification::pick(question, text) {
            said.answer(tool, &question.key, &choice.label, choice.points);
            let mut answered = turns.clone();
            answered.push(said.turns[0].as_turn());
            match qualification::progress(tool, &answered) {
                Some(Progress::Ask(next)) => said.ask(tool, next),
                Some(Progress::Done(outcome)) if outcome.qualified => {
                    said.offer(tool, Reason::Qualified, Map::new(), None)
                }
                _ => said.say(
                    tool.qualification
                        .as_ref()
                        .map_or(leadform_core::qualification::DEFAULT_BELOW_THRESHOLD, |q| {
                            q.below_threshold_message()
                        }),
                ),
            }
            return said.write(&db, &conversation.id, page).await;
        }
    }

    let mut history = history_of(&turns);
    history.visitor_messages += 1;
    history.page = page.map(str::to_string).or_else(|| conversation.page_url.clone());
    let candidates: Vec<Candidate> = forms
        .iter()
        .map(|t| Candidate {
            tool_id: &t.id,
            triggers: &t.triggers,
            rules: &t.rules,
            blocked: qualification::fell_short(t, &turns),
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
                let mut so_far = transcript(&turns);
                so_far.push(LlmTurn { role: "user", text });
                let language = leadform_core::locale::NAMES
                    .get(locale)
                    .copied()
                    .unwrap_or("English");
                match llm::ask(&llm, &agent.name, &agent.instructions, &offers, &so_far, language).await {
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

    said.visitor(text);
    match decision {
        Some((i, why, prefill)) => {
            let tool = &forms[i];
            match qualification::progress(tool, &turns) {
                // Questions first: the form waits for the answers.
                Some(Progress::Ask(question)) => {
                    if let Some(reply) = &reply {
                        said.say(reply);
                    }
                    said.ask(tool, question);
                }
                _ => said.offer(tool, why, prefill, reply),
            }
        }
        // The visitor said something else while a question was open: the agent answers
        // (when the LLM has words) and asks again.
        None => match pending {
            Some((tool, question)) => {
                if let Some(reply) = &reply {
                    said.say(reply);
                }
                said.ask(tool, question);
            }
            None => said.say(reply.as_deref().unwrap_or(fallback_reply(locale))),
        },
    }
    said.write(&db, &conversation.id, page).await
}

/// The conversation's messages as the LLM reads them (questions and answers included).
pub(crate) fn transcript(turns: &[Turn]) -> Vec<LlmTurn<'_>> {
    turns
        .iter()
        .filter(|t| matches!(t.kind.as_str(), "message" | "question" | "answer"))
        .map(|t| LlmTurn {
            role: if t.role == "visitor" { "user" } else { "assistant" },
            text: &t.text,
        })
        .collect()
}

/// The turns one answer of the agent's writes, and the messages the widget reads.
#[derive(Default)]
struct Said {
    turns: Vec<OwnedTurn>,
    out: Vec<MessageOut>,
    locale: usize,
}

struct OwnedTurn {
    role: &'static str,
    kind: &'static str,
    text: String,
    tool_id: Option<String>,
    reason: Option<String>,
    question: Option<String>,
    points: Option<i64>,
}

impl OwnedTurn {
    fn new(role: &'static str, kind: &'static str, text: &str) -> Self {
        OwnedTurn {
            role,
            kind,
            text: text.to_string(),
            tool_id: None,
            reason: None,
            question: None,
            points: None,
        }
    }

    fn as_new(&self) -> NewTurn<'_> {
        NewTurn {
            role: self.role,
            kind: self.kind,
            text: &self.text,
            tool_id: self.tool_id.as_deref(),
            reason: self.reason.as_deref(),
            submission_id: None,
            question: self.question.as_deref(),
            points: self.points,
        }
    }

    /// As it will read once stored (for deciding on what it adds).
    fn as_turn(&self) -> Turn {
        Turn {
            seq: 0,
            at: 0,
            role: self.role.to_string(),
            kind: self.kind.to_string(),
            text: self.text.clone(),
            tool_id: self.tool_id.clone(),
            reason: self.reason.clone(),
            submission_id: None,
            question: self.question.clone(),
            points: self.points,
        }
    }
}

impl Said {
    fn visitor(&mut self, text: &str) {
        self.turns.push(OwnedTurn::new("visitor", "message", text));
    }

    fn answer(&mut self, tool: &Tool, key: &str, label: &str, points: i32) {
        self.turns.push(OwnedTurn {
            tool_id: Some(tool.id.clone()),
            question: Some(key.to_string()),
            points: Some(i64::from(points)),
            ..OwnedTurn::new("visitor", "answer", label)
        });
    }

    fn say(&mut self, text: &str) {
        self.turns.push(OwnedTurn::new("agent", "message", text));
        self.out.push(MessageOut::text(text));
    }

    fn ask(&mut self, tool: &Tool, question: &Question) {
        self.turns.push(OwnedTurn {
            tool_id: Some(tool.id.clone()),
            question: Some(question.key.clone()),
            ..OwnedTurn::new("agent", "question", &question.text)
        });
        self.out.push(MessageOut {
            quick_replies: question.options.iter().map(|c| c.label.clone()).collect(),
            ..MessageOut::text(&question.text)
        });
    }

    /// The form, with the agent's words (the LLM's, else [`offer_reply`]).
    fn offer(&mut self, tool: &Tool, why: Reason, prefill: Map<String, Value>, words: Option<String>) {
        let words = words.unwrap_or_else(|| offer_reply(self.locale).to_string());
        self.turns.push(OwnedTurn::new("agent", "message", &words));
        self.turns.push(OwnedTurn {
            tool_id: Some(tool.id.clone()),
            reason: Some(reason_text(why)),
            ..OwnedTurn::new("agent", "form_shown", &tool.name)
        });
        self.out.push(MessageOut {
            form: Some(FormRef {
                tool_id: tool.id.clone(),
                name: tool.name.clone(),
                prefill,
            }),
            ..MessageOut::text(&words)
        });
    }

    async fn write(
        self,
        db: &D1Database,
        conversation_id: &str,
        page: Option<&str>,
    ) -> ApiResult<Vec<MessageOut>> {
        let now = now_ms();
        let turns: Vec<NewTurn> = self.turns.iter().map(OwnedTurn::as_new).collect();
        db.batch(conversations::append(db, conversation_id, &turns, page, now)?)
            .await?;
        Ok(self
            .out
            .into_iter()
            .map(|m| MessageOut { at: now, ..m })
            .collect())
    }
}

fn reason_text(reason: Reason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The conversation as the widget shows it again (the visit's next page, a reload): its
/// messages, and a form still open (shown, neither submitted nor dismissed since) on the
/// message that offered it, so the visitor finds it where it was. A form offered twice shows
/// once, at its last offer.
pub fn replay(turns: Vec<Turn>) -> Vec<MessageOut> {
    let mut out: Vec<MessageOut> = Vec::new();
    let mut open: Vec<(usize, FormRef)> = Vec::new();
    for turn in turns {
        let tool_id = turn.tool_id.clone().unwrap_or_default();
        match turn.kind.as_str() {
            "message" | "question" | "answer" => out.push(MessageOut {
                role: if turn.role == "visitor" {
                    "visitor"
                } else {
                    "agent"
                },
                at: turn.at,
                ..MessageOut::text(&turn.text)
            }),
            "form_shown" => {
                open.retain(|(_, form)| form.tool_id != tool_id);
                if let Some(offer) = out.len().checked_sub(1) {
                    let form = FormRef {
                        tool_id,
                        name: turn.text,
                        prefill: Map::new(),
                    };
                    open.push((offer, form));
                }
            }
            "form_dismissed" | "form_submitted" => open.retain(|(_, form)| form.tool_id != tool_id),
            _ => {}
        }
    }
    for (offer, form) in open {
        out[offer].form = Some(form);
    }
    out
}

/// What the stored turns say for the rules: messages, forms shown, dismissed, submitted.
fn history_of(turns: &[Turn]) -> History {
    let mut history = History::default();
    for turn in turns {
        let tool = || turn.tool_id.clone().unwrap_or_default();
        match (turn.role.as_str(), turn.kind.as_str()) {
            ("visitor", "message" | "answer") => history.visitor_messages += 1,
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
    let turn = form_turn(tool, kind, submission_id);
    Ok(conversations::note_if_kept(
        db,
        conversation_id,
        &tool.agent_id,
        &turn,
        now_ms(),
    )?)
}

/// [`note_form_event`] for a submission, which also leaves its summary on the conversation.
pub fn note_form_submitted(
    db: &D1Database,
    conversation_id: &str,
    tool: &Tool,
    submission_id: &str,
    summary: &conversations::Summary,
) -> ApiResult<Vec<worker::D1PreparedStatement>> {
    let turn = form_turn(tool, "form_submitted", Some(submission_id));
    Ok(conversations::note_if_kept_with_summary(
        db,
        conversation_id,
        &tool.agent_id,
        &turn,
        now_ms(),
        summary,
    )?)
}

/// The visitor's turn for a form event: the form's name stands for it in the transcript.
fn form_turn<'a>(tool: &'a Tool, kind: &'static str, submission_id: Option<&'a str>) -> NewTurn<'a> {
    NewTurn {
        role: "visitor",
        kind,
        text: &tool.name,
        tool_id: Some(&tool.id),
        reason: None,
        submission_id,
        question: None,
        points: None,
    }
}
