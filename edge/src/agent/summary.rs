//! The summary a lead gets from the conversation it came from (seed 004's "AI-generated
//! conversation summary"): written by the LLM when one is configured, otherwise a plain
//! extract (the visitor's first question, the form's answers, the qualification). It is
//! made before the submission is committed, so the email post-action and the lead page
//! show the same text from the first moment.

use super::llm;
use super::transcript;
use crate::config;
use crate::storage::conversations::Turn;
use crate::storage::tools::Tool;
use leadform_core::conversation::answers_summary;
use leadform_core::qualification::Outcome;
use serde_json::{Map, Value};
use worker::{console_warn, Env};

/// Longest wait for the LLM's summary: the visitor's submit waits for it. Past it (or on
/// any failure) the plain summary is kept.
pub const LLM_WAIT_MS: u64 = 5_000;

pub async fn write(
    env: &Env,
    tool: &Tool,
    turns: &[Turn],
    form_data: &Map<String, Value>,
    qualification: Option<&Outcome>,
) -> String {
    let plain = plain(tool, turns, form_data, qualification);
    let visitor_spoke = turns.iter().any(Turn::is_visitor_message);
    let Some(llm) = config::llm(env).filter(|_| visitor_spoke) else {
        return plain;
    };
    let wait = llm.timeout_ms.min(LLM_WAIT_MS);
    match llm::summarize(&llm, &transcript(turns), &plain, wait).await {
        Ok(summary) => summary,
        Err(why) => {
            console_warn!(
                "agent {}: summary by the LLM failed, kept the plain one: {why}",
                tool.agent_id
            );
            plain
        }
    }
}

/// The plain summary: what the visitor asked first, what they filled in, how they
/// qualified.
pub fn plain(
    tool: &Tool,
    turns: &[Turn],
    form_data: &Map<String, Value>,
    qualification: Option<&Outcome>,
) -> String {
    let answers = after_first_question(tool, form_data, qualification);
    match turns.iter().find(|t| t.role == "visitor" && t.kind == "message") {
        Some(first) => format!("Asked: {}\n{answers}", first.text),
        None => answers,
    }
}

/// The plain summary without its first line (the visitor's first question): what the
/// form's answers and the qualification say. A submit that writes before it reads the
/// conversation lets D1 add that line (`conversations::Summary::AfterFirstQuestion`).
pub fn after_first_question(
    tool: &Tool,
    form_data: &Map<String, Value>,
    qualification: Option<&Outcome>,
) -> String {
    let mut parts = vec![answers_summary(&tool.title, &tool.fields, form_data)];
    if let Some(q) = qualification {
        let answers: Vec<String> = q
            .answers
            .iter()
            .map(|a| format!("{}: {}", a.question, a.answer))
            .collect();
        let verdict = if q.qualified {
            "qualified"
        } else {
            "below the threshold"
        };
        parts.push(format!("Score {} ({verdict}). {}", q.score, answers.join("; ")));
    }
    parts.join("\n")
}
