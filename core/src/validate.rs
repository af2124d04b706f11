//! Checks a visitor's `formData` against the tool's fields. The widget checks a step's
//! formats with [`format_fault`] before it goes on, so a visitor sees the message the edge
//! would have answered with.

use crate::form::{FieldKind, FieldSpec};
use crate::locale::{ENGLISH, T};
use serde_json::{Map, Value};
use std::fmt;

/// Files are sent as base64 data URLs and may hold at most this many decoded bytes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Longest value a one-line field accepts unless the owner configured `maxLength`.
pub const DEFAULT_MAX_LINE: u32 = 500;
/// Longest value a textarea accepts unless the owner configured `maxLength`.
pub const DEFAULT_MAX_TEXTAREA: u32 = 10_000;

/// Which field is wrong and why, in words a visitor can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// Longest field name an error repeats, and longest reason: an unknown key, or a name in a
/// reason, is the caller's and may be megabytes long; the answer stays small.
const SHOWN_NAME_CHARS: usize = 128;
const SHOWN_REASON_CHARS: usize = 512;

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: clipped(field.into(), SHOWN_NAME_CHARS),
            reason: clipped(reason.into(), SHOWN_REASON_CHARS),
        }
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clipped(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Most characters of text (every value but files) one submission may carry, unless the
/// form's own `maxLength`s add up to more: an owner who asks for long answers gets them, up
/// to [`MAX_FORM_TEXT`] whatever they add up to, and [`MAX_FORM_TEXT_BYTES`] of UTF-8 in
/// any case (a submission is one D1 row, at most 2 MB).
pub const DEFAULT_MAX_FORM_TEXT: usize = 64 * 1024;
pub const MAX_FORM_TEXT: usize = 512 * 1024;
pub const MAX_FORM_TEXT_BYTES: usize = 1024 * 1024;

/// Validates every field and returns the cleaned data (strings trimmed, numbers parsed,
/// empty optional fields dropped), or the first field at fault in form order.
pub fn validate_form(
    fields: &[FieldSpec],
    data: &Map<String, Value>,
) -> Result<Map<String, Value>, FieldError> {
    if let Some(unknown) = data.keys().find(|key| !fields.iter().any(|f| &f.name == *key)) {
        return Err(FieldError::new(unknown.as_str(), "is not a field of this form"));
    }
    let mut clean = Map::new();
    for field in fields {
        if let Some(value) = validate_field(field, data.get(&field.name))? {
            clean.insert(field.name.clone(), value);
        }
    }
    let configured: usize = fields
        .iter()
        .filter_map(|f| f.max_length)
        .map(|n| n as usize)
        .sum();
    let cap = DEFAULT_MAX_FORM_TEXT.max(configured).min(MAX_FORM_TEXT);
    // Characters, as `maxLength` counts them: 25,000 CJK characters in a field that takes
    // 30,000 are within what the owner asked for, whatever their bytes.
    let (mut chars, mut bytes) = (0, 0);
    for value in fields
        .iter()
        .filter(|f| f.kind != FieldKind::File)
        .filter_map(|f| clean.get(&f.name))
    {
        let text = match value {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            other => std::borrow::Cow::Owned(other.to_string()),
        };
        chars += text.chars().count();
        bytes += text.len();
    }
    if chars > cap {
        return Err(FieldError::new(
            "formData",
            format!("holds {chars} characters of text; at most {cap} are accepted"),
        ));
    }
    if bytes > MAX_FORM_TEXT_BYTES {
        return Err(FieldError::new(
            "formData",
            format!("holds {bytes} bytes of text; at most {MAX_FORM_TEXT_BYTES} are accepted"),
        ));
    }
    Ok(clean)
}

/// `fieldsCompleted` names fields of the form, each once: anything else would let a caller
/// grow the stored row (and the analytics counters) without bound.
pub fn check_fields_completed(fields: &[FieldSpec], completed: &[String]) -> Result<(), FieldError> {
    for (i, name) in completed.iter().enumerate() {
        if !fields.iter().any(|f| &f.name == name) {
            return Err(FieldError::new(
                "fieldsCompleted",
                format!("{name:?} is not a field of this form"),
            ));
        }
        if completed[..i].contains(name) {
            return Err(FieldError::new(
                "fieldsCompleted",
                format!("lists {name:?} twice"),
            ));
        }
    }
    Ok(())
}

/// The fields of `completed` that the validated `form_data` holds a value for: a field
/// listed as completed but left empty (or not sent) is not counted as completed in the
/// form's analytics.
pub fn completed_with_values(completed: &[String], form_data: &Map<String, Value>) -> Vec<String> {
    completed
        .iter()
        .filter(|name| form_data.contains_key(name.as_str()))
        .cloned()
        .collect()
}

/// Whether two validated submissions of one form say the same: every field's value alike
/// (a file field: present in both or in neither; its bytes were stored under the first).
/// A repeat of an idempotency key with other answers is not a repeat.
pub fn same_answers(fields: &[FieldSpec], first: &Map<String, Value>, again: &Map<String, Value>) -> bool {
    fields.iter().all(|f| match f.kind {
        FieldKind::File => first.contains_key(&f.name) == again.contains_key(&f.name),
        _ => first.get(&f.name) == again.get(&f.name),
    })
}

/// Validates one value; `Ok(None)` means an optional field left empty.
pub fn validate_field(field: &FieldSpec, value: Option<&Value>) -> Result<Option<Value>, FieldError> {
    let fail = |reason: &str| Err(FieldError::new(field.name.as_str(), reason));
    let value = match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::Bool(false)) if field.kind.is_box() => None,
        // No choice made; a list anywhere else is not text (below).
        Some(Value::Array(items)) if items.is_empty() && field.kind == FieldKind::Multiselect => None,
        Some(v) => Some(v),
    };
    let Some(value) = value else {
        return if field.required {
            fail("is required")
        } else {
            Ok(None)
        };
    };
    match field.kind {
        FieldKind::Checkbox | FieldKind::Consent => match value {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            _ => fail("must be true or false"),
        },
        FieldKind::Multiselect => check_choices(field, value)
            .map(Some)
            .map_err(|r| FieldError::new(field.name.as_str(), r)),
        FieldKind::Number => {
            // serde_json's own number parser, so the widget does not also link core's f64 one.
            let number = match value {
                Value::Number(n) => Some(n.clone()),
                Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim()).ok(),
                _ => None,
            };
            match (number, value) {
                // Typed with more digits than a number keeps (an account or card number
                // in a number field): it would come out changed, here or in the owner's
                // JavaScript (a double keeps 15 digits exactly).
                (Some(_), Value::String(s)) if significant_digits(s) > 15 => {
                    fail("has more digits than a number keeps (15)")
                }
                // Sent as a JSON number, it was parsed already (a whole number exactly, any
                // other as a double, rounded): its shortest spelling has more than 15 digits
                // when the sender's had (`9007199254740993`, `1.2345678901234568e29`), and
                // is refused as that text would be.
                (Some(n), Value::Number(_)) if significant_digits(&n.to_string()) > 15 => {
                    fail("has more digits than a number keeps (15)")
                }
                (Some(n), _) => Ok(Some(Value::Number(n))),
                (None, _) => fail(NOT_A_NUMBER),
            }
        }
        FieldKind::File => match value {
            Value::String(s) => check_file(s)
                .map(|_| Some(Value::String(s.clone())))
                .map_err(|r| FieldError::new(field.name.as_str(), r)),
            _ => fail("must be a file sent as a base64 data URL"),
        },
        _ => {
            let Value::String(raw) = value else {
                return fail("must be text");
            };
            let text = raw.trim();
            if field.kind == FieldKind::Hidden {
                // The page's value, not the visitor's: one they cannot see is cleaned and
                // cut to fit rather than refused, which would leave them a form they cannot
                // send (a UTM parameter with a stray control character, say).
                let max = max_chars(field) as usize;
                let cut: String = text
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(max)
                    .collect::<String>()
                    .trim()
                    .to_string();
                return Ok((!cut.is_empty()).then_some(Value::String(cut)));
            }
            if text.chars().all(is_invisible) {
                // Zero-width spaces, direction marks: nothing a person could read.
                return if field.required {
                    fail("is required")
                } else {
                    Ok(None)
                };
            }
            let line_breaks = field.kind == FieldKind::Textarea;
            if text
                .chars()
                .any(|c| c.is_control() && !(c == '\t' || (line_breaks && (c == '\n' || c == '\r'))))
            {
                return fail(if line_breaks {
                    "must be text (it holds control characters)"
                } else {
                    "must be one line of text (it holds control characters)"
                });
            }
            check_length(field, text).map_err(|r| FieldError::new(field.name.as_str(), r))?;
            check_format(field, text).map_err(|r| FieldError::new(field.name.as_str(), r))?;
            Ok(Some(Value::String(text.to_string())))
        }
    }
}

/// Text an owner types: `text` at most `max` characters, and no control characters but line
/// breaks and tabs (a NUL in a name cuts it short in a CSV, a spreadsheet or a log), else an
/// error naming `field`.
pub fn typed_text(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if holds_control_chars(text) {
        return Err(FieldError::new(
            field,
            "must be text (it holds control characters)",
        ));
    }
    Ok(())
}

/// Whether text a person typed holds control characters other than line breaks and tabs
/// (a NUL cuts a name short in a CSV, a spreadsheet or a log): the one rule for free text.
pub fn holds_control_chars(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A character that shows nothing by itself: zero-width spaces and joiners, direction
/// marks and embeddings, the word joiner, the byte order mark, a soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
        || c.is_whitespace()
}

/// `text` without the characters that show nothing (whitespace stays).
pub fn visible(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_whitespace() || !is_invisible(*c))
        .collect()
}

/// A field's reason for an answer that is not a number.
pub const NOT_A_NUMBER: &str = crate::locale::ENGLISH[T::Number as usize];
/// The reasons for an answer too long or too short: the text around the number of
/// characters, so a chat can say them in another language (`chat_words::reason`).
pub const AT_MOST: (&str, &str) = ("must be at most ", " characters");
pub const AT_LEAST: (&str, &str) = ("must be at least ", " characters");

/// The most characters an answer to `field` may have: its `maxLength`, else its kind's.
pub fn max_chars(field: &FieldSpec) -> u32 {
    field.max_length.unwrap_or(match field.kind {
        FieldKind::Textarea => DEFAULT_MAX_TEXTAREA,
        FieldKind::Hidden => MAX_HIDDEN,
        _ => DEFAULT_MAX_LINE,
    })
}

fn check_length(field: &FieldSpec, text: &str) -> Result<(), String> {
    let chars = text.chars().count() as u32;
    let max = max_chars(field);
    if chars > max {
        return Err(format!("{}{max}{}", AT_MOST.0, AT_MOST.1));
    }
    match field.min_length {
        Some(min) if chars < min => Err(format!("{}{min}{}", AT_LEAST.0, AT_LEAST.1)),
        _ => Ok(()),
    }
}

/// A hidden value (a page address, a referrer) is kept up to this many characters.
pub const MAX_HIDDEN: u32 = 2_000;

/// The format rule `text` breaks for its kind, as the widget's text that says so (its
/// English row is the edge's reason): one rule for the edge and the widget's steps.
pub fn format_fault(kind: FieldKind, text: &str) -> Option<T> {
    let (ok, why) = match kind {
        FieldKind::Email => (is_email(text), T::Email),
        FieldKind::Phone => (is_phone(text), T::Phone),
        FieldKind::Url => (is_http_url(text), T::Url),
        FieldKind::Date => (is_date(text), T::Date),
        // The widget reads a number the browser could not (`1e`, `10-20`) as "", not as
        // empty; any other text is parsed where it is taken (`validate_field`).
        FieldKind::Number => (!text.is_empty(), T::Number),
        _ => return None,
    };
    (!ok).then_some(why)
}

fn check_format(field: &FieldSpec, text: &str) -> Result<(), String> {
    if let Some(why) = format_fault(field.kind, text) {
        return Err(ENGLISH[why as usize].into());
    }
    if field.kind == FieldKind::Select && !field.options.iter().any(|o| o == text) {
        return Err(format!("must be one of: {}", field.options.join(", ")));
    }
    Ok(())
}

/// A multiselect's answer: a list of its options, each once, in the order given.
fn check_choices(field: &FieldSpec, value: &Value) -> Result<Value, String> {
    let one_of = || format!("must be a list of: {}", field.options.join(", "));
    let Value::Array(items) = value else {
        return Err(one_of());
    };
    let mut chosen: Vec<Value> = Vec::new();
    for item in items {
        match item {
            Value::String(s) if field.options.iter().any(|o| o == s) => {
                if chosen.contains(item) {
                    return Err(format!("lists {s} twice"));
                }
                chosen.push(item.clone());
            }
            _ => return Err(one_of()),
        }
    }
    Ok(Value::Array(chosen))
}

/// A calendar date as `<input type="date">` sends it: `YYYY-MM-DD`, a day that exists.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[range];
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// The digits of a decimal number as typed, leading zeros aside (`"0.0012e5"`: 2).
fn significant_digits(text: &str) -> usize {
    text.bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count()
}

/// A pragmatic address check: one `@`, something before it, a dotted domain of letters,
/// digits and hyphens after it (any script: internationalised domains), no spaces, no
/// characters that show nothing (a zero-width space or a direction mark would make one
/// visible address many people, and many leads) and none of the separators that make an
/// address list or a display name (`,;<>()[]\"`). Full RFC 5322 (quoted local parts)
/// would accept addresses no mail provider delivers to.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let odd = |c: char| {
        c.is_control()
            || is_invisible(c)
            || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '[' | ']' | '\\' | '"')
    };
    let domain_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii();
    !local.is_empty()
        && text.len() <= 254
        && !text.chars().any(odd)
        && domain.chars().all(domain_char)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// Digits with the usual separators; 7 to 15 digits as E.164 allows.
pub fn is_phone(text: &str) -> bool {
    // (`matches!` rather than `" +-().".contains(c)`, and bytes for `@` in `is_email`: a
    // string search links panic messages the widget, which runs these checks, pays for.)
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.');
    let digits = text.chars().filter(char::is_ascii_digit).count();
    text.chars().all(allowed) && (7..=15).contains(&digits)
}

pub fn is_http_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A file value is `data:<type>;base64,<payload>` of at most [`MAX_FILE_BYTES`] decoded.
fn check_file(data_url: &str) -> Result<(), String> {
    let parsed = parse_data_url(data_url).ok_or("must be a file sent as a base64 data URL")?;
    if parsed.decoded_len() > MAX_FILE_BYTES {
        return Err(FILE_TOO_LARGE.into());
    }
    Ok(())
}

pub const FILE_TOO_LARGE: &str = "file too large (at most 5 MB)";

/// The parts of a `data:` URL with base64 content.
#[derive(Debug, PartialEq, Eq)]
pub struct DataUrl<'a> {
    /// The media type, without parameters (may be empty: the browser did not know it).
    pub content_type: &'a str,
    /// The `name=` parameter, percent-encoded as RFC 2397 writes it: the widget adds the
    /// file's name this way because `FileReader` leaves it out.
    pub name: Option<&'a str>,
    /// The base64 text, padding included.
    pub base64: &'a str,
}

impl DataUrl<'_> {
    /// Decoded size computed from the base64 length, without decoding.
    pub fn decoded_len(&self) -> usize {
        let data = self.base64.trim_end_matches('=').len();
        data / 4 * 3 + [0, 0, 1, 2][data % 4]
    }
}

/// Reads `data:<type>;base64,<payload>`; `None` unless the payload is well-formed base64
/// (padded or not, `=` only at the end).
pub fn parse_data_url(text: &str) -> Option<DataUrl<'_>> {
    let rest = text.strip_prefix("data:")?;
    let (meta, base64) = rest.split_once(',')?;
    let mut params = meta.strip_suffix(";base64")?.split(';');
    let content_type = params.next().unwrap_or("");
    let name = params.find_map(|p| p.strip_prefix("name="));
    let data = base64.trim_end_matches('=');
    let padding = base64.len() - data.len();
    let alphabet = data
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let shape = data.len() % 4 != 1 && (padding == 0 || (padding <= 2 && base64.len() % 4 == 0));
    (alphabet && shape).then_some(DataUrl {
        content_type,
        name,
        base64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, kind: FieldKind, required: bool) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            label: None,
            kind,
            required,
            placeholder: None,
            options: vec![],
            min_length: None,
            max_length: None,
            lead_attribute: None,
            labels: Default::default(),
            ..FieldSpec::default()
        }
    }

    fn contact_form() -> Vec<FieldSpec> {
        vec![
            field("name", FieldKind::Text, true),
            field("email", FieldKind::Email, true),
            field("message", FieldKind::Textarea, false),
        ]
    }

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn invisible_text_is_empty_and_control_characters_are_refused() {
        let name = field("name", FieldKind::Text, true);
        let message = field("message", FieldKind::Textarea, false);
        let err = validate_field(&name, Some(&json!("\u{200F}\u{200B}\u{FEFF}"))).unwrap_err();
        assert_eq!(err.reason, "is required");
        assert_eq!(validate_field(&message, Some(&json!("\u{200B}"))).unwrap(), None);
        let nul = validate_field(&name, Some(&json!("Ja\u{0}ne"))).unwrap_err();
        assert_eq!(
            (nul.field.as_str(), nul.reason.as_str()),
            ("name", "must be one line of text (it holds control characters)")
        );
        assert!(validate_field(&name, Some(&json!("Jane\nSmith"))).is_err());
        assert!(validate_field(&message, Some(&json!("a\u{7}b"))).is_err());
        // Line breaks and tabs belong in a textarea; a name in a right-to-left script with
        // its marks is text like any other.
        assert!(validate_field(&message, Some(&json!("line one\r\nline two\tend"))).is_ok());
        let rtl = validate_field(&name, Some(&json!("\u{200F}\u{0633}\u{0627}\u{0631}\u{0629}"))).unwrap();
        assert!(rtl.is_some());
    }

    #[test]
    fn same_answers_compare_every_field_and_files_by_presence() {
        let mut fields = contact_form();
        fields.push(field("doc", FieldKind::File, false));
        let first = data(json!({"name": "Jane", "email": "j@example.com", "doc": {"sha256": "a"}}));
        let again = data(json!({"name": "Jane", "email": "j@example.com", "doc": "data:..."}));
        assert!(same_answers(&fields, &first, &again));
        let other = data(json!({"name": "Joan", "email": "j@example.com", "doc": "data:..."}));
        assert!(!same_answers(&fields, &first, &other));
        let no_file = data(json!({"name": "Jane", "email": "j@example.com"}));
        assert!(!same_answers(&fields, &first, &no_file));
    }

    #[test]
    fn dates_are_days_that_exist() {
        let date = field("day", FieldKind::Date, true);
        let check = |v: &str| validate_field(&date, Some(&json!(v)));
        assert_eq!(check(" 2026-12-31 ").unwrap(), Some(json!("2026-12-31")));
        assert!(check("2024-02-29").is_ok(), "a leap day");
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-04-31",
            "31.12.2026",
            "2026-1-01",
            "0000-01-01",
            "2026-12-3x",
        ] {
            assert_eq!(
                check(bad).unwrap_err().reason,
                "must be a date like 2026-12-31",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_multiselect_takes_a_list_of_its_options() {
        let mut topics = field("topics", FieldKind::Multiselect, true);
        topics.options = vec!["Sales".into(), "Support".into(), "Billing".into()];
        let check = |v: Value| validate_field(&topics, Some(&v));
        assert_eq!(
            check(json!(["Support", "Sales"])).unwrap(),
            Some(json!(["Support", "Sales"]))
        );
        assert_eq!(check(json!([])).unwrap_err().reason, "is required");
        assert_eq!(
            check(json!(["Sales", "Sales"])).unwrap_err().reason,
            "lists Sales twice"
        );
        for bad in [json!(["Other"]), json!("Sales"), json!([1]), json!({"a": 1})] {
            assert_eq!(
                check(bad).unwrap_err().reason,
                "must be a list of: Sales, Support, Billing"
            );
        }
        topics.required = false;
        assert_eq!(validate_field(&topics, Some(&json!([]))).unwrap(), None);
    }

    #[test]
    fn consent_must_be_given_when_required_and_hidden_values_are_text() {
        let consent = field("privacy", FieldKind::Consent, true);
        assert_eq!(
            validate_field(&consent, Some(&json!(true))).unwrap(),
            Some(json!(true))
        );
        assert_eq!(
            validate_field(&consent, Some(&json!(false))).unwrap_err().reason,
            "is required"
        );
        assert!(validate_field(&consent, Some(&json!("yes"))).is_err());
        let mut hidden = field("landing", FieldKind::Hidden, false);
        let url = format!("https://example.com/?q={}", "x".repeat(1_500));
        assert_eq!(
            validate_field(&hidden, Some(&json!(url))).unwrap(),
            Some(json!(url)),
            "a long page address fits"
        );
        assert_eq!(
            validate_field(&hidden, Some(&json!("é".repeat(2_001)))).unwrap(),
            Some(json!("é".repeat(2_000))),
            "cut to fit, never refused: the visitor could not fix it"
        );
        hidden.max_length = Some(10);
        hidden.min_length = Some(5);
        assert_eq!(
            validate_field(&hidden, Some(&json!("https://example.com/"))).unwrap(),
            Some(json!("https://ex"))
        );
        assert_eq!(
            validate_field(&hidden, Some(&json!("ab"))).unwrap(),
            Some(json!("ab"))
        );
        assert!(
            validate_field(&hidden, Some(&json!(["x"]))).is_err(),
            "an API caller's wrong type is theirs to fix"
        );
    }

    #[test]
    fn the_whole_form_s_text_is_capped_unless_its_fields_ask_for_more() {
        let many: Vec<FieldSpec> = (0..10)
            .map(|i| field(&format!("t{i}"), FieldKind::Textarea, false))
            .collect();
        let full = |len: usize| {
            let mut data = Map::new();
            for f in &many {
                data.insert(f.name.clone(), Value::String("x".repeat(len)));
            }
            data
        };
        assert!(validate_form(&many, &full(6_000)).is_ok());
        let err = validate_form(&many, &full(7_000)).unwrap_err();
        assert_eq!(err.field, "formData");
        let mut long = many.clone();
        for f in &mut long {
            f.max_length = Some(9_000);
        }
        assert!(validate_form(&long, &full(9_000)).is_ok(), "maxLength wins");
        // Up to a ceiling, whatever the maxLengths add up to: one row of D1.
        for f in &mut long {
            f.max_length = Some(100_000);
        }
        assert!(validate_form(&long, &full(50_000)).is_ok());
        let err = validate_form(&long, &full(60_000)).unwrap_err();
        assert_eq!(err.field, "formData");
    }

    #[test]
    fn the_form_s_text_is_counted_in_characters_as_max_length_is_up_to_a_ceiling_in_bytes() {
        // Three textareas of 10,000 characters each take 30,000 three-byte characters in
        // all: within the 65,536 characters, though 90,000 bytes.
        let three: Vec<FieldSpec> = (0..3)
            .map(|i| field(&format!("t{i}"), FieldKind::Textarea, false))
            .collect();
        let data = |text: &str| -> Map<String, Value> {
            three.iter().map(|f| (f.name.clone(), json!(text))).collect()
        };
        assert!(validate_form(&three, &data(&"漢".repeat(10_000))).is_ok());
        // Past the bytes one D1 row can hold, however many characters the owner allowed.
        let mut wide = three.clone();
        for f in &mut wide {
            f.max_length = Some(170_000);
        }
        assert!(validate_form(&wide, &data(&"漢".repeat(110_000))).is_ok());
        let err = validate_form(&wide, &data(&"😀".repeat(100_000))).unwrap_err();
        assert_eq!(err.field, "formData");
        assert!(err.reason.contains("bytes"), "{}", err.reason);
    }

    #[test]
    fn an_error_repeats_at_most_a_short_piece_of_what_the_caller_sent() {
        let fields = [field("name", FieldKind::Text, true)];
        let key = "k".repeat(100_000);
        let mut data = Map::new();
        data.insert(key.clone(), json!("x"));
        let err = validate_form(&fields, &data).unwrap_err();
        assert_eq!(err.field, format!("{}…", "k".repeat(128)));
        let listed = check_fields_completed(&fields, &[key]).unwrap_err();
        assert!(listed.reason.chars().count() <= 513, "{}", listed.reason.len());
        assert!(listed.reason.ends_with('…'));
        // A name within the limit is repeated as it is.
        assert_eq!(FieldError::new("é".repeat(128), "r").field, "é".repeat(128));
    }

    #[test]
    fn a_hidden_value_loses_control_characters_rather_than_being_refused() {
        let hidden = field("utm_campaign", FieldKind::Hidden, false);
        assert_eq!(
            validate_field(&hidden, Some(&json!("spring\u{0}\u{1b}[2J\r\nsale"))).unwrap(),
            Some(json!("spring[2Jsale"))
        );
        assert_eq!(validate_field(&hidden, Some(&json!("\u{7}"))).unwrap(), None);
    }

    #[test]
    fn fields_completed_names_each_field_of_the_form_once() {
        let fields = [
            field("name", FieldKind::Text, true),
            field("email", FieldKind::Email, true),
        ];
        let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert!(check_fields_completed(&fields, &list(&["email", "name"])).is_ok());
        assert!(check_fields_completed(&fields, &list(&[])).is_ok());
        let twice = check_fields_completed(&fields, &list(&["name", "email", "name"])).unwrap_err();
        assert_eq!(
            (twice.field.as_str(), twice.reason.as_str()),
            ("fieldsCompleted", "lists \"name\" twice")
        );
        let flood = vec!["name".to_string(); 120_000];
        assert_eq!(
            check_fields_completed(&fields, &flood).unwrap_err().field,
            "fieldsCompleted"
        );
        let unknown = check_fields_completed(&fields, &list(&["phone"])).unwrap_err();
        assert_eq!(unknown.reason, "\"phone\" is not a field of this form");
    }

    #[test]
    fn a_field_listed_as_completed_counts_only_when_it_holds_a_value() {
        let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let form_data = json!({"name": "Ada", "email": "ada@example.com"});
        let form_data = form_data.as_object().unwrap();
        assert_eq!(
            completed_with_values(&list(&["email", "message", "name"]), form_data),
            list(&["email", "name"])
        );
        assert!(completed_with_values(&[], form_data).is_empty());
    }

    #[test]
    fn the_seed_example_passes_and_is_trimmed() {
        let clean = validate_form(
            &contact_form(),
            &data(json!({"name": " Jane Smith ", "email": "jane@example.com", "message": "Hi"})),
        )
        .unwrap();
        assert_eq!(clean["name"], "Jane Smith");
        assert_eq!(clean.len(), 3);
    }

    #[test]
    fn a_number_the_browser_could_not_read_is_refused_in_the_visitors_words() {
        // The widget reads `1e` in a number input as "" (the browser's badInput).
        assert_eq!(format_fault(FieldKind::Number, ""), Some(T::Number));
        assert_eq!(format_fault(FieldKind::Number, "12"), None);
        assert_eq!(crate::locale::text(1, T::Number), "muss eine Zahl sein");
        assert_eq!(crate::chat_words::reason(1, NOT_A_NUMBER), "muss eine Zahl sein");
    }

    #[test]
    fn errors_name_the_field_and_the_reason() {
        let cases = [
            (json!({"email": "jane@example.com"}), "name", "is required"),
            (
                json!({"name": "  ", "email": "jane@example.com"}),
                "name",
                "is required",
            ),
            (
                json!({"name": "Jane", "email": "jane@"}),
                "email",
                "must be an email address like name@example.com",
            ),
            (json!({"name": "Jane", "email": 7}), "email", "must be text"),
            (
                json!({"name": "Jane", "email": "j@x.io", "age": 3}),
                "age",
                "is not a field of this form",
            ),
        ];
        for (input, field_name, reason) in cases {
            let err = validate_form(&contact_form(), &data(input.clone())).unwrap_err();
            assert_eq!(
                (err.field.as_str(), err.reason.as_str()),
                (field_name, reason),
                "input {input}"
            );
        }
    }

    #[test]
    fn an_email_with_a_control_character_is_no_email_and_a_list_is_no_text() {
        assert!(!is_email("a\u{0}b@example.com"));
        assert!(!is_email("ab@exam\u{7f}ple.com"));
        assert!(is_email("ab@example.com"));
        // One visible address is one address: nothing invisible in it, no list, no name.
        for many in [
            "dup@exam\u{200b}ple.com",
            "d\u{200d}up@example.com",
            "\u{2060}dup@example.com",
            "dup@example.com\u{202e}",
            "dup@example.com\u{feff}",
            "a@x.com,bcc@y.com",
            "\"<svg onload=1>\"@x.com",
            "Jane <jane@x.com>",
            "a@x_y.com",
            "a@[127.0.0.1]",
        ] {
            assert!(!is_email(many), "{many:?}");
        }
        for one in [
            "o'brien+leads@example.co.uk",
            "jose@bücher.de",
            "用户@例子.广告",
            "a-b.c_d@sub-1.example.com",
        ] {
            assert!(is_email(one), "{one}");
        }
        // An empty list is "nothing chosen" only where a list is the answer.
        let message = field("message", FieldKind::Textarea, false);
        assert_eq!(
            validate_field(&message, Some(&json!([]))).unwrap_err().reason,
            "must be text"
        );
        let mut topics = field("topics", FieldKind::Multiselect, false);
        topics.options = vec!["a".into()];
        assert_eq!(validate_field(&topics, Some(&json!([]))).unwrap(), None);
    }

    #[test]
    fn optional_empty_fields_are_dropped() {
        let clean = validate_form(
            &contact_form(),
            &data(json!({"name": "J", "email": "j@x.io", "message": ""})),
        )
        .unwrap();
        assert!(!clean.contains_key("message"));
    }

    #[test]
    fn lengths_use_configured_or_default_limits() {
        let mut short = field("code", FieldKind::Text, true);
        short.min_length = Some(3);
        short.max_length = Some(5);
        assert!(validate_field(&short, Some(&json!("ab"))).is_err());
        assert!(validate_field(&short, Some(&json!("abcdef"))).is_err());
        assert!(validate_field(&short, Some(&json!("abcd"))).is_ok());
        let line = field("name", FieldKind::Text, true);
        let long = "x".repeat(DEFAULT_MAX_LINE as usize + 1);
        assert_eq!(
            validate_field(&line, Some(&json!(long))).unwrap_err().reason,
            "must be at most 500 characters"
        );
    }

    #[test]
    fn kinds_check_their_formats() {
        let ok = |kind, v: Value| validate_field(&field("f", kind, true), Some(&v)).is_ok();
        assert!(ok(FieldKind::Phone, json!("+1 (555) 010-2030")));
        assert!(!ok(FieldKind::Phone, json!("call me")));
        assert!(ok(FieldKind::Url, json!("https://example.com/x")));
        assert!(!ok(FieldKind::Url, json!("javascript:alert(1)")));
        assert!(ok(FieldKind::Number, json!("42.5")));
        assert!(ok(FieldKind::Number, json!(3)));
        assert!(!ok(FieldKind::Number, json!("many")));
        // Kept exactly or refused: never stored changed.
        assert!(!ok(FieldKind::Number, json!("12345678901234567890123")));
        assert!(!ok(FieldKind::Number, json!("0.1234567890123456789")));
        assert!(
            !ok(FieldKind::Number, json!("12345678901234567890")),
            "a u64, past a double"
        );
        assert!(ok(FieldKind::Number, json!("-123456789012345")));
        assert!(ok(FieldKind::Number, json!("0.000123456789012345")));
        assert!(ok(FieldKind::Number, json!("1.5e300")));
        // The same as JSON numbers: refused when the digits sent could not all be kept.
        let number = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        for refused in [
            "9007199254740993",
            "-9007199254740993",
            "123456789012345678901234567890",
            "0.1234567890123456789",
        ] {
            assert!(!ok(FieldKind::Number, number(refused)), "{refused}");
        }
        for kept in [
            "999999999999999",
            "-123456789012345",
            "0.000123456789012345",
            "1.5e300",
            "42.5",
            "0",
        ] {
            assert!(ok(FieldKind::Number, number(kept)), "{kept}");
        }
        assert!(ok(FieldKind::Checkbox, json!(true)));
        assert!(!ok(FieldKind::Checkbox, json!("yes")));
        let mut select = field("plan", FieldKind::Select, true);
        select.options = vec!["Starter".into(), "Pro".into()];
        assert!(validate_field(&select, Some(&json!("Pro"))).is_ok());
        assert_eq!(
            validate_field(&select, Some(&json!("Gold"))).unwrap_err().reason,
            "must be one of: Starter, Pro"
        );
    }

    #[test]
    fn an_unchecked_required_checkbox_is_missing() {
        let consent = field("consent", FieldKind::Checkbox, true);
        assert_eq!(
            validate_field(&consent, Some(&json!(false))).unwrap_err().reason,
            "is required"
        );
    }

    #[test]
    fn files_are_data_urls_of_at_most_five_megabytes() {
        let doc = field("document", FieldKind::File, true);
        assert!(validate_field(&doc, Some(&json!("data:application/pdf;base64,JVBERi0xLjQK"))).is_ok());
        assert!(validate_field(&doc, Some(&json!("JVBERi0xLjQK"))).is_err());
        let exactly = "A".repeat(MAX_FILE_BYTES / 3 * 4 + 4);
        let url = format!("data:application/octet-stream;base64,{exactly}");
        assert_eq!(
            validate_field(&doc, Some(&json!(url))).unwrap_err().reason,
            FILE_TOO_LARGE
        );
    }

    #[test]
    fn data_url_size_accounts_for_padding() {
        assert_eq!(
            parse_data_url("data:text/plain;base64,aGk=")
                .unwrap()
                .decoded_len(),
            2
        );
        assert_eq!(
            parse_data_url("data:text/plain;base64,aGV5")
                .unwrap()
                .decoded_len(),
            3
        );
        assert_eq!(
            parse_data_url("data:text/plain;base64,aA==")
                .unwrap()
                .decoded_len(),
            1
        );
        assert!(parse_data_url("data:text/plain,hello").is_none());
        assert_eq!(
            parse_data_url("data:text/plain;base64,").unwrap().decoded_len(),
            0
        );
        let named = parse_data_url("data:application/pdf;name=Q3%20deck.pdf;base64,JVBE").unwrap();
        assert_eq!(
            (named.content_type, named.name),
            ("application/pdf", Some("Q3%20deck.pdf"))
        );
        let unnamed = parse_data_url("data:;base64,JVBE").unwrap();
        assert_eq!((unnamed.content_type, unnamed.name), ("", None));
        for malformed in ["=", "==", "A=", "A", "aG=k", "aGk===", "aGVsbG8=x", "a b="] {
            assert!(
                parse_data_url(&format!("data:text/plain;base64,{malformed}")).is_none(),
                "{malformed}"
            );
        }
    }
}
