//! Spam scoring: a submission is quarantined, never dropped, when the signals below add up
//! to the tool's threshold. Every signal has a name, a number of points and a sentence the
//! owner reads, so a verdict explains itself and a false positive is easy to see (and to
//! release). Pure: the edge gathers the facts (the display token, when the form was shown,
//! how often the token was used) and stores what [`score`] says.
//!
//! | signal | points | when |
//! |---|---|---|
//! | `honeypot` | 10 | the hidden field ([`HONEYPOT_FIELD`]) has a value |
//! | `too_fast` | 5 / 3 | sent under 1 s / under 3 s after the form was shown; without typing (the page filled it in): 5 under 0.3 s, 2 under 3 s |
//! | `token_reused` | 5 | the display token already made [`MAX_SUBMISSIONS_PER_TOKEN`] submissions |
//! | `invalid_display_token` | 3 | a display token this edge did not sign for this agent |
//! | `no_display_token` | 2 | sent from a web page (not the owner's server) without a display token |
//! | `many_links` | 3 | 3 or more links in the text fields |
//! | `link_in_name` | 3 | a name field holds a link |
//! | `identical_fields` | 3 | two or more fields, all the same text |
//! | `spam_words` | 2 each, at most 6 | words from [`SPAM_WORDS`] |
//! | `gibberish` | 2 | a run of 30 or more letters and digits without a space |
//!
//! The default threshold is [`DEFAULT_THRESHOLD`] (5): one strong signal (the honeypot, an
//! instant fill, a reused token, three spam words) is enough, a weak one alone (a fast fill,
//! a forged token, one or two spam words, many links, no token from a page) is not. Without
//! a display token (API-only submissions) the token and timing signals do not apply; a web
//! page's submission without one is `no_display_token`, since the widget always sends one
//! and a script posting from a page of its own does not.

pub use crate::form::HONEYPOT_FIELD;
use crate::form::{FieldKind, FieldSpec};
use crate::lead::{attribute_of, Attribute};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Score at or above which a submission is `spam`, unless the tool sets `spamThreshold`.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// The highest `spamThreshold` a tool may set (in effect: never quarantine).
pub const MAX_THRESHOLD: u32 = 1000;
/// Under this long from display to submit, a fill is too fast for a person (3 points)...
pub const FAST_FILL_MS: i64 = 3_000;
/// ...and under this long, no person could have done it (5 points).
pub const INSTANT_FILL_MS: i64 = 1_000;
/// A fill under [`FAST_FILL_MS`] without typing (the page filled the form in): pressing
/// Send on a form one is signed in for takes a moment, so only a weak signal...
pub const UNTOUCHED_FAST_POINTS: u32 = 2;
/// ...unless it came sooner than a person can see a form and click (5 points).
pub const INSTANT_SEND_MS: i64 = 300;
/// Submissions one display token may make before the next is `token_reused`: the token is
/// handed out per widget load (one page view), which shows a few forms at most.
pub const MAX_SUBMISSIONS_PER_TOKEN: i64 = 3;
/// Form displays one display token may count in analytics (impressions, starts, dismissals
/// and drop-offs of displays past it are not counted): a page view that offers the same
/// form again and again in a long chat stays well under it; a script that makes up display
/// ids for one token does not.
pub const MAX_DISPLAYS_PER_TOKEN: i64 = 20;
/// How long a display token is good for; older ones count as absent (a page left open
/// overnight is no sign of a bot, but its token no longer says when the form was shown).
pub const TOKEN_TTL_MS: i64 = 24 * 3600 * 1000;
/// How far in the future an `issuedAt` may be (clock skew between isolates) before the
/// token is refused.
const TOKEN_SKEW_MS: i64 = 60_000;

/// Words and phrases of the usual form spam, matched case-insensitively as whole words. Kept short on purpose: each hit is only 2 points.
pub const SPAM_WORDS: [&str; 20] = [
    "viagra",
    "cialis",
    "casino",
    "porn",
    "escort",
    "payday loan",
    "forex",
    "bitcoin",
    "crypto investment",
    "backlinks",
    "seo services",
    "guest post",
    "click here",
    "earn money",
    "make money online",
    "work from home",
    "weight loss",
    "replica watches",
    "betting tips",
    "investment opportunity",
];

/// One reason a submission looks like spam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub signal: String,
    pub points: u32,
    /// What was seen, for the owner (never shown to the visitor).
    pub detail: String,
}

/// A submission's score, the threshold it was held to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub score: u32,
    pub threshold: u32,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn is_spam(&self) -> bool {
        self.score >= self.threshold
    }
}

/// What a display token said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    /// No token: an API-only submission, or an old widget.
    Absent,
    /// Not signed by this edge for this agent (forged, altered, another agent's, or signed
    /// with an owner key since rotated).
    Invalid,
    /// Signed, but older than [`TOKEN_TTL_MS`]: treated as absent.
    Expired,
    Valid {
        issued_at: i64,
        nonce: String,
    },
}

impl TokenCheck {
    pub fn is_valid(&self) -> bool {
        matches!(self, TokenCheck::Valid { .. })
    }

    /// The token's nonce when it is valid: the key its uses are counted under.
    pub fn nonce(&self) -> Option<&str> {
        match self {
            TokenCheck::Valid { nonce, .. } => Some(nonce),
            _ => None,
        }
    }
}

/// The display token `GET /widget/config` hands out: `{issuedAt}.{nonce}.{mac}`, the MAC an
/// HMAC-SHA256 under a key derived from the owner key (as client tokens are) over the agent,
/// the time and the nonce. The agent is in the MAC, not the text: a token of one agent is
/// invalid for another's forms. `nonce` is random hex chosen by the caller (randomness is I/O).
pub fn display_token(owner_key: &str, agent_id: &str, issued_at: i64, nonce: &str) -> String {
    format!(
        "{issued_at}.{nonce}.{}",
        display_mac(owner_key, agent_id, issued_at, nonce)
    )
}

fn display_mac(owner_key: &str, agent_id: &str, issued_at: i64, nonce: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    let mut mac = Hmac::<Sha256>::new_from_slice(owner_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("leadform display token v1\n{agent_id}\n{issued_at}\n{nonce}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Checks a display token for `agent_id` at `now` (the MAC compared in constant time).
pub fn check_display_token(owner_key: &str, agent_id: &str, token: Option<&str>, now: i64) -> TokenCheck {
    use subtle::ConstantTimeEq;
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return TokenCheck::Absent;
    };
    let mut parts = token.splitn(3, '.');
    let (Some(at), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return TokenCheck::Invalid;
    };
    let nonce_ok = (8..=64).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_hexdigit());
    let Some(issued_at) = at.parse::<i64>().ok().filter(|_| at.len() <= 16 && nonce_ok) else {
        return TokenCheck::Invalid;
    };
    let expected = display_mac(owner_key, agent_id, issued_at, nonce);
    if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) || issued_at > now + TOKEN_SKEW_MS {
        return TokenCheck::Invalid;
    }
    if now - issued_at > TOKEN_TTL_MS {
        return TokenCheck::Expired;
    }
    TokenCheck::Valid {
        issued_at,
        nonce: nonce.to_string(),
    }
}

/// Everything a verdict is made from.
pub struct Input<'a> {
    pub fields: &'a [FieldSpec],
    /// The submitted values, the honeypot already taken out.
    pub form_data: &'a Map<String, Value>,
    /// The honeypot's value, if the request had one.
    pub honeypot: Option<&'a Value>,
    pub token: &'a TokenCheck,
    /// When the edge recorded this display's impression (its own clock), if it did.
    pub shown_at: Option<i64>,
    /// Submissions this display token made before this one.
    pub earlier_uses: i64,
    /// The visitor typed or chose something (the submission has a `startedAt`); a form the
    /// page filled in (`leadform.identify`) and the visitor only sent has none.
    pub typed: bool,
    /// Sent from a web page (the request had an `Origin`) by someone other than the owner:
    /// the widget's kind of caller, which always has a display token.
    pub from_page: bool,
    pub now: i64,
    pub threshold: u32,
}

/// Scores a submission: every signal that applies, with its points.
pub fn score(input: &Input) -> Verdict {
    let mut reasons = Vec::new();
    let mut add = |signal: &str, points: u32, detail: String| {
        reasons.push(Reason {
            signal: signal.into(),
            points,
            detail,
        })
    };
    if input.honeypot.is_some_and(filled) {
        add(
            "honeypot",
            10,
            format!("the hidden field {HONEYPOT_FIELD} was filled in"),
        );
    }
    match input.token {
        TokenCheck::Invalid => add(
            "invalid_display_token",
            3,
            "the display token was not issued by this edge for this agent".into(),
        ),
        TokenCheck::Valid { issued_at, .. } => {
            // The form cannot have been shown before the widget got its token.
            let shown = input.shown_at.unwrap_or(*issued_at).max(*issued_at);
            let elapsed = input.now - shown;
            match fill_points(elapsed, input.typed) {
                Some(points) if input.typed => add(
                    "too_fast",
                    points,
                    format!(
                        "sent {} ms after the form was shown (a person takes at least {} s)",
                        elapsed.max(0),
                        FAST_FILL_MS / 1000
                    ),
                ),
                // Nothing typed: the page filled the form in (`leadform.identify`, hidden
                // fields) and a signed-in visitor only pressed Send, which takes a click: a
                // weak signal, unless even a click could not be that quick (a bot may leave
                // `startedAt` out too).
                Some(points) => add(
                    "too_fast",
                    points,
                    format!(
                        "sent {} ms after the form was shown, without typing in it (a click takes at least {} ms)",
                        elapsed.max(0),
                        INSTANT_SEND_MS
                    ),
                ),
                None => {}
            }
            if input.earlier_uses >= MAX_SUBMISSIONS_PER_TOKEN {
                add(
                    "token_reused",
                    5,
                    format!(
                        "the display token already made {} submissions (at most {MAX_SUBMISSIONS_PER_TOKEN} per widget load)",
                        input.earlier_uses
                    ),
                );
            }
        }
        TokenCheck::Absent if input.from_page => add(
            "no_display_token",
            2,
            "sent from a web page without the display token the widget sends".into(),
        ),
        TokenCheck::Absent | TokenCheck::Expired => {}
    }
    let texts = free_texts(input.fields, input.form_data);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let links: usize = texts.iter().map(|t| count_links(t)).sum();
    if links >= 3 {
        add("many_links", 3, format!("{links} links in the text fields"));
    }
    if let Some(field) = link_in_name(input.fields, input.form_data) {
        add("link_in_name", 3, format!("the name field {field} holds a link"));
    }
    if identical_fields(input.fields, input.form_data) {
        add("identical_fields", 3, "every field holds the same text".into());
    }
    let words = spam_words(&texts);
    if !words.is_empty() {
        let points = (2 * words.len() as u32).min(6);
        add("spam_words", points, format!("spam words: {}", words.join(", ")));
    }
    if let Some(run) = texts.iter().find_map(|t| gibberish(t)) {
        add(
            "gibberish",
            2,
            format!("a run of {run} characters without a space"),
        );
    }
    let score = reasons.iter().map(|r| r.points).sum();
    Verdict {
        score,
        threshold: input.threshold,
        reasons,
    }
}

/// Points for a fill of `elapsed` ms from display to submit, if it is too fast; `typed`:
/// the visitor typed or chose something (else only pressed Send on what the page filled).
pub fn fill_points(elapsed: i64, typed: bool) -> Option<u32> {
    let (instant, fast) = fill_brackets(typed);
    if elapsed < instant {
        Some(5)
    } else if elapsed < fast {
        Some(if typed { 3 } else { UNTOUCHED_FAST_POINTS })
    } else {
        None
    }
}

/// Under the first, no person could have sent it (5 points); under the second, a person
/// hardly would (fewer). Pressing Send on a form the page filled in takes a click, not a
/// second of typing.
fn fill_brackets(typed: bool) -> (i64, i64) {
    (
        if typed { INSTANT_FILL_MS } else { INSTANT_SEND_MS },
        FAST_FILL_MS,
    )
}

/// The latest time a form may have been shown (its impression event) for a submission at
/// `now` with a token issued at `issued_at` to score the same fill points as if it had been
/// shown when the token was issued (`None`: any later time scores the same). A submit that
/// writes before it reads the impression checks the impression against this bound in its
/// batch, so the verdict it planned on is the one the stored data gives.
pub fn same_fill_points_until(issued_at: i64, now: i64, typed: bool) -> Option<i64> {
    // The fill points only grow as the display moves later (the fill gets shorter): the
    // bound is the start of the bracket `now - issued_at` falls in.
    let (instant, fast) = fill_brackets(typed);
    let elapsed = now - issued_at;
    if elapsed >= fast {
        Some(now - fast)
    } else if elapsed >= instant {
        Some(now - instant)
    } else {
        None
    }
}

fn filled(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Bool(b) => *b,
        _ => true,
    }
}

/// The text a visitor typed freely: text and textarea fields, read as the owner sees it:
/// without the characters that show nothing ("via\u{AD}gra" is "viagra", and a zero-width
/// space every few letters does not make a mash look spaced).
fn free_texts(fields: &[FieldSpec], form_data: &Map<String, Value>) -> Vec<String> {
    fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Textarea))
        .filter_map(|f| form_data.get(&f.name)?.as_str())
        .map(crate::validate::visible)
        .collect()
}

/// How many links a text holds: `http://`, `https://` and `www.` at the start of a word.
pub fn count_links(text: &str) -> usize {
    words_of(text)
        .filter(|w| {
            let w = w.to_ascii_lowercase();
            w.contains("http://") || w.contains("https://") || w.starts_with("www.")
        })
        .count()
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '(' | ')' | '[' | ']'))
        .filter(|w| !w.is_empty())
}

/// The first name field (by its lead attribute) whose value holds a link or a domain-looking
/// `.com`-style word.
fn link_in_name(fields: &[FieldSpec], form_data: &Map<String, Value>) -> Option<String> {
    fields
        .iter()
        .filter(|f| {
            f.kind == FieldKind::Text
                && matches!(
                    attribute_of(f),
                    Attribute::Name | Attribute::FirstName | Attribute::LastName
                )
        })
        .find(|f| {
            form_data
                .get(&f.name)
                .and_then(Value::as_str)
                .is_some_and(|v| count_links(v) > 0 || looks_like_domain(v))
        })
        .map(|f| f.name.clone())
}

fn looks_like_domain(text: &str) -> bool {
    words_of(text).any(|w| {
        let w = w.trim_end_matches(['.', ',', '!', '?']).to_ascii_lowercase();
        let Some((host, tld)) = w.rsplit_once('.') else {
            return false;
        };
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && ["com", "net", "org", "ru", "info", "biz", "xyz", "top", "io", "co"].contains(&tld)
    })
}

/// Two or more text-like fields were filled, all with the same text (case aside).
fn identical_fields(fields: &[FieldSpec], form_data: &Map<String, Value>) -> bool {
    let values: Vec<String> = fields
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FieldKind::Text | FieldKind::Textarea | FieldKind::Email | FieldKind::Url | FieldKind::Phone
            )
        })
        .filter_map(|f| form_data.get(&f.name)?.as_str())
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    values.len() >= 2 && values.iter().all(|v| *v == values[0])
}

/// The words of [`SPAM_WORDS`] found in `texts`, each once.
pub fn spam_words(texts: &[&str]) -> Vec<&'static str> {
    let lower: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    SPAM_WORDS
        .iter()
        .copied()
        .filter(|word| lower.iter().any(|t| at_word_start(t, word)))
        .collect()
}

/// Whether `word` stands as a word of `text` (a plural `s` allowed): "casinos" is the word,
/// "Pornic" is not.
fn at_word_start(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let rest = &text[i + word.len()..];
        let after = rest.strip_prefix('s').unwrap_or(rest).chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The length of the first run of 30 or more ASCII letters and digits without a space (a
/// keyboard mash, an encoded blob), if any. Links and addresses are left out (a path can be
/// long), and scripts written without spaces (Chinese, Japanese, Thai) are not ASCII, so
/// they never count.
pub fn gibberish(text: &str) -> Option<usize> {
    words_of(text)
        .filter(|w| count_links(w) == 0 && !w.contains('@'))
        .flat_map(|w| w.split(|c: char| !c.is_ascii_alphanumeric()))
        .map(str::len)
        .find(|len| *len >= 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "owner-key-0123456789";
    const NOW: i64 = 1_800_000_000_000;

    fn field(name: &str, kind: FieldKind) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            label: None,
            kind,
            required: false,
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
            field("name", FieldKind::Text),
            field("email", FieldKind::Email),
            field("message", FieldKind::Textarea),
        ]
    }

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn valid(shown_ms_ago: i64) -> TokenCheck {
        TokenCheck::Valid {
            issued_at: NOW - shown_ms_ago,
            nonce: "00ff00ff00ff00ff".into(),
        }
    }

    /// A submission of the contact form, as the tests score it: by default a widget's (typed
    /// in, its display at the token's issue, not from a page without a token).
    struct Sent {
        form: Value,
        honeypot: Option<Value>,
        token: TokenCheck,
        shown_at: Option<i64>,
        uses: i64,
        from_page: bool,
        typed: bool,
        threshold: u32,
    }

    impl Sent {
        fn new(form: Value, token: TokenCheck) -> Self {
            Sent {
                form,
                honeypot: None,
                token,
                shown_at: None,
                uses: 0,
                from_page: false,
                typed: true,
                threshold: DEFAULT_THRESHOLD,
            }
        }

        fn score(&self) -> Verdict {
            let fields = contact_form();
            let form_data = data(self.form.clone());
            score(&Input {
                fields: &fields,
                form_data: &form_data,
                honeypot: self.honeypot.as_ref(),
                token: &self.token,
                shown_at: self.shown_at,
                earlier_uses: self.uses,
                from_page: self.from_page,
                typed: self.typed,
                now: NOW,
                threshold: self.threshold,
            })
        }
    }

    fn verdict(form: Value, honeypot: Option<Value>, token: TokenCheck, uses: i64) -> Verdict {
        Sent {
            honeypot,
            uses,
            ..Sent::new(form, token)
        }
        .score()
    }

    fn signals(v: &Verdict) -> Vec<(&str, u32)> {
        v.reasons.iter().map(|r| (r.signal.as_str(), r.points)).collect()
    }

    fn seed() -> Value {
        json!({"name": "Jane Smith", "email": "jane@example.com", "message": "I would like to schedule a demo"})
    }

    #[test]
    fn seed_002s_submission_scores_nothing_with_or_without_a_token() {
        for token in [TokenCheck::Absent, TokenCheck::Expired, valid(20_000)] {
            let v = verdict(seed(), None, token.clone(), 0);
            assert_eq!((v.score, v.is_spam()), (0, false), "{token:?}: {v:?}");
            assert!(v.reasons.is_empty());
        }
        // An empty honeypot (what the widget sends when nobody typed in it) is no signal.
        for empty in [json!(""), json!("  "), Value::Null, json!(false)] {
            assert_eq!(verdict(seed(), Some(empty), valid(20_000), 0).score, 0);
        }
    }

    #[test]
    fn characters_that_show_nothing_hide_no_spam_word_and_no_mash() {
        let hidden = json!({
            "name": "Jane Smith",
            "email": "jane@example.com",
            "message": "Cheap via\u{00AD}gra at our cas\u{200B}ino",
        });
        let v = verdict(hidden, None, valid(20_000), 0);
        assert_eq!(signals(&v), vec![("spam_words", 4)], "{v:?}");
        let mash = "a"
            .repeat(40)
            .chars()
            .flat_map(|c| [c, '\u{200B}'])
            .collect::<String>();
        let v = verdict(
            json!({"name": "Jo", "email": "jo@example.com", "message": mash}),
            None,
            valid(20_000),
            0,
        );
        assert_eq!(signals(&v), vec![("gibberish", 2)], "{v:?}");
    }

    /// A form, its honeypot, its token, the token's earlier uses, and the signals expected.
    type Case = (Value, Option<Value>, TokenCheck, i64, Vec<(&'static str, u32)>);

    #[test]
    fn each_signal_has_its_name_and_points() {
        let cases: Vec<Case> = vec![
            (
                seed(),
                Some(json!("555-0100")),
                TokenCheck::Absent,
                0,
                vec![("honeypot", 10)],
            ),
            (seed(), None, valid(400), 0, vec![("too_fast", 5)]),
            (seed(), None, valid(2_000), 0, vec![("too_fast", 3)]),
            (seed(), None, valid(3_000), 0, vec![]),
            (seed(), None, valid(10_000), 3, vec![("token_reused", 5)]),
            (seed(), None, valid(10_000), 2, vec![]),
            (
                seed(),
                None,
                TokenCheck::Invalid,
                0,
                vec![("invalid_display_token", 3)],
            ),
            (
                json!({"name": "Bob", "message": "see http://a.test https://b.test and www.c.test"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("many_links", 3)],
            ),
            (
                json!({"name": "Bob", "message": "our site http://a.test and https://b.test"}),
                None,
                TokenCheck::Absent,
                0,
                vec![],
            ),
            (
                json!({"name": "Visit cheap-pills.com", "email": "x@example.com"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("link_in_name", 3)],
            ),
            (
                json!({"name": "https://spam.test/", "email": "x@example.com"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("link_in_name", 3)],
            ),
            (
                json!({"name": "asdf@x.com", "email": "ASDF@x.com", "message": "asdf@x.com"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("identical_fields", 3)],
            ),
            (
                json!({"name": "Al", "message": "Best CASINO bonus, click here!"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("spam_words", 4)],
            ),
            (
                json!({"name": "Al", "message": "Cheap viagra"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("spam_words", 2)],
            ),
            (
                json!({"name": "Al", "message": "hello jkdfhgkjdfhgkjdhfgkjhdfkgjhdkfjghkdjfhg"}),
                None,
                TokenCheck::Absent,
                0,
                vec![("gibberish", 2)],
            ),
        ];
        for (form, honeypot, token, uses, expected) in cases {
            let v = verdict(form.clone(), honeypot, token, uses);
            assert_eq!(signals(&v), expected, "{form}");
            assert_eq!(v.score, expected.iter().map(|(_, p)| p).sum::<u32>());
            assert!(v.reasons.iter().all(|r| !r.detail.is_empty()));
        }
    }

    #[test]
    fn strong_signals_alone_make_spam_weak_ones_need_company() {
        assert!(verdict(seed(), Some(json!("x")), valid(60_000), 0).is_spam());
        assert!(verdict(seed(), None, valid(100), 0).is_spam());
        assert!(verdict(seed(), None, valid(60_000), 5).is_spam());
        assert!(
            !verdict(seed(), None, valid(1_500), 0).is_spam(),
            "a quick person"
        );
        assert!(
            !verdict(seed(), None, TokenCheck::Invalid, 0).is_spam(),
            "a rotated key"
        );
        let pushy = json!({"name": "Al", "message": "casino http://a.test http://b.test http://c.test"});
        assert!(verdict(pushy, None, TokenCheck::Absent, 0).is_spam());
        let fast_with_a_spam_word = verdict(
            json!({"name": "Al", "message": "Hi, forex signals"}),
            None,
            valid(1_500),
            0,
        );
        assert_eq!(fast_with_a_spam_word.score, 5);
        assert!(fast_with_a_spam_word.is_spam());
    }

    #[test]
    fn the_impression_the_edge_recorded_is_when_the_form_was_shown() {
        let at = |shown_at, issued_ago| {
            Sent {
                shown_at,
                ..Sent::new(seed(), valid(issued_ago))
            }
            .score()
            .score
        };
        // The widget loaded a minute ago; the form was shown half a second ago.
        assert_eq!(at(Some(NOW - 500), 60_000), 5);
        assert_eq!(at(Some(NOW - 10_000), 60_000), 0);
        // An impression claimed before the token existed is no earlier than the token.
        assert_eq!(at(Some(NOW - 60_000), 200), 5);
    }

    #[test]
    fn three_spam_words_are_spam_and_a_page_without_a_token_adds_to_weak_signals() {
        let v = verdict(
            json!({"name": "Al", "email": "al@example.com", "message": "Casino, viagra and backlinks: click here"}),
            None,
            TokenCheck::Absent,
            0,
        );
        assert_eq!(signals(&v), vec![("spam_words", 6)], "{v:?}");
        assert!(v.is_spam());
        // From a web page, without the token the widget always sends: 2 points, never
        // spam alone (a page's own script using the API), spam with one more weak signal.
        let from_page = |form: Value, token: TokenCheck| {
            Sent {
                from_page: true,
                ..Sent::new(form, token)
            }
            .score()
        };
        let plain = from_page(seed(), TokenCheck::Absent);
        assert_eq!(signals(&plain), vec![("no_display_token", 2)]);
        assert!(!plain.is_spam());
        let pushy = from_page(
            json!({"name": "Al", "email": "al@example.com", "message": "Best casino bonus, click here"}),
            TokenCheck::Absent,
        );
        assert_eq!(signals(&pushy), vec![("no_display_token", 2), ("spam_words", 4)]);
        assert!(pushy.is_spam());
        // A page left open past a day has a token too old to judge by: no signal.
        assert!(signals(&from_page(seed(), TokenCheck::Expired)).is_empty());
        assert!(signals(&from_page(seed(), valid(60_000))).is_empty());
    }

    #[test]
    fn a_form_the_page_filled_in_and_the_visitor_only_sent_is_not_spam_for_its_speed() {
        let sent = |typed, shown_ms_ago| {
            Sent {
                from_page: true,
                typed,
                ..Sent::new(seed(), valid(shown_ms_ago))
            }
            .score()
        };
        // Typed in under a second: no person.
        assert_eq!(signals(&sent(true, 800)), vec![("too_fast", 5)]);
        assert!(sent(true, 800).is_spam());
        // Prefilled by `identify`, Send pressed 800 ms after it showed: a weak signal only.
        let untouched = sent(false, 800);
        assert_eq!(signals(&untouched), vec![("too_fast", UNTOUCHED_FAST_POINTS)]);
        assert!(!untouched.is_spam());
        assert!(
            untouched.reasons[0].detail.contains("without typing"),
            "{untouched:?}"
        );
        assert!(signals(&sent(false, 5_000)).is_empty());
        // Sooner than anyone can click: no person, typed or not.
        assert_eq!(signals(&sent(false, 100)), vec![("too_fast", 5)]);
    }

    #[test]
    fn a_tool_may_raise_or_lower_its_threshold() {
        let with = |threshold| {
            Sent {
                threshold,
                ..Sent::new(seed(), valid(2_000))
            }
            .score()
        };
        assert!(with(3).is_spam());
        assert!(!with(4).is_spam());
        assert_eq!(with(4).threshold, 4);
    }

    #[test]
    fn ordinary_text_is_not_spam() {
        for message in [
            "Hi! We're 40 people, looking at the Pro plan. Our site is https://acme.example.",
            "Could you call me back tomorrow? Ref: ORDER-2026-11-23-0042",
            "我们想了解贵公司的产品价格以及批量购买的折扣政策谢谢我们是一家位于上海的贸易公司",
            "Please contact jane.doe.the.very.long.address@subdomain.example.com",
            "Our API is at https://api.example.com/v1/very/long/path/segment/abcdefghijklmnopqrstuvwxyz0123",
            "Not a crypto person; portfolio review please. Pornic office.",
        ] {
            let v = verdict(
                json!({"name": "Jane Smith", "email": "jane@example.com", "message": message}),
                None,
                valid(30_000),
                0,
            );
            assert!(v.reasons.is_empty(), "{message}: {v:?}");
        }
        // A name with a dot is not a domain.
        let v = verdict(json!({"name": "J. R. R. Tolkien"}), None, TokenCheck::Absent, 0);
        assert!(v.reasons.is_empty(), "{v:?}");
        // One field is not "all fields the same".
        let v = verdict(json!({"name": "Jane"}), None, TokenCheck::Absent, 0);
        assert!(v.reasons.is_empty());
    }

    #[test]
    fn a_display_token_belongs_to_its_agent_and_its_time() {
        let token = display_token(KEY, "agent_a", NOW, "0123456789abcdef");
        assert!(token.starts_with(&format!("{NOW}.0123456789abcdef.")));
        assert_eq!(
            check_display_token(KEY, "agent_a", Some(&token), NOW + 5_000),
            TokenCheck::Valid {
                issued_at: NOW,
                nonce: "0123456789abcdef".into()
            }
        );
        assert_eq!(check_display_token(KEY, "agent_a", None, NOW), TokenCheck::Absent);
        assert_eq!(
            check_display_token(KEY, "agent_a", Some(" "), NOW),
            TokenCheck::Absent
        );
        let invalid = [
            check_display_token(KEY, "agent_b", Some(&token), NOW),
            check_display_token("another-owner-key-000", "agent_a", Some(&token), NOW),
            check_display_token(
                KEY,
                "agent_a",
                Some(&token.replacen(&NOW.to_string(), &(NOW - 1).to_string(), 1)),
                NOW,
            ),
            check_display_token(
                KEY,
                "agent_a",
                Some(&token.replace("0123456789abcdef", "0123456789abcdee")),
                NOW,
            ),
            check_display_token(KEY, "agent_a", Some(&token[..token.len() - 1]), NOW),
            check_display_token(KEY, "agent_a", Some("1.2"), NOW),
            check_display_token(KEY, "agent_a", Some("abc.0123456789abcdef.x"), NOW),
            check_display_token(KEY, "agent_a", Some("1.nothex!.x"), NOW),
            // Issued well in the future: not by this edge's clock.
            check_display_token(
                KEY,
                "agent_a",
                Some(&display_token(KEY, "agent_a", NOW + 120_000, "0123456789abcdef")),
                NOW,
            ),
        ];
        for check in invalid {
            assert_eq!(check, TokenCheck::Invalid);
        }
        assert_eq!(
            check_display_token(KEY, "agent_a", Some(&token), NOW + TOKEN_TTL_MS + 1),
            TokenCheck::Expired
        );
        assert!(valid(0).is_valid() && !TokenCheck::Expired.is_valid());
        assert_eq!(valid(0).nonce(), Some("00ff00ff00ff00ff"));
    }

    #[test]
    fn the_fill_points_bound_keeps_the_points_of_a_display_at_issue() {
        let now = 1_000_000;
        for issued_at in [
            now - 60_000,
            now - 3_000,
            now - 2_999,
            now - 1_000,
            now - 999,
            now - 300,
            now - 299,
            now,
            now + 5,
        ] {
            for typed in [true, false] {
                let at_issue = fill_points(now - issued_at, typed);
                // The same points for every display between the issue and the bound...
                let bound = same_fill_points_until(issued_at, now, typed);
                let last = bound.unwrap_or(now + 10_000).max(issued_at);
                for shown in [issued_at, (issued_at + last) / 2, last] {
                    assert_eq!(
                        fill_points(now - shown.max(issued_at), typed),
                        at_issue,
                        "issued {issued_at}, shown {shown}, typed {typed}"
                    );
                }
                // ...and others just past it.
                if let Some(bound) = bound {
                    assert_ne!(
                        fill_points(now - (bound + 1), typed),
                        at_issue,
                        "issued {issued_at}"
                    );
                }
            }
        }
    }

    #[test]
    fn fill_points_are_graded() {
        assert_eq!(fill_points(-5, true), Some(5));
        assert_eq!(fill_points(999, true), Some(5));
        assert_eq!(fill_points(1_000, true), Some(3));
        assert_eq!(fill_points(2_999, true), Some(3));
        assert_eq!(fill_points(3_000, true), None);
        // Nothing typed: only a send sooner than a click is instant.
        assert_eq!(fill_points(299, false), Some(5));
        assert_eq!(fill_points(300, false), Some(UNTOUCHED_FAST_POINTS));
        assert_eq!(fill_points(2_999, false), Some(UNTOUCHED_FAST_POINTS));
        assert_eq!(fill_points(3_000, false), None);
    }

    #[test]
    fn a_verdict_is_stored_and_shown_as_json() {
        let v = verdict(seed(), Some(json!("x")), TokenCheck::Absent, 0);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["score"], 10);
        assert_eq!(json["threshold"], 5);
        assert_eq!(json["reasons"][0]["signal"], "honeypot");
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), v);
    }
}
