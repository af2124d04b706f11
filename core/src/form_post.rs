//! The dashboard's settings forms as the owner API's JSON bodies. A page posts flat
//! `name=value` pairs whose names are the API's field paths (`fields[1].label`), so the
//! API's own checks run on the result and an error's `field` names the input at fault.

use crate::form::FieldSpec;
use crate::validate::FieldError;
use serde_json::{json, Map, Value};

/// The pairs of a posted form, read by name.
pub struct Posted<'a>(pub &'a [(String, String)]);

impl Posted<'_> {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
    }

    /// A text value, `null` when empty (the API's "not set").
    fn optional(&self, name: &str) -> Value {
        match self.text(name) {
            Some(v) if !v.is_empty() => Value::String(v.to_string()),
            _ => Value::Null,
        }
    }

    fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }

    /// Every value under `name`, for checkboxes sharing a name.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// One item per line, blanks dropped: for items that may hold commas (options, quick
/// replies, reasons, origins).
pub fn lines(text: &str) -> Vec<String> {
    split(text, '\n')
}

/// Comma-separated words, blanks dropped: trigger words, retry delays.
pub fn words(text: &str) -> Vec<String> {
    split(text, ',')
}

fn split(text: &str, separator: char) -> Vec<String> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// An agent's settings form: the PATCH body.
pub fn agent_changes(posted: &Posted) -> Value {
    let lost = lines(posted.text("lostReasons").unwrap_or(""));
    let look: serde_json::Map<String, Value> = ["brandColor", "position", "launcherLabel"]
        .into_iter()
        .filter_map(|key| {
            let value = posted.text(&format!("look.{key}"))?.trim();
            (!value.is_empty()).then(|| (key.to_string(), json!(value)))
        })
        .collect();
    json!({
        // All empty: the widget's defaults.
        "look": if look.is_empty() { Value::Null } else { Value::Object(look) },
        "name": posted.text("name").unwrap_or(""),
        "greeting": posted.text("greeting").unwrap_or(""),
        "quickReplies": lines(posted.text("quickReplies").unwrap_or("")),
        "allowedOrigins": lines(posted.text("allowedOrigins").unwrap_or("")),
        // Empty: back to the default reasons.
        "lostReasons": if lost.is_empty() { Value::Null } else { json!(lost) },
    })
}

/// Rows the fields editor shows: the form's fields, then this many blank ones to add.
pub const BLANK_FIELD_ROWS: usize = 2;

/// A form's settings page: the body for `POST /v1/agents/{id}/tools` (a new form) or the
/// PATCH of an existing one. Field rows are `fields[i].*`; a row without a name is left out
/// (the blank rows), one with `fields[i].remove` is dropped, and `fields[i].position` orders
/// them. Settings the editor does not show (lengths, placeholder, lead attribute, a link's text) are kept
/// from the field the row was (`fields[i].was`). Post-actions are edited as JSON.
///
/// Also returns, for each field of the body, the editor row it came from, so that an error
/// the API reports at `fields[k]` can be shown at its row ([`row_path`]).
pub fn tool_body(posted: &Posted, existing: &[FieldSpec]) -> Result<(Value, Vec<usize>), FieldError> {
    let mut rows: Vec<(f64, usize, Value)> = Vec::new();
    for i in 0..posted_rows(posted) {
        let at = |prop: &str| format!("fields[{i}].{prop}");
        let name = posted.text(&at("name")).unwrap_or("");
        if name.is_empty() || posted.checked(&at("remove")) {
            continue;
        }
        let was = posted.text(&at("was")).unwrap_or("");
        let mut field = existing
            .iter()
            .find(|f| !was.is_empty() && f.name == was)
            .and_then(|f| serde_json::to_value(f).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        field.insert("name".into(), json!(name));
        field.insert("label".into(), posted.optional(&at("label")));
        field.insert("type".into(), json!(posted.text(&at("type")).unwrap_or("text")));
        field.insert("required".into(), json!(posted.checked(&at("required"))));
        // Where the page has the inputs: blank takes the setting away. One input holds a
        // consent's link or a hidden field's source, whichever the type uses.
        if let Some(step) = posted.text(&at("step")) {
            put_or_remove(&mut field, "step", step);
        }
        if let Some(detail) = posted.text(&at("detail")) {
            // A setting the row's type does not use goes (a field changed from hidden to
            // text keeps no source the check would refuse).
            let uses = match posted.text(&at("type")).unwrap_or("text") {
                "hidden" => Some("from"),
                "consent" | "checkbox" => Some("link"),
                _ => None,
            };
            for key in ["from", "link"] {
                if uses == Some(key) {
                    put_or_remove(&mut field, key, detail);
                } else {
                    field.remove(key);
                }
            }
            if uses != Some("link") {
                field.remove("linkText");
            }
        }
        let options = lines(posted.text(&at("options")).unwrap_or(""));
        if options.is_empty() {
            field.remove("options");
        } else {
            field.insert("options".into(), json!(options));
        }
        let position = match posted.text(&at("position")) {
            None | Some("") => i as f64 + 1.0,
            Some(p) => p
                .parse::<f64>()
                .ok()
                .filter(|p| p.is_finite())
                .ok_or_else(|| FieldError::new(at("position"), "must be a number"))?,
        };
        rows.push((position, i, Value::Object(field)));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let post_actions = match posted.text("postActions") {
        None | Some("") => json!([]),
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| FieldError::new("postActions", format!("is not valid JSON: {e}")))?,
    };
    // Only when the page posted the box: empty takes the questions away.
    let qualification = match posted.text("qualification") {
        None => None,
        Some(text) if text.trim().is_empty() => Some(Value::Null),
        Some(text) => Some(
            serde_json::from_str::<Value>(text)
                .map_err(|e| FieldError::new("qualification", format!("is not valid JSON: {e}")))?,
        ),
    };
    let retry_schedule = match posted.text("retrySchedule") {
        None | Some("") => Value::Null,
        Some(text) => {
            let delays: Result<Vec<u32>, _> = words(text).iter().map(|d| d.parse::<u32>()).collect();
            json!(delays.map_err(|_| FieldError::new(
                "retrySchedule",
                "must be delays in whole seconds, separated by commas (0,60,300)"
            ))?)
        }
    };
    let rows_of: Vec<usize> = rows.iter().map(|r| r.1).collect();
    let mut body = Map::new();
    body.insert("name".into(), json!(posted.text("name").unwrap_or("")));
    body.insert("title".into(), posted.optional("title"));
    body.insert(
        "description".into(),
        json!(posted.text("description").unwrap_or("")),
    );
    body.insert(
        "fields".into(),
        Value::Array(rows.into_iter().map(|r| r.2).collect()),
    );
    body.insert(
        "triggers".into(),
        json!(words(posted.text("triggers").unwrap_or(""))),
    );
    body.insert("successMessage".into(), posted.optional("successMessage"));
    body.insert(
        "dismissMessage".into(),
        json!(posted.text("dismissMessage").unwrap_or("")),
    );
    body.insert(
        "executionMode".into(),
        json!(posted.text("executionMode").unwrap_or("webhook")),
    );
    body.insert("webhookUrl".into(), posted.optional("webhookUrl"));
    body.insert("postActions".into(), post_actions);
    if let Some(qualification) = qualification {
        body.insert("qualification".into(), qualification);
    }
    body.insert("retrySchedule".into(), retry_schedule);
    body.insert(
        "requireClientToken".into(),
        json!(posted.checked("requireClientToken")),
    );
    body.insert("enabled".into(), json!(posted.checked("enabled")));
    Ok((Value::Object(body), rows_of))
}

fn put_or_remove(field: &mut Map<String, Value>, key: &str, text: &str) {
    match text.trim() {
        "" => field.remove(key),
        text => field.insert(key.into(), json!(text)),
    };
}

/// An API error path in the body's terms (`fields[0].options`) in the editor's
/// (`fields[3].options`), given [`tool_body`]'s rows.
pub fn row_path(path: &str, rows: &[usize]) -> String {
    let Some(rest) = path.strip_prefix("fields[") else {
        return path.to_string();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return path.to_string();
    };
    match index.parse::<usize>().ok().and_then(|k| rows.get(k)) {
        Some(row) => format!("fields[{row}]{tail}"),
        None => path.to_string(),
    }
}

/// How many field rows a post holds (the highest `fields[i]` plus one), at most 100.
fn posted_rows(posted: &Posted) -> usize {
    posted
        .0
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix("fields[")?
                .split(']')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .filter(|i| *i < 100)
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
}

/// The new-key form: the body for `POST /v1/keys`.
pub fn key_body(posted: &Posted) -> Value {
    let agents = posted.all("agents");
    json!({
        "name": posted.text("name").unwrap_or(""),
        "scopes": posted.all("scopes"),
        "agents": if agents.is_empty() { Value::Null } else { json!(agents) },
    })
}

/// The new lead-events endpoint form: the body for `POST /v1/agents/{id}/lead-webhooks`.
pub fn lead_webhook_body(posted: &Posted) -> Value {
    let events = posted.all("events");
    json!({
        "url": posted.text("url").unwrap_or(""),
        "events": if events.is_empty() { Value::Null } else { json!(events) },
    })
}

/// The integrations the Integrations page connects, as post-actions name their kinds.
pub const INTEGRATION_KINDS: [&str; 5] = ["slack", "email", "google_sheets", "mailchimp", "webhook"];

/// An Integrations page's "Connect" form of `kind` (one of [`INTEGRATION_KINDS`]): the
/// post-action it adds to the form's `postActions`, for the API's checks to run on. What an
/// owner pastes is taken as they have it: a Google Sheets address gives its spreadsheet id,
/// addresses may be separated by commas, semicolons or lines, and a header is a
/// `Name: value` line.
pub fn post_action_body(kind: &str, posted: &Posted) -> Result<Value, FieldError> {
    let text = |name: &str| posted.text(name).unwrap_or("").to_string();
    let mut action = match kind {
        "slack" => json!({
            "webhookUrl": text("webhookUrl"),
            "messageTemplate": posted.optional("messageTemplate"),
        }),
        "email" => json!({
            "recipients": text("recipients")
                .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>(),
            "recipientIds": posted.all("recipientIds"),
            "subject": posted.optional("subject"),
        }),
        "google_sheets" => json!({
            "spreadsheetId": spreadsheet_id(&text("spreadsheetId")),
            "sheet": posted.optional("sheet"),
        }),
        "mailchimp" => json!({
            "audienceId": text("audienceId"),
            "doubleOptIn": posted.checked("doubleOptIn"),
        }),
        "webhook" => json!({
            "url": text("url"),
            "headers": header_lines(&text("headers"))?,
        }),
        _ => {
            return Err(FieldError::new(
                "type",
                "is not an integration this page connects",
            ))
        }
    };
    action["type"] = json!(kind);
    action["enabled"] = json!(posted.checked("enabled"));
    Ok(action)
}

/// A spreadsheet's id, from its id or from its address as the browser shows it
/// (`https://docs.google.com/spreadsheets/d/<id>/edit#gid=0`).
fn spreadsheet_id(pasted: &str) -> String {
    match pasted.split_once("/spreadsheets/d/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or("").to_string(),
        None => pasted.to_string(),
    }
}

/// `Name: value` lines as a header map; a line without a colon, or a name given twice, is
/// refused at `headers` with its line number.
fn header_lines(text: &str) -> Result<Map<String, Value>, FieldError> {
    let mut headers = Map::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(FieldError::new(
                "headers",
                format!("line {}: write a header as Name: value", i + 1),
            ));
        };
        let name = name.trim();
        if headers.keys().any(|k| k.eq_ignore_ascii_case(name)) {
            return Err(FieldError::new(
                "headers",
                format!("line {}: {name} is given twice", i + 1),
            ));
        }
        headers.insert(name.to_string(), json!(value.trim()));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_connect_form_is_the_post_action_as_the_api_takes_it() {
        let slack = pairs(&[
            ("webhookUrl", " https://hooks.slack.com/services/T/B/x "),
            ("messageTemplate", ""),
            ("enabled", "on"),
        ]);
        assert_eq!(
            post_action_body("slack", &Posted(&slack)).unwrap(),
            json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T/B/x", "messageTemplate": null, "enabled": true})
        );
        let email = pairs(&[
            ("recipients", "a@example.com, b@example.com;\nc@example.com"),
            ("recipientIds", "mem_1"),
            ("recipientIds", "mem_2"),
            ("subject", "New lead"),
        ]);
        assert_eq!(
            post_action_body("email", &Posted(&email)).unwrap(),
            json!({"type": "email", "recipients": ["a@example.com", "b@example.com", "c@example.com"],
                   "recipientIds": ["mem_1", "mem_2"], "subject": "New lead", "enabled": false}),
            "unticked: connected paused"
        );
        let sheet = pairs(&[
            (
                "spreadsheetId",
                "https://docs.google.com/spreadsheets/d/1AbC-d_9/edit#gid=0",
            ),
            ("sheet", "Leads"),
        ]);
        assert_eq!(
            post_action_body("google_sheets", &Posted(&sheet)).unwrap()["spreadsheetId"],
            "1AbC-d_9"
        );
        let sheet = pairs(&[("spreadsheetId", "1AbC-d_9")]);
        assert_eq!(
            post_action_body("google_sheets", &Posted(&sheet)).unwrap()["spreadsheetId"],
            "1AbC-d_9"
        );
        let audience = pairs(&[("audienceId", "a1b2"), ("doubleOptIn", "on")]);
        assert_eq!(
            post_action_body("mailchimp", &Posted(&audience)).unwrap(),
            json!({"type": "mailchimp", "audienceId": "a1b2", "doubleOptIn": true, "enabled": false})
        );
        let hook = pairs(&[
            ("url", "https://crm.example/in"),
            ("headers", "Authorization: Bearer a:b\n\nX-Team:  sales "),
        ]);
        assert_eq!(
            post_action_body("webhook", &Posted(&hook)).unwrap()["headers"],
            json!({"Authorization": "Bearer a:b", "X-Team": "sales"})
        );
        for (headers, reason) in [
            ("Authorization Bearer x", "line 1: write a header as Name: value"),
            ("X-A: 1\nx-a: 2", "line 2: x-a is given twice"),
        ] {
            let hook = pairs(&[("url", "https://crm.example/in"), ("headers", headers)]);
            let err = post_action_body("webhook", &Posted(&hook)).unwrap_err();
            assert_eq!((err.field.as_str(), err.reason.as_str()), ("headers", reason));
        }
        assert_eq!(post_action_body("fax", &Posted(&[])).unwrap_err().field, "type");
        // Every kind the page offers is one the API knows.
        for kind in INTEGRATION_KINDS {
            let body = post_action_body(kind, &Posted(&[])).unwrap();
            assert_eq!(
                serde_json::from_value::<crate::post_actions::PostAction>(body)
                    .map(|a| a.kind().to_string())
                    .ok()
                    .as_deref(),
                Some(kind)
            );
        }
    }

    #[test]
    fn lines_keep_their_commas_and_words_split_on_them() {
        assert_eq!(words("a, b ,,c"), vec!["a", "b", "c"]);
        assert_eq!(
            lines("Yes, definitely\nBook a demo\n\n"),
            vec!["Yes, definitely", "Book a demo"]
        );
        assert_eq!(
            lines("Yes, please"),
            vec!["Yes, please"],
            "one item with a comma stays one"
        );
        assert!(lines("  ").is_empty());
    }

    #[test]
    fn an_agent_form_becomes_its_patch() {
        let posted = pairs(&[
            ("name", " Acme "),
            ("greeting", "Hi!"),
            ("quickReplies", "Talk to sales\nPricing, plans"),
            ("allowedOrigins", "https://a.example\nhttps://b.example"),
            ("lostReasons", ""),
        ]);
        let body = agent_changes(&Posted(&posted));
        assert_eq!(body["name"], "Acme");
        assert_eq!(body["quickReplies"], json!(["Talk to sales", "Pricing, plans"]));
        assert_eq!(
            body["allowedOrigins"],
            json!(["https://a.example", "https://b.example"])
        );
        assert_eq!(body["lostReasons"], Value::Null);
    }

    #[test]
    fn field_rows_are_ordered_kept_added_and_removed() {
        let existing: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "email", "type": "email", "required": true, "maxLength": 120, "placeholder": "you@x.com"},
            {"name": "phone", "type": "phone"}
        ]))
        .unwrap();
        let posted = pairs(&[
            ("name", "contact"),
            ("fields[0].was", "email"),
            ("fields[0].name", "work_email"),
            ("fields[0].type", "email"),
            ("fields[0].required", "on"),
            ("fields[0].position", "2"),
            ("fields[1].was", "phone"),
            ("fields[1].name", "phone"),
            ("fields[1].type", "phone"),
            ("fields[1].remove", "on"),
            ("fields[2].name", "plan"),
            ("fields[2].label", "Plan"),
            ("fields[2].type", "select"),
            ("fields[2].options", "Free\nPro, yearly"),
            ("fields[2].position", "1"),
            ("fields[3].name", ""),
            ("triggers", "demo, pricing"),
            ("retrySchedule", "0, 60"),
            ("executionMode", "both"),
        ]);
        let (body, rows) = tool_body(&Posted(&posted), &existing).unwrap();
        assert_eq!(rows, vec![2, 0], "the body's fields come from rows 2 and 0");
        assert_eq!(row_path("fields[1].maxLength", &rows), "fields[0].maxLength");
        assert_eq!(row_path("fields[0]", &rows), "fields[2]");
        assert_eq!(row_path("fields[7].name", &rows), "fields[7].name");
        assert_eq!(row_path("webhookUrl", &rows), "webhookUrl");
        let fields = body["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 2, "{fields:?}");
        assert_eq!(fields[0]["name"], "plan");
        assert_eq!(fields[0]["options"], json!(["Free", "Pro, yearly"]));
        assert_eq!(fields[1]["name"], "work_email");
        assert_eq!(
            fields[1]["maxLength"], 120,
            "settings the editor does not show are kept"
        );
        assert_eq!(fields[1]["placeholder"], "you@x.com");
        assert_eq!(fields[1]["required"], true);
        assert_eq!(body["triggers"], json!(["demo", "pricing"]));
        assert_eq!(body["retrySchedule"], json!([0, 60]));
        assert_eq!(body["executionMode"], "both");
        assert_eq!(body["requireClientToken"], false);
        assert_eq!(body["enabled"], false, "an unticked box pauses the form");
        assert_eq!(body["postActions"], json!([]));
        assert_eq!(body["webhookUrl"], Value::Null);
    }

    #[test]
    fn a_row_s_step_and_link_or_source_go_where_its_type_uses_them() {
        let existing: Vec<FieldSpec> = serde_json::from_value(json!([
            {"name": "ok", "type": "consent", "link": "https://old.example/p", "linkText": "Policy", "step": "You"}
        ]))
        .unwrap();
        let posted = pairs(&[
            ("fields[0].was", "ok"),
            ("fields[0].name", "ok"),
            ("fields[0].type", "consent"),
            ("fields[0].step", " "),
            ("fields[0].detail", "https://new.example/privacy"),
            ("fields[1].name", "campaign"),
            ("fields[1].type", "hidden"),
            ("fields[1].step", "More"),
            ("fields[1].detail", "utm_campaign"),
        ]);
        let (body, _) = tool_body(&Posted(&posted), &existing).unwrap();
        let fields = body["fields"].as_array().unwrap();
        assert_eq!(fields[0]["link"], "https://new.example/privacy");
        assert_eq!(
            fields[0]["linkText"], "Policy",
            "kept: the editor does not show it"
        );
        assert_eq!(fields[0].get("step"), None, "blank takes the step away");
        assert_eq!(fields[1]["from"], "utm_campaign");
        assert_eq!(fields[1].get("link"), None);
        assert_eq!(fields[1]["step"], "More");
        // The consent row made a text field: its link and link text go with the type.
        let mut changed = posted.clone();
        changed[2].1 = "text".to_string();
        let (body, _) = tool_body(&Posted(&changed), &existing).unwrap();
        let field = &body["fields"][0];
        assert_eq!(
            (field.get("link"), field.get("linkText")),
            (None, None),
            "{field}"
        );
    }

    #[test]
    fn bad_numbers_and_json_name_their_input() {
        let bad_position = pairs(&[("fields[0].name", "a"), ("fields[0].position", "first")]);
        assert_eq!(
            tool_body(&Posted(&bad_position), &[]).unwrap_err().field,
            "fields[0].position"
        );
        let bad_schedule = pairs(&[("retrySchedule", "0, 1m")]);
        assert_eq!(
            tool_body(&Posted(&bad_schedule), &[]).unwrap_err().field,
            "retrySchedule"
        );
        let bad_questions = pairs(&[("qualification", "{\"questions\": [")]);
        assert_eq!(
            tool_body(&Posted(&bad_questions), &[]).unwrap_err().field,
            "qualification"
        );
        let cleared = pairs(&[("qualification", "  ")]);
        assert_eq!(
            tool_body(&Posted(&cleared), &[]).unwrap().0["qualification"],
            Value::Null
        );
        assert!(
            tool_body(&Posted(&pairs(&[])), &[])
                .unwrap()
                .0
                .get("qualification")
                .is_none(),
            "not posted: kept as it is"
        );
        let bad_json = pairs(&[("postActions", "[{")]);
        assert_eq!(
            tool_body(&Posted(&bad_json), &[]).unwrap_err().field,
            "postActions"
        );
        // A huge row index is ignored, not allocated.
        let far = pairs(&[("fields[99999999].name", "x")]);
        assert_eq!(tool_body(&Posted(&far), &[]).unwrap().0["fields"], json!([]));
    }

    #[test]
    fn key_and_endpoint_forms_collect_their_checkboxes() {
        let key = pairs(&[
            ("name", "CRM"),
            ("scopes", "leads:read"),
            ("scopes", "leads:write"),
        ]);
        assert_eq!(
            key_body(&Posted(&key)),
            json!({"name": "CRM", "scopes": ["leads:read", "leads:write"], "agents": null})
        );
        let endpoint = pairs(&[("url", "https://x.example/h")]);
        assert_eq!(
            lead_webhook_body(&Posted(&endpoint)),
            json!({"url": "https://x.example/h", "events": null})
        );
    }
}
