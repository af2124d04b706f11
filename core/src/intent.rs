//! Which form fits what a visitor just wrote. A stand-in for the agent's judgement: each
//! form lists trigger words, and the first form with a trigger in the message is offered.

use crate::wire::FormPublic;

/// Triggers used for a form that lists none.
pub const DEFAULT_TRIGGERS: [&str; 8] = [
    "contact", "call", "demo", "pricing", "quote", "sales", "reach", "touch",
];

pub fn form_for_message<'a>(forms: &'a [FormPublic], message: &str) -> Option<&'a FormPublic> {
    let said = normalize(message);
    let words: Vec<&str> = said.split(' ').collect();
    forms.iter().find(|form| {
        // The trigger's words, in a row among the message's (word by word rather than a
        // substring search, which the widget would pay for in bytes).
        let mentions = |trigger: &str| {
            let trigger = normalize(trigger);
            let wanted: Vec<&str> = trigger.split(' ').collect();
            !trigger.is_empty() && words.windows(wanted.len()).any(|run| run == wanted.as_slice())
        };
        if form.triggers.is_empty() {
            DEFAULT_TRIGGERS.iter().any(|t| mentions(t))
        } else {
            form.triggers.iter().any(|t| mentions(t))
        }
    })
}

/// Lower case, letters and digits only, single spaces: "Call me!" -> "call me".
fn normalize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::ExecutionMode;

    fn form(name: &str, triggers: &[&str]) -> FormPublic {
        FormPublic {
            tool_id: format!("tool_{name}"),
            name: name.into(),
            title: name.into(),
            description: String::new(),
            fields: vec![],
            success_message: String::new(),
            dismiss_message: String::new(),
            execution_mode: ExecutionMode::Webhook,
            triggers: triggers.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn whole_words_and_phrases_match_ignoring_case_and_punctuation() {
        let forms = [
            form("newsletter", &["newsletter", "sign up"]),
            form("contact_form", &[]),
        ];
        assert_eq!(
            form_for_message(&forms, "Can I SIGN-UP please?").unwrap().name,
            "newsletter"
        );
        assert_eq!(
            form_for_message(&forms, "I'd like a demo!").unwrap().name,
            "contact_form"
        );
        assert!(
            form_for_message(&forms, "What does it cost to recall?").is_none(),
            "call inside recall"
        );
        assert!(form_for_message(&forms, "hello").is_none());
    }
}
