//! The owner's CSV export of leads, as bytes. The edge streams the file, so it asks for
//! the [`header`] once and then one [`record`] per lead, page by page; each call returns
//! whole CRLF-terminated lines (RFC 4180), quoted only where needed by the `csv` crate.
//!
//! Owners and visitors control most cells, and spreadsheets run a cell that starts like a
//! formula, so every cell goes through [`neutralize`] (OWASP "CSV injection"). The one
//! exception is an international phone number in the [`Profile::Crm`] file, written in
//! E.164 (`+1 (415) 555-0100` as `+14155550100`): CRMs import it as a phone, while Excel
//! would read `+1415…` as a formula and gets it neutralized.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// Which spreadsheet or CRM the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// HubSpot, Salesforce and the like: no BOM, international phones in E.164.
    Crm,
    /// Excel: a UTF-8 BOM (without it Excel guesses a legacy code page and mangles
    /// non-ASCII), and every cell neutralized.
    Excel,
}

impl Profile {
    /// The profile named in a query string (`crm` or `excel`).
    pub fn parse(text: &str) -> Option<Profile> {
        match text {
            "crm" => Some(Profile::Crm),
            "excel" => Some(Profile::Excel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Crm => "crm",
            Profile::Excel => "excel",
        }
    }
}

/// One lead as a CSV row needs it (the edge fills it from its storage row).
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub company: Option<&'a str>,
    pub website: Option<&'a str>,
    /// `new`, `contacted`, `qualified`, `converted` or `lost`.
    pub stage: &'a str,
    /// `widget`, `api`, `whatsapp`, `telegram` or any other lower-case word.
    pub source: &'a str,
    /// Already ISO 8601 UTC, e.g. `2026-11-23T12:00:00.000Z`.
    pub created_at: &'a str,
    /// Where the lead came from: its first visit's landing page and UTM parameters.
    pub landing_page: Option<&'a str>,
    pub utm_source: Option<&'a str>,
    pub utm_medium: Option<&'a str>,
    pub utm_campaign: Option<&'a str>,
    /// Why it was lost, while it is.
    pub lost_reason: Option<&'a str>,
    /// The lead's id: what a re-import matches rows by.
    pub id: &'a str,
    /// Its last change, ISO 8601 UTC like `created_at`.
    pub updated_at: &'a str,
    pub custom_fields: &'a Map<String, Value>,
}

/// The fixed columns: the first nine named as HubSpot's import maps them without help, then
/// where the lead came from (seed 004: "which channels or pages generate the best leads?"),
/// then why it was lost (seed 004: "record the reason for future analysis"), its id (to
/// match rows on a later import) and its last change.
pub const COLUMNS: [&str; 16] = [
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Website URL",
    "Lead Status",
    "Lead Source",
    "Create Date",
    "Landing Page",
    "UTM Source",
    "UTM Medium",
    "UTM Campaign",
    "Lost Reason",
    "Lead ID",
    "Last Updated",
];

/// UTF-8 byte order mark: the only way to tell Excel a CSV file is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first bytes of the file: a UTF-8 BOM for Excel, then the header line ([`COLUMNS`],
/// then one column per custom key, in the order given, named by [`custom_headers`]).
pub fn header(profile: Profile, custom_keys: &[String]) -> Vec<u8> {
    let custom = custom_headers(custom_keys);
    let cells: Vec<Cow<'_, str>> = COLUMNS
        .iter()
        .copied()
        .chain(custom.iter().map(String::as_str))
        .map(neutralize)
        .collect();
    let mut out = match profile {
        Profile::Excel => BOM.to_vec(),
        Profile::Crm => Vec::new(),
    };
    out.extend(line(&cells));
    out
}

/// The header of each custom column: its key, unless that names a column already in the
/// file (a fixed one, in any case or spacing: a form field called `Email` or a custom field
/// `Lead ID`), which gets " (custom)" added until it is unique. An importer matches columns
/// by header, and mostly takes the last of two alike: a visitor's text would otherwise
/// stand in for the lead's email, or for the id a re-import matches rows by.
pub fn custom_headers(custom_keys: &[String]) -> Vec<String> {
    let seen = |name: &str| name.trim().to_lowercase();
    let mut taken: std::collections::HashSet<String> = COLUMNS.iter().map(|c| seen(c)).collect();
    custom_keys
        .iter()
        .map(|key| {
            let mut name = key.clone();
            while !taken.insert(seen(&name)) {
                name.push_str(" (custom)");
            }
            name
        })
        .collect()
}

/// One record line (CRLF-terminated) for `row`, custom columns in `custom_keys` order
/// (missing keys are empty cells).
pub fn record(profile: Profile, row: &Row<'_>, custom_keys: &[String]) -> Vec<u8> {
    let phone = row.phone.unwrap_or("");
    let stage = stage_label(row.stage);
    let source = source_label(row.source);
    let custom: Vec<String> = custom_keys
        .iter()
        .map(|key| row.custom_fields.get(key).map(value_text).unwrap_or_default())
        .collect();
    let mut cells = vec![
        neutralize(row.first_name.unwrap_or("")),
        neutralize(row.last_name.unwrap_or("")),
        neutralize(row.email.unwrap_or("")),
        // A CRM takes `+14155550100` as a phone; the same number as typed, `+1 (415)
        // 555-0100`, would need the quote that keeps a spreadsheet from running it.
        match crate::lead::phone_key(phone).filter(|e164| is_e164(e164)) {
            Some(e164) if profile == Profile::Crm => Cow::Owned(e164),
            _ => neutralize(phone),
        },
        neutralize(row.company.unwrap_or("")),
        neutralize(row.website.unwrap_or("")),
        neutralize(&stage),
        neutralize(&source),
        neutralize(row.created_at),
        neutralize(row.landing_page.unwrap_or("")),
        neutralize(row.utm_source.unwrap_or("")),
        neutralize(row.utm_medium.unwrap_or("")),
        neutralize(row.utm_campaign.unwrap_or("")),
        neutralize(row.lost_reason.unwrap_or("")),
        neutralize(row.id),
        neutralize(row.updated_at),
    ];
    cells.extend(custom.iter().map(|text| neutralize(text)));
    line(&cells)
}

/// A cell made safe for spreadsheets (OWASP CSV injection): a value starting with `=`,
/// `+`, `-`, `@`, tab or carriage return gets a leading single quote, which spreadsheets
/// show as text instead of evaluating. So does each such piece after a `;`: Excel in a
/// locale whose list separator is `;` (German, French, Dutch...) splits the file's lines
/// there, quotes or not, and `hi;=1+1` would give a cell `=1+1` of its own. Leading
/// spaces and line breaks do not hide a formula: importers that trim them (LibreOffice's
/// "trim spaces", Google Sheets) would find it.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    let formula = |piece: &str| {
        piece.starts_with(['\t', '\r'])
            || piece
                .trim_start_matches([' ', '\n', '\t', '\r', '\u{a0}'])
                .starts_with(['=', '+', '-', '@'])
    };
    if !cell.split(';').any(formula) {
        return Cow::Borrowed(cell);
    }
    let mut safe = String::with_capacity(cell.len() + 2);
    for (i, piece) in cell.split(';').enumerate() {
        if i > 0 {
            safe.push(';');
        }
        if formula(piece) {
            safe.push('\'');
        }
        safe.push_str(piece);
    }
    Cow::Owned(safe)
}

/// Strict E.164: `+` then 8 to 15 digits, the first not 0, nothing else (no spaces or
/// dashes: anything looser could smuggle a formula past [`neutralize`]).
pub fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// How a stage reads in the file: `new` -> `New`.
pub fn stage_label(stage: &str) -> String {
    capitalized(stage)
}

/// How a source reads in the file: brand spellings for the known ones (`api` -> `API`,
/// `whatsapp` -> `WhatsApp`), any other capitalized.
pub fn source_label(source: &str) -> String {
    match source {
        "api" => "API".to_string(),
        "whatsapp" => "WhatsApp".to_string(),
        other => capitalized(other),
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text of a custom field value. A stored file (an object with a string `name`, see
/// `files::StoredFile`) shows its name: its R2 key means nothing to the owner.
fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Object(map) => match map.get("name") {
            Some(Value::String(name)) => name.clone(),
            _ => value.to_string(),
        },
        Value::Array(items) => crate::form::list_text(items),
        // Numbers and booleans: their JSON text.
        other => other.to_string(),
    }
}

/// One CSV line from already neutralized cells.
fn line(cells: &[Cow<'_, str>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    // Writing one record into a Vec cannot fail: there is no I/O and no earlier record
    // whose length could differ.
    writer
        .write_record(cells.iter().map(|cell| cell.as_bytes()))
        .expect("CSV into a Vec");
    writer.into_inner().expect("CSV into a Vec")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|k| k.to_string()).collect()
    }

    /// Parses CSV bytes back into rows of cells, as a spreadsheet would.
    fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }

    fn lead<'a>(fields: &'a Map<String, Value>) -> Row<'a> {
        Row {
            first_name: Some("Ada"),
            last_name: Some("Lovelace"),
            email: Some("ada@example.com"),
            phone: Some("+14155550100"),
            company: Some("Analytical Engines"),
            website: Some("https://example.com"),
            stage: "new",
            source: "widget",
            created_at: "2026-11-23T12:00:00.000Z",
            landing_page: Some("https://example.com/pricing?utm_source=google"),
            utm_source: Some("google"),
            utm_medium: None,
            utm_campaign: Some("spring"),
            lost_reason: None,
            id: "lead_1",
            updated_at: "2026-11-23T12:05:00.000Z",
            custom_fields: fields,
        }
    }

    /// The cells of the one record written for `row`.
    fn cells(profile: Profile, row: &Row<'_>, custom_keys: &[String]) -> Vec<String> {
        let bytes = record(profile, row, custom_keys);
        assert!(bytes.ends_with(b"\r\n"), "CRLF-terminated: {bytes:?}");
        let mut rows = parse(&bytes);
        assert_eq!(rows.len(), 1);
        rows.remove(0)
    }

    #[test]
    fn profiles_parse_and_print() {
        for profile in [Profile::Crm, Profile::Excel] {
            assert_eq!(Profile::parse(profile.as_str()), Some(profile));
        }
        for bad in ["", "CSV", "Excel", "hubspot"] {
            assert_eq!(Profile::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_injection_prefix_is_neutralized() {
        let cases = [
            ("=1+1", "'=1+1"),
            ("+1+1", "'+1+1"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("plain", "plain"),
            ("", ""),
            ("a=b", "a=b"),
            (" =1", "' =1"),
            (
                "\n=HYPERLINK(\"http://evil\",\"x\")",
                "'\n=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("  \u{a0}@SUM(A1)", "'  \u{a0}@SUM(A1)"),
            ("a; -1", "a;' -1"),
            (" plain", " plain"),
            ("'quoted", "'quoted"),
        ];
        for (input, expected) in cases {
            assert_eq!(neutralize(input), expected, "{input:?}");
        }
        assert!(matches!(neutralize("safe"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_column_is_neutralized_in_both_profiles() {
        let fields = Map::from_iter([("note".to_string(), json!("=cmd|' /C calc'!A0"))]);
        let row = Row {
            first_name: Some("=A"),
            last_name: Some("+B"),
            email: Some("-C"),
            phone: Some("@D"),
            company: Some("\tE"),
            website: Some("\rF"),
            stage: "=new",
            source: "-api",
            created_at: "@2026",
            landing_page: Some("=page"),
            utm_source: Some("+source"),
            utm_medium: Some("-medium"),
            utm_campaign: Some("@campaign"),
            lost_reason: Some("=reason"),
            id: "+id",
            updated_at: "-2026",
            custom_fields: &fields,
        };
        let custom = keys(&["note"]);
        for profile in [Profile::Crm, Profile::Excel] {
            let got = cells(profile, &row, &custom);
            let expected = [
                "'=A",
                "'+B",
                "'-C",
                "'@D",
                "'\tE",
                "'\rF",
                "'=new",
                "'-api",
                "'@2026",
                "'=page",
                "'+source",
                "'-medium",
                "'@campaign",
                "'=reason",
                "'+id",
                "'-2026",
                "'=cmd|' /C calc'!A0",
            ];
            assert_eq!(got, expected, "{profile:?}");
        }
    }

    #[test]
    fn international_phones_are_e164_in_crm_and_neutralized_elsewhere() {
        let fields = Map::new();
        let cases = [
            (Profile::Crm, "+14155550100", "+14155550100"),
            (Profile::Excel, "+14155550100", "'+14155550100"),
            (Profile::Crm, "-555", "'-555"),
            (Profile::Crm, "+1 (415) 555-0100", "+14155550100"),
            (Profile::Crm, "0049 151 1234 5678", "+4915112345678"),
            (Profile::Crm, "+44 (0)20 7946 0958", "+442079460958"),
            (Profile::Excel, "+1 (415) 555-0100", "'+1 (415) 555-0100"),
            (Profile::Crm, "+1+1", "'+1+1"),
            (Profile::Crm, "+1 415=1+1", "'+1 415=1+1"),
            (Profile::Crm, "+123", "'+123"),
            (Profile::Crm, "4155550100", "4155550100"),
            (Profile::Excel, "4155550100", "4155550100"),
        ];
        for (profile, phone, expected) in cases {
            let row = Row {
                phone: Some(phone),
                ..lead(&fields)
            };
            assert_eq!(cells(profile, &row, &[])[3], expected, "{profile:?} {phone:?}");
        }
    }

    #[test]
    fn e164_is_strict() {
        let cases = [
            ("+14155550100", true),
            ("+12345678", true),          // 8 digits
            ("+123456789012345", true),   // 15 digits
            ("+1234567", false),          // 7 digits
            ("+1234567890123456", false), // 16 digits
            ("+04155550100", false),      // leading 0
            ("14155550100", false),       // no '+'
            ("++14155550100", false),
            ("+1415555010x", false),
            ("+1 4155550100", false),
            ("+1415555010\n", false),
            ("+١٢٣٤٥٦٧٨٩", false), // Arabic-Indic digits are not ASCII digits
            ("+", false),
            ("", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_e164(text), expected, "{text:?}");
        }
    }

    #[test]
    fn quotes_newlines_and_commas_round_trip() {
        let fields = Map::from_iter([
            ("note".to_string(), json!("line 1\nline 2\r\nline 3")),
            ("quote".to_string(), json!("say \"hi\"")),
        ]);
        let row = Row {
            first_name: Some("Smith, Jr."),
            company: Some("\"Acme\" Inc"),
            ..lead(&fields)
        };
        let custom = keys(&["note", "quote"]);
        let bytes = record(Profile::Crm, &row, &custom);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("\"Smith, Jr.\",Lovelace,"), "{text}");
        assert!(text.contains(",\"\"\"Acme\"\" Inc\","), "{text}");
        let got = cells(Profile::Crm, &row, &custom);
        assert_eq!(got[0], "Smith, Jr.");
        assert_eq!(got[4], "\"Acme\" Inc");
        assert_eq!(got[COLUMNS.len()], "line 1\nline 2\r\nline 3");
        assert_eq!(got[COLUMNS.len() + 1], "say \"hi\"");
    }

    #[test]
    fn non_ascii_is_plain_utf8() {
        let cases = ["Zoë Ångström", "東京", "مرحبا بالعالم", "Ünïcødé 🚀"];
        let fields = Map::new();
        for name in cases {
            let row = Row {
                first_name: Some(name),
                ..lead(&fields)
            };
            let bytes = record(Profile::Excel, &row, &[]);
            assert!(bytes.starts_with(name.as_bytes()), "{name}");
            assert_eq!(cells(Profile::Excel, &row, &[])[0], name);
        }
    }

    #[test]
    fn a_semicolon_cannot_split_a_formula_off_for_a_semicolon_locale_excel() {
        let mut fields = Map::new();
        fields.insert("note".to_string(), json!("hi;=1+1"));
        let custom = keys(&["note", "x;@cmd"]);
        for bytes in [
            record(Profile::Excel, &lead(&fields), &custom),
            header(Profile::Excel, &custom),
        ] {
            // Read as such an Excel reads it: `;` separates, quotes keep a cell whole.
            let split: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(b';')
                .from_reader(&bytes[..])
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect();
            assert_eq!(split.len(), 1);
            assert!(
                split[0]
                    .iter()
                    .all(|cell| !cell.starts_with(['=', '+', '-', '@'])),
                "{split:?}"
            );
        }
        // Read with commas, the cell is what was typed, marked as text where it needs it.
        let got = cells(Profile::Crm, &lead(&fields), &custom);
        assert_eq!(got[COLUMNS.len()], "hi;'=1+1");
        assert_eq!(
            neutralize("a; b;c"),
            "a; b;c",
            "nothing to mark: borrowed as it is"
        );
    }

    #[test]
    fn a_custom_column_never_repeats_another_columns_header() {
        let custom = keys(&["Email", "lead id", " Lead ID ", "Email (custom)", "budget"]);
        assert_eq!(
            custom_headers(&custom),
            [
                "Email (custom)",
                "lead id (custom)",
                " Lead ID  (custom)",
                "Email (custom) (custom)",
                "budget"
            ]
        );
        // Read back by header, as an importer does: one column per name, the lead's own
        // email and id where they belong, the visitor's text under its own header.
        let mut fields = Map::new();
        fields.insert("Email".into(), Value::from("spoof@evil.example"));
        fields.insert("lead id".into(), Value::from("lead_fake"));
        let mut file = header(Profile::Crm, &custom);
        file.extend(record(Profile::Crm, &lead(&fields), &custom));
        let mut reader = csv::Reader::from_reader(&file[..]);
        let headers = reader.headers().unwrap().clone();
        let row = reader.records().next().unwrap().unwrap();
        let cell = |name: &str| {
            let at: Vec<usize> = (0..headers.len()).filter(|&i| &headers[i] == name).collect();
            assert_eq!(at.len(), 1, "{name} heads one column: {headers:?}");
            row[at[0]].to_string()
        };
        assert_ne!(cell("Email"), "spoof@evil.example");
        assert_eq!(cell("Email (custom)"), "spoof@evil.example");
        assert_ne!(cell("Lead ID"), "lead_fake");
        assert_eq!(cell("lead id (custom)"), "lead_fake");
    }

    #[test]
    fn bom_only_in_excel_header() {
        let custom = keys(&["budget"]);
        let excel = header(Profile::Excel, &custom);
        let crm = header(Profile::Crm, &custom);
        assert_eq!(&excel[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(&excel[3..], &crm[..]);
        assert!(!crm.starts_with(BOM));
        let fields = Map::new();
        assert!(!record(Profile::Excel, &lead(&fields), &custom).starts_with(BOM));
        assert_eq!(
            String::from_utf8(crm).unwrap(),
            "First Name,Last Name,Email,Phone Number,Company Name,Website URL,\
             Lead Status,Lead Source,Create Date,Landing Page,UTM Source,UTM Medium,UTM Campaign,\
             Lost Reason,Lead ID,Last Updated,budget\r\n"
        );
    }

    #[test]
    fn header_custom_keys_keep_order_and_are_neutralized() {
        let custom = keys(&["zeta", "alpha", "=evil()", "with, comma"]);
        let got = parse(&header(Profile::Crm, &custom)).remove(0);
        let mut expected: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        expected.extend(keys(&["zeta", "alpha", "'=evil()", "with, comma"]));
        assert_eq!(got, expected);
    }

    #[test]
    fn custom_values_by_type() {
        let fields = Map::from_iter([
            ("text".to_string(), json!("hello")),
            ("int".to_string(), json!(42)),
            ("float".to_string(), json!(2.5)),
            ("negative".to_string(), json!(-3)),
            ("yes".to_string(), json!(true)),
            ("no".to_string(), json!(false)),
            ("nothing".to_string(), Value::Null),
            (
                "cv".to_string(),
                json!({"name": "cv.pdf", "contentType": "application/pdf", "size": 1234,
                       "sha256": "ab", "key": "files/1/cv.pdf"}),
            ),
            ("tags".to_string(), json!(["a", "b"])),
            ("object".to_string(), json!({"x": 1})),
            ("numeric name".to_string(), json!({"name": 7})),
        ]);
        let cases = [
            ("text", "hello"),
            ("int", "42"),
            ("float", "2.5"),
            ("negative", "'-3"),
            ("yes", "true"),
            ("no", "false"),
            ("nothing", ""),
            ("cv", "cv.pdf"),
            ("tags", "a, b"),
            ("object", "{\"x\":1}"),
            ("numeric name", "{\"name\":7}"),
            ("missing", ""),
        ];
        let custom: Vec<String> = cases.iter().map(|(k, _)| k.to_string()).collect();
        let got = cells(Profile::Crm, &lead(&fields), &custom);
        assert_eq!(got.len(), COLUMNS.len() + cases.len());
        for (i, (key, expected)) in cases.iter().enumerate() {
            assert_eq!(got[COLUMNS.len() + i], *expected, "{key}");
        }
    }

    #[test]
    fn custom_columns_follow_the_given_order() {
        let fields = Map::from_iter([("a".to_string(), json!("1")), ("b".to_string(), json!("2"))]);
        let cases: [(&[&str], &[&str]); 4] = [
            (&["a", "b"], &["1", "2"]),
            (&["b", "a"], &["2", "1"]),
            (&["b", "gone", "a"], &["2", "", "1"]),
            (&[], &[]),
        ];
        for (order, expected) in cases {
            let got = cells(Profile::Crm, &lead(&fields), &keys(order));
            assert_eq!(&got[COLUMNS.len()..], expected, "{order:?}");
        }
    }

    #[test]
    fn a_whole_file_round_trips() {
        let fields = Map::from_iter([("budget".to_string(), json!(5000))]);
        let empty = Map::new();
        let custom = keys(&["budget"]);
        let sparse = Row {
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            company: None,
            website: None,
            stage: "lost",
            source: "telegram",
            created_at: "2026-11-24T08:30:00.000Z",
            landing_page: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            lost_reason: Some("No budget"),
            id: "lead_2",
            updated_at: "2026-11-25T09:00:00.000Z",
            custom_fields: &empty,
        };
        let mut file = header(Profile::Excel, &custom);
        file.extend(record(Profile::Excel, &lead(&fields), &custom));
        file.extend(record(Profile::Excel, &sparse, &custom));
        let rows = parse(file.strip_prefix(BOM).unwrap());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][..COLUMNS.len()], COLUMNS);
        assert_eq!(
            rows[1],
            [
                "Ada",
                "Lovelace",
                "ada@example.com",
                "'+14155550100",
                "Analytical Engines",
                "https://example.com",
                "New",
                "Widget",
                "2026-11-23T12:00:00.000Z",
                "https://example.com/pricing?utm_source=google",
                "google",
                "",
                "spring",
                "",
                "lead_1",
                "2026-11-23T12:05:00.000Z",
                "5000",
            ]
        );
        assert_eq!(
            rows[2],
            [
                "",
                "",
                "",
                "",
                "",
                "",
                "Lost",
                "Telegram",
                "2026-11-24T08:30:00.000Z",
                "",
                "",
                "",
                "",
                "No budget",
                "lead_2",
                "2026-11-25T09:00:00.000Z",
                ""
            ]
        );
    }

    #[test]
    fn labels() {
        let stages = [
            ("new", "New"),
            ("contacted", "Contacted"),
            ("qualified", "Qualified"),
            ("converted", "Converted"),
            ("lost", "Lost"),
            ("", ""),
        ];
        for (stage, expected) in stages {
            assert_eq!(stage_label(stage), expected, "{stage}");
        }
        let sources = [
            ("widget", "Widget"),
            ("api", "API"),
            ("whatsapp", "WhatsApp"),
            ("telegram", "Telegram"),
            ("email", "Email"),
            ("ölçek", "Ölçek"),
            ("", ""),
        ];
        for (source, expected) in sources {
            assert_eq!(source_label(source), expected, "{source}");
        }
    }
}
