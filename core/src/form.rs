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
    /// A calendar date, sent as `YYYY-MM-DD`.
    Date,
    /// Any number of `options`, sent as a list of them.
    Multiselect,
    /// Not shown: filled from the page (`from`) or the host page's `leadform.identify`.
    Hidden,
    /// A checkbox with a `link` to the terms it agrees to (a privacy policy).
    Consent,
}

impl FieldKind {
    pub const ALL: [FieldKind; 13] = [
        FieldKind::Text,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Url,
        FieldKind::Number,
        FieldKind::Textarea,
        FieldKind::Select,
        FieldKind::Checkbox,
        FieldKind::File,
        FieldKind::Date,
        FieldKind::Multiselect,
        FieldKind::Hidden,
        FieldKind::Consent,
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
            FieldKind::Date => "date",
            FieldKind::Multiselect => "multiselect",
            FieldKind::Hidden => "hidden",
            FieldKind::Consent => "consent",
        }
    }

    /// Whether the value is `true`/`false` (an unticked box is an empty answer).
    pub fn is_box(self) -> bool {
        matches!(self, FieldKind::Checkbox | FieldKind::Consent)
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
    /// A line under the field saying why it is asked (seed 000's "explain why you need
    /// each field"); the widget ties it to the input for screen readers, a channel says it
    /// after the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// `help` in other languages, by locale code, as `labels`.
    #[serde(default, skip_serializing_if = "crate::locale::Texts::is_empty")]
    pub helps: crate::locale::Texts,
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
    /// The title of the step this field is shown in (multi-step forms). Fields of one step
    /// are next to each other; a field without one stays in the step above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// A `consent` or `checkbox` field's link (the policy agreed to), with its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_text: Option<String>,
    /// Where a `hidden` field's value comes from ([`Source`]); `leadform.identify` fills it
    /// by name either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl FieldSpec {
    /// The title of the step this field starts or is in, if it names one.
    pub fn step_title(&self) -> Option<&str> {
        self.step.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The label shown to a visitor: the configured one, else the field name made readable.
    pub fn display_label(&self) -> String {
        match &self.label {
            Some(label) if !label.trim().is_empty() => label.clone(),
            _ => humanize(&self.name),
        }
    }

    /// The label in the language `code` (`de`): the owner's translation, else
    /// [`Self::display_label`].
    pub fn label_in(&self, code: &str) -> String {
        match crate::locale::own_text(&self.labels, code) {
            Some(own) => own.to_string(),
            None => self.display_label(),
        }
    }

    /// Why the field is asked, in the language `code`: the owner's translation, else
    /// `help`; `None` when there is nothing to say.
    pub fn help_in(&self, code: &str) -> Option<&str> {
        crate::locale::own_text(&self.helps, code)
            .or(self.help.as_deref())
            .filter(|h| !h.trim().is_empty())
    }
}

/// Where a hidden field is filled from on the visitor's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The page's address (without its `#fragment`).
    PageUrl,
    PageTitle,
    Referrer,
    /// A query parameter of the page's address: `query:gclid`, or `utm_campaign` for short.
    Query(String),
}

impl Source {
    pub fn parse(text: &str) -> Option<Self> {
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match text {
            "page_url" => Some(Source::PageUrl),
            "page_title" => Some(Source::PageTitle),
            "referrer" => Some(Source::Referrer),
            _ => match text.strip_prefix("query:") {
                Some(name) if name_ok(name) => Some(Source::Query(name.to_string())),
                None if text.starts_with("utm_") && name_ok(text) => Some(Source::Query(text.to_string())),
                _ => None,
            },
        }
    }
}

/// Where each step of a form starts: indices into `fields` (always `[0]` for a form of one
/// step). A field whose `step` differs from the step it follows starts a new one.
pub fn step_starts(fields: &[FieldSpec]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut current: Option<&str> = None;
    for (i, field) in fields.iter().enumerate() {
        if let Some(step) = field.step_title() {
            if current.is_some_and(|c| c != step) || (current.is_none() && i > 0) {
                starts.push(i);
            }
            current = Some(step);
        }
    }
    starts
}

/// A multiselect's answer as one line ("Sales, Support"); anything but text as its JSON.
pub fn list_text(items: &[serde_json::Value]) -> String {
    items
        .iter()
        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
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

    /// The mode a quarantined submission is released in: the tool's mode `now` (what its
    /// deliveries are planned on), without a client part when the mode it was sent in
    /// (`sent_in`) had none: no page got a handler for it, and none will report.
    pub fn released(now: Self, sent_in: Self) -> Self {
        match now {
            ExecutionMode::Client if !sent_in.uses_client() => ExecutionMode::Store,
            ExecutionMode::Both if !sent_in.uses_client() => ExecutionMode::Webhook,
            mode => mode,
        }
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
    fn a_release_adds_no_client_part_the_page_never_had() {
        use ExecutionMode::*;
        assert_eq!(ExecutionMode::released(Client, Webhook), Store);
        assert_eq!(ExecutionMode::released(Both, Store), Webhook);
        assert_eq!(ExecutionMode::released(Both, Client), Both);
        assert_eq!(ExecutionMode::released(Webhook, Client), Webhook);
        assert_eq!(ExecutionMode::released(Client, Both), Client);
    }

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

    fn in_step(name: &str, step: Option<&str>) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            step: step.map(Into::into),
            ..FieldSpec::default()
        }
    }

    #[test]
    fn steps_start_where_the_step_title_changes() {
        let plain = [in_step("a", None), in_step("b", None)];
        assert_eq!(step_starts(&plain), vec![0]);
        let two = [
            in_step("name", Some("You")),
            in_step("email", None),
            in_step("budget", Some("Project")),
            in_step("notes", Some("Project")),
        ];
        assert_eq!(
            step_starts(&two),
            vec![0, 2],
            "a field without a step stays in the one above"
        );
        let untitled_first = [in_step("a", None), in_step("b", Some("More"))];
        assert_eq!(step_starts(&untitled_first), vec![0, 1]);
        let back = [
            in_step("a", Some("A")),
            in_step("b", Some("B")),
            in_step("c", Some("A")),
        ];
        assert_eq!(
            step_starts(&back),
            vec![0, 1, 2],
            "a repeated title is a new step (the owner check refuses it)"
        );
    }

    #[test]
    fn hidden_sources_parse() {
        assert_eq!(Source::parse("page_url"), Some(Source::PageUrl));
        assert_eq!(Source::parse("referrer"), Some(Source::Referrer));
        assert_eq!(Source::parse("query:gclid"), Some(Source::Query("gclid".into())));
        assert_eq!(
            Source::parse("utm_campaign"),
            Some(Source::Query("utm_campaign".into()))
        );
        for bad in ["", "query:", "query:a b", "cookie:x", "utmcampaign", "page"] {
            assert_eq!(Source::parse(bad), None, "{bad}");
        }
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
