//! Leads: one person per agent, built from the submissions they make and worked through a
//! pipeline. This module owns every change to a lead: [`apply`] takes the lead as it stands
//! and one [`LeadEvent`] and returns the lead as it becomes with the activity entries that
//! record it. The edge loads, calls it, and writes both in one D1 batch; nothing else sets a
//! stage.
//!
//! It also says how a form's fields become a lead's attributes ([`attribute_of`],
//! [`extract`]) and how two submissions are recognised as one person ([`email_key`],
//! [`phone_key`]).

use crate::form::{FieldKind, FieldSpec};
use crate::validate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A pipeline stage (seed 004's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Recently captured, not yet reviewed.
    #[default]
    New,
    Contacted,
    Qualified,
    Converted,
    /// Not moving forward; always with a reason.
    Lost,
}

/// Leads by the stage they are in now, with their total: an agent's pipeline (kept by
/// triggers on every insert, move and delete), or one origin's leads (`origins`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StageCounts {
    pub total: i64,
    pub new: i64,
    pub contacted: i64,
    pub qualified: i64,
    pub converted: i64,
    pub lost: i64,
}

impl StageCounts {
    pub fn of_stage(&self, stage: Stage) -> i64 {
        match stage {
            Stage::New => self.new,
            Stage::Contacted => self.contacted,
            Stage::Qualified => self.qualified,
            Stage::Converted => self.converted,
            Stage::Lost => self.lost,
        }
    }
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::New,
        Stage::Contacted,
        Stage::Qualified,
        Stage::Converted,
        Stage::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Contacted => "contacted",
            Stage::Qualified => "qualified",
            Stage::Converted => "converted",
            Stage::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Reasons an owner may give for a lost lead when the agent names none of its own.
pub const DEFAULT_LOST_REASONS: [&str; 6] = [
    "No budget",
    "Not a fit",
    "Chose a competitor",
    "No response",
    "Bad timing",
    "Other",
];

/// Where a lead came from: `widget`, `api`, and later `whatsapp`, `telegram`...: an open
/// set of lower-case words, so a new channel needs no schema change.
pub fn is_source(text: &str) -> bool {
    (1..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// A lead attribute a form field can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Attribute {
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Website,
    /// Kept under its field name in `customFields`.
    Custom,
}

impl Attribute {
    pub const ALL: [Attribute; 8] = [
        Attribute::Name,
        Attribute::FirstName,
        Attribute::LastName,
        Attribute::Email,
        Attribute::Phone,
        Attribute::Company,
        Attribute::Website,
        Attribute::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::Name => "name",
            Attribute::FirstName => "firstName",
            Attribute::LastName => "lastName",
            Attribute::Email => "email",
            Attribute::Phone => "phone",
            Attribute::Company => "company",
            Attribute::Website => "website",
            Attribute::Custom => "custom",
        }
    }

    /// The HTML `autocomplete` token of a field that fills this attribute: what lets the
    /// browser fill in the visitor's own details (WCAG 1.3.5). None for a custom field.
    pub fn autocomplete(self) -> Option<&'static str> {
        Some(match self {
            Attribute::Name => "name",
            Attribute::FirstName => "given-name",
            Attribute::LastName => "family-name",
            Attribute::Email => "email",
            Attribute::Phone => "tel",
            Attribute::Company => "organization",
            Attribute::Website => "url",
            Attribute::Custom => return None,
        })
    }
}

/// Which lead attribute a field fills: the field's own `leadAttribute` if set, else its type
/// (email, phone), else its name among the usual spellings, else a custom field.
pub fn attribute_of(field: &FieldSpec) -> Attribute {
    if let Some(attribute) = field.lead_attribute {
        return attribute;
    }
    match field.kind {
        FieldKind::Email => return Attribute::Email,
        FieldKind::Phone => return Attribute::Phone,
        FieldKind::File
        | FieldKind::Checkbox
        | FieldKind::Consent
        | FieldKind::Multiselect
        | FieldKind::Date => return Attribute::Custom,
        _ => {}
    }
    let key: String = field
        .name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        // ASCII: the names matched below are ASCII, and Unicode case tables would add
        // ~10 KB to the widget, which reads this too.
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        "name" | "fullname" | "yourname" => Attribute::Name,
        "firstname" | "givenname" | "forename" => Attribute::FirstName,
        "lastname" | "surname" | "familyname" => Attribute::LastName,
        "email" | "emailaddress" | "workemail" | "mail" => Attribute::Email,
        "phone" | "phonenumber" | "mobile" | "tel" | "telephone" | "mobilephone" => Attribute::Phone,
        "company" | "companyname" | "organization" | "organisation" | "business" => Attribute::Company,
        "website" | "url" | "companywebsite" | "site" | "websiteurl" => Attribute::Website,
        _ => Attribute::Custom,
    }
}

/// Who a lead is and where they work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
}

impl Contact {
    fn slot(&mut self, attribute: Attribute) -> Option<&mut Option<String>> {
        Some(match attribute {
            Attribute::Name => &mut self.name,
            Attribute::FirstName => &mut self.first_name,
            Attribute::LastName => &mut self.last_name,
            Attribute::Email => &mut self.email,
            Attribute::Phone => &mut self.phone,
            Attribute::Company => &mut self.company,
            Attribute::Website => &mut self.website,
            Attribute::Custom => return None,
        })
    }

    /// This contact with an owner's `changes` made (raw text, as [`contact_edits`] read it).
    /// A value equal to the stored one (trimmed) is no change and is not checked again: a
    /// page sends every input, and one a submission filled loosely (a website without its
    /// scheme) must not block correcting another. A changed one is checked as a form field
    /// of its kind. A name changed without first or last name sent gives them again (the
    /// stored first name kept when the new name still starts with it); a first or last
    /// name changed without a name sent gives the name; so the export's columns agree.
    fn edited(&self, changes: &[(Attribute, Option<String>)]) -> Result<Contact, FieldError> {
        let mut next = self.clone();
        let mut moved = Vec::new();
        for (attribute, raw) in changes {
            let kind = EDITABLE
                .iter()
                .find(|(a, _)| a == attribute)
                .map_or(FieldKind::Text, |(_, k)| *k);
            let Some(slot) = next.slot(*attribute) else {
                continue;
            };
            let sent = raw.as_deref().map(str::trim).filter(|t| !t.is_empty());
            if sent == slot.as_deref() {
                continue;
            }
            let field = FieldSpec {
                name: format!("contact.{}", attribute.as_str()),
                kind,
                max_length: Some(MAX_CONTACT_CHARS as u32),
                ..FieldSpec::default()
            };
            let value = raw.clone().map(Value::String);
            *slot = match crate::validate::validate_field(&field, value.as_ref())? {
                Some(Value::String(text)) => Some(text),
                _ => None,
            };
            moved.push(*attribute);
        }
        let sent = |a: Attribute| changes.iter().any(|(b, _)| *b == a);
        let moved = |a: Attribute| moved.contains(&a);
        let parts_sent = sent(Attribute::FirstName) || sent(Attribute::LastName);
        if moved(Attribute::Name) && !parts_sent {
            let name = next.name.clone().unwrap_or_default();
            let kept_first = self.first_name.as_deref().filter(|first| {
                name.strip_prefix(*first)
                    .is_some_and(|rest| rest.starts_with(' '))
            });
            let (first, rest) = match kept_first {
                Some(first) => (Some(first.to_string()), name[first.len()..].trim().to_string()),
                None => {
                    let mut words = name.split_whitespace();
                    (
                        words.next().map(str::to_string),
                        words.collect::<Vec<_>>().join(" "),
                    )
                }
            };
            next.first_name = first;
            next.last_name = (!rest.is_empty()).then_some(rest);
        } else if (moved(Attribute::FirstName) || moved(Attribute::LastName)) && !sent(Attribute::Name) {
            let joined: Vec<&str> = [&next.first_name, &next.last_name]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            next.name = (!joined.is_empty()).then(|| joined.join(" "));
        }
        Ok(next)
    }

    /// This contact with every attribute `newer` carries laid over it (latest wins).
    fn updated_by(&self, newer: &Contact) -> Contact {
        let pick = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
        Contact {
            name: pick(&newer.name, &self.name),
            first_name: pick(&newer.first_name, &self.first_name),
            last_name: pick(&newer.last_name, &self.last_name),
            email: pick(&newer.email, &self.email),
            phone: pick(&newer.phone, &self.phone),
            company: pick(&newer.company, &self.company),
            website: pick(&newer.website, &self.website),
        }
    }

    /// What `q` searches: name, email and company, lower-case, and the phone's digits (a
    /// phone is typed in many ways; `q` looks for one by its digits too).
    pub fn search_text(&self) -> String {
        let digits = self
            .phone
            .as_ref()
            .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
        [&self.name, &self.email, &self.company]
            .into_iter()
            .flatten()
            .map(|s| s.to_lowercase())
            .chain(digits.filter(|d| !d.is_empty()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Splits a validated submission into the lead's contact and its custom fields. A full name
/// without first and last gives both (first word, then the rest); first and last without a
/// name give the name.
pub fn extract(fields: &[FieldSpec], form_data: &Map<String, Value>) -> (Contact, Map<String, Value>) {
    let mut contact = Contact::default();
    let mut custom = Map::new();
    for field in fields {
        let Some(value) = form_data.get(&field.name) else {
            continue;
        };
        let text = match value {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match (contact.slot(attribute_of(field)), text) {
            (Some(slot), Some(text)) if !text.is_empty() => *slot = Some(text),
            (Some(_), _) => {}
            (None, _) => {
                custom.insert(field.name.clone(), value.clone());
            }
        }
    }
    match (&contact.name, &contact.first_name, &contact.last_name) {
        (Some(name), None, None) => {
            let mut words = name.split_whitespace();
            contact.first_name = words.next().map(str::to_string);
            let rest = words.collect::<Vec<_>>().join(" ");
            contact.last_name = (!rest.is_empty()).then_some(rest);
        }
        (None, first, last) if first.is_some() || last.is_some() => {
            let joined = [first, last].into_iter().flatten().cloned().collect::<Vec<_>>();
            contact.name = Some(joined.join(" "));
        }
        _ => {}
    }
    (contact, custom)
}

/// The email two submissions of one person share: trimmed and lower-case.
pub fn email_key(email: &str) -> Option<String> {
    let key = email.trim().to_lowercase();
    (!key.is_empty()).then_some(key)
}

/// A phone in E.164 (`+` and 8 to 15 digits), when it was written with its country code
/// (`+` or the international `00` prefix). A national number cannot be placed without
/// guessing a country, so it is kept as typed and never matched.
pub fn phone_key(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    let international = if let Some(rest) = trimmed.strip_prefix('+') {
        rest
    } else {
        trimmed.strip_prefix("00")?
    };
    if !international
        .chars()
        .all(|c| c.is_ascii_digit() || " -().".contains(c))
    {
        return None;
    }
    // "+44 (0)20 7946 0958": the (0) is the trunk prefix dialled at home only.
    let digits: String = international
        .replace("(0)", "")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let valid = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

/// Where a visitor was when they submitted (sent by the widget with each submission).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribution {
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    /// The first page of the visit.
    pub landing_page: Option<String>,
    #[serde(default)]
    pub utm: Utm,
}

/// The visit's UTM parameters, from its landing page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

/// Longest URL and UTM value kept: longer ones are refused rather than cut silently.
pub const MAX_URL_CHARS: usize = 2_000;
pub const MAX_UTM_CHARS: usize = 200;

impl Attribution {
    /// Reads `attribution` of a submit body; errors name the key by its path.
    pub fn from_json(value: &Value) -> Result<Self, FieldError> {
        let obj = value
            .as_object()
            .ok_or_else(|| FieldError::new("attribution", "must be an object"))?;
        let text = |obj: &Map<String, Value>, key: &str, path: &str, max: usize| match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.chars().count() > max => Err(FieldError::new(
                format!("{path}.{key}"),
                format!("must be at most {max} characters"),
            )),
            // Shown on the lead, grouped in its origins and written to CSV cells: a NUL or an
            // escape sequence has no place there (a tab or line break becomes a space).
            // Dropped rather than refused: the loader reads them from the landing page's
            // address (`?utm_campaign=spring%09sale`), and a refusal would fail every form of
            // the visit, which no visitor could fix.
            Some(Value::String(s)) if s.chars().any(char::is_control) => {
                let clean: String = s
                    .chars()
                    .map(|c| if c.is_whitespace() { ' ' } else { c })
                    .filter(|c| !c.is_control())
                    .collect();
                Ok(Some(clean.trim().to_string()).filter(|c| !c.is_empty()))
            }
            Some(Value::String(s)) => Ok((!s.trim().is_empty()).then(|| s.trim().to_string())),
            Some(_) => Err(FieldError::new(format!("{path}.{key}"), "must be a string")),
        };
        let utm = match obj.get("utm") {
            None | Some(Value::Null) => Utm::default(),
            Some(Value::Object(utm)) => {
                let at = "attribution.utm";
                Utm {
                    source: text(utm, "source", at, MAX_UTM_CHARS)?,
                    medium: text(utm, "medium", at, MAX_UTM_CHARS)?,
                    campaign: text(utm, "campaign", at, MAX_UTM_CHARS)?,
                    term: text(utm, "term", at, MAX_UTM_CHARS)?,
                    content: text(utm, "content", at, MAX_UTM_CHARS)?,
                }
            }
            Some(_) => return Err(FieldError::new("attribution.utm", "must be an object")),
        };
        let at = "attribution";
        Ok(Attribution {
            page_url: text(obj, "pageUrl", at, MAX_URL_CHARS)?,
            referrer: text(obj, "referrer", at, MAX_URL_CHARS)?,
            landing_page: text(obj, "landingPage", at, MAX_URL_CHARS)?,
            utm,
        })
    }
}

/// Where a visitor's request came from, as the runtime's `cf` metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Geo {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub timezone: Option<String>,
}

/// A lead as the owner API, the CSV and lead events show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadOut {
    pub id: String,
    pub agent_id: String,
    pub stage: Stage,
    pub lost_reason: Option<String>,
    #[serde(flatten)]
    pub contact: Contact,
    pub custom_fields: Map<String, Value>,
    pub source: String,
    pub attribution: Attribution,
    pub geo: Geo,
    /// The form of the latest submission.
    pub tool_id: Option<String>,
    pub submission_count: i64,
    pub last_submission_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Moves on with every change (an owner's, a new submission's): a change sent with
    /// `If-Match: "<version>"` applies only to the lead as it was read.
    pub version: i64,
    /// The last qualification's score (`null`: never qualified in a chat).
    #[cfg(feature = "server")]
    pub score: Option<i32>,
    /// The last qualification: score, whether it reached the form's threshold, each answer.
    #[cfg(feature = "server")]
    pub qualification: Option<crate::qualification::Outcome>,
}

/// An activity entry as the API shows it: the entry and, for a submission, which one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityOut {
    #[serde(flatten)]
    pub entry: Activity,
    pub submission_id: Option<String>,
}

/// Who made a change: shown as `by` in the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The bootstrap key, `LEADFORM_API_KEY`.
    Admin,
    /// An owner key, by its id.
    Key(String),
    /// A dashboard member, by id.
    Member(String),
    /// The visitor, by submitting a form.
    Visitor,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Admin => "admin".into(),
            Actor::Key(id) => format!("key:{id}"),
            Actor::Member(id) => format!("member:{id}"),
            Actor::Visitor => "visitor".into(),
        }
    }
}

/// What an activity entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Created,
    Submitted,
    StageChanged,
    Note,
    FieldsEdited,
    /// An owner corrected the contact (its note names the attributes, not their values).
    ContactEdited,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::Created,
        ActivityKind::Submitted,
        ActivityKind::StageChanged,
        ActivityKind::Note,
        ActivityKind::FieldsEdited,
        ActivityKind::ContactEdited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Created => "created",
            ActivityKind::Submitted => "submitted",
            ActivityKind::StageChanged => "stage_changed",
            ActivityKind::Note => "note",
            ActivityKind::FieldsEdited => "fields_edited",
            ActivityKind::ContactEdited => "contact_edited",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One entry of a lead's trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub at: i64,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub from: Option<Stage>,
    pub to: Option<Stage>,
    pub by: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// The part of a lead that changes: what [`apply`] reads and returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadState {
    pub stage: Stage,
    pub lost_reason: Option<String>,
    pub contact: Contact,
    pub custom_fields: Map<String, Value>,
    /// The contact attributes an owner corrected to a value. A later submission does not
    /// change them: whoever knows a lead's email can submit a form with it, and the owner's
    /// fix stands until the owner changes it again (or clears it).
    pub corrected: Vec<Attribute>,
}

impl LeadState {
    /// [`LeadState::corrected`] as its column holds it: `,phone,company,` (so SQL's `instr`
    /// finds `,phone,` in it); empty for none.
    pub fn corrected_column(&self) -> String {
        // In one order, whatever order the corrections came in: a write compares the column
        // with the one it read (storage/leads.rs `absorb`).
        let names: Vec<&str> = Attribute::ALL
            .into_iter()
            .filter(|a| self.corrected.contains(a))
            .map(Attribute::as_str)
            .collect();
        match names.is_empty() {
            true => String::new(),
            false => format!(",{},", names.join(",")),
        }
    }

    /// The attributes a [`LeadState::corrected_column`] names.
    pub fn corrected_of_column(column: &str) -> Vec<Attribute> {
        Attribute::ALL
            .into_iter()
            .filter(|a| column.contains(&format!(",{},", a.as_str())))
            .collect()
    }
}

/// Something that happens to a lead.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadEvent {
    /// A visitor submitted a form: creates the lead, or updates the one it matched.
    Captured {
        contact: Contact,
        custom_fields: Map<String, Value>,
    },
    /// An owner moved the lead; `lost` needs a reason from the agent's list.
    Moved {
        to: Stage,
        lost_reason: Option<String>,
        note: Option<String>,
    },
    Noted {
        note: String,
    },
    /// Custom fields set by an owner; `null` removes a key.
    FieldsEdited {
        changes: Map<String, Value>,
    },
    /// Contact attributes an owner corrected (checked by [`contact_edits`]); `None` clears one.
    ContactEdited {
        changes: Vec<(Attribute, Option<String>)>,
    },
}

/// The contact attributes that differ between `before` and `after`.
fn changed(before: &Contact, after: &Contact) -> Vec<Attribute> {
    // (`slot` lends a field mutably: both contacts are copies here.)
    let (mut before, mut after) = (before.clone(), after.clone());
    Attribute::ALL
        .into_iter()
        .filter(|a| before.slot(*a).map(|s| s.clone()) != after.slot(*a).map(|s| s.clone()))
        .collect()
}

/// "Changed: phone, company": attributes by name, not value (the trail goes to lead-event
/// endpoints); `None` for none.
fn changed_note(changed: &[Attribute]) -> Option<String> {
    let names: Vec<&str> = changed.iter().map(|a| a.as_str()).collect();
    (!names.is_empty()).then(|| format!("Changed: {}", names.join(", ")))
}

/// Longest note an owner may write.
pub const MAX_NOTE_CHARS: usize = 5_000;

/// The lead after `event`, with the activity entries that record it. `current` is `None`
/// for a lead that does not exist yet (only a capture can create one). Errors name the field
/// of the owner's request at fault. An event that changes nothing records nothing.
pub fn apply(
    current: Option<&LeadState>,
    event: LeadEvent,
    by: &Actor,
    at: i64,
    lost_reasons: &[String],
) -> Result<(LeadState, Vec<Activity>), FieldError> {
    let entry = |kind, from, to, reason: Option<String>, note: Option<String>| Activity {
        at,
        kind,
        from,
        to,
        by: by.label(),
        reason,
        note,
    };
    let Some(lead) = current else {
        return match event {
            LeadEvent::Captured {
                contact,
                custom_fields,
            } => {
                let created = LeadState {
                    stage: Stage::New,
                    lost_reason: None,
                    contact,
                    custom_fields,
                    corrected: Vec::new(),
                };
                Ok((
                    created,
                    vec![entry(ActivityKind::Created, None, Some(Stage::New), None, None)],
                ))
            }
            _ => Err(FieldError::new("lead", "does not exist")),
        };
    };
    let mut next = lead.clone();
    let activity = match event {
        LeadEvent::Captured {
            contact,
            custom_fields,
        } => {
            // What an owner corrected stays; the rest follows the latest submission.
            let (mut carried, mut stored) = (contact, lead.contact.clone());
            let mut kept = Vec::new();
            for attribute in &lead.corrected {
                let (Some(new), Some(old)) = (carried.slot(*attribute), stored.slot(*attribute)) else {
                    continue;
                };
                // Only a value stands (a corrected attribute left empty takes the next one).
                if old.is_none() {
                    continue;
                }
                let same = match attribute {
                    // One address however it is written: no news to the owner.
                    Attribute::Email => {
                        new.as_deref().and_then(email_key) == old.as_deref().and_then(email_key)
                    }
                    _ => new == old,
                };
                if new.is_some() && !same {
                    kept.push(attribute.as_str());
                }
                *new = None;
            }
            next.contact = lead.contact.updated_by(&carried);
            next.custom_fields = merged_within(&lead.custom_fields, custom_fields, MAX_CAPTURED_FIELDS_BYTES);
            // A returning person's submission may change who the lead is (latest wins): the
            // trail says which attributes it changed, and which it would have, so an owner
            // sees it.
            let changed = changed_note(&changed(&lead.contact, &next.contact));
            let kept =
                (!kept.is_empty()).then(|| format!("Kept as the owner corrected: {}", kept.join(", ")));
            let note = match (changed, kept) {
                (Some(changed), Some(kept)) => Some(format!("{changed}. {kept}")),
                (changed, kept) => changed.or(kept),
            };
            vec![entry(ActivityKind::Submitted, None, None, None, note)]
        }
        LeadEvent::Moved {
            to,
            lost_reason,
            note,
        } => {
            let note = checked_note(note)?;
            let reason = match (to, lost_reason) {
                (Stage::Lost, None) => {
                    return Err(FieldError::new(
                        "lostReason",
                        "is required to move a lead to lost",
                    ))
                }
                (Stage::Lost, Some(reason)) if !lost_reasons.contains(&reason) => {
                    return Err(FieldError::new(
                        "lostReason",
                        format!("must be one of: {}", lost_reasons.join(", ")),
                    ))
                }
                (Stage::Lost, Some(reason)) => Some(reason),
                (_, Some(_)) => return Err(FieldError::new("lostReason", "is only for a move to lost")),
                (_, None) => None,
            };
            if to == lead.stage && reason == lead.lost_reason {
                // Nothing moved: only the note, if any, is worth a line in the trail.
                note.map(|n| vec![entry(ActivityKind::Note, None, None, None, Some(n))])
                    .unwrap_or_default()
            } else {
                next.stage = to;
                next.lost_reason = reason.clone();
                vec![entry(
                    ActivityKind::StageChanged,
                    Some(lead.stage),
                    Some(to),
                    reason,
                    note,
                )]
            }
        }
        LeadEvent::Noted { note } => {
            let note = checked_note(Some(note))?;
            vec![entry(ActivityKind::Note, None, None, None, note)]
        }
        LeadEvent::FieldsEdited { changes } => {
            for (key, value) in changes {
                check_custom_field(&key, &value)?;
                if value.is_null() {
                    next.custom_fields.remove(&key);
                } else {
                    next.custom_fields.insert(key, value);
                }
            }
            check_custom_fields_size(&lead.custom_fields, &next.custom_fields)?;
            if next.custom_fields == lead.custom_fields {
                vec![]
            } else {
                vec![entry(ActivityKind::FieldsEdited, None, None, None, None)]
            }
        }
        LeadEvent::ContactEdited { changes } => {
            next.contact = lead.contact.edited(&changes)?;
            let changed = changed(&lead.contact, &next.contact);
            // A value the owner put stands against later submissions; one they cleared is
            // free again.
            let mut after = next.contact.clone();
            for attribute in &changed {
                next.corrected.retain(|a| a != attribute);
                if after.slot(*attribute).is_some_and(|v| v.is_some()) {
                    next.corrected.push(*attribute);
                }
            }
            // The name and its parts stand together: a surname fixed through the name must
            // not meet a later submission's first name ("Bob Smith" from two people).
            const NAMES: [Attribute; 3] = [Attribute::Name, Attribute::FirstName, Attribute::LastName];
            if changed.iter().any(|a| NAMES.contains(a)) {
                next.corrected.retain(|a| !NAMES.contains(a));
                for name in NAMES {
                    if after.slot(name).is_some_and(|v| v.is_some()) {
                        next.corrected.push(name);
                    }
                }
            }
            match changed_note(&changed) {
                None => vec![],
                what => vec![entry(ActivityKind::ContactEdited, None, None, None, what)],
            }
        }
    };
    Ok((next, activity))
}

/// The contact attributes an owner may correct, and the form field kind each is checked as
/// (as a visitor's answer in that kind of field would be).
const EDITABLE: [(Attribute, FieldKind); 7] = [
    (Attribute::Name, FieldKind::Text),
    (Attribute::FirstName, FieldKind::Text),
    (Attribute::LastName, FieldKind::Text),
    (Attribute::Email, FieldKind::Email),
    (Attribute::Phone, FieldKind::Phone),
    (Attribute::Company, FieldKind::Text),
    (Attribute::Website, FieldKind::Url),
];

/// Longest contact attribute an owner may set.
pub const MAX_CONTACT_CHARS: usize = 200;

/// Reads an owner's `contact` object (`{"phone": "+44 20 7946 0958", "company": null}`):
/// each key an attribute, each value text or null (or "") to clear it. Each changed value is
/// checked when it is applied (`Contact::edited`): text its kind accepts, trimmed. Errors
/// name `contact.<key>`.
pub fn contact_edits(map: &Map<String, Value>) -> Result<Vec<(Attribute, Option<String>)>, FieldError> {
    let mut changes = Vec::new();
    for (key, value) in map {
        let at = |reason: &str| FieldError::new(format!("contact.{key}"), reason);
        let Some((attribute, _)) = EDITABLE.into_iter().find(|(a, _)| a.as_str() == key) else {
            return Err(at(
                "is not a contact attribute (name, firstName, lastName, email, phone, company, website)",
            ));
        };
        let text = match value {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            _ => return Err(at("must be text or null")),
        };
        changes.push((attribute, text));
    }
    if changes.is_empty() {
        return Err(FieldError::new("contact", "must name an attribute to change"));
    }
    Ok(changes)
}

fn checked_note(note: Option<String>) -> Result<Option<String>, FieldError> {
    match note {
        None => Ok(None),
        Some(n) if n.trim().is_empty() => Err(FieldError::new("note", "must not be empty")),
        Some(n) => crate::validate::typed_text("note", &n, MAX_NOTE_CHARS).map(|()| Some(n)),
    }
}

/// Longest custom field key and text value an owner may set by hand.
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_VALUE: usize = 10_000;

/// Most custom fields a lead keeps, and most bytes of them (as JSON), when an owner adds
/// to them by hand: a lead is one row (D1 refuses a value over 1 MB), and every export
/// has a column per key. Submissions are capped by their forms instead, and an edit that
/// does not grow the fields (a fix, a removal) always goes through.
pub const MAX_CUSTOM_FIELDS: usize = 100;
pub const MAX_CUSTOM_FIELDS_BYTES: usize = 100_000;

/// Most bytes (as JSON) of custom fields submissions leave on a lead. A lead is one row,
/// which D1 keeps at most 2 MB, and one submission carries at most
/// [`crate::validate::MAX_FORM_TEXT_BYTES`] of text: without a cap, a stranger sending long
/// answers to several forms under someone's email would make the row too big to write, and
/// that person's every later submission would fail with it.
pub const MAX_CAPTURED_FIELDS_BYTES: usize = 1024 * 1024;

/// `before` updated by a submission's `fresh` fields, within `cap` bytes of JSON: the
/// submission's own fields are always kept (its data is whole on the submission anyway);
/// earlier fields it does not carry make room, the largest first.
fn merged_within(before: &Map<String, Value>, fresh: Map<String, Value>, cap: usize) -> Map<String, Value> {
    let size = |key: &str, value: &Value| key.len() + serde_json::to_string(value).map_or(0, |v| v.len()) + 4;
    let mut older: Vec<(&String, usize)> = before
        .iter()
        .filter(|(key, _)| !fresh.contains_key(*key))
        .map(|(key, value)| (key, size(key, value)))
        .collect();
    let mut total: usize =
        fresh.iter().map(|(k, v)| size(k, v)).sum::<usize>() + older.iter().map(|(_, n)| n).sum::<usize>();
    older.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut merged = before.clone();
    for (key, n) in older {
        if total <= cap {
            break;
        }
        merged.remove(key);
        total -= n;
    }
    merged.extend(fresh);
    merged
}

/// Most custom field names an agent's leads may use in all, as far as owners add them by
/// hand: every name is a column of every export (names no lead holds any more are
/// forgotten when this is reached; forms add their own fields' names whatever this says).
pub const MAX_AGENT_CUSTOM_NAMES: usize = 500;

/// Whether an owner's edit may bring `fresh` names the agent's leads never used, when they
/// use `known` already.
pub fn check_custom_names(known: usize, fresh: usize) -> Result<(), FieldError> {
    if fresh > 0 && known + fresh > MAX_AGENT_CUSTOM_NAMES {
        return Err(FieldError::new(
            "customFields",
            format!(
                "this agent's leads use {known} custom field names of at most \
                 {MAX_AGENT_CUSTOM_NAMES} (each is a column of every export): use one of them"
            ),
        ));
    }
    Ok(())
}

fn check_custom_fields_size(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Result<(), FieldError> {
    if after.len() > MAX_CUSTOM_FIELDS && after.len() > before.len() {
        return Err(FieldError::new(
            "customFields",
            format!(
                "a lead keeps at most {MAX_CUSTOM_FIELDS} custom fields (this would leave {})",
                after.len()
            ),
        ));
    }
    let bytes = |fields: &Map<String, Value>| serde_json::to_string(fields).map_or(0, |json| json.len());
    let size = bytes(after);
    if size > MAX_CUSTOM_FIELDS_BYTES && size > bytes(before) {
        return Err(FieldError::new(
            "customFields",
            format!(
                "a lead's custom fields take at most {} KB in all",
                MAX_CUSTOM_FIELDS_BYTES / 1000
            ),
        ));
    }
    Ok(())
}

fn check_custom_field(key: &str, value: &Value) -> Result<(), FieldError> {
    let at = format!("customFields.{key}");
    if key.trim().is_empty() || key.chars().count() > MAX_CUSTOM_KEY || key.chars().any(char::is_control) {
        return Err(FieldError::new(
            "customFields",
            format!("keys must be 1 to {MAX_CUSTOM_KEY} characters, on one line"),
        ));
    }
    match value {
        // Text an owner types: line breaks and tabs, no other control characters (a NUL
        // cuts a CSV cell short in spreadsheets).
        Value::String(s) if crate::validate::holds_control_chars(s) => {
            Err(FieldError::new(at, "must be text (it holds control characters)"))
        }
        Value::String(s) if s.chars().count() > MAX_CUSTOM_VALUE => Err(FieldError::new(
            at,
            format!("must be at most {MAX_CUSTOM_VALUE} characters"),
        )),
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => Ok(()),
        _ => Err(FieldError::new(at, "must be a string, number, boolean or null")),
    }
}

/// `PATCH /v1/leads/{id}`: read field by field so an error names the key at fault.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadPatch {
    pub stage: Option<Stage>,
    pub lost_reason: Option<String>,
    pub note: Option<String>,
    pub custom_fields: Option<Map<String, Value>>,
    /// Contact attributes corrected by the owner ([`contact_edits`]).
    pub contact: Option<Vec<(Attribute, Option<String>)>>,
}

impl LeadPatch {
    pub fn from_json(body: &Value) -> Result<Self, FieldError> {
        let obj = body
            .as_object()
            .ok_or_else(|| FieldError::new("body", "must be a JSON object"))?;
        if let Some(unknown) = obj.keys().find(|k| {
            !matches!(
                k.as_str(),
                "stage" | "lostReason" | "note" | "customFields" | "contact"
            )
        }) {
            return Err(FieldError::new(
                unknown.as_str(),
                "is not something a lead update can change (stage, lostReason, note, customFields, contact)",
            ));
        }
        let text = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(FieldError::new(key, "must be a string")),
        };
        let stage = match text("stage")? {
            None => None,
            Some(s) => Some(Stage::parse(&s).ok_or_else(|| {
                FieldError::new(
                    "stage",
                    "must be one of: new, contacted, qualified, converted, lost",
                )
            })?),
        };
        let custom_fields = match obj.get("customFields") {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map.clone()),
            Some(_) => return Err(FieldError::new("customFields", "must be an object")),
        };
        let contact = match obj.get("contact") {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(contact_edits(map)?),
            Some(_) => return Err(FieldError::new("contact", "must be an object")),
        };
        let patch = LeadPatch {
            stage,
            // A blank reason is no reason (a form that sends every field sends it empty on
            // any move); a move to lost still needs one.
            lost_reason: text("lostReason")?.filter(|r| !r.trim().is_empty()),
            note: text("note")?,
            custom_fields,
            contact,
        };
        if patch == LeadPatch::default() {
            return Err(FieldError::new(
                "body",
                "must change something: stage, lostReason, note, customFields or contact",
            ));
        }
        if patch.stage.is_none() && patch.lost_reason.is_some() {
            return Err(FieldError::new(
                "lostReason",
                "is only for a move to lost (give stage)",
            ));
        }
        Ok(patch)
    }

    /// The events this update makes, in order: the contact and fields first, then the move
    /// (which carries the note), or the note alone.
    pub fn events(self) -> Vec<LeadEvent> {
        let mut events = Vec::new();
        if let Some(changes) = self.contact {
            events.push(LeadEvent::ContactEdited { changes });
        }
        if let Some(changes) = self.custom_fields {
            events.push(LeadEvent::FieldsEdited { changes });
        }
        match (self.stage, self.note) {
            (Some(to), note) => events.push(LeadEvent::Moved {
                to,
                lost_reason: self.lost_reason,
                note,
            }),
            (None, Some(note)) => events.push(LeadEvent::Noted { note }),
            (None, None) => {}
        }
        events
    }
}

/// Applies each event in turn; the activity of all of them, in order.
pub fn apply_all(
    current: &LeadState,
    events: Vec<LeadEvent>,
    by: &Actor,
    at: i64,
    lost_reasons: &[String],
) -> Result<(LeadState, Vec<Activity>), FieldError> {
    let mut state = current.clone();
    let mut trail = Vec::new();
    for event in events {
        let (next, activity) = apply(Some(&state), event, by, at, lost_reasons)?;
        state = next;
        trail.extend(activity);
    }
    Ok((state, trail))
}

/// A lead's `ETag`: its version, quoted as HTTP wants an entity tag.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The versions an `If-Match` header names: `None` for `*` (any version will do). A list
/// matches when any of its tags does (RFC 9110). A weak tag (`W/"3"`) counts as its
/// version: the tag is the version, not a hash of the bytes, and Cloudflare makes a strong
/// `ETag` weak when it compresses the answer that carried it.
pub fn if_match(header: &str) -> Result<Option<Vec<i64>>, FieldError> {
    let header = header.trim();
    if header == "*" {
        return Ok(None);
    }
    let version = |tag: &str| -> Option<i64> {
        let tag = tag.trim();
        let quoted = tag.strip_prefix("W/").unwrap_or(tag);
        quoted
            .strip_prefix('"')?
            .strip_suffix('"')
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()
    };
    header
        .split(',')
        .take(100)
        .map(version)
        .collect::<Option<Vec<i64>>>()
        .filter(|versions| !versions.is_empty())
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                "If-Match",
                "must be the lead's ETag as it was read, like \"3\" (or *)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn if_match_names_versions_or_any() {
        assert_eq!(if_match(&etag(7)), Ok(Some(vec![7])));
        assert_eq!(if_match(" \"0\" "), Ok(Some(vec![0])));
        assert_eq!(
            if_match("W/\"7\""),
            Ok(Some(vec![7])),
            "as Cloudflare hands it back"
        );
        assert_eq!(if_match("\"7\", W/\"8\""), Ok(Some(vec![7, 8])));
        assert_eq!(if_match("*"), Ok(None));
        for wrong in [
            "7",
            "\"\"",
            "\"-1\"",
            "\"99999999999999999999\"",
            "",
            "\"7\",",
            "w/\"7\"",
        ] {
            let refused = if_match(wrong).unwrap_err();
            assert_eq!(refused.field, "If-Match", "{wrong}");
        }
    }

    fn field(name: &str, kind: FieldKind) -> FieldSpec {
        serde_json::from_value(json!({"name": name, "type": kind.as_str()})).unwrap()
    }

    fn reasons() -> Vec<String> {
        DEFAULT_LOST_REASONS.iter().map(|s| s.to_string()).collect()
    }

    fn captured(name: &str, email: &str) -> LeadEvent {
        LeadEvent::Captured {
            contact: Contact {
                name: Some(name.into()),
                email: Some(email.into()),
                ..Contact::default()
            },
            custom_fields: Map::new(),
        }
    }

    fn moved(to: Stage, reason: Option<&str>) -> LeadEvent {
        LeadEvent::Moved {
            to,
            lost_reason: reason.map(str::to_string),
            note: None,
        }
    }

    #[test]
    fn stages_and_activity_kinds_round_trip() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
            assert_eq!(serde_json::to_value(stage).unwrap(), json!(stage.as_str()));
        }
        for kind in ActivityKind::ALL {
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        for attribute in Attribute::ALL {
            assert_eq!(
                serde_json::to_value(attribute).unwrap(),
                json!(attribute.as_str())
            );
        }
        assert_eq!(Stage::parse("Lost"), None);
    }

    #[test]
    fn fields_map_by_override_then_type_then_name() {
        let cases = [
            (field("email", FieldKind::Text), Attribute::Email),
            (field("contact", FieldKind::Email), Attribute::Email),
            (field("reach_me", FieldKind::Phone), Attribute::Phone),
            (field("Full Name", FieldKind::Text), Attribute::Name),
            (field("first_name", FieldKind::Text), Attribute::FirstName),
            (field("surname", FieldKind::Text), Attribute::LastName),
            (field("company_name", FieldKind::Text), Attribute::Company),
            (field("website", FieldKind::Url), Attribute::Website),
            (field("budget", FieldKind::Select), Attribute::Custom),
            (field("name", FieldKind::File), Attribute::Custom),
        ];
        for (spec, expected) in cases {
            assert_eq!(attribute_of(&spec), expected, "{}", spec.name);
        }
        let mut overridden = field("email", FieldKind::Email);
        overridden.lead_attribute = Some(Attribute::Custom);
        assert_eq!(attribute_of(&overridden), Attribute::Custom);
        let mut org = field("org", FieldKind::Text);
        org.lead_attribute = Some(Attribute::Company);
        assert_eq!(attribute_of(&org), Attribute::Company);
    }

    #[test]
    fn each_attribute_names_the_browsers_autofill_token() {
        // WHATWG autofill field names: a browser fills in only what it recognises.
        let tokens: Vec<_> = Attribute::ALL.iter().map(|a| a.autocomplete()).collect();
        assert_eq!(
            tokens,
            [
                Some("name"),
                Some("given-name"),
                Some("family-name"),
                Some("email"),
                Some("tel"),
                Some("organization"),
                Some("url"),
                None
            ]
        );
        assert_eq!(
            attribute_of(&field("budget", FieldKind::Select)).autocomplete(),
            None
        );
    }

    #[test]
    fn a_submission_splits_into_contact_and_custom_fields() {
        let fields = [
            field("name", FieldKind::Text),
            field("email", FieldKind::Email),
            field("budget", FieldKind::Number),
            field("message", FieldKind::Textarea),
        ];
        let data =
            json!({"name": "Jane  van Dyke", "email": "Jane@Example.com", "budget": 5000, "message": "Hi"});
        let (contact, custom) = extract(&fields, data.as_object().unwrap());
        assert_eq!(contact.name.as_deref(), Some("Jane  van Dyke"));
        assert_eq!(contact.first_name.as_deref(), Some("Jane"));
        assert_eq!(contact.last_name.as_deref(), Some("van Dyke"));
        assert_eq!(contact.email.as_deref(), Some("Jane@Example.com"));
        assert_eq!(Value::Object(custom), json!({"budget": 5000, "message": "Hi"}));

        let fields = [
            field("first_name", FieldKind::Text),
            field("last_name", FieldKind::Text),
        ];
        let data = json!({"first_name": "Zoë", "last_name": "Ångström"});
        let (contact, _) = extract(&fields, data.as_object().unwrap());
        assert_eq!(contact.name.as_deref(), Some("Zoë Ångström"));
    }

    #[test]
    fn emails_and_phones_normalize_for_matching() {
        assert_eq!(
            email_key("  Jane@Example.COM ").as_deref(),
            Some("jane@example.com")
        );
        assert_eq!(email_key("  "), None);
        let phones = [
            ("+1 (415) 555-0100", Some("+14155550100")),
            ("+14155550100", Some("+14155550100")),
            ("0049 30 1234567", Some("+49301234567")),
            ("+49 (0)30", None),
            // The trunk (0) is not part of the international number.
            ("+44 (0)20 7946 0958", Some("+442079460958")),
            ("0044 (0) 20 7946 0958", Some("+442079460958")),
            ("(415) 555-0100", None),
            ("+0 123 456 789", None),
            ("+1234567", None),
            ("+1234567890123456", None),
            ("+1 415 555 0100 x12", None),
        ];
        for (text, expected) in phones {
            assert_eq!(phone_key(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn a_capture_creates_a_new_lead_then_updates_it() {
        let (lead, trail) = apply(
            None,
            captured("Jane", "jane@example.com"),
            &Actor::Visitor,
            10,
            &reasons(),
        )
        .unwrap();
        assert_eq!(lead.stage, Stage::New);
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].kind, ActivityKind::Created);
        assert_eq!(trail[0].to, Some(Stage::New));
        assert_eq!(trail[0].by, "visitor");

        let mut with_company = captured("Jane Smith", "jane@example.com");
        if let LeadEvent::Captured {
            contact,
            custom_fields,
        } = &mut with_company
        {
            contact.email = None;
            contact.company = Some("Acme".into());
            custom_fields.insert("budget".into(), json!("10k"));
        }
        let (updated, trail) = apply(Some(&lead), with_company, &Actor::Visitor, 20, &reasons()).unwrap();
        assert_eq!(updated.contact.name.as_deref(), Some("Jane Smith"));
        assert_eq!(updated.contact.email.as_deref(), Some("jane@example.com"), "kept");
        assert_eq!(updated.contact.company.as_deref(), Some("Acme"));
        assert_eq!(updated.custom_fields["budget"], json!("10k"));
        assert_eq!(trail[0].kind, ActivityKind::Submitted);
        assert_eq!(
            trail[0].note.as_deref(),
            Some("Changed: name, company"),
            "what the submission changed, by name"
        );
        assert_eq!(
            updated.stage,
            Stage::New,
            "a new submission does not move the lead"
        );
        let (_, trail) = apply(
            Some(&updated),
            captured("Jane Smith", "jane@example.com"),
            &Actor::Visitor,
            30,
            &reasons(),
        )
        .unwrap();
        assert_eq!(
            (trail[0].kind, trail[0].note.as_deref()),
            (ActivityKind::Submitted, None),
            "the same person again changes nothing"
        );

        assert!(apply(None, moved(Stage::Contacted, None), &Actor::Admin, 1, &reasons()).is_err());
    }

    #[test]
    fn what_an_owner_corrected_stands_against_later_submissions_until_they_clear_it() {
        let (lead, _) = apply(
            None,
            captured("Jane Smith", "jane@example.com"),
            &Actor::Visitor,
            1,
            &reasons(),
        )
        .unwrap();
        let edit = |lead: &LeadState, changes: Vec<(Attribute, Option<String>)>| {
            apply(
                Some(lead),
                LeadEvent::ContactEdited { changes },
                &Actor::Admin,
                2,
                &reasons(),
            )
            .unwrap()
            .0
        };
        let fixed = edit(
            &lead,
            vec![
                (Attribute::Phone, Some("+44 20 7946 0958".into())),
                (Attribute::Company, Some("Acme".into())),
            ],
        );
        assert_eq!(fixed.corrected, vec![Attribute::Phone, Attribute::Company]);
        assert_eq!(fixed.corrected_column(), ",phone,company,");
        assert_eq!(
            LeadState::corrected_of_column(&fixed.corrected_column()),
            fixed.corrected
        );
        assert_eq!(LeadState::corrected_of_column(""), vec![]);

        // Someone submits with Jane's email and other details: the owner's phone and company
        // stay, the name follows (not corrected), and the trail says both.
        let mut other = captured("J. Smith", "jane@example.com");
        if let LeadEvent::Captured { contact, .. } = &mut other {
            contact.phone = Some("+1 555 0100".into());
            contact.company = Some("Evil Corp".into());
        }
        let (after, trail) = apply(Some(&fixed), other.clone(), &Actor::Visitor, 3, &reasons()).unwrap();
        assert_eq!(after.contact.phone.as_deref(), Some("+44 20 7946 0958"));
        assert_eq!(after.contact.company.as_deref(), Some("Acme"));
        assert_eq!(after.contact.name.as_deref(), Some("J. Smith"));
        assert_eq!(
            trail[0].note.as_deref(),
            Some("Changed: name. Kept as the owner corrected: phone, company")
        );
        // The same values as the owner's are no news.
        let mut same = captured("Jane Smith", "jane@example.com");
        if let LeadEvent::Captured { contact, .. } = &mut same {
            contact.phone = Some("+44 20 7946 0958".into());
        }
        assert_eq!(
            apply(Some(&fixed), same, &Actor::Visitor, 3, &reasons())
                .unwrap()
                .1[0]
                .note,
            None
        );

        // One address however it is written is no news either.
        let moved = edit(
            &lead,
            vec![(Attribute::Email, Some("jane.smith@example.com".into()))],
        );
        let (after, trail) = apply(
            Some(&moved),
            captured("Jane Smith", "JANE.Smith@Example.com "),
            &Actor::Visitor,
            3,
            &reasons(),
        )
        .unwrap();
        assert_eq!(
            (trail[0].note.as_deref(), after.contact.email.as_deref()),
            (None, Some("jane.smith@example.com"))
        );

        // A surname fixed through the name: the name and both parts stand together, so a
        // later submission cannot mix its first name in.
        let named = edit(&lead, vec![(Attribute::Name, Some("Jane Smyth".into()))]);
        assert_eq!(named.contact.first_name.as_deref(), Some("Jane"));
        assert_eq!(
            named.corrected,
            vec![Attribute::Name, Attribute::FirstName, Attribute::LastName]
        );
        // The column in one order however they came: what a write compares.
        let both = edit(&named, vec![(Attribute::Company, Some("Acme".into()))]);
        let read = LeadState::corrected_of_column(&both.corrected_column());
        assert_eq!(
            LeadState {
                corrected: read,
                ..both.clone()
            }
            .corrected_column(),
            both.corrected_column()
        );
        assert_eq!(both.corrected_column(), ",name,firstName,lastName,company,");
        let later = edit(&fixed, vec![(Attribute::Name, Some("Jane Q".into()))]);
        assert_eq!(
            later.corrected_column(),
            ",name,firstName,lastName,phone,company,",
            "{:?}",
            later.corrected
        );
        let mut bob = captured("Bob Jones", "jane@example.com");
        if let LeadEvent::Captured { contact, .. } = &mut bob {
            contact.first_name = Some("Bob".into());
            contact.last_name = Some("Jones".into());
        }
        let (after, _) = apply(Some(&named), bob, &Actor::Visitor, 3, &reasons()).unwrap();
        assert_eq!(
            [
                after.contact.name,
                after.contact.first_name,
                after.contact.last_name
            ],
            [
                Some("Jane Smyth".into()),
                Some("Jane".into()),
                Some("Smyth".into())
            ]
        );

        // Cleared by the owner: free again for the next submission.
        let cleared = edit(&fixed, vec![(Attribute::Phone, None)]);
        assert_eq!(cleared.corrected, vec![Attribute::Company]);
        let (after, _) = apply(Some(&cleared), other, &Actor::Visitor, 4, &reasons()).unwrap();
        assert_eq!(after.contact.phone.as_deref(), Some("+1 555 0100"));
        assert_eq!(after.contact.company.as_deref(), Some("Acme"));
    }

    #[test]
    fn every_move_records_from_to_and_who() {
        let start = LeadState::default();
        let by = Actor::Key("key_1".into());
        for from in Stage::ALL {
            // Staying put is no move (tested below), except a lost lead given a new reason.
            for to in Stage::ALL
                .into_iter()
                .filter(|to| *to != from || *to == Stage::Lost)
            {
                let lead = LeadState {
                    stage: from,
                    lost_reason: (from == Stage::Lost).then(|| "Other".to_string()),
                    ..start.clone()
                };
                let reason = (to == Stage::Lost).then_some("No budget");
                let (next, trail) = apply(Some(&lead), moved(to, reason), &by, 5, &reasons()).unwrap();
                assert_eq!(next.stage, to);
                assert_eq!(next.lost_reason.as_deref(), reason, "{from:?} -> {to:?}");
                assert_eq!(trail.len(), 1, "{from:?} -> {to:?}");
                assert_eq!(trail[0].kind, ActivityKind::StageChanged);
                assert_eq!((trail[0].from, trail[0].to), (Some(from), Some(to)));
                assert_eq!(trail[0].by, "key:key_1");
                assert_eq!(trail[0].reason.as_deref(), reason);
            }
        }
    }

    #[test]
    fn lost_needs_a_reason_from_the_list_and_only_lost_takes_one() {
        let lead = LeadState::default();
        let cases = [
            (moved(Stage::Lost, None), "lostReason"),
            (moved(Stage::Lost, Some("Aliens")), "lostReason"),
            (moved(Stage::Qualified, Some("No budget")), "lostReason"),
            (
                LeadEvent::Moved {
                    to: Stage::Contacted,
                    lost_reason: None,
                    note: Some(" ".into()),
                },
                "note",
            ),
            (
                LeadEvent::Noted {
                    note: "x".repeat(MAX_NOTE_CHARS + 1),
                },
                "note",
            ),
        ];
        for (event, field) in cases {
            let err = apply(Some(&lead), event.clone(), &Actor::Admin, 1, &reasons()).unwrap_err();
            assert_eq!(err.field, field, "{event:?}");
        }
        let own = vec!["Went dark".to_string()];
        let (next, _) = apply(
            Some(&lead),
            moved(Stage::Lost, Some("Went dark")),
            &Actor::Admin,
            1,
            &own,
        )
        .unwrap();
        assert_eq!(next.lost_reason.as_deref(), Some("Went dark"));
    }

    #[test]
    fn a_move_to_the_same_stage_records_only_its_note() {
        let lead = LeadState::default();
        let (same, trail) =
            apply(Some(&lead), moved(Stage::New, None), &Actor::Admin, 1, &reasons()).unwrap();
        assert_eq!(same, lead);
        assert!(trail.is_empty());
        let with_note = LeadEvent::Moved {
            to: Stage::New,
            lost_reason: None,
            note: Some("Called, no answer".into()),
        };
        let (_, trail) = apply(Some(&lead), with_note, &Actor::Admin, 1, &reasons()).unwrap();
        assert_eq!(trail[0].kind, ActivityKind::Note);
        assert_eq!(trail[0].note.as_deref(), Some("Called, no answer"));
        // A note is what an owner types: line breaks yes, a NUL or an escape no.
        let typed = |note: &str| LeadEvent::Moved {
            to: Stage::New,
            lost_reason: None,
            note: Some(note.into()),
        };
        assert!(apply(
            Some(&lead),
            typed("Called.\nNo answer."),
            &Actor::Admin,
            1,
            &reasons()
        )
        .is_ok());
        let nul = apply(Some(&lead), typed("a\u{0}b"), &Actor::Admin, 1, &reasons()).unwrap_err();
        assert_eq!(nul.field, "note");
    }

    #[test]
    fn an_owner_corrects_the_contact_and_the_trail_names_what_changed() {
        let lead = LeadState {
            contact: Contact {
                name: Some("Jane Smyth".into()),
                first_name: Some("Jane".into()),
                last_name: Some("Smyth".into()),
                email: Some("jane@example.com".into()),
                phone: Some("+44 20 7946 0000".into()),
                company: Some("Acme".into()),
                website: None,
            },
            ..LeadState::default()
        };
        let try_edit = |lead: &LeadState, body: Value| {
            let changes = contact_edits(body.as_object().unwrap())?;
            apply(
                Some(lead),
                LeadEvent::ContactEdited { changes },
                &Actor::Admin,
                1,
                &reasons(),
            )
        };
        let edit = |body: Value| try_edit(&lead, body).unwrap();
        // A name alone gives its first and last names again; "" clears; text is trimmed.
        let (next, trail) =
            edit(json!({"name": " Jane Smith ", "company": "", "website": "https://jane.example"}));
        assert_eq!(next.contact.name.as_deref(), Some("Jane Smith"));
        assert_eq!(
            (
                next.contact.first_name.as_deref(),
                next.contact.last_name.as_deref()
            ),
            (Some("Jane"), Some("Smith"))
        );
        assert_eq!(next.contact.company, None);
        assert_eq!(next.contact.website.as_deref(), Some("https://jane.example"));
        assert_eq!(
            next.contact.email, lead.contact.email,
            "what the edit does not name stays"
        );
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].kind, ActivityKind::ContactEdited);
        assert_eq!(
            trail[0].note.as_deref(),
            Some("Changed: name, lastName, company, website"),
            "the attributes, not their values"
        );
        // A last name alone gives the name.
        let (next, _) = edit(json!({"lastName": "Smith-Jones"}));
        assert_eq!(next.contact.name.as_deref(), Some("Jane Smith-Jones"));
        // A name sent as it stands splits nothing again (a page sends every input).
        let two_words = LeadState {
            contact: Contact {
                name: Some("Mary Ann Smith".into()),
                first_name: Some("Mary Ann".into()),
                last_name: Some("Smith".into()),
                ..Contact::default()
            },
            ..LeadState::default()
        };
        let changes = contact_edits(
            json!({"name": "Mary Ann Smith", "phone": "+1 202 555 0100"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let (next, trail) = apply(
            Some(&two_words),
            LeadEvent::ContactEdited { changes },
            &Actor::Admin,
            1,
            &reasons(),
        )
        .unwrap();
        assert_eq!(next.contact.first_name.as_deref(), Some("Mary Ann"));
        assert_eq!(trail[0].note.as_deref(), Some("Changed: phone"));
        // The same values again: nothing changed, nothing recorded.
        let (same, trail) = edit(json!({"email": "jane@example.com", "company": "Acme"}));
        assert_eq!(same, lead);
        assert!(trail.is_empty());
        // Each changed value is checked as its kind of form field checks it; errors name the key.
        for (body, field) in [
            (json!({"email": "not an email"}), "contact.email"),
            (json!({"phone": "call me"}), "contact.phone"),
            (json!({"website": "javascript:alert(1)"}), "contact.website"),
            (json!({"name": "a\u{0}b"}), "contact.name"),
            (json!({"name": "two\nlines"}), "contact.name"),
            (json!({"name": 5}), "contact.name"),
            (
                json!({"company": "x".repeat(MAX_CONTACT_CHARS + 1)}),
                "contact.company",
            ),
            (json!({"stage": "lost"}), "contact.stage"),
            (json!({}), "contact"),
        ] {
            let err = try_edit(&lead, body.clone()).unwrap_err();
            assert_eq!(err.field, field, "{body}");
        }
        // A stored value a submission filled loosely is no obstacle when sent as it stands.
        let mut loose = lead.clone();
        loose.contact.website = Some("acme.example".into());
        let (next, _) = try_edit(
            &loose,
            json!({"website": "acme.example", "phone": "+1 202 555 0100"}),
        )
        .unwrap();
        assert_eq!(next.contact.phone.as_deref(), Some("+1 202 555 0100"));
        // A new last name keeps the first name; first and last sent are taken as sent.
        let (next, _) = edit(json!({"name": "Jane van Smyth"}));
        assert_eq!(
            (
                next.contact.first_name.as_deref(),
                next.contact.last_name.as_deref()
            ),
            (Some("Jane"), Some("van Smyth"))
        );
        let (next, _) = edit(json!({"name": "Mary Ann Jones", "firstName": "Mary Ann", "lastName": "Jones"}));
        assert_eq!(
            (
                next.contact.name.as_deref(),
                next.contact.first_name.as_deref(),
                next.contact.last_name.as_deref()
            ),
            (Some("Mary Ann Jones"), Some("Mary Ann"), Some("Jones"))
        );
        let patch = LeadPatch::from_json(&json!({"contact": {"phone": null}, "stage": "contacted"})).unwrap();
        let events = patch.events();
        assert!(
            matches!(&events[0], LeadEvent::ContactEdited { changes } if changes == &vec![(Attribute::Phone, None)])
        );
        assert_eq!(
            LeadPatch::from_json(&json!({"contact": "x"})).unwrap_err().field,
            "contact"
        );
    }

    #[test]
    fn custom_fields_are_set_and_removed_by_hand() {
        let mut lead = LeadState::default();
        lead.custom_fields.insert("budget".into(), json!("5k"));
        let changes = json!({"budget": null, "industry": "SaaS", "seats": 12, "vip": true});
        let event = LeadEvent::FieldsEdited {
            changes: changes.as_object().unwrap().clone(),
        };
        let (next, trail) = apply(Some(&lead), event, &Actor::Admin, 1, &reasons()).unwrap();
        assert_eq!(
            Value::Object(next.custom_fields),
            json!({"industry": "SaaS", "seats": 12, "vip": true})
        );
        assert_eq!(trail[0].kind, ActivityKind::FieldsEdited);
        for bad in [json!({"x": [1]}), json!({"x": {"a": 1}}), json!({"": 1})] {
            let event = LeadEvent::FieldsEdited {
                changes: bad.as_object().unwrap().clone(),
            };
            assert!(
                apply(Some(&lead), event, &Actor::Admin, 1, &reasons()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn submissions_under_one_email_cannot_grow_its_lead_past_a_row() {
        let mut lead = LeadState::default();
        let answer = |key: &str, chars: usize| -> Map<String, Value> {
            [(key.to_string(), json!("x".repeat(chars)))]
                .into_iter()
                .collect()
        };
        let with = |fields: Map<String, Value>| LeadEvent::Captured {
            contact: Contact::default(),
            custom_fields: fields,
        };
        for (i, key) in ["a_notes", "b_notes", "c_notes", "d_notes"].iter().enumerate() {
            lead = apply(
                Some(&lead),
                with(answer(key, 400_000)),
                &Actor::Visitor,
                i as i64,
                &reasons(),
            )
            .unwrap()
            .0;
            let bytes = serde_json::to_string(&lead.custom_fields).unwrap().len();
            assert!(bytes <= MAX_CAPTURED_FIELDS_BYTES, "{bytes} bytes after {key}");
            assert!(lead.custom_fields.contains_key(*key), "the newest answer is kept");
        }
        // Small fields stay beside them: the large earlier ones made the room.
        lead.custom_fields.insert("budget".into(), json!("10k"));
        let next = apply(
            Some(&lead),
            with(answer("e_notes", 900_000)),
            &Actor::Visitor,
            9,
            &reasons(),
        )
        .unwrap()
        .0;
        assert_eq!(next.custom_fields["budget"], json!("10k"));
        assert!(next.custom_fields.contains_key("e_notes"));
        // Under the cap, nothing is dropped.
        let mut small = LeadState::default();
        small.custom_fields.insert("a".into(), json!("1"));
        let next = apply(
            Some(&small),
            with(answer("b", 10)),
            &Actor::Visitor,
            1,
            &reasons(),
        )
        .unwrap()
        .0;
        assert_eq!(next.custom_fields.len(), 2);
    }

    #[test]
    fn custom_fields_added_by_hand_are_capped_but_a_full_lead_can_still_be_mended() {
        let edit = |lead: &LeadState, changes: Map<String, Value>| {
            apply(
                Some(lead),
                LeadEvent::FieldsEdited { changes },
                &Actor::Admin,
                1,
                &reasons(),
            )
        };
        let many = |from: usize, to: usize| -> Map<String, Value> {
            (from..to).map(|i| (format!("k{i}"), json!("v"))).collect()
        };
        let lead = LeadState::default();
        let (full, _) = edit(&lead, many(0, MAX_CUSTOM_FIELDS)).unwrap();
        assert_eq!(full.custom_fields.len(), MAX_CUSTOM_FIELDS);
        let refused = edit(&full, many(MAX_CUSTOM_FIELDS, MAX_CUSTOM_FIELDS + 1)).unwrap_err();
        assert_eq!(refused.field, "customFields");
        assert!(refused.reason.contains("at most 100"), "{}", refused.reason);
        // A full lead's values can still change, and keys can go.
        let mut mend = Map::new();
        mend.insert("k1".into(), json!("fixed"));
        mend.insert("k2".into(), Value::Null);
        let (mended, _) = edit(&full, mend).unwrap();
        assert_eq!(mended.custom_fields.len(), MAX_CUSTOM_FIELDS - 1);
        // Few keys, but too many bytes in all.
        let big = json!("x".repeat(9_000));
        let heavy: Map<String, Value> = (0..12).map(|i| (format!("k{i}"), big.clone())).collect();
        let refused = edit(&lead, heavy).unwrap_err();
        assert_eq!(refused.field, "customFields");
        assert!(refused.reason.contains("100 KB"), "{}", refused.reason);
    }

    #[test]
    fn an_agent_s_custom_field_names_are_capped_for_good_but_known_ones_stay_usable() {
        assert!(check_custom_names(0, 100).is_ok());
        assert!(check_custom_names(MAX_AGENT_CUSTOM_NAMES - 1, 1).is_ok());
        let refused = check_custom_names(MAX_AGENT_CUSTOM_NAMES - 1, 2).unwrap_err();
        assert_eq!(refused.field, "customFields");
        assert!(refused.reason.contains("at most 500"), "{}", refused.reason);
        // Names the agent's leads use already cost nothing, however many there are.
        assert!(check_custom_names(MAX_AGENT_CUSTOM_NAMES + 40, 0).is_ok());
    }

    #[test]
    fn custom_fields_hold_text_without_control_characters() {
        let edit = |key: &str, value: Value| {
            let mut changes = Map::new();
            changes.insert(key.into(), value);
            apply(
                Some(&LeadState::default()),
                LeadEvent::FieldsEdited { changes },
                &Actor::Admin,
                1,
                &reasons(),
            )
        };
        assert!(edit("notes", json!("line one\nline two\tend")).is_ok());
        let nul = edit("notes", json!("c\u{0}d")).unwrap_err();
        assert_eq!(nul.field, "customFields.notes");
        let key = edit("\u{0}nul", json!("v")).unwrap_err();
        assert_eq!(key.field, "customFields");
        assert!(edit("two\nlines", json!("v")).is_err(), "a key is one line");
    }

    #[test]
    fn a_patch_names_the_key_at_fault_and_orders_its_events() {
        let cases = [
            (json!([]), "body"),
            (json!({}), "body"),
            (json!({"stage": "won"}), "stage"),
            (json!({"stage": 3}), "stage"),
            (json!({"owner": "me"}), "owner"),
            (json!({"lostReason": "Other"}), "lostReason"),
            (json!({"customFields": "x"}), "customFields"),
            (json!({"note": 5}), "note"),
        ];
        for (body, field) in cases {
            assert_eq!(LeadPatch::from_json(&body).unwrap_err().field, field, "{body}");
        }
        // A blank reason is none: fine on any other move, still missing on a move to lost.
        let blank = LeadPatch::from_json(&json!({"stage": "contacted", "lostReason": " "})).unwrap();
        assert_eq!(blank.lost_reason, None);
        let lost = LeadPatch::from_json(&json!({"stage": "lost", "lostReason": ""})).unwrap();
        let err = apply_all(&LeadState::default(), lost.events(), &Actor::Admin, 1, &reasons()).unwrap_err();
        assert_eq!(err.field, "lostReason");
        let patch = LeadPatch::from_json(
            &json!({"stage": "lost", "lostReason": "Other", "note": "n", "customFields": {"a": 1}}),
        )
        .unwrap();
        let events = patch.events();
        assert!(matches!(events[0], LeadEvent::FieldsEdited { .. }));
        assert!(matches!(&events[1], LeadEvent::Moved { to: Stage::Lost, note: Some(n), .. } if n == "n"));
        let (next, trail) = apply_all(&LeadState::default(), events, &Actor::Admin, 1, &reasons()).unwrap();
        assert_eq!(next.stage, Stage::Lost);
        assert_eq!(trail.len(), 2);
    }

    #[test]
    fn attribution_is_read_with_caps_and_paths() {
        let value = json!({"pageUrl": " https://a.example/p ", "referrer": "", "landingPage": null,
                           "utm": {"source": "news", "campaign": "fall"}});
        let attribution = Attribution::from_json(&value).unwrap();
        assert_eq!(attribution.page_url.as_deref(), Some("https://a.example/p"));
        assert_eq!(attribution.referrer, None);
        assert_eq!(attribution.utm.source.as_deref(), Some("news"));
        assert_eq!(attribution.utm.medium, None);
        let cases = [
            (json!("x"), "attribution"),
            (json!({"pageUrl": 5}), "attribution.pageUrl"),
            (
                json!({"referrer": "x".repeat(MAX_URL_CHARS + 1)}),
                "attribution.referrer",
            ),
            (json!({"utm": []}), "attribution.utm"),
            (
                json!({"utm": {"term": "t".repeat(MAX_UTM_CHARS + 1)}}),
                "attribution.utm.term",
            ),
        ];
        for (value, field) in cases {
            assert_eq!(
                Attribution::from_json(&value).unwrap_err().field,
                field,
                "{value}"
            );
        }
        // Control characters (a `%09` in a campaign link) are dropped, not refused.
        let clean = Attribution::from_json(&json!({"utm": {"source": "ads\u{0}\u{1b}[2J", "campaign": "spring\tsale"}, "landingPage": "\u{7}"})).unwrap();
        assert_eq!(clean.utm.source.as_deref(), Some("ads[2J"));
        assert_eq!(clean.utm.campaign.as_deref(), Some("spring sale"));
        assert_eq!(clean.landing_page, None);
        let shown = serde_json::to_value(Attribution::default()).unwrap();
        assert_eq!(
            shown,
            json!({"pageUrl": null, "referrer": null, "landingPage": null,
            "utm": {"source": null, "medium": null, "campaign": null, "term": null, "content": null}})
        );
    }

    #[test]
    fn sources_are_lower_case_words() {
        for ok in ["widget", "api", "whatsapp", "telegram", "web_chat"] {
            assert!(is_source(ok), "{ok}");
        }
        for bad in ["", "Widget", "x y", "a-b", &"a".repeat(33)] {
            assert!(!is_source(bad), "{bad}");
        }
    }
}
