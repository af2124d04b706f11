//! Seed 003's `collect_leads` action as written (`{"kind": "collect_leads", "fields":
//! ["name", "email", "phone"], "success_message": ..., "dismiss_message": ...}`), read
//! into the body of an ordinary form: field names become typed fields, the seed's defaults
//! apply, and the form only stores its leads (execution mode `store`) unless it names a
//! webhook.

use crate::form::{FieldKind, FieldSpec};
use crate::validate::FieldError;
use serde_json::{json, Map, Value};

pub const KIND: &str = "collect_leads";

/// Seed 003's defaults.
pub const DEFAULT_FIELDS: [&str; 1] = ["email"];
pub const DEFAULT_NAME: &str = "collect_leads";
pub const DEFAULT_TITLE: &str = "Leave your details";

/// Whether a tool body is seed 003's action config.
pub fn is_collect_leads(body: &Value) -> bool {
    body.get("kind").and_then(Value::as_str) == Some(KIND)
}

/// The form body (`ToolIn`'s JSON) for a `collect_leads` config. Keys are taken in seed
/// 003's snake_case or the API's camelCase; anything else a form has (`rules`,
/// `postActions`, `webhookUrl`...) passes through.
pub fn to_tool_body(config: &Value) -> Result<Value, FieldError> {
    let Some(config) = config.as_object() else {
        return Err(FieldError::new("kind", "collect_leads needs a JSON object"));
    };
    let mut body = Map::new();
    for (key, value) in config {
        if key != "kind" {
            body.insert(camel_case(key), value.clone());
        }
    }
    // Seed 003: the action "typically runs in `auto` mode without a confirm step". Here it
    // always does (the form the visitor fills in is the confirmation), so `auto` is taken
    // as written and another mode is refused rather than ignored.
    match body.remove("mode") {
        None | Some(Value::Null) => {}
        Some(Value::String(mode)) if mode == "auto" => {}
        Some(_) => {
            return Err(FieldError::new(
                "mode",
                "must be \"auto\": collecting a lead runs without a confirm step (the form is it)",
            ))
        }
    }
    let fields = match body.remove("fields") {
        None | Some(Value::Null) => DEFAULT_FIELDS.iter().map(|n| json!(n)).collect(),
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) => {
            return Err(FieldError::new(
                "fields",
                "must list the fields to collect, e.g. [\"name\", \"email\", \"phone\"]",
            ))
        }
    };
    let mut specs = Vec::with_capacity(fields.len());
    for (i, item) in fields.iter().enumerate() {
        specs.push(match item {
            Value::String(name) => {
                field_named(name).map_err(|reason| FieldError::new(format!("fields[{i}]"), reason))?
            }
            // A full field description, as an ordinary form takes it.
            Value::Object(_) => serde_json::from_value(item.clone())
                .map_err(|e| FieldError::new(format!("fields[{i}]"), e.to_string()))?,
            _ => return Err(FieldError::new(format!("fields[{i}]"), "must be a field name")),
        });
    }
    require_a_way_back(&mut specs);
    body.insert("fields".into(), serde_json::to_value(specs).unwrap_or_default());
    body.entry("name").or_insert_with(|| json!(DEFAULT_NAME));
    body.entry("title").or_insert_with(|| json!(DEFAULT_TITLE));
    if !body.contains_key("executionMode") {
        let mode = if body.get("webhookUrl").is_some_and(|u| !u.is_null()) {
            "webhook"
        } else {
            "store"
        };
        body.insert("executionMode".into(), json!(mode));
    }
    // An empty dismiss message is the seed's "(empty)"; a missing success message takes the
    // form's default, which is the seed's.
    Ok(Value::Object(body))
}

/// The fields a form made on the dashboard starts with: seed 004's "start with just Name +
/// Email", the email required (a lead the owner cannot reach is no lead).
pub fn starter_fields() -> Vec<FieldSpec> {
    let mut specs: Vec<FieldSpec> = ["name", "email"]
        .iter()
        .filter_map(|n| field_named(n).ok())
        .collect();
    require_a_way_back(&mut specs);
    specs
}

/// The typed field for one of seed 003's field names.
fn field_named(name: &str) -> Result<FieldSpec, String> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err("must be a field name of 1-64 letters, digits, _ or -".into());
    }
    let (kind, label) = match name.to_ascii_lowercase().as_str() {
        "name" | "full_name" => (FieldKind::Text, "Name"),
        "first_name" => (FieldKind::Text, "First name"),
        "last_name" => (FieldKind::Text, "Last name"),
        "email" | "work_email" => (FieldKind::Email, "Email"),
        "phone" | "mobile" => (FieldKind::Phone, "Phone"),
        "company" => (FieldKind::Text, "Company"),
        "job_title" => (FieldKind::Text, "Job title"),
        "website" => (FieldKind::Url, "Website"),
        "message" | "notes" => (FieldKind::Textarea, "Message"),
        _ => (FieldKind::Text, ""),
    };
    Ok(FieldSpec {
        name: name.to_string(),
        label: (!label.is_empty()).then(|| label.to_string()),
        labels: Default::default(),
        kind,
        required: false,
        placeholder: None,
        options: Vec::new(),
        min_length: None,
        max_length: None,
        lead_attribute: None,
        ..FieldSpec::default()
    })
}

/// A lead the owner cannot reach is no lead: the email is required, else the phone, else
/// the first field. Fields given as full descriptions keep their own `required`.
fn require_a_way_back(specs: &mut [FieldSpec]) {
    if specs.iter().any(|f| f.required) {
        return;
    }
    let index = specs
        .iter()
        .position(|f| f.kind == FieldKind::Email)
        .or_else(|| specs.iter().position(|f| f.kind == FieldKind::Phone))
        .unwrap_or(0);
    if let Some(field) = specs.get_mut(index) {
        field.required = true;
    }
}

/// `success_message` -> `successMessage`.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owner::ToolIn;

    #[test]
    fn a_new_form_starts_with_name_and_a_required_email() {
        let fields = starter_fields();
        let shape: Vec<(&str, FieldKind, bool)> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.kind, f.required))
            .collect();
        assert_eq!(
            shape,
            [
                ("name", FieldKind::Text, false),
                ("email", FieldKind::Email, true)
            ]
        );
        assert_eq!(fields[0].label.as_deref(), Some("Name"));
    }

    #[test]
    fn the_seed_example_becomes_a_store_only_form_with_typed_fields() {
        let seed = json!({
          "kind": "collect_leads",
          "fields": ["name", "email", "phone"],
          "success_message": "Thanks! Our team will email you within one business day.",
          "dismiss_message": "No problem — ask me anything else in the meantime."
        });
        assert!(is_collect_leads(&seed));
        // Its "auto" mode, as the seed says it runs, is taken; a confirm step is not offered.
        let mut auto = seed.clone();
        auto["mode"] = json!("auto");
        assert_eq!(to_tool_body(&auto).unwrap(), to_tool_body(&seed).unwrap());
        auto["mode"] = json!("confirm");
        assert_eq!(to_tool_body(&auto).unwrap_err().field, "mode");
        let tool: ToolIn = serde_json::from_value(to_tool_body(&seed).unwrap()).unwrap();
        assert!(tool.check(false).is_ok());
        assert_eq!(tool.name, "collect_leads");
        assert_eq!(tool.execution_mode, crate::form::ExecutionMode::Store);
        let kinds: Vec<(FieldKind, bool)> = tool.fields.iter().map(|f| (f.kind, f.required)).collect();
        assert_eq!(
            kinds,
            [
                (FieldKind::Text, false),
                (FieldKind::Email, true),
                (FieldKind::Phone, false)
            ]
        );
        assert_eq!(
            tool.success_message(),
            "Thanks! Our team will email you within one business day."
        );
        assert_eq!(
            tool.dismiss_message,
            "No problem — ask me anything else in the meantime."
        );
    }

    #[test]
    fn the_seed_defaults_apply() {
        let tool: ToolIn =
            serde_json::from_value(to_tool_body(&json!({"kind": "collect_leads"})).unwrap()).unwrap();
        assert_eq!(tool.fields.len(), 1);
        assert_eq!(
            (tool.fields[0].name.as_str(), tool.fields[0].kind),
            ("email", FieldKind::Email)
        );
        assert!(tool.fields[0].required);
        assert_eq!(tool.success_message(), crate::form::DEFAULT_SUCCESS_MESSAGE);
        assert_eq!(tool.dismiss_message, "");
        let phone_only: ToolIn = serde_json::from_value(
            to_tool_body(&json!({"kind": "collect_leads", "fields": ["name", "phone"]})).unwrap(),
        )
        .unwrap();
        assert!(
            phone_only.fields[1].required,
            "without an email, the phone is the way back"
        );
    }

    #[test]
    fn bad_configs_name_the_field() {
        let err =
            to_tool_body(&json!({"kind": "collect_leads", "fields": ["email", "my field!"]})).unwrap_err();
        assert_eq!(err.field, "fields[1]");
        let err = to_tool_body(&json!({"kind": "collect_leads", "fields": "email"})).unwrap_err();
        assert_eq!(err.field, "fields");
        let err = to_tool_body(&json!({"kind": "collect_leads", "fields": []})).unwrap_err();
        assert_eq!(err.field, "fields");
        // A key no form has is refused by the form's own parsing, by name.
        let body = to_tool_body(&json!({"kind": "collect_leads", "colour": "red"})).unwrap();
        assert!(serde_json::from_value::<ToolIn>(body)
            .unwrap_err()
            .to_string()
            .contains("colour"));
    }

    #[test]
    fn a_webhook_url_makes_it_a_webhook_form() {
        let body = to_tool_body(&json!({"kind": "collect_leads", "webhook_url": "https://crm.example/hook"}))
            .unwrap();
        assert_eq!(body["executionMode"], "webhook");
        assert_eq!(body["webhookUrl"], "https://crm.example/hook");
    }
}
