//! Qualification before a form (seed 000, "Lead Qualification"): questions the agent asks in
//! the chat as quick replies, each answer worth points; the form shows only when the score
//! reaches the threshold. The score and the answers go with the submission and the lead,
//! and a post-action's `when` routes on them ("send to the appropriate team"). Pure: the edge
//! hands in the answers the conversation holds.

use crate::conversation::normalize;
use crate::owner::{cap, caps};
use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A form's questions and its threshold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Qualification {
    /// Asked in order, one per agent message; a question already answered in the
    /// conversation is not asked again.
    pub questions: Vec<Question>,
    /// The form shows when the points of the answers add up to at least this.
    #[serde(default)]
    pub threshold: i32,
    /// What the agent says when the score stays below the threshold (the form does not show
    /// in this conversation then).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub below_threshold_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Question {
    /// Names the answer in the submission, the lead and `when` conditions.
    pub key: String,
    /// What the agent asks.
    pub text: String,
    /// The visitor's choices, shown as quick replies.
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Choice {
    pub label: String,
    #[serde(default)]
    pub points: i32,
}

pub const MAX_QUESTIONS: usize = 10;
pub const MAX_CHOICES: usize = 10;
pub const MAX_POINTS: i32 = 1_000;

/// What the agent tells the visitor when the score stays below the threshold and the owner
/// wrote nothing.
pub const DEFAULT_BELOW_THRESHOLD: &str = "Thanks for your answers! Feel free to ask me anything else.";

impl Qualification {
    /// Checks the config; `at` is its path in the tool (`qualification`).
    pub fn check(&self, at: &str) -> Result<(), FieldError> {
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            return Err(FieldError::new(
                format!("{at}.questions"),
                format!("must list 1 to {MAX_QUESTIONS} questions"),
            ));
        }
        if self.threshold.unsigned_abs() > (MAX_POINTS * MAX_QUESTIONS as i32) as u32 {
            return Err(FieldError::new(
                format!("{at}.threshold"),
                "is beyond what the answers can add up to",
            ));
        }
        cap(
            &format!("{at}.belowThresholdMessage"),
            &self.below_threshold_message,
            caps::MESSAGE,
        )?;
        for (i, question) in self.questions.iter().enumerate() {
            let path = format!("{at}.questions[{i}]");
            let key_ok = !question.key.is_empty()
                && question.key.len() <= 64
                && question
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !key_ok {
                return Err(FieldError::new(
                    format!("{path}.key"),
                    "must be 1-64 letters, digits, _ or -",
                ));
            }
            if self.questions[..i].iter().any(|q| q.key == question.key) {
                return Err(FieldError::new(format!("{path}.key"), "repeats a question key"));
            }
            if question.text.trim().is_empty() {
                return Err(FieldError::new(format!("{path}.text"), "needs the question"));
            }
            cap(&format!("{path}.text"), &question.text, caps::MESSAGE)?;
            if question.options.len() < 2 || question.options.len() > MAX_CHOICES {
                return Err(FieldError::new(
                    format!("{path}.options"),
                    format!("must list 2 to {MAX_CHOICES} choices"),
                ));
            }
            for (j, choice) in question.options.iter().enumerate() {
                let at = format!("{path}.options[{j}]");
                if choice.label.trim().is_empty() {
                    return Err(FieldError::new(format!("{at}.label"), "needs a label"));
                }
                cap(&format!("{at}.label"), &choice.label, caps::LABEL)?;
                let same = |other: &Choice| normalize(&other.label) == normalize(&choice.label);
                if question.options[..j].iter().any(same) {
                    return Err(FieldError::new(format!("{at}.label"), "repeats a choice"));
                }
                if choice.points.unsigned_abs() > MAX_POINTS as u32 {
                    return Err(FieldError::new(
                        format!("{at}.points"),
                        format!("must be from -{MAX_POINTS} to {MAX_POINTS}"),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn below_threshold_message(&self) -> &str {
        if self.below_threshold_message.trim().is_empty() {
            DEFAULT_BELOW_THRESHOLD
        } else {
            &self.below_threshold_message
        }
    }

    /// Where the visitor stands, given the answers so far (`(key, label)`, later answers
    /// to the same question win).
    pub fn progress(&self, answers: &[(String, String)]) -> Progress<'_> {
        let mut answered = Vec::new();
        for question in &self.questions {
            let Some(label) = answers
                .iter()
                .rev()
                .find(|(key, _)| *key == question.key)
                .map(|(_, l)| l)
            else {
                return Progress::Ask(question);
            };
            // A stored answer whose choice the owner has since removed counts no points.
            let points = question
                .options
                .iter()
                .find(|c| normalize(&c.label) == normalize(label))
                .map_or(0, |c| c.points);
            answered.push(Answer {
                key: question.key.clone(),
                question: question.text.clone(),
                answer: label.clone(),
                points,
            });
        }
        let score = answered.iter().map(|a| a.points).sum();
        Progress::Done(Outcome {
            score,
            qualified: score >= self.threshold,
            answers: answered,
        })
    }
}

/// The next step of a qualification.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress<'a> {
    Ask(&'a Question),
    Done(Outcome),
}

/// How a visitor qualified: kept on the submission and the lead, and in the webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub score: i32,
    /// The score reached the threshold.
    pub qualified: bool,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub key: String,
    pub question: String,
    pub answer: String,
    pub points: i32,
}

/// The choice a visitor's message picks: its label (case, accents and punctuation aside),
/// its number in the list ("2"), or the one label the message contains as whole words
/// ("about 11-50 people" picks "11-50" when no other label is in it).
pub fn pick<'a>(question: &'a Question, message: &str) -> Option<&'a Choice> {
    let said = normalize(message);
    if said.is_empty() {
        return None;
    }
    if let Some(exact) = question.options.iter().find(|c| normalize(&c.label) == said) {
        return Some(exact);
    }
    if let Ok(n) = said.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| question.options.get(i));
    }
    let padded = format!(" {said} ");
    let mut contained = question.options.iter().filter(|c| {
        let label = normalize(&c.label);
        !label.is_empty() && padded.contains(&format!(" {label} "))
    });
    match (contained.next(), contained.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// A post-action's condition: it runs only for submissions it matches. Every condition
/// given must hold; a score condition does not hold for a submission without a score.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct When {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_score: Option<i32>,
    /// `true`: only qualified visitors; `false`: only those below the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualified: Option<bool>,
    /// By question key, the answers (labels) that match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, Vec<String>>,
}

impl When {
    pub fn check(&self, at: &str) -> Result<(), FieldError> {
        if let (Some(min), Some(max)) = (self.min_score, self.max_score) {
            if min > max {
                return Err(FieldError::new(
                    format!("{at}.minScore"),
                    "must not be above maxScore",
                ));
            }
        }
        if self.answers.len() > MAX_QUESTIONS {
            return Err(FieldError::new(
                format!("{at}.answers"),
                format!("must name at most {MAX_QUESTIONS} questions"),
            ));
        }
        for (key, labels) in &self.answers {
            if labels.is_empty() || labels.len() > MAX_CHOICES {
                return Err(FieldError::new(
                    format!("{at}.answers.{key}"),
                    format!("must list 1 to {MAX_CHOICES} answers"),
                ));
            }
            for label in labels {
                cap(&format!("{at}.answers.{key}"), label, caps::LABEL)?;
            }
        }
        Ok(())
    }

    /// Whether a submission with this qualification (`None`: none) matches.
    pub fn matches(&self, outcome: Option<&Outcome>) -> bool {
        let needs_outcome = self.min_score.is_some()
            || self.max_score.is_some()
            || self.qualified.is_some()
            || !self.answers.is_empty();
        let Some(outcome) = outcome else {
            return !needs_outcome;
        };
        self.min_score.is_none_or(|min| outcome.score >= min)
            && self.max_score.is_none_or(|max| outcome.score <= max)
            && self.qualified.is_none_or(|q| outcome.qualified == q)
            && self.answers.iter().all(|(key, labels)| {
                outcome
                    .answers
                    .iter()
                    .any(|a| a.key == *key && labels.iter().any(|l| normalize(l) == normalize(&a.answer)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn team_and_budget() -> Qualification {
        serde_json::from_value(json!({
            "questions": [
                {"key": "team", "text": "How big is your team?", "options": [
                    {"label": "Just me", "points": 0}, {"label": "2-50", "points": 20}, {"label": "More than 50", "points": 40}]},
                {"key": "budget", "text": "What is your budget?", "options": [
                    {"label": "Under $1k"}, {"label": "$1k or more", "points": 30}]}
            ],
            "threshold": 50
        }))
        .unwrap()
    }

    fn answers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, l)| (k.to_string(), l.to_string()))
            .collect()
    }

    #[test]
    fn questions_are_asked_in_order_then_scored_against_the_threshold() {
        let q = team_and_budget();
        assert_eq!(q.progress(&[]), Progress::Ask(&q.questions[0]));
        assert_eq!(
            q.progress(&answers(&[("team", "2-50")])),
            Progress::Ask(&q.questions[1])
        );
        let Progress::Done(low) = q.progress(&answers(&[("team", "2-50"), ("budget", "Under $1k")])) else {
            panic!("all answered")
        };
        assert_eq!((low.score, low.qualified), (20, false));
        let Progress::Done(high) = q.progress(&answers(&[
            ("team", "Just me"),
            ("budget", "$1k or more"),
            ("team", "2-50"),
        ])) else {
            panic!("all answered")
        };
        assert_eq!(
            (high.score, high.qualified),
            (50, true),
            "the later answer wins, 50 reaches 50"
        );
        assert_eq!(high.answers[0].question, "How big is your team?");
    }

    #[test]
    fn a_choice_is_picked_by_label_number_or_the_one_label_mentioned() {
        let q = team_and_budget();
        let team = &q.questions[0];
        assert_eq!(pick(team, "just me!").unwrap().label, "Just me");
        assert_eq!(pick(team, "3").unwrap().label, "More than 50");
        assert_eq!(pick(team, "4"), None);
        assert_eq!(pick(team, "we are about 2-50 people").unwrap().label, "2-50");
        assert_eq!(pick(team, "what do you mean?"), None);
        assert_eq!(pick(team, ""), None);
    }

    #[test]
    fn when_routes_on_score_and_answers() {
        let q = team_and_budget();
        let Progress::Done(big) =
            q.progress(&answers(&[("team", "More than 50"), ("budget", "$1k or more")]))
        else {
            panic!()
        };
        let enterprise: When =
            serde_json::from_value(json!({"minScore": 60, "answers": {"team": ["more than 50"]}})).unwrap();
        assert!(enterprise.matches(Some(&big)));
        let small: When = serde_json::from_value(json!({"maxScore": 59})).unwrap();
        assert!(!small.matches(Some(&big)));
        assert!(!small.matches(None), "a score condition needs a score");
        assert!(When::default().matches(None), "no condition: every submission");
        let unqualified: When = serde_json::from_value(json!({"qualified": false})).unwrap();
        assert!(!unqualified.matches(Some(&big)));
        assert!(serde_json::from_value::<When>(json!({"score": 3})).is_err());
        let bad: When = serde_json::from_value(json!({"minScore": 5, "maxScore": 1})).unwrap();
        assert_eq!(bad.check("when").unwrap_err().field, "when.minScore");
    }

    #[test]
    fn the_config_is_checked_with_paths() {
        assert!(team_and_budget().check("qualification").is_ok());
        let mut q = team_and_budget();
        q.questions[1].key = "team".into();
        assert_eq!(
            q.check("qualification").unwrap_err().field,
            "qualification.questions[1].key"
        );
        let mut q = team_and_budget();
        q.questions[0].options.truncate(1);
        assert_eq!(q.check("q").unwrap_err().field, "q.questions[0].options");
        let mut q = team_and_budget();
        q.questions[0].options[1].points = 5000;
        assert_eq!(
            q.check("q").unwrap_err().field,
            "q.questions[0].options[1].points"
        );
        let mut q = team_and_budget();
        q.questions[0].options[1].label = "JUST ME".into();
        assert_eq!(q.check("q").unwrap_err().field, "q.questions[0].options[1].label");
        let mut q = team_and_budget();
        q.questions.clear();
        assert_eq!(q.check("q").unwrap_err().field, "q.questions");
    }
}
