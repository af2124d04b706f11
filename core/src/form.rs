//! How an owner describes a form tool: its fields, messages and execution mode.

use serde::{Deserialize, Serialize};

/// What kind of input a field is; decides both how the widget renders it and how the edge
/// validates the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    #[default]
    Text,
    Email,
    Phone,
    Url,
    Number,
    Textarea,
    Select,
    Checkbox,
    File,
}

impl FieldKind {
    pub const ALL: [FieldKind; 9] = [
        FieldKind::Text,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Url,
        FieldKind::Number,
        FieldKind::Textarea,
        FieldKind::Select,
        FieldKind::Checkbox,
        FieldKind::File,
    ];

    /// The kind spelled as in JSON (`"email"`), without serde: the widget reads config
    /// through the browser's JSON and keeps serde out of its download.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Url => "url",
            FieldKind::Number => "number",
            FieldKind::Textarea => "textarea",
            FieldKind::Select => "select",
            FieldKind::Checkbox => "checkbox",
            FieldKind::File => "file",
        }
    }
}

/// One field of a form, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FieldSpec {
    /// The key in `formData`; also what `{{name}}` placeholders refer to.
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The label in other languages, by locale code (`{"de": "Name"}`); the widget shows
    /// the visitor's, else `label`.
    #[serde(default, skip_serializing_if = "crate::locale::Texts::is_empty")]
    pub labels: crate::locale::Texts,
    #[serde(default, rename = "type")]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Choices of a `select` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Which lead attribute this field fills, when its type and name do not say it (see
    /// `lead::attribute_of`); `custom` keeps it a custom field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_attribute: Option<crate::lead::Attribute>,
}

impl FieldSpec {
    /// The label shown to a visitor: the configured one, else the field name made readable.
    pub fn display_label(&self) -> String {
        match &self.label {
            Some(label) if !label.trim().is_empty() => label.clone(),
            _ => humanize(&self.name),
        }
    }
}

fn humanize(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        // ASCII only: Unicode case tables would add ~19 KB to the widget for field names
        // that are ASCII anyway.
        Some(first) => std::iter::once(first.to_ascii_uppercase()).chain(chars).collect(),
        None => String::new(),
    }
}

/// Where a submission goes once the edge has stored it (seed 002, "Execution Modes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionMode {
    /// The edge delivers it to the tool's webhook URL.
    #[default]
    Webhook,
    /// A JS handler registered on the page handles it.
    Client,
    /// Both of the above.
    Both,
    /// Neither: the edge stores the lead and runs the post-actions (seed 003's
    /// `collect_leads`, whose leads go to the owner's contacts).
    Store,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::Webhook => "webhook",
            ExecutionMode::Client => "client",
            ExecutionMode::Both => "both",
            ExecutionMode::Store => "store",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "webhook" => Some(ExecutionMode::Webhook),
            "client" => Some(ExecutionMode::Client),
            "both" => Some(ExecutionMode::Both),
            "store" => Some(ExecutionMode::Store),
            _ => None,
        }
    }

    pub fn uses_webhook(self) -> bool {
        matches!(self, ExecutionMode::Webhook | ExecutionMode::Both)
    }

    pub fn uses_client(self) -> bool {
        matches!(self, ExecutionMode::Client | ExecutionMode::Both)
    }
}

pub const DEFAULT_SUCCESS_MESSAGE: &str = "Thanks — we'll be in touch!";

/// The name of the hidden field the widget adds to every form (off-screen, `aria-hidden`,
/// out of the tab order, no autofill): a person never sees it, a bot filling every input
/// does. The edge takes it out of `formData` before validation and scores it (see
/// `spam`); an owner's tool may not use the name for a field of its own.
pub const HONEYPOT_FIELD: &str = "fax_number";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_spec_reads_the_owner_json_with_defaults() {
        let spec: FieldSpec =
            serde_json::from_str(r#"{"name":"work_email","type":"email","required":true}"#).unwrap();
        assert_eq!(spec.kind, FieldKind::Email);
        assert!(spec.required);
        assert_eq!(spec.display_label(), "Work email");
        let plain: FieldSpec = serde_json::from_str(r#"{"name":"notes"}"#).unwrap();
        assert_eq!(plain.kind, FieldKind::Text);
        assert!(!plain.required);
    }

    #[test]
    fn kinds_parse_as_serde_spells_them() {
        for kind in FieldKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(FieldKind::parse(json.trim_matches('"')), Some(kind));
        }
        assert_eq!(FieldKind::parse("colour"), None);
    }

    #[test]
    fn unknown_field_kind_is_rejected() {
        assert!(serde_json::from_str::<FieldSpec>(r#"{"name":"x","type":"colour"}"#).is_err());
    }

    #[test]
    fn execution_modes_round_trip_and_say_what_they_use() {
        for mode in [
            ExecutionMode::Webhook,
            ExecutionMode::Client,
            ExecutionMode::Both,
            ExecutionMode::Store,
        ] {
            assert_eq!(ExecutionMode::parse(mode.as_str()), Some(mode));
        }
        assert!(ExecutionMode::Both.uses_webhook() && ExecutionMode::Both.uses_client());
        assert!(!ExecutionMode::Client.uses_webhook());
        assert!(!ExecutionMode::Webhook.uses_client());
        assert!(!ExecutionMode::Store.uses_webhook() && !ExecutionMode::Store.uses_client());
        assert_eq!(ExecutionMode::parse("email"), None);
    }
}
