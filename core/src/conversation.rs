//! When the agent shows a form in a conversation: the rules an owner sets per form, and the
//! order the decision follows (issue 10): an explicit request, then the rules, then the
//! LLM (asked by the edge when one is configured), then the intent triggers. Pure: the edge
//! hands in what the conversation holds so far and acts on the answer.

use crate::validate::FieldError;
use serde::{Deserialize, Serialize};

/// When a form may, and when it must, appear in a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FormRules {
    /// Show the form once the visitor has written this many messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_messages: Option<u32>,
    /// Only on pages matching one of these (`*` matches anything; a pattern starting with
    /// `/` is matched against the path and query, otherwise against the whole URL).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<String>,
    /// At most once per conversation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub once_per_conversation: bool,
    /// After the visitor dismisses it, not again until they have written this many more
    /// messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_after_dismiss_messages: Option<u32>,
    /// Not for a visitor who already left their details in this conversation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_known_leads: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

pub const MAX_PAGE_PATTERNS: usize = 20;
pub const MAX_RULE_MESSAGES: u32 = 100;

impl FormRules {
    pub fn check(&self, at: &str) -> Result<(), FieldError> {
        if self.pages.len() > MAX_PAGE_PATTERNS {
            return Err(FieldError::new(
                format!("{at}.pages"),
                format!("must list at most {MAX_PAGE_PATTERNS} patterns"),
            ));
        }
        if let Some(i) = self
            .pages
            .iter()
            .position(|p| p.trim().is_empty() || p.len() > 500)
        {
            return Err(FieldError::new(
                format!("{at}.pages[{i}]"),
                "must be 1 to 500 characters",
            ));
        }
        for (name, value) in [
            ("afterMessages", self.after_messages),
            (
                "cooldownAfterDismissMessages",
                self.cooldown_after_dismiss_messages,
            ),
        ] {
            if value.is_some_and(|n| n == 0 || n > MAX_RULE_MESSAGES) {
                return Err(FieldError::new(
                    format!("{at}.{name}"),
                    format!("must be 1 to {MAX_RULE_MESSAGES}"),
                ));
            }
        }
        Ok(())
    }
}

/// A form the agent could show, as the decision needs it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub tool_id: &'a str,
    pub triggers: &'a [String],
    pub rules: &'a FormRules,
    /// Not for this visitor: their answers to its qualification questions fell short of
    /// its threshold.
    pub blocked: bool,
}

/// What happened so far in the conversation, counted in visitor messages.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Visitor messages so far, the one being answered included.
    pub visitor_messages: u32,
    /// Each form shown, and the visitor message count when it was.
    pub shown: Vec<(String, u32)>,
    /// Each dismissal, and the visitor message count when it happened.
    pub dismissed: Vec<(String, u32)>,
    /// Forms submitted in this conversation.
    pub submitted: Vec<String>,
    /// The page the visitor is on.
    pub page: Option<String>,
}

impl History {
    /// The visitor left their details in this conversation.
    pub fn known_lead(&self) -> bool {
        !self.submitted.is_empty()
    }
}

/// Why a form is shown (kept with the turn, for the owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    ExplicitRequest,
    AfterMessages,
    Llm,
    Trigger,
    /// The page asked for it (`leadform.showForm`).
    Page,
    /// The visitor's answers to its qualification questions reached the threshold.
    Qualified,
}

/// Whether a form may appear now: its page patterns, once per conversation, the cooldown
/// after a dismissal, known leads. `explicit`: the visitor asked, which a cooldown does not
/// hold back (pages and known leads still do).
pub fn allowed(candidate: &Candidate, history: &History, explicit: bool) -> bool {
    let rules = candidate.rules;
    let on_page = rules.pages.is_empty()
        || history
            .page
            .as_deref()
            .is_some_and(|page| rules.pages.iter().any(|p| page_matches(p, page)));
    let shown_before = history.shown.iter().any(|(id, _)| id == candidate.tool_id);
    let submitted = history.submitted.iter().any(|id| id == candidate.tool_id);
    let cooling = rules.cooldown_after_dismiss_messages.is_some_and(|wait| {
        history
            .dismissed
            .iter()
            .filter(|(id, _)| id == candidate.tool_id)
            .map(|(_, at)| *at)
            .max()
            .is_some_and(|at| history.visitor_messages < at + wait)
    });
    !candidate.blocked
        && on_page
        && !(rules.skip_known_leads && history.known_lead())
        && !(rules.once_per_conversation && (shown_before || submitted))
        && (explicit || !cooling)
}

/// Steps 1 and 2 of the decision: an explicit request (the form whose triggers the message
/// names, else the first general contact form, one with the default triggers, else the
/// first allowed one), then an `afterMessages` rule reached just now.
pub fn decide_by_rules(
    message: &str,
    candidates: &[Candidate],
    history: &History,
) -> Option<(usize, Reason)> {
    if is_explicit_request(message) {
        let allowed: Vec<usize> = (0..candidates.len())
            .filter(|&i| allowed(&candidates[i], history, true))
            .collect();
        let named = allowed
            .iter()
            .copied()
            .find(|&i| mentions_trigger(candidates[i].triggers, message));
        // A general contact form (the default triggers) answers a request that names none;
        // when the agent has one but it may not show here, the request waits rather than
        // getting some other form (a newsletter is not "contact me").
        let has_general = candidates.iter().any(|c| c.triggers.is_empty());
        let general = allowed
            .iter()
            .copied()
            .find(|&i| candidates[i].triggers.is_empty());
        let fallback = if has_general {
            None
        } else {
            allowed.first().copied()
        };
        if let Some(i) = named.or(general).or(fallback) {
            return Some((i, Reason::ExplicitRequest));
        }
    }
    candidates
        .iter()
        .position(|c| c.rules.after_messages == Some(history.visitor_messages) && allowed(c, history, false))
        .map(|i| (i, Reason::AfterMessages))
}

/// Step 4: the first allowed form whose trigger words the message contains.
pub fn decide_by_triggers(
    message: &str,
    candidates: &[Candidate],
    history: &History,
) -> Option<(usize, Reason)> {
    candidates
        .iter()
        .position(|c| allowed(c, history, false) && mentions_trigger(c.triggers, message))
        .map(|i| (i, Reason::Trigger))
}

/// Triggers used for a form that lists none.
pub const DEFAULT_TRIGGERS: [&str; 8] = [
    "contact", "call", "demo", "pricing", "quote", "sales", "reach", "touch",
];

fn mentions_trigger(triggers: &[String], message: &str) -> bool {
    let words = normalize(message);
    let mentions = |trigger: &str| {
        let trigger = normalize(trigger);
        !trigger.is_empty() && format!(" {words} ").contains(&format!(" {trigger} "))
    };
    if triggers.is_empty() {
        DEFAULT_TRIGGERS.iter().any(|t| mentions(t))
    } else {
        triggers.iter().any(|t| mentions(t))
    }
}

/// Phrases that ask to be contacted, in the widget's languages. Latin-script phrases match
/// whole words; Japanese and Arabic ones match anywhere (Japanese has no spaces).
const EXPLICIT: [&str; 44] = [
    // English
    "contact me",
    "call me",
    "call me back",
    "get in touch",
    "reach me",
    "reach out to me",
    "talk to sales",
    "talk to someone",
    "talk to a person",
    "talk to a human",
    "speak to someone",
    "speak with someone",
    "speak to sales",
    "i want a demo",
    "book a demo",
    "request a demo",
    "schedule a demo",
    "get a quote",
    "send me a quote",
    "contact sales",
    // German
    "kontaktieren sie mich",
    "rufen sie mich an",
    "ruckruf",
    "demo vereinbaren",
    // French
    "contactez moi",
    "rappelez moi",
    "appelez moi",
    "je veux une demo",
    // Spanish
    "contactenme",
    "llamenme",
    "quiero una demo",
    "pueden llamarme",
    // Portuguese
    "entre em contato",
    "me liguem",
    "quero uma demonstracao",
    "podem me ligar",
    // Japanese
    "連絡してください",
    "連絡をください",
    "電話してください",
    "デモを希望",
    // Arabic
    "تواصلوا معي",
    "اتصلوا بي",
    "أريد عرضا",
    "اريد عرضا",
];

/// Whether the visitor asks to be contacted ("can someone contact me?", "call me back").
pub fn is_explicit_request(message: &str) -> bool {
    let words = format!(" {} ", normalize(message));
    let compact: String = words.split_whitespace().collect();
    EXPLICIT.iter().any(|phrase| {
        let phrase_words = normalize(phrase);
        if phrase.is_ascii() {
            words.contains(&format!(" {phrase_words} "))
        } else {
            let phrase_compact: String = phrase_words.split_whitespace().collect();
            compact.contains(&phrase_compact)
        }
    })
}

/// Lower case, accents folded for the common Latin letters, letters and digits only,
/// single spaces: "Rückruf, bitte!" -> "ruckruf bitte".
pub fn normalize(text: &str) -> String {
    let folded: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `url` is a page `pattern` names (`*` matches any run of characters).
pub fn page_matches(pattern: &str, url: &str) -> bool {
    let pattern = pattern.trim();
    let subject = if pattern.starts_with('/') {
        // The path and query of the URL.
        url.split_once("://")
            .map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or("/"))
            .unwrap_or(url)
    } else {
        url
    };
    let subject = subject.split('#').next().unwrap_or("");
    glob(pattern.as_bytes(), subject.as_bytes())
}

/// `*`-only glob matching, iterative (no recursion: patterns come from owners).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The plain summary of what a visitor left in a form (used when no LLM writes one): each
/// filled field by its label, files by name, at most [`SUMMARY_CHARS`] characters.
pub fn answers_summary(
    form_title: &str,
    fields: &[crate::form::FieldSpec],
    form_data: &serde_json::Map<String, serde_json::Value>,
) -> String {
    use serde_json::Value;
    let answers: Vec<String> = fields
        .iter()
        .filter_map(|field| {
            let shown = match form_data.get(&field.name)? {
                Value::String(s) if s.starts_with("data:") => "(a file)".to_string(),
                Value::String(s) => s.trim().to_string(),
                Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
                Value::Object(file) => file
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("a file")
                    .to_string(),
                Value::Array(items) => crate::form::list_text(items),
                Value::Null => return None,
                other => other.to_string(),
            };
            (!shown.is_empty()).then(|| format!("{}: {shown}", field.display_label()))
        })
        .collect();
    let text = format!("Filled in {form_title}: {}", answers.join("; "));
    if text.chars().count() <= SUMMARY_CHARS {
        text
    } else {
        let cut: String = text.chars().take(SUMMARY_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// Longest plain summary.
pub const SUMMARY_CHARS: usize = 1_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: serde_json::Value) -> FormRules {
        serde_json::from_value(json).unwrap()
    }

    fn history(messages: u32) -> History {
        History {
            visitor_messages: messages,
            ..Default::default()
        }
    }

    #[test]
    fn explicit_requests_in_every_language_and_not_small_talk() {
        for ask in [
            "Can someone contact me?",
            "please CALL ME back",
            "I want a demo",
            "Könnten Sie mir einen Rückruf geben?",
            "Contactez-moi svp",
            "¿Pueden llamarme mañana?",
            "Por favor, entre em contato",
            "明日連絡してください",
            "من فضلك تواصلوا معي",
        ] {
            assert!(is_explicit_request(ask), "{ask}");
        }
        for chat in [
            "What does it cost?",
            "hello",
            "I called my mom",
            "recall me nothing",
        ] {
            assert!(!is_explicit_request(chat), "{chat}");
        }
    }

    #[test]
    fn the_order_is_explicit_then_rules_then_triggers() {
        let none = FormRules::default();
        let third = rules(serde_json::json!({"afterMessages": 3}));
        let newsletter_triggers = vec!["newsletter".to_string()];
        let forms = [
            Candidate {
                tool_id: "t_news",
                triggers: &newsletter_triggers,
                rules: &none,
                blocked: false,
            },
            Candidate {
                tool_id: "t_contact",
                triggers: &[],
                rules: &third,
                blocked: false,
            },
        ];
        // An explicit request picks the form it names, else the first allowed.
        assert_eq!(
            decide_by_rules("contact me about the newsletter", &forms, &history(1)),
            Some((0, Reason::ExplicitRequest))
        );
        assert_eq!(
            decide_by_rules("call me", &forms, &history(1)),
            Some((1, Reason::ExplicitRequest))
        );
        assert_eq!(
            decide_by_rules("can I talk to someone", &forms, &history(1)),
            Some((1, Reason::ExplicitRequest)),
            "a request naming no form goes to the general contact form"
        );
        // The third message shows the afterMessages form, once: not on the fourth.
        assert_eq!(decide_by_rules("ok", &forms, &history(2)), None);
        assert_eq!(
            decide_by_rules("ok", &forms, &history(3)),
            Some((1, Reason::AfterMessages))
        );
        assert_eq!(decide_by_rules("ok", &forms, &history(4)), None);
        // Triggers come last.
        assert_eq!(
            decide_by_triggers("any pricing?", &forms, &history(1)),
            Some((1, Reason::Trigger))
        );
        assert_eq!(
            decide_by_triggers("the newsletter", &forms, &history(1)),
            Some((0, Reason::Trigger))
        );
        assert_eq!(decide_by_triggers("hello", &forms, &history(1)), None);
    }

    #[test]
    fn a_dismissed_form_waits_out_its_cooldown_unless_asked_for() {
        let cool = rules(serde_json::json!({"cooldownAfterDismissMessages": 3}));
        let form = [Candidate {
            tool_id: "t",
            triggers: &[],
            rules: &cool,
            blocked: false,
        }];
        let mut h = history(2);
        h.dismissed.push(("t".into(), 2));
        for n in 3..5 {
            h.visitor_messages = n;
            assert_eq!(decide_by_triggers("demo please", &form, &h), None, "message {n}");
        }
        assert_eq!(
            decide_by_rules("call me", &form, &h),
            Some((0, Reason::ExplicitRequest)),
            "an explicit request is not held back"
        );
        h.visitor_messages = 5;
        assert_eq!(
            decide_by_triggers("demo please", &form, &h),
            Some((0, Reason::Trigger))
        );
    }

    #[test]
    fn pages_once_and_known_leads_hold_forms_back() {
        let pricing = rules(serde_json::json!({"pages": ["/pricing*", "https://docs.example/*"]}));
        let form = Candidate {
            tool_id: "t",
            triggers: &[],
            rules: &pricing,
            blocked: false,
        };
        let mut h = history(1);
        h.page = Some("https://shop.example/pricing?plan=pro".into());
        assert!(allowed(&form, &h, false));
        h.page = Some("https://shop.example/about".into());
        assert!(!allowed(&form, &h, true), "pages hold even an explicit request");
        let none = FormRules::default();
        let news_triggers = vec!["newsletter".to_string()];
        let both = [
            form.clone(),
            Candidate {
                tool_id: "news",
                triggers: &news_triggers,
                rules: &none,
                blocked: false,
            },
        ];
        assert_eq!(
            decide_by_rules("can someone contact me", &both, &h),
            None,
            "the contact form may not show here, and the newsletter is not what was asked for"
        );
        h.page = Some("https://docs.example/start".into());
        assert!(allowed(&form, &h, false));
        h.page = None;
        assert!(!allowed(&form, &h, false));

        let once = rules(serde_json::json!({"oncePerConversation": true, "skipKnownLeads": true}));
        let form = Candidate {
            tool_id: "t",
            triggers: &[],
            rules: &once,
            blocked: false,
        };
        let mut h = history(1);
        assert!(allowed(&form, &h, false));
        h.shown.push(("t".into(), 1));
        assert!(!allowed(&form, &h, true));
        let mut h = history(1);
        h.submitted.push("other".into());
        assert!(!allowed(&form, &h, true), "a known lead is not asked again");
        let blocked = Candidate {
            blocked: true,
            ..form.clone()
        };
        assert!(
            !allowed(&blocked, &history(1), true),
            "a visitor who fell short is not asked"
        );
    }

    #[test]
    fn page_patterns_glob_without_backtracking_blowups() {
        assert!(page_matches("/pricing", "https://a.example/pricing"));
        assert!(!page_matches("/pricing", "https://a.example/pricing/pro"));
        assert!(page_matches("/pricing*", "https://a.example/pricing/pro#x"));
        assert!(page_matches("*", "https://a.example/"));
        assert!(page_matches(
            "https://a.example/*/buy",
            "https://a.example/x/y/buy"
        ));
        let nasty = format!("/{}b", "*a".repeat(30));
        assert!(!page_matches(
            &nasty,
            &format!("https://a.example/{}", "a".repeat(3000))
        ));
    }

    #[test]
    fn the_plain_summary_lists_the_answers_by_label() {
        let fields: Vec<crate::form::FieldSpec> = serde_json::from_value(serde_json::json!([
            {"name": "name"}, {"name": "work_email", "label": "Work email"}, {"name": "cv", "type": "file"},
            {"name": "empty"}, {"name": "ok", "type": "checkbox"}
        ]))
        .unwrap();
        let data = serde_json::json!({"name": " Jane ", "work_email": "j@x.co", "cv": {"name": "cv.pdf"}, "empty": "", "ok": true});
        assert_eq!(
            answers_summary("Talk to us", &fields, data.as_object().unwrap()),
            "Filled in Talk to us: Name: Jane; Work email: j@x.co; Cv: cv.pdf; Ok: yes"
        );
        let long = serde_json::json!({"name": "x".repeat(5000)});
        assert_eq!(
            answers_summary("F", &fields, long.as_object().unwrap())
                .chars()
                .count(),
            SUMMARY_CHARS
        );
    }

    #[test]
    fn rules_are_checked_with_their_path() {
        let bad = rules(serde_json::json!({"afterMessages": 0}));
        assert_eq!(bad.check("rules").unwrap_err().field, "rules.afterMessages");
        let many = FormRules {
            pages: vec!["/a".into(); 21],
            ..Default::default()
        };
        assert_eq!(many.check("rules").unwrap_err().field, "rules.pages");
        assert!(serde_json::from_value::<FormRules>(serde_json::json!({"afterMessage": 3})).is_err());
    }
}
