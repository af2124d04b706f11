//! Reading the owner's list filters from a query string: leads and submissions, their time
//! bounds and the opaque keyset cursor. Every bad value is an error naming its parameter.

use crate::lead::{is_source, Stage};
use crate::validate::FieldError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 100;
/// Longest search text: `q` is matched with LIKE, so its cost grows with its length.
pub const MAX_Q_CHARS: usize = 200;

/// Where the previous page ended, newest first on (time, id): the next page starts below it,
/// so rows that arrive while an owner pages never shift what is left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.at, self.id))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (at, id) = raw.split_once('.')?;
        let id_ok =
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        Some(Cursor {
            at: at.parse().ok().filter(|at| *at >= 0)?,
            id: id.to_string(),
        })
        .filter(|_| id_ok)
    }

    /// A cursor as a caller gave it (a query parameter, a body's `cursor`): empty is none,
    /// anything but one this API gave out is a 400 naming `cursor`.
    pub fn given(text: &str) -> Result<Option<Self>, FieldError> {
        if text.is_empty() {
            return Ok(None);
        }
        Self::decode(text)
            .map(Some)
            .ok_or_else(|| FieldError::new("cursor", "is not a cursor this API gave out (use nextCursor)"))
    }
}

/// A page size parameter `name`: `default` when absent, else a whole number from 1 to `max`.
pub fn limit(name: &str, given: Option<&str>, default: u32, max: u32) -> Result<u32, FieldError> {
    match given {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| FieldError::new(name, format!("must be a whole number from 1 to {max}"))),
    }
}

/// `GET /v1/agents/{id}/leads` (and the CSV export).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadQuery {
    pub stage: Option<Stage>,
    pub source: Option<String>,
    pub tool_id: Option<String>,
    /// Lower-case search text.
    pub q: Option<String>,
    /// `q`'s digits, when it reads as a phone number: looked for too, against the phone's
    /// digits in the search text ([`crate::lead::Contact::search_text`]).
    pub q_digits: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Where the leads came from (`origins`): their first landing page (no query), and
    /// their first visit's `utm_source` and `utm_campaign`.
    pub landing_page: Option<String>,
    pub utm_source: Option<String>,
    pub utm_campaign: Option<String>,
    /// Lost leads of one reason (seed 004: the reason "for future analysis").
    pub lost_reason: Option<String>,
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

/// Longest origin a lead list is filtered by (a landing page is cut at 2,000 characters).
pub const MAX_ORIGIN_CHARS: usize = 2_000;

impl LeadQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldError> {
        let params = Params(pairs);
        let stage = match params.get("stage") {
            None => None,
            Some(s) => Some(Stage::parse(s).ok_or_else(|| {
                FieldError::new(
                    "stage",
                    "must be one of: new, contacted, qualified, converted, lost",
                )
            })?),
        };
        let source = match params.get("source") {
            Some(s) if !is_source(s) => {
                return Err(FieldError::new(
                    "source",
                    "must be a lower-case word such as widget or api",
                ))
            }
            other => other.map(str::to_string),
        };
        let q = match params.get("q") {
            Some(q) if q.chars().count() > MAX_Q_CHARS => {
                return Err(FieldError::new(
                    "q",
                    format!("must be at most {MAX_Q_CHARS} characters"),
                ))
            }
            other => other.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()),
        };
        let q_digits = q.as_deref().and_then(phone_digits);
        let (from, to) = params.range()?;
        Ok(LeadQuery {
            stage,
            source,
            tool_id: params.id("toolId")?,
            q,
            q_digits,
            from,
            to,
            landing_page: params.origin("landingPage")?,
            utm_source: params.origin("utmSource")?,
            utm_campaign: params.origin("utmCampaign")?,
            lost_reason: params.origin("lostReason")?,
            limit: params.limit()?,
            cursor: params.cursor()?,
        })
    }

    /// Whether only counters are needed to count what this query matches.
    pub fn counts_by_stage_only(&self) -> bool {
        self.source.is_none()
            && self.tool_id.is_none()
            && self.q.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.landing_page.is_none()
            && self.utm_source.is_none()
            && self.utm_campaign.is_none()
            && self.lost_reason.is_none()
    }
}

/// `GET /v1/agents/{id}/submissions`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubmissionQuery {
    pub tool_id: Option<String>,
    pub status: Option<String>,
    pub conversation_id: Option<String>,
    pub lead_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl SubmissionQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldError> {
        let params = Params(pairs);
        let status = match params.get("status") {
            Some(s)
                if !crate::status::SubmissionStatus::ALL
                    .iter()
                    .any(|v| v.as_str() == s) =>
            {
                let names: Vec<&str> = crate::status::SubmissionStatus::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect();
                return Err(FieldError::new(
                    "status",
                    format!("must be one of: {}", names.join(", ")),
                ));
            }
            other => other.map(str::to_string),
        };
        let (from, to) = params.range()?;
        Ok(SubmissionQuery {
            tool_id: params.id("toolId")?,
            status,
            conversation_id: params.id("conversationId")?,
            lead_id: params.id("leadId")?,
            from,
            to,
            limit: params.limit()?,
            cursor: params.cursor()?,
        })
    }
}

/// A search that reads as a phone number (digits and " +-()."), as its digits alone: the
/// search text holds the phone that way, so "+1 (555) 010-0199" and "555 0100199" find the
/// same lead however either was typed. `None` for other text, or digits alone (found as
/// they are).
fn phone_digits(q: &str) -> Option<String> {
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    (phone_like && !digits.is_empty() && digits != q).then_some(digits)
}

/// The cursor of the page after `page` when `more` follow: the last row's key
/// (`created_at`, `id`), as `next_cursor` answers carry it.
pub fn next_cursor<T>(page: &[T], more: bool, key: impl Fn(&T) -> (i64, String)) -> Option<String> {
    let last = page.last().filter(|_| more)?;
    let (at, id) = key(last);
    Some(Cursor { at, id }.encode())
}

/// A plain keyset page: `limit` and `cursor` (`GET /v1/agents/{id}/conversations`).
#[derive(Debug, Clone, PartialEq)]
pub struct PageQuery {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl PageQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, FieldError> {
        let params = Params(pairs);
        Ok(PageQuery {
            limit: params.limit()?,
            cursor: params.cursor()?,
        })
    }
}

struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    /// The first value of `name`; an empty value counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// An origin to match exactly: any text up to [`MAX_ORIGIN_CHARS`]; empty is no filter.
    fn origin(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            Some(text) if text.chars().count() > MAX_ORIGIN_CHARS => Err(FieldError::new(
                name,
                format!("must be at most {MAX_ORIGIN_CHARS} characters"),
            )),
            other => Ok(other.filter(|t| !t.is_empty()).map(str::to_string)),
        }
    }

    fn id(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            Some(id)
                if id.len() > 128
                    || !id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b)) =>
            {
                Err(FieldError::new(name, "is not a valid id"))
            }
            other => Ok(other.map(str::to_string)),
        }
    }

    fn limit(&self) -> Result<u32, FieldError> {
        limit("limit", self.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    }

    fn cursor(&self) -> Result<Option<Cursor>, FieldError> {
        Cursor::given(self.get("cursor").unwrap_or_default())
    }

    fn range(&self) -> Result<(Option<i64>, Option<i64>), FieldError> {
        let bound = |name: &str, end_of_day: bool| match self.get(name) {
            None => Ok(None),
            Some(text) => parse_time(text, end_of_day).map(Some).ok_or_else(|| {
                FieldError::new(
                    name,
                    "must be milliseconds since 1970, ISO 8601 or a day YYYY-MM-DD",
                )
            }),
        };
        let (from, to) = (bound("from", false)?, bound("to", true)?);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(FieldError::new("to", "must not be before from"));
            }
        }
        Ok((from, to))
    }
}

/// A time given as milliseconds since 1970, an ISO 8601 date-time (`Z` or an offset), or a
/// UTC day `YYYY-MM-DD` (its first millisecond, or with `end_of_day` its last).
pub fn parse_time(text: &str, end_of_day: bool) -> Option<i64> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().filter(|ms: &i64| *ms < 1 << 53);
    }
    let day = days_from_civil_text(text.get(..10)?)? * 86_400_000;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(if end_of_day { day + 86_399_999 } else { day });
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let num = |s: &str| -> Option<i64> {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (hh, mm) = (num(rest.get(0..2)?)?, num(rest.get(3..5)?)?);
    if rest.get(2..3)? != ":" || hh > 23 || mm > 59 {
        return None;
    }
    let mut rest = &rest[5..];
    let mut ms = (hh * 3600 + mm * 60) * 1000;
    if let Some(after) = rest.strip_prefix(':') {
        let ss = num(after.get(0..2)?)?;
        if ss > 60 {
            return None;
        }
        ms += ss * 1000;
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let padded = format!("{:0<3}", &frac[..digits.min(3)]);
            ms += num(&padded)?;
            rest = &frac[digits..];
        }
    }
    let offset_ms = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let (oh, om) = (num(rest.get(1..3)?)?, num(rest.get(4..6)?)?);
            if rest.len() != 6 || rest.get(3..4)? != ":" || oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60) * 1000
        }
    };
    Some(day + ms - offset_ms).filter(|t| *t >= 0)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` (Howard Hinnant's days_from_civil).
fn days_from_civil_text(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = text[0..4].parse().ok()?;
    let m: i64 = text[5..7].parse().ok()?;
    let d: i64 = text[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] || y < 1970 {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn a_phone_number_is_searched_by_its_digits_however_it_is_typed() {
        let contact = crate::lead::Contact {
            name: Some("Ana Díaz".into()),
            phone: Some("+1 (555) 010-0199".into()),
            ..Default::default()
        };
        let text = contact.search_text();
        // What the list matches: the text as typed, or its digits (storage/leads.rs).
        let found = |typed: &str| {
            let query = LeadQuery::parse(&pairs(&format!("q={typed}"))).unwrap();
            text.contains(query.q.as_deref().unwrap()) || query.q_digits.is_some_and(|d| text.contains(&d))
        };
        for typed in [
            "+1 555 010 0199",
            "(555) 010-0199",
            "5550100199",
            "555.010",
            " 0199 ",
            "ana",
        ] {
            assert!(found(typed), "{typed:?} in {text:?}");
        }
        assert!(!found("555 010 0198"), "another number");
        // Words stay words, lower-case; digits alone need no second form; a number-like
        // company name is still found as typed.
        let q = |typed: &str| LeadQuery::parse(&pairs(&format!("q={typed}"))).unwrap();
        assert_eq!((q("Ana").q, q("Ana").q_digits), (Some("ana".into()), None));
        assert_eq!(q("B2B Inc").q_digits, None);
        assert_eq!(q("5550100199").q_digits, None);
        assert_eq!(q(" () ").q_digits, None, "no digit: not a phone");
        assert_eq!(
            (q("2.0").q, q("2.0").q_digits),
            (Some("2.0".into()), Some("20".into()))
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = Cursor {
            at: 1_700_000_000_123,
            id: "lead_018bcfe56800abcdef012345".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        assert_eq!(Cursor::given(&cursor.encode()), Ok(Some(cursor)));
        assert_eq!(Cursor::given(""), Ok(None), "empty is none");
        assert_eq!(Cursor::given("garbage!").unwrap_err().field, "cursor");
        for bad in [
            "",
            "garbage!",
            "bm9kb3Q",
            &URL_SAFE_NO_PAD.encode("12.lead x"),
            &URL_SAFE_NO_PAD.encode("-1.lead"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_read_as_ms_iso_or_day() {
        let cases = [
            ("0", false, Some(0)),
            ("1700000000000", false, Some(1_700_000_000_000)),
            ("2023-11-14", false, Some(1_699_920_000_000)),
            ("2023-11-14", true, Some(1_700_006_399_999)),
            ("2023-11-14T22:13:20Z", false, Some(1_700_000_000_000)),
            ("2023-11-14T22:13:20.5Z", false, Some(1_700_000_000_500)),
            ("2023-11-14T23:13:20+01:00", false, Some(1_700_000_000_000)),
            ("2023-11-14T22:13Z", false, Some(1_699_999_980_000)),
            ("2024-02-29", false, Some(1_709_164_800_000)),
            ("2023-02-29", false, None),
            ("2023-13-01", false, None),
            ("yesterday", false, None),
            ("2023-11-14T25:00Z", false, None),
            ("2023-11-14T22:13:20", false, None),
            ("-5", false, None),
        ];
        for (text, end, expected) in cases {
            assert_eq!(parse_time(text, end), expected, "{text}");
        }
    }

    #[test]
    fn lead_filters_parse_or_name_the_parameter() {
        let q = LeadQuery::parse(&pairs(
            "stage=lost&source=widget&toolId=tool_a&q=%20ACME&limit=7&from=2023-11-14&to=2023-11-14",
        ))
        .unwrap();
        assert_eq!(q.stage, Some(Stage::Lost));
        assert_eq!(q.source.as_deref(), Some("widget"));
        assert_eq!(q.tool_id.as_deref(), Some("tool_a"));
        assert_eq!(q.limit, 7);
        assert_eq!(q.from, Some(1_699_920_000_000));
        assert_eq!(q.to, Some(1_700_006_399_999));
        assert!(!q.counts_by_stage_only());
        let plain = LeadQuery::parse(&pairs("stage=new&unknown=1")).unwrap();
        assert_eq!(plain.limit, DEFAULT_LIMIT);
        assert!(plain.counts_by_stage_only());
        let bad = [
            ("stage=bogus", "stage"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("cursor=garbage", "cursor"),
            ("from=notadate", "from"),
            ("to=2023-02-30", "to"),
            ("from=2024-01-02&to=2024-01-01", "to"),
            ("source=Web%20Site", "source"),
            ("toolId=a'b", "toolId"),
        ];
        for (query, field) in bad {
            assert_eq!(
                LeadQuery::parse(&pairs(query)).unwrap_err().field,
                field,
                "{query}"
            );
        }
        let long = format!("q={}", "a".repeat(MAX_Q_CHARS + 1));
        assert_eq!(LeadQuery::parse(&pairs(&long)).unwrap_err().field, "q");

        // Origins match as given.
        let origin = LeadQuery::parse(&pairs(
            "landingPage=https://a.example/pricing&utmSource=google&utmCampaign=spring sale",
        ))
        .unwrap();
        assert_eq!(origin.landing_page.as_deref(), Some("https://a.example/pricing"));
        assert_eq!(origin.utm_source.as_deref(), Some("google"));
        assert_eq!(origin.utm_campaign.as_deref(), Some("spring sale"));
        assert!(!origin.counts_by_stage_only());
        let long = format!("utmSource={}", "a".repeat(MAX_ORIGIN_CHARS + 1));
        assert_eq!(LeadQuery::parse(&pairs(&long)).unwrap_err().field, "utmSource");

        // Lost leads of one reason, as the owner wrote it.
        let lost = LeadQuery::parse(&pairs("stage=lost&lostReason=No budget")).unwrap();
        assert_eq!(lost.lost_reason.as_deref(), Some("No budget"));
        assert!(!lost.counts_by_stage_only());
        assert_eq!(LeadQuery::parse(&pairs("lostReason=")).unwrap().lost_reason, None);
    }

    #[test]
    fn submission_filters_parse_or_name_the_parameter() {
        let q = SubmissionQuery::parse(&pairs(
            "status=webhook_failed&conversationId=conv_1&leadId=lead_1",
        ))
        .unwrap();
        assert_eq!(q.status.as_deref(), Some("webhook_failed"));
        assert_eq!(q.conversation_id.as_deref(), Some("conv_1"));
        assert_eq!(
            SubmissionQuery::parse(&pairs("status=done")).unwrap_err().field,
            "status"
        );
    }
}
