//! A form's qualification as the stored turns tell it: the question waiting for the
//! visitor's answer, the answers given, and the outcome the submission and the lead keep.
//! The rules themselves (order, points, threshold) are `leadform_core::qualification`.

use crate::storage::conversations::Turn;
use crate::storage::tools::Tool;
use leadform_core::qualification::{Outcome, Progress, Question};

/// The answers given to `tool_id`'s questions, in order: `(question key, chosen label)`.
pub fn answers(turns: &[Turn], tool_id: &str) -> Vec<(String, String)> {
    turns
        .iter()
        .filter(|t| t.kind == "answer" && t.tool_id.as_deref() == Some(tool_id))
        .filter_map(|t| Some((t.question.clone()?, t.text.clone())))
        .collect()
}

/// The question the agent asked last, when it was the agent's last word: the visitor's
/// next message may answer it.
pub fn pending<'a>(turns: &[Turn], forms: &'a [Tool]) -> Option<(&'a Tool, &'a Question)> {
    let last = turns.iter().rev().find(|t| t.role == "agent")?;
    if last.kind != "question" {
        return None;
    }
    let tool = forms.iter().find(|f| Some(&f.id) == last.tool_id.as_ref())?;
    let question = tool
        .qualification
        .as_ref()?
        .questions
        .iter()
        .find(|q| Some(&q.key) == last.question.as_ref())?;
    Some((tool, question))
}

/// Where the visitor stands with `tool`'s questions; `None` when it has none.
pub fn progress<'a>(tool: &'a Tool, turns: &[Turn]) -> Option<Progress<'a>> {
    let qualification = tool.qualification.as_ref()?;
    Some(qualification.progress(&answers(turns, &tool.id)))
}

/// The outcome a submission of `tool` keeps: the score and every answer, once the
/// questions were all answered in this conversation.
pub fn outcome(tool: &Tool, turns: &[Turn]) -> Option<Outcome> {
    match progress(tool, turns)? {
        Progress::Done(outcome) => Some(outcome),
        Progress::Ask(_) => None,
    }
}

/// Whether the visitor answered every question of `tool` and fell short of its threshold.
pub fn fell_short(tool: &Tool, turns: &[Turn]) -> bool {
    outcome(tool, turns).is_some_and(|o| !o.qualified)
}
