//! What crosses the network between widget, edge and the owner's systems (seed 002 shapes).
//! `XxxIn` is what a caller sends, `XxxOut` what the edge answers.

use crate::form::{ExecutionMode, FieldSpec};
use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /form-submissions/submit`, read by [`SubmitIn::from_json`] (its only parser).
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitIn {
    pub tool_id: String,
    pub conversation_id: Option<String>,
    pub form_data: Map<String, Value>,
    pub fields_completed: Vec<String>,
    pub impression_at: Option<i64>,
    pub started_at: Option<i64>,
    /// Set by the widget once per form display, so a double click or a network retry
    /// returns the first submission instead of making a second one.
    pub idempotency_key: Option<String>,
    /// Where the visitor was: page, referrer, landing page, UTM (sent by the widget).
    pub attribution: Option<crate::lead::Attribution>,
    /// The display token from `GET /widget/config` (the widget sends it); absent for
    /// API-only submissions, which are then scored on their content alone.
    pub display_token: Option<String>,
    /// Milliseconds the visitor spent in each field (field analysis); checked against the
    /// form's fields by the edge.
    pub field_time_ms: Option<Value>,
}

/// Longest id or key a caller may send; ids we mint are far shorter.
const MAX_ID_LEN: usize = 128;

impl SubmitIn {
    /// Reads a request body field by field, so that an error names the field at fault
    /// rather than quoting serde. Takes the body: `formData` (up to the body's 32 MB) is
    /// moved out of it, not copied.
    pub fn from_json(mut body: Value) -> Result<Self, FieldError> {
        let obj = body
            .as_object_mut()
            .ok_or_else(|| FieldError::new("body", "must be a JSON object"))?;
        let tool_id = required_id(obj, "toolId")?;
        let conversation_id = optional_id(obj, "conversationId")?;
        let idempotency_key = optional_id(obj, "idempotencyKey")?;
        let form_data = match obj.remove("formData") {
            Some(Value::Object(map)) => map,
            None | Some(Value::Null) => return Err(FieldError::new("formData", "is required")),
            Some(_) => return Err(FieldError::new("formData", "must be an object of field values")),
        };
        let fields_completed = match obj.get("fieldsCompleted") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| FieldError::new("fieldsCompleted", "must be a list of field names"))?,
            None | Some(Value::Null) => return Err(FieldError::new("fieldsCompleted", "is required")),
            Some(_) => {
                return Err(FieldError::new(
                    "fieldsCompleted",
                    "must be a list of field names",
                ))
            }
        };
        Ok(SubmitIn {
            tool_id,
            conversation_id,
            form_data,
            fields_completed,
            impression_at: optional_timestamp(obj, "impressionAt")?,
            started_at: optional_timestamp(obj, "startedAt")?,
            idempotency_key,
            attribution: match obj.get("attribution") {
                None | Some(Value::Null) => None,
                Some(value) => Some(crate::lead::Attribution::from_json(value)?),
            },
            display_token: optional_id(obj, "displayToken")?,
            field_time_ms: obj.get("fieldTimeMs").filter(|v| !v.is_null()).cloned(),
        })
    }
}

fn required_id(obj: &Map<String, Value>, key: &str) -> Result<String, FieldError> {
    optional_id(obj, key)?.ok_or_else(|| FieldError::new(key, "is required"))
}

/// An optional id of a request body: absent, null and `""` are none.
pub fn optional_id(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_ID_LEN => Err(FieldError::new(
            key,
            format!("must be at most {MAX_ID_LEN} characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FieldError::new(key, "must be a string")),
    }
}

fn optional_timestamp(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(ms) if (0.0..9e15).contains(&ms) => Ok(Some(ms as i64)),
            _ => Err(FieldError::new(key, "must be a timestamp in milliseconds")),
        },
        Some(_) => Err(FieldError::new(key, "must be a timestamp in milliseconds")),
    }
}

/// Most JSON values (roughly: array items and object members) a request body may hold.
/// A form, a tool with all its fields and options, a handler's report: a few thousand at
/// most; a cap far above that still lets the fields' own checks name the field at fault.
/// Without a cap, 30 MB of `[0,0,0,…]` inside the submission limit parses into tens
/// of millions of values: seconds of CPU and hundreds of MB for one request.
pub const MAX_JSON_VALUES: usize = 200_000;

/// The request headers a widget endpoint's preflight allows: the ones the browser asked for
/// (`Access-Control-Request-Headers`), named back, when they read as a list of header
/// names; else the widget's own. Named rather than `*`, which a browser ignores for a call
/// sent with credentials.
pub fn cors_allowed_headers(requested: Option<&str>) -> String {
    const OWN: &str = "Content-Type, X-Leadform-Client-Token, X-Leadform-Conversation-Token";
    let Some(requested) = requested.map(str::trim).filter(|r| !r.is_empty()) else {
        return OWN.to_string();
    };
    let names: Vec<&str> = requested.split(',').map(str::trim).collect();
    let header_name = |n: &&str| {
        !n.is_empty()
            && n.len() <= 100
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if requested.len() > 2_000 || !names.iter().all(header_name) {
        return OWN.to_string();
    }
    names.join(", ")
}

/// Whether the JSON text `bytes` holds at most `max` values, counted on the raw bytes
/// before any parsing: each `[`, `{` and `,` outside strings starts a value. Not a JSON
/// check (the parser that follows is); only a cheap bound on what parsing would build.
pub fn json_values_within(bytes: &[u8], max: usize) -> bool {
    let mut count = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b',' => {
                count += 1;
                if count > max {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Writes every whole number that came as a float (`524288.0`, `1e3`) as the integer it is.
/// JSON has one number type, and JSON Schema's `integer` takes `1.0` (Python's `json`
/// writes floats that way), but serde's integers refuse a float: read after this, such a
/// body is read as its sender meant it. Floats with a fraction, and whole ones past what an
/// `i64` holds, stay floats. (Nesting is bounded by the parser's depth limit.)
pub fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^63, where every whole f64 is an i64.
            if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// The methods an OpenAPI document's `paths` lists for the concrete `path` (`/v1/tools/t1`
/// matches `/v1/tools/{toolId}`), upper case, in a fixed order: what a `405`'s
/// `Allow` says, so it never disagrees with the contract. Empty: no such path.
pub fn documented_methods(paths: &Map<String, Value>, path: &str) -> Vec<String> {
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let matches = |template: &str| {
        let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(part, segment)| {
                (part.starts_with('{') && part.ends_with('}') && !segment.is_empty()) || part == segment
            })
    };
    let mut methods = Vec::new();
    for item in paths
        .iter()
        .filter(|(template, _)| matches(template))
        .map(|(_, item)| item)
    {
        let Some(item) = item.as_object() else { continue };
        for method in METHODS.iter().filter(|m| item.contains_key(**m)) {
            let method = method.to_ascii_uppercase();
            if !methods.contains(&method) {
                methods.push(method);
            }
        }
    }
    methods
}

/// Where `given` (a request body) holds a list that `read` (what a typed reader made of it,
/// written back as JSON) holds as an object: serde fills a struct from a list by position,
/// so `"look": [null, null]` would pass for a look. The path, as serde_path_to_error
/// writes one (`fields[0].options`); `None`: every object was given as one.
pub fn list_read_as_object(given: &Value, read: &Value) -> Option<String> {
    fn walk(given: &Value, read: &Value, path: &str) -> Option<String> {
        match (given, read) {
            (Value::Array(_), Value::Object(_)) => Some(if path.is_empty() {
                "body".into()
            } else {
                path.into()
            }),
            (Value::Object(given), Value::Object(read)) => given.iter().find_map(|(key, value)| {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(value, read.get(key)?, &inner)
            }),
            (Value::Array(given), Value::Array(read)) => given
                .iter()
                .zip(read)
                .enumerate()
                .find_map(|(i, (value, read))| walk(value, read, &format!("{path}[{i}]"))),
            _ => None,
        }
    }
    walk(given, read, "")
}

/// Answer to a submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitOut {
    pub success: bool,
    pub submission_id: String,
    pub execution_mode: ExecutionMode,
    /// `null` when the mode has no webhook part.
    pub webhook_result: Option<WebhookResult>,
    pub post_action_results: Vec<PostActionResult>,
    /// The tool name a page's `registerFormHandler` must use, for `client` and `both`.
    pub client_handler: Option<String>,
    /// The lead this submission created or updated (beyond seed 002's shape), for the
    /// owner's own callers only ([`without_lead_id`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lead_id: Option<String>,
    /// For `client` and `both`: what the page's handler sends back with its report in
    /// `X-Leadform-Client-Token`, proving it saw this answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_token: Option<String>,
    /// For a widget that sent its display token: a fresh one for its next form. A token
    /// makes only a few submissions before the next is `token_reused` (spam), and a page
    /// that stays open (a single-page app, a kiosk) shows forms for as long as it stays.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub display_token: Option<String>,
}

/// A submit answer (`body`, as stored for replays) as its caller gets it: `leadId` only
/// when `shows_lead` (the owner's own callers: to anyone else it would tell whether an
/// email was a lead already), and a widget's fresh `display_token`. Any other body as it is.
pub fn answer_for(body: &str, shows_lead: bool, display_token: Option<String>) -> String {
    match serde_json::from_str::<SubmitOut>(body) {
        Ok(out) => serde_json::to_string(&SubmitOut {
            lead_id: out.lead_id.filter(|_| shows_lead),
            display_token,
            ..out
        })
        .unwrap_or_default(),
        Err(_) => body.to_string(),
    }
}

/// The outcome of the webhook's first attempt as far as it is known when the edge answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResult {
    pub success: bool,
    pub error: Option<String>,
    /// True while the delivery is still queued or waiting for a retry: `success` is then
    /// false only because it has not been confirmed yet.
    #[serde(default)]
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostActionResult {
    #[serde(rename = "type")]
    pub kind: String,
    pub success: bool,
    /// What the first attempt met, when it did not succeed.
    #[serde(default)]
    pub error: Option<String>,
    /// True while the action is still queued or waiting for a retry.
    #[serde(default)]
    pub pending: bool,
}

/// What the owner's webhook receives (seed 002, "Webhook Payload").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    pub submission_id: String,
    pub tool_id: String,
    pub tool_name: String,
    pub conversation_id: Option<String>,
    pub form_data: Map<String, Value>,
    /// ISO 8601 with milliseconds, UTC.
    pub submitted_at: String,
    /// How the visitor qualified in the chat (score, answers); only for forms that ask
    /// qualification questions, so seed 002's payload is unchanged for every other.
    #[cfg(feature = "server")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification: Option<crate::qualification::Outcome>,
}

/// `GET /widget/config?agentId=`: what the widget needs to chat and render forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetConfigOut {
    pub agent: AgentPublic,
    pub forms: Vec<FormPublic>,
    /// Signed by the edge for this widget load (see `spam::display_token`): the widget
    /// sends it with every event and submission, so analytics count only displays the edge
    /// issued and the edge knows when a form was shown.
    #[serde(default)]
    pub display_token: Option<String>,
    /// The visitor's language (`core::locale::pick`: the agent's setting, else the browser's
    /// `Accept-Language`) and the widget's texts in it: the widget links only English.
    pub locale: String,
    pub texts: crate::locale::Texts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPublic {
    pub id: String,
    pub name: String,
    pub greeting: String,
    #[serde(default)]
    pub quick_replies: Vec<String>,
    /// How the widget looks; absent: its defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<crate::look::WidgetLook>,
    /// The owner's language for the widget; absent: the visitor's browser language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The greeting by locale code (`greeting` is the fallback).
    #[serde(default, skip_serializing_if = "crate::locale::Texts::is_empty")]
    pub greetings: crate::locale::Texts,
}

/// A form tool as the widget sees it: no webhook URL, no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormPublic {
    pub tool_id: String,
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<FieldSpec>,
    pub success_message: String,
    #[serde(default)]
    pub dismiss_message: String,
    pub execution_mode: ExecutionMode,
    /// Words in a visitor's message that make the agent offer this form.
    #[serde(default)]
    pub triggers: Vec<String>,
}

/// The error body every failed call answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorOut {
    pub success: bool,
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_field`, `tool_not_found`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_floats_become_integers_and_nothing_else_changes() {
        let mut body: Value = serde_json::from_str(
            r#"{"overlapSecs": 524288.0, "since": 1.14821550657916e14, "n": [1.0, -0.0, 2.5, 1e300, 7, "8.0"], "o": {"x": -3.0}}"#,
        )
        .unwrap();
        super::whole_numbers_as_integers(&mut body);
        assert_eq!(body["overlapSecs"].as_i64(), Some(524288));
        assert_eq!(body["since"].as_i64(), Some(114821550657916));
        assert_eq!(body["n"][0].as_i64(), Some(1));
        assert_eq!(body["n"][1].as_i64(), Some(0));
        assert_eq!(body["n"][2].as_f64(), Some(2.5));
        assert!(body["n"][3].is_f64(), "past i64: stays a float");
        assert_eq!(body["n"][4].as_i64(), Some(7));
        assert_eq!(body["n"][5], "8.0", "strings are strings");
        assert_eq!(body["o"]["x"].as_i64(), Some(-3));
        #[derive(serde::Deserialize)]
        struct Rotate {
            #[serde(rename = "overlapSecs")]
            _overlap_secs: i64,
        }
        assert!(serde_json::from_value::<Rotate>(body).is_ok());
    }

    use super::*;
    use serde_json::json;

    fn seed_example() -> Value {
        json!({
            "toolId": "tool_contact_form",
            "formData": {"name": "Jane Smith", "email": "jane@example.com", "message": "I would like to schedule a demo"},
            "fieldsCompleted": ["name", "email", "message"],
            "impressionAt": 1703347200000u64,
            "startedAt": 1703347205000u64
        })
    }

    #[test]
    fn the_seed_example_reads() {
        let input = SubmitIn::from_json(seed_example()).unwrap();
        assert_eq!(input.tool_id, "tool_contact_form");
        assert_eq!(input.fields_completed.len(), 3);
        assert_eq!(input.impression_at, Some(1703347200000));
        assert_eq!(input.conversation_id, None);
    }

    #[test]
    fn each_bad_part_is_named() {
        type Mutation<'a> = &'a dyn Fn(&mut Map<String, Value>);
        let cases: [(Mutation, &str, &str); 6] = [
            (
                &|m| {
                    m.remove("toolId");
                },
                "toolId",
                "is required",
            ),
            (
                &|m| {
                    m.insert("toolId".into(), json!(5));
                },
                "toolId",
                "must be a string",
            ),
            (
                &|m| {
                    m.insert("formData".into(), json!("x"));
                },
                "formData",
                "must be an object of field values",
            ),
            (
                &|m| {
                    m.remove("fieldsCompleted");
                },
                "fieldsCompleted",
                "is required",
            ),
            (
                &|m| {
                    m.insert("fieldsCompleted".into(), json!([1]));
                },
                "fieldsCompleted",
                "must be a list of field names",
            ),
            (
                &|m| {
                    m.insert("startedAt".into(), json!("soon"));
                },
                "startedAt",
                "must be a timestamp in milliseconds",
            ),
        ];
        for (mutate, field, reason) in cases {
            let mut body = seed_example();
            mutate(body.as_object_mut().unwrap());
            let err = SubmitIn::from_json(body.clone()).unwrap_err();
            assert_eq!((err.field.as_str(), err.reason.as_str()), (field, reason));
        }
        assert_eq!(SubmitIn::from_json(json!([1])).unwrap_err().field, "body");
    }

    #[test]
    fn the_answer_has_the_seed_shape() {
        let out = SubmitOut {
            success: true,
            submission_id: "sub_1".into(),
            execution_mode: ExecutionMode::Webhook,
            webhook_result: Some(WebhookResult {
                success: true,
                error: None,
                pending: false,
            }),
            post_action_results: vec![],
            client_handler: None,
            lead_id: Some("lead_1".into()),
            client_token: None,
            display_token: None,
        };
        let value = serde_json::to_value(&out).unwrap();
        for key in [
            "success",
            "submissionId",
            "executionMode",
            "webhookResult",
            "postActionResults",
            "clientHandler",
            "leadId",
        ] {
            assert!(value.get(key).is_some(), "missing {key}");
        }
        assert_eq!(value["executionMode"], "webhook");
        assert_eq!(value["webhookResult"]["error"], Value::Null);

        // A visitor's answer: the same, in the same order, without the lead.
        let stored = serde_json::to_string(&out).unwrap();
        let public = answer_for(&stored, false, None);
        assert_eq!(public, stored.replace(r#","leadId":"lead_1""#, ""));
        assert!(!public.contains("leadId"));
        assert!(public.starts_with(r#"{"success":true,"submissionId":"sub_1","executionMode":"webhook""#));
        assert_eq!(answer_for("not json", false, None), "not json");
        assert_eq!(answer_for(&stored, true, None), stored, "the owner's: as stored");
        // A widget's: a fresh display token at the end, for its next form.
        let widget = answer_for(&stored, false, Some("2.ab.mac".into()));
        assert_eq!(
            widget,
            public.strip_suffix('}').unwrap().to_string() + r#","displayToken":"2.ab.mac"}"#
        );
    }

    #[test]
    fn json_values_are_counted_outside_strings_only() {
        assert!(json_values_within(br#"{"a":[1,2,3]}"#, 4));
        assert!(!json_values_within(br#"{"a":[1,2,3]}"#, 3));
        // Commas and brackets inside strings (escaped quotes too) are text, not values.
        let text = br#"{"a":"x,[{\",,,,]"}"#;
        assert!(json_values_within(text, 1));
        let bomb = format!("[{}0]", "0,".repeat(MAX_JSON_VALUES));
        assert!(!json_values_within(bomb.as_bytes(), MAX_JSON_VALUES));
        let file = format!(r#"{{"doc":"data:image/png;base64,{}"}}"#, "A".repeat(1_000_000));
        assert!(json_values_within(file.as_bytes(), 10));
    }

    #[test]
    fn documented_methods_match_templated_paths() {
        let paths: Map<String, Value> = serde_json::from_str(
            r#"{"/widget/config": {"get": {}}, "/v1/tools/{toolId}": {"get": {}, "patch": {}, "parameters": []},
                "/v1/tools/{toolId}/secret": {"get": {}}, "/": {"get": {}}}"#,
        )
        .unwrap();
        assert_eq!(documented_methods(&paths, "/widget/config"), ["GET"]);
        assert_eq!(documented_methods(&paths, "/v1/tools/t1"), ["GET", "PATCH"]);
        assert_eq!(documented_methods(&paths, "/v1/tools/t1/secret"), ["GET"]);
        assert_eq!(documented_methods(&paths, "/"), ["GET"]);
        assert!(documented_methods(&paths, "/v1/tools/").is_empty());
        assert!(documented_methods(&paths, "/v1/tools/t1/other").is_empty());
        assert!(documented_methods(&paths, "/nope").is_empty());
    }

    #[test]
    fn a_list_read_as_an_object_is_found_with_its_path() {
        let read = json!({"name": "A", "look": {"accent": null}, "fields": [{"name": "x", "options": []}]});
        let given = json!({"name": "A", "look": [null], "fields": [{"name": "x", "options": []}]});
        assert_eq!(list_read_as_object(&given, &read).as_deref(), Some("look"));
        let nested = json!({"name": "A", "look": {"accent": null}, "fields": [["x", []]]});
        assert_eq!(list_read_as_object(&nested, &read).as_deref(), Some("fields[0]"));
        assert_eq!(list_read_as_object(&json!(["A"]), &read).as_deref(), Some("body"));
        let fine = json!({"name": "A", "look": {"accent": null}, "fields": [{"name": "x", "options": []}]});
        assert_eq!(list_read_as_object(&fine, &read), None);
    }

    #[test]
    fn a_preflight_gets_the_headers_it_asked_for_named_back() {
        assert_eq!(
            cors_allowed_headers(None),
            "Content-Type, X-Leadform-Client-Token, X-Leadform-Conversation-Token"
        );
        assert_eq!(
            cors_allowed_headers(Some("")),
            "Content-Type, X-Leadform-Client-Token, X-Leadform-Conversation-Token"
        );
        assert_eq!(
            cors_allowed_headers(Some("content-type,traceparent, x-leadform-client-token")),
            "content-type, traceparent, x-leadform-client-token"
        );
        // Not a list of header names (a line break, a colon): only the widget's own.
        for odd in [
            "a\r\nSet-Cookie: x",
            "content-type:x",
            "a,,b",
            &"a,".repeat(1_100),
        ] {
            assert_eq!(
                cors_allowed_headers(Some(odd)),
                "Content-Type, X-Leadform-Client-Token, X-Leadform-Conversation-Token",
                "{odd:?}"
            );
        }
    }
}
