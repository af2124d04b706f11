//! A form asked in a messaging app (issue 13): a chat there cannot render the widget's form,
//! so the agent asks one field per message, checks each answer with the same rules as the
//! widget's form (`validate::validate_field`), takes "skip" for an optional field and
//! "cancel" to leave, and never asks for what the channel already knows (the phone number
//! a messaging app gives; a profile name is offered for confirmation). Pure: the edge keeps
//! the [`Session`] with the chat and sends what [`Session::prompt`] says.

use crate::chat_words::{say, word, W};
use crate::conversation::normalize;
use crate::form::{FieldKind, FieldSpec};
use crate::lead::{attribute_of, Attribute};
use crate::locale::{self, LOCALES};
use crate::validate::validate_field;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a chat stands in a form; kept with the chat between messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub tool_id: String,
    /// This asking of the form, as analytics count displays (an impression, a start).
    pub display_id: String,
    /// The field being asked.
    pub index: usize,
    /// Valid answers so far, by field name (files as data URLs until submitted).
    pub answers: Map<String, Value>,
    pub shown_at: i64,
    /// When the first answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// A value the channel knows, offered for the current field ("Is your name Jane?").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<String>,
}

/// What the channel knows about the person, from the platform.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    /// A phone number the platform vouches for (WhatsApp's sender, a shared Telegram contact).
    pub phone: Option<String>,
    /// The profile's name (offered, not assumed).
    pub name: Option<String>,
}

/// The next thing to say.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Ask for a field: the text and, where they fit, the choices as buttons.
    Ask { text: String, choices: Vec<String> },
    /// Every field is answered: submit `answers`.
    Done,
}

/// How the chat's last message moved the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Taken (or skipped): go on with [`Session::prompt`].
    Next,
    /// Not valid for the field: say `why`, then ask again.
    Invalid { why: String },
    /// The person left the form.
    Cancelled,
}

/// Words that mean "skip this field", "leave the form", yes and no, in the widget's languages.
const SKIP: [&str; 8] = [
    "skip",
    "uberspringen",
    "passer",
    "omitir",
    "pular",
    "スキップ",
    "تخطي",
    "تخطى",
];
const CANCEL: [&str; 8] = [
    "cancel",
    "stop",
    "abbrechen",
    "annuler",
    "cancelar",
    "キャンセル",
    "إلغاء",
    "الغاء",
];
const YES: [&str; 9] = ["yes", "y", "ja", "oui", "si", "sim", "はい", "نعم", "yes please"];
const NO: [&str; 7] = ["no", "n", "nein", "non", "nao", "いいえ", "لا"];

fn is_one_of(words: &[&str], text: &str) -> bool {
    let said = normalize(text);
    words.iter().any(|w| normalize(w) == said)
}

/// The code of locale `locale` (an index into `LOCALES`; out of range: English).
fn code(locale: usize) -> &'static str {
    LOCALES.get(locale).copied().unwrap_or("en")
}

/// The field's label in locale `locale`: the owner's translation, else their label.
fn label_in(field: &FieldSpec, locale: usize) -> String {
    field.label_in(code(locale))
}

/// What is wrong with an answer to `field`: its label and `reason` (core's English, in
/// `locale` where the widget's table has it).
fn invalid(field: &FieldSpec, reason: &str, locale: usize) -> Step {
    Step::Invalid {
        why: say(
            locale,
            W::Invalid,
            &[
                &label_in(field, locale),
                &crate::chat_words::reason(locale, reason),
            ],
        ),
    }
}

impl Session {
    pub fn new(tool_id: &str, display_id: &str, now: i64) -> Self {
        Session {
            tool_id: tool_id.to_string(),
            display_id: display_id.to_string(),
            shown_at: now,
            ..Default::default()
        }
    }

    /// The field being asked, if any is left.
    pub fn field<'a>(&self, fields: &'a [FieldSpec]) -> Option<&'a FieldSpec> {
        fields.get(self.index)
    }

    /// Moves past fields already answered or known, and says what to ask next, in locale
    /// `locale` (an index into `locale::LOCALES`).
    pub fn prompt(&mut self, fields: &[FieldSpec], known: &Known, locale: usize) -> Prompt {
        while let Some(field) = fields.get(self.index) {
            // A hidden field comes from a web page, and a chat has none.
            if self.answers.contains_key(&field.name) || field.kind == FieldKind::Hidden {
                self.index += 1;
                continue;
            }
            // A number the platform vouches for is taken as it is.
            if field.kind == FieldKind::Phone {
                if let Some(Ok(Some(value))) = known
                    .phone
                    .as_ref()
                    .map(|p| validate_field(field, Some(&Value::String(p.clone()))))
                {
                    self.answers.insert(field.name.clone(), value);
                    self.index += 1;
                    continue;
                }
            }
            let label = label_in(field, locale);
            let words = |w: W| word(locale, w).to_string();
            if matches!(attribute_of(field), Attribute::Name) && field.kind == FieldKind::Text {
                if let Some(name) = known.name.as_ref().filter(|n| !n.trim().is_empty()) {
                    self.offered = Some(name.trim().to_string());
                    return Prompt::Ask {
                        text: say(locale, W::ConfirmName, &[&label, name.trim()]),
                        choices: vec![words(W::Yes)],
                    };
                }
            }
            self.offered = None;
            let optional = if field.required {
                ""
            } else {
                word(locale, W::Optional)
            };
            let (hint, choices) = match field.kind {
                FieldKind::Select => (words(W::ChooseOne), field.options.clone()),
                FieldKind::Multiselect => (words(W::ChooseSome), field.options.clone()),
                FieldKind::Checkbox | FieldKind::Consent => {
                    // The terms a consent agrees to, as a link the person can open.
                    let link = field.link.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
                    (
                        format!("{link}{}", word(locale, W::YesOrNo)),
                        vec![words(W::Yes), words(W::No)],
                    )
                }
                FieldKind::Date => (words(W::DateHint), vec![]),
                FieldKind::File => (words(W::FileHint), vec![]),
                FieldKind::Email => (words(W::EmailHint), vec![]),
                _ => (String::new(), vec![]),
            };
            let mut choices = choices;
            if !field.required {
                choices.push(words(W::Skip));
            }
            let example = field
                .placeholder
                .as_ref()
                .filter(|p| !p.trim().is_empty() && field.kind != FieldKind::Select)
                .map(|p| say(locale, W::Example, &[p]))
                .unwrap_or_default();
            let mut text = say(locale, W::Ask, &[&label, optional, &hint, &example]);
            // Why it is asked, on a line of its own after the question.
            if let Some(help) = field.help_in(code(locale)) {
                text.push('\n');
                text.push_str(help.trim());
            }
            return Prompt::Ask { text, choices };
        }
        Prompt::Done
    }

    /// Takes the person's message as the answer to the current field (what is wrong with
    /// it said in locale `locale`).
    pub fn answer(&mut self, fields: &[FieldSpec], text: &str, now: i64, locale: usize) -> Step {
        if is_one_of(&CANCEL, text) {
            return Step::Cancelled;
        }
        let Some(field) = fields.get(self.index) else {
            return Step::Next;
        };
        self.started_at.get_or_insert(now);
        if is_one_of(&SKIP, text) {
            if field.required {
                return invalid(field, locale::text(locale, locale::T::Required), locale);
            }
            self.offered = None;
            self.index += 1;
            return Step::Next;
        }
        let value = match (&self.offered, field.kind) {
            (Some(offered), _) if is_one_of(&YES, text) => Value::String(offered.clone()),
            (_, kind) if kind.is_box() && is_one_of(&YES, text) => Value::Bool(true),
            (_, kind) if kind.is_box() && is_one_of(&NO, text) => Value::Bool(false),
            (_, kind) if kind.is_box() => {
                return Step::Invalid {
                    why: word(locale, W::AnswerYesOrNo).into(),
                }
            }
            (_, FieldKind::Select) => match pick_option(&field.options, text) {
                Some(option) => Value::String(option.clone()),
                None => {
                    return Step::Invalid {
                        why: say(locale, W::ChooseOneOf, &[&field.options.join(", ")]),
                    }
                }
            },
            (_, FieldKind::Multiselect) => {
                // The whole reply first: an option may hold a comma itself ("Design, print").
                let picked: Option<Vec<Value>> = match pick_option(&field.options, text) {
                    Some(one) => Some(vec![Value::String(one.clone())]),
                    // The comma of the person's script too (Arabic's, Japanese's).
                    None => text
                        .split([',', ';', '،', '、', '，', '；', '؛'])
                        .filter(|part| !part.trim().is_empty())
                        .map(|part| pick_option(&field.options, part).map(|o| Value::String(o.clone())))
                        .collect(),
                };
                match picked {
                    Some(picked) => {
                        // "Sales, sales" names one option once.
                        let mut once: Vec<Value> = Vec::new();
                        for option in picked {
                            if !once.contains(&option) {
                                once.push(option);
                            }
                        }
                        Value::Array(once)
                    }
                    None => {
                        return Step::Invalid {
                            why: say(locale, W::ChooseFrom, &[&field.options.join(", ")]),
                        }
                    }
                }
            }
            (_, FieldKind::File) => {
                return Step::Invalid {
                    why: word(locale, W::SendFile).into(),
                }
            }
            _ => Value::String(text.trim().to_string()),
        };
        self.take(field, value, locale)
    }

    /// Takes a file the person sent (a data URL, checked like the widget's) as the answer.
    pub fn answer_file(&mut self, fields: &[FieldSpec], data_url: String, now: i64, locale: usize) -> Step {
        let Some(field) = fields.get(self.index) else {
            return Step::Next;
        };
        self.started_at.get_or_insert(now);
        if field.kind != FieldKind::File {
            return Step::Invalid {
                why: say(locale, W::NotAFile, &[&label_in(field, locale)]),
            };
        }
        // Its type checked against its bytes now, as the edge will when it stores it: the
        // person hears about a refused file while they can still send another.
        if let Err(e) = crate::files::decode(&field.name, &data_url) {
            return invalid(field, &e.reason, locale);
        }
        self.take(field, Value::String(data_url), locale)
    }

    fn take(&mut self, field: &FieldSpec, value: Value, locale: usize) -> Step {
        match validate_field(field, Some(&value)) {
            Ok(Some(clean)) => {
                self.answers.insert(field.name.clone(), clean);
                self.offered = None;
                self.index += 1;
                Step::Next
            }
            Ok(None) => {
                self.index += 1;
                Step::Next
            }
            Err(e) => invalid(field, &e.reason, locale),
        }
    }

    /// The fields answered, in form order (`fieldsCompleted`).
    pub fn completed(&self, fields: &[FieldSpec]) -> Vec<String> {
        fields
            .iter()
            .filter(|f| self.answers.contains_key(&f.name))
            .map(|f| f.name.clone())
            .collect()
    }
}

/// An option by its label (case and accents aside) or its number.
fn pick_option<'a>(options: &'a [String], text: &str) -> Option<&'a String> {
    let said = normalize(text);
    options.iter().find(|o| normalize(o) == said).or_else(|| {
        said.parse::<usize>()
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| options.get(i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<FieldSpec> {
        serde_json::from_value(json!([
            {"name": "name", "label": "Your name", "required": true},
            {"name": "email", "type": "email", "required": true},
            {"name": "phone", "type": "phone"},
            {"name": "size", "label": "Team size", "type": "select", "options": ["1-10", "11-50"], "required": true},
            {"name": "newsletter", "type": "checkbox"},
            {"name": "cv", "type": "file"}
        ]))
        .unwrap()
    }

    fn ask(prompt: Prompt) -> (String, Vec<String>) {
        match prompt {
            Prompt::Ask { text, choices } => (text, choices),
            Prompt::Done => panic!("expected a question"),
        }
    }

    #[test]
    fn every_language_takes_the_words_it_offers_and_names() {
        let fields: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "name", "type": "text"},
            {"name": "newsletter", "type": "checkbox"},
            {"name": "ok", "type": "consent", "required": true}
        ]))
        .unwrap();
        let known = Known {
            name: Some("Kai Lee".into()),
            phone: None,
        };
        for (locale, code) in LOCALES.iter().enumerate() {
            let mut session = Session::default();
            // The name the platform knows, confirmed with the button offered.
            let (_, confirm) = ask(session.prompt(&fields, &known, locale));
            assert_eq!(
                session.answer(&fields, &confirm[0], 1, locale),
                Step::Next,
                "{}",
                code
            );
            assert_eq!(session.answers.get("name"), Some(&json!("Kai Lee")), "{}", code);
            // An optional box: its yes, no and skip buttons, each taken.
            let (_, buttons) = ask(session.prompt(&fields, &known, locale));
            assert_eq!(buttons.len(), 3, "{}", code);
            let mut yes = session.clone();
            assert_eq!(yes.answer(&fields, &buttons[0], 2, locale), Step::Next);
            assert_eq!(yes.answers.get("newsletter"), Some(&json!(true)), "{}", code);
            let mut no = session.clone();
            assert_eq!(no.answer(&fields, &buttons[1], 2, locale), Step::Next, "{}", code);
            assert_eq!(no.index, 2, "{}", code);
            assert_eq!(
                session.answer(&fields, &buttons[2], 2, locale),
                Step::Next,
                "{}",
                code
            );
            assert!(!session.answers.contains_key("newsletter"));
            // A required box cannot be skipped: said in the language, the widget's words.
            let Step::Invalid { why } = session.answer(&fields, &buttons[2], 3, locale) else {
                panic!("{}: a required field was skipped", code);
            };
            assert!(why.contains(locale::text(locale, locale::T::Required)), "{why}");
            // The word the intro names to leave a form leaves it.
            let intro = crate::chat_words::say(locale, W::Intro, &["Demo"]);
            let cancel = CANCEL
                .iter()
                .find(|c| intro.contains(*c))
                .unwrap_or_else(|| panic!("{intro}"));
            assert_eq!(session.answer(&fields, cancel, 4, locale), Step::Cancelled);
        }
    }

    #[test]
    fn a_question_says_why_it_is_asked_in_the_chats_language() {
        let fields: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "phone", "type": "phone", "help": " So sales can call you back. ",
             "helps": {"de": "Damit der Vertrieb Sie zurückruft."}},
            {"name": "email", "type": "email", "help": "  "}
        ]))
        .unwrap();
        let (text, _) = ask(Session::default().prompt(&fields, &Known::default(), 0));
        assert_eq!(text, "Phone (optional: reply skip)?\nSo sales can call you back.");
        let (text, _) = ask(Session::default().prompt(&fields, &Known::default(), 1));
        assert!(text.ends_with("\nDamit der Vertrieb Sie zurückruft."), "{text}");
        // French has no translation: the owner's own words.
        let (text, _) = ask(Session::default().prompt(&fields, &Known::default(), 2));
        assert!(text.ends_with("\nSo sales can call you back."), "{text}");
        // A blank help says nothing.
        let (text, _) = ask(Session::default().prompt(&fields[1..], &Known::default(), 0));
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn a_german_chat_asks_in_german_with_the_owners_labels() {
        let fields: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "company", "label": "Company", "labels": {"de": "Firma"}},
            {"name": "email", "type": "email", "required": true}
        ]))
        .unwrap();
        let mut session = Session::default();
        let (text, choices) = ask(session.prompt(&fields, &Known::default(), 1));
        assert_eq!(text, "Firma (optional: antworten Sie „überspringen“)?");
        assert_eq!(choices, vec!["Überspringen"]);
        assert_eq!(session.answer(&fields, "überspringen", 1, 1), Step::Next);
        let (text, _) = ask(session.prompt(&fields, &Known::default(), 1));
        assert_eq!(text, "Email? (Ihre E-Mail-Adresse)");
        assert_eq!(
            session.answer(&fields, "kai at example", 2, 1),
            Step::Invalid {
                why: "Email muss eine E-Mail-Adresse wie name@example.com sein.".into()
            }
        );
        // Spanish opens its question with its own mark; Arabic and Japanese close with theirs.
        let (text, _) = ask(Session::default().prompt(&fields, &Known::default(), 3));
        assert!(text.starts_with("¿Company? (opcional"), "{text}");
        let (text, _) = ask(Session::default().prompt(&fields[1..], &Known::default(), 6));
        assert!(text.starts_with("Email؟"), "{text}");
    }

    #[test]
    fn dates_choices_and_consent_by_chat_and_hidden_fields_are_not_asked() {
        let fields: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "campaign", "type": "hidden", "from": "utm_campaign"},
            {"name": "start", "label": "Start date", "type": "date", "required": true},
            {"name": "topics", "type": "multiselect", "options": ["Sales", "Support", "Billing", "Design, print"], "required": true},
            {"name": "privacy", "label": "I agree to the privacy policy", "type": "consent", "required": true, "link": "https://acme.example/privacy"}
        ]))
        .unwrap();
        let mut session = Session::default();
        let known = Known::default();
        let (text, _) = ask(session.prompt(&fields, &known, 0));
        assert_eq!(text, "Start date? (as YYYY-MM-DD)");
        assert!(
            matches!(session.answer(&fields, "next friday", 1, 0), Step::Invalid { why } if why == "Start date must be a date like 2026-12-31.")
        );
        assert_eq!(session.answer(&fields, "2026-12-04", 1, 0), Step::Next);
        let (text, choices) = ask(session.prompt(&fields, &known, 0));
        assert!(
            text.ends_with("Choose one or more, separated by commas:"),
            "{text}"
        );
        assert_eq!(choices, vec!["Sales", "Support", "Billing", "Design, print"]);
        assert!(matches!(
            session.answer(&fields, "Sales, Marketing", 2, 0),
            Step::Invalid { .. }
        ));
        let mut comma = session.clone();
        assert_eq!(comma.answer(&fields, "design, print", 2, 0), Step::Next);
        assert_eq!(
            comma.answers.get("topics"),
            Some(&json!(["Design, print"])),
            "an option with a comma, whole"
        );
        // A Japanese or Arabic keyboard's comma separates them too.
        for text in ["Support，Sales", "Support، Sales", "Support、Sales"] {
            let mut wide = session.clone();
            assert_eq!(wide.answer(&fields, text, 2, 5), Step::Next, "{text}");
            assert_eq!(wide.answers.get("topics"), Some(&json!(["Support", "Sales"])));
        }
        assert_eq!(session.answer(&fields, "support, 1, Sales", 2, 0), Step::Next);
        let (text, choices) = ask(session.prompt(&fields, &known, 0));
        assert_eq!(
            text,
            "I agree to the privacy policy? (https://acme.example/privacy) Yes or no?"
        );
        assert_eq!(choices, vec!["Yes", "No"]);
        assert!(
            matches!(session.answer(&fields, "no", 3, 0), Step::Invalid { why } if why.ends_with("is required."))
        );
        assert_eq!(session.answer(&fields, "yes", 3, 0), Step::Next);
        assert_eq!(session.prompt(&fields, &known, 0), Prompt::Done);
        assert_eq!(session.answers.get("topics"), Some(&json!(["Support", "Sales"])));
        assert_eq!(session.answers.get("privacy"), Some(&json!(true)));
        assert!(!session.answers.contains_key("campaign"));
        assert_eq!(session.completed(&fields), vec!["start", "topics", "privacy"]);
    }

    #[test]
    fn a_whole_form_field_by_field_with_a_re_ask_skip_and_known_values() {
        let fields = fields();
        let known = Known {
            phone: Some("+49 30 1234567".into()),
            name: Some("Jane Doe".into()),
        };
        let mut s = Session::new("tool_1", "disp_1", 1_000);
        let (text, choices) = ask(s.prompt(&fields, &known, 0));
        assert_eq!(text, "Your name: is it Jane Doe? Reply yes, or type it.");
        assert_eq!(choices, ["Yes"]);
        assert_eq!(s.answer(&fields, "yes", 2_000, 0), Step::Next);
        assert_eq!(s.started_at, Some(2_000));
        let (text, _) = ask(s.prompt(&fields, &known, 0));
        assert_eq!(text, "Email? (your email address)");
        assert_eq!(
            s.answer(&fields, "not-an-email", 3_000, 0),
            Step::Invalid {
                why: "Email must be an email address like name@example.com.".into()
            }
        );
        assert_eq!(s.answer(&fields, " jane@x.co ", 3_000, 0), Step::Next);
        // The phone comes from the platform: not asked.
        let (text, choices) = ask(s.prompt(&fields, &known, 0));
        assert_eq!(text, "Team size? Choose one:");
        assert_eq!(choices, ["1-10", "11-50"]);
        assert!(matches!(s.answer(&fields, "42", 4_000, 0), Step::Invalid { .. }));
        assert_eq!(s.answer(&fields, "2", 4_000, 0), Step::Next);
        let (_, choices) = ask(s.prompt(&fields, &known, 0));
        assert_eq!(choices, ["Yes", "No", "Skip"]);
        assert_eq!(s.answer(&fields, "Nein", 5_000, 0), Step::Next);
        let (text, _) = ask(s.prompt(&fields, &known, 0));
        assert!(text.starts_with("Cv (optional: reply skip)? Send it as a document"));
        assert!(matches!(
            s.answer(&fields, "here it is", 5_000, 0),
            Step::Invalid { .. }
        ));
        assert_eq!(s.answer(&fields, "skip", 6_000, 0), Step::Next);
        assert_eq!(s.prompt(&fields, &known, 0), Prompt::Done);
        assert_eq!(
            Value::Object(s.answers.clone()),
            json!({"name": "Jane Doe", "email": "jane@x.co", "phone": "+49 30 1234567", "size": "11-50"})
        );
        assert_eq!(s.completed(&fields), ["name", "email", "phone", "size"]);
    }

    #[test]
    fn required_fields_cannot_be_skipped_and_cancel_leaves() {
        let fields = fields();
        let mut s = Session::new("t", "d", 0);
        let (text, _) = ask(s.prompt(&fields, &Known::default(), 0));
        assert_eq!(text, "Your name?", "no profile name: asked plainly");
        assert_eq!(
            s.answer(&fields, "Skip", 1, 0),
            Step::Invalid {
                why: "Your name is required.".into()
            }
        );
        assert_eq!(s.answer(&fields, "  Annuler ", 1, 0), Step::Cancelled);
        assert_eq!(s.answer(&fields, "Ada", 1, 0), Step::Next);
        assert_eq!(s.answers["name"], "Ada");
    }

    #[test]
    fn a_typed_name_replaces_the_offered_one_and_files_are_checked() {
        let fields = fields();
        let known = Known {
            phone: None,
            name: Some("Jane".into()),
        };
        let mut s = Session::new("t", "d", 0);
        ask(s.prompt(&fields, &known, 0));
        assert_eq!(s.answer(&fields, "Janet Smith", 1, 0), Step::Next);
        assert_eq!(s.answers["name"], "Janet Smith");
        s.index = 5;
        assert!(matches!(
            s.answer_file(
                &fields,
                "data:application/x-msdownload;base64,TVqQAAMAAAAEAAAA".into(),
                2,
                0
            ),
            Step::Invalid { .. }
        ));
        let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        assert_eq!(s.answer_file(&fields, png.into(), 2, 0), Step::Next);
        s.index = 1;
        assert!(
            matches!(s.answer_file(&fields, png.into(), 2, 0), Step::Invalid { .. }),
            "email is no file"
        );
    }
}
