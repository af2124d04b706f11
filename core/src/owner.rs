//! What an owner sends to configure agents and form tools, and the checks on it.

use crate::form::{ExecutionMode, FieldKind, FieldSpec, DEFAULT_SUCCESS_MESSAGE};
use crate::post_actions::PostAction;
use crate::validate::{is_http_url, FieldError};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// `POST /v1/agents` (and the merged body of a `PATCH`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentIn {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub greeting: String,
    #[serde(default)]
    pub quick_replies: Vec<String>,
    /// Origins whose pages may call the widget endpoints, e.g. `https://shop.example`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Reasons an owner picks from when a lead is lost; `None`: the default list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reasons: Option<Vec<String>>,
    /// What the agent's LLM is told about the business and how to talk (when one is set up).
    #[serde(default)]
    pub instructions: String,
    /// Conversations older than this many days are purged; `None`: kept.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// How the widget looks on the owner's site.
    #[serde(default)]
    pub look: Option<crate::look::Look>,
    /// The widget's language (`en`, `de`, `fr`, `es`, `pt`, `ja`, `ar`); `None`: the
    /// visitor's browser language.
    #[serde(default)]
    pub locale: Option<String>,
    /// The greeting in other languages, by locale code; the widget shows the visitor's.
    #[serde(default)]
    pub greetings: crate::locale::Texts,
}

/// Longest retention an owner can set (ten years), and the longest instructions.
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// How long each free-text setting may be, and how many items a list may hold: what an
/// owner would ever need, far below what could fill a row or slow a widget.
pub mod caps {
    pub const NAME: usize = 100;
    pub const TITLE: usize = 200;
    pub const MESSAGE: usize = 2_000;
    pub const LABEL: usize = 200;
    /// A field's `help`: a sentence or two.
    pub const HELP: usize = 300;
    pub const URL: usize = 2_000;
    pub const QUICK_REPLIES: usize = 10;
    pub const ORIGINS: usize = 50;
    pub const FIELDS: usize = 50;
    pub const OPTIONS: usize = 100;
    pub const TRIGGERS: usize = 50;
    pub const POST_ACTIONS: usize = 10;
    pub const RECIPIENTS: usize = 20;
    pub const HEADERS: usize = 20;
    pub const TEMPLATE: usize = 4_000;
    pub const INSTRUCTIONS: usize = 8_000;
    /// Longest answer a field's `maxLength` may ask for: a submission is one D1 row, which
    /// holds at most 2 MB in production.
    pub const FIELD_MAX_LENGTH: u32 = 100_000;
}

pub use crate::validate::typed_text as cap;

/// A list of at most `max` items, each at most `item_max` characters.
fn cap_list(field: &str, items: &[String], max: usize, item_max: usize) -> Result<(), FieldError> {
    if items.len() > max {
        return Err(FieldError::new(field, format!("must list at most {max} items")));
    }
    for (i, item) in items.iter().enumerate() {
        cap(&format!("{field}[{i}]"), item, item_max)?;
    }
    Ok(())
}

impl AgentIn {
    pub fn check(&self) -> Result<(), FieldError> {
        check_id(self.id.as_deref(), "agent_")?;
        cap("name", &self.name, caps::NAME)?;
        cap("greeting", &self.greeting, caps::MESSAGE)?;
        cap("instructions", &self.instructions, caps::INSTRUCTIONS)?;
        if let Some(look) = &self.look {
            look.check("look")?;
        }
        if let Some(code) = &self.locale {
            if !crate::locale::LOCALES.contains(&code.as_str()) {
                return Err(FieldError::new(
                    "locale",
                    format!("must be one of {}", crate::locale::LOCALES.join(", ")),
                ));
            }
        }
        crate::locale::check_texts("greetings", &self.greetings, caps::MESSAGE)?;
        if self
            .retention_days
            .is_some_and(|d| d == 0 || d > MAX_RETENTION_DAYS)
        {
            return Err(FieldError::new(
                "retentionDays",
                format!("must be 1 to {MAX_RETENTION_DAYS} days (or null to keep conversations)"),
            ));
        }
        cap_list(
            "quickReplies",
            &self.quick_replies,
            caps::QUICK_REPLIES,
            caps::LABEL,
        )?;
        cap_list("allowedOrigins", &self.allowed_origins, caps::ORIGINS, caps::URL)?;
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "is required"));
        }
        if let Some(reasons) = &self.lost_reasons {
            if reasons.is_empty() || reasons.len() > 30 {
                return Err(FieldError::new("lostReasons", "must list 1 to 30 reasons"));
            }
            for (i, reason) in reasons.iter().enumerate() {
                if reason.trim().is_empty() {
                    return Err(FieldError::new(format!("lostReasons[{i}]"), "must not be empty"));
                }
                // A reason is matched as written (a move to lost, the list of its leads):
                // spaces around it would be a second reason that looks like the first.
                if reason.trim() != reason {
                    return Err(FieldError::new(
                        format!("lostReasons[{i}]"),
                        "must not begin or end with a space",
                    ));
                }
                cap(&format!("lostReasons[{i}]"), reason, 100)?;
                if reasons[..i].contains(reason) {
                    return Err(FieldError::new(format!("lostReasons[{i}]"), "repeats a reason"));
                }
            }
        }
        for origin in &self.allowed_origins {
            if origin == "*" {
                continue;
            }
            // Compared as written with the `Origin` a browser sends: a form it never sends
            // (a capital letter, `:443`, a trailing `/`) would refuse every visitor.
            match sent_origin(origin) {
                Some(sent) if sent == *origin => {}
                Some(sent) => {
                    return Err(FieldError::new(
                        "allowedOrigins",
                        format!("{origin:?} is not an origin as browsers send it: write {sent:?}"),
                    ))
                }
                None => {
                    return Err(FieldError::new(
                        "allowedOrigins",
                        format!("{origin:?} is not an origin like https://example.com (no path)"),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// `POST /v1/agents/{agentId}/tools` (and the merged body of a `PATCH`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ToolIn {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub triggers: Vec<String>,
    #[serde(default)]
    pub success_message: Option<String>,
    #[serde(default)]
    pub dismiss_message: String,
    #[serde(default)]
    pub execution_mode: ExecutionMode,
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// What runs after the primary webhook, each a delivery of its own.
    #[serde(default)]
    pub post_actions: Vec<PostAction>,
    /// Delays in seconds before each attempt of this tool's deliveries; its length is the
    /// number of attempts. `None` uses the edge's `RETRY_SCHEDULE_SECS`.
    #[serde(default)]
    pub retry_schedule: Option<Vec<u32>>,
    /// Refuse client results without the submission's client token (sent by the widget in
    /// `X-Leadform-Client-Token`); off by default so seed 002's documented call works.
    #[serde(default)]
    pub require_client_token: bool,
    /// When the form appears in a conversation (`core::conversation`).
    #[serde(default)]
    pub rules: crate::conversation::FormRules,
    /// Spam score at or above which a submission is quarantined (1 to 1000); `None` uses
    /// `spam::DEFAULT_THRESHOLD` (5).
    #[serde(default)]
    pub spam_threshold: Option<u32>,
    /// Questions the agent asks before it shows the form (`core::qualification`).
    #[serde(default)]
    pub qualification: Option<crate::qualification::Qualification>,
    /// Offered to visitors (on unless the owner paused the form). A paused form is in no
    /// widget config and no agent's reply, and takes only the submissions of displays
    /// already shown (a display token): a visitor half way through is not turned away.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// At most this many attempts per delivery, and at most this long between two.
pub const MAX_ATTEMPTS: usize = 20;
pub const MAX_RETRY_DELAY_SECS: u32 = 30 * 24 * 3600;

/// What `Object.prototype` answers to, that a tool's name pattern allows.
const OBJECT_MEMBERS: [&str; 12] = [
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

impl ToolIn {
    /// Checks the config; `allow_loopback` lets webhooks target this machine (local dev).
    pub fn check(&self, allow_loopback: bool) -> Result<(), FieldError> {
        check_id(self.id.as_deref(), "tool_")?;
        self.rules.check("rules")?;
        if let Some(qualification) = &self.qualification {
            qualification.check("qualification")?;
        }
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(FieldError::new("name", "must be 1-64 letters, digits, _ or -"));
        }
        // The loader finds a page's handler by this name on a plain object: a name every
        // JavaScript object already answers to would find a handler nobody registered.
        if OBJECT_MEMBERS.contains(&self.name.as_str()) {
            return Err(FieldError::new(
                "name",
                "is a name every JavaScript object has; choose another",
            ));
        }
        if self.fields.is_empty() {
            return Err(FieldError::new("fields", "must list at least one field"));
        }
        if let Some(title) = &self.title {
            cap("title", title, caps::TITLE)?;
        }
        cap("description", &self.description, caps::MESSAGE)?;
        if let Some(message) = &self.success_message {
            cap("successMessage", message, caps::MESSAGE)?;
        }
        cap("dismissMessage", &self.dismiss_message, caps::MESSAGE)?;
        cap_list("triggers", &self.triggers, caps::TRIGGERS, caps::LABEL)?;
        if self.fields.len() > caps::FIELDS {
            return Err(FieldError::new(
                "fields",
                format!("must list at most {} fields", caps::FIELDS),
            ));
        }
        if self.post_actions.len() > caps::POST_ACTIONS {
            return Err(FieldError::new(
                "postActions",
                format!("must list at most {} actions", caps::POST_ACTIONS),
            ));
        }
        if let Some(url) = &self.webhook_url {
            cap("webhookUrl", url, caps::URL)?;
        }
        for (i, field) in self.fields.iter().enumerate() {
            let at = |prop: &str, reason: &str| FieldError::new(format!("fields[{i}].{prop}"), reason);
            cap(&format!("fields[{i}].name"), &field.name, caps::NAME)?;
            for (key, text, most) in [
                ("label", &field.label, caps::LABEL),
                ("placeholder", &field.placeholder, caps::LABEL),
                ("help", &field.help, caps::HELP),
            ] {
                if let Some(text) = text {
                    cap(&format!("fields[{i}].{key}"), text, most)?;
                }
            }
            crate::locale::check_texts(&format!("fields[{i}].labels"), &field.labels, caps::LABEL)?;
            crate::locale::check_texts(&format!("fields[{i}].helps"), &field.helps, caps::HELP)?;
            cap_list(
                &format!("fields[{i}].options"),
                &field.options,
                caps::OPTIONS,
                caps::LABEL,
            )?;
            if field.name.trim().is_empty() {
                return Err(at("name", "needs a name"));
            }
            if self.fields[..i].iter().any(|f| f.name == field.name) {
                return Err(at("name", "repeats a field name"));
            }
            // A file's link ends in its field's name, and `.` or `..` there is a path step
            // every URL parser resolves away: the link would lead elsewhere.
            if matches!(field.name.as_str(), "." | "..") {
                return Err(at("name", "must not be . or .."));
            }
            if field.name == crate::form::HONEYPOT_FIELD {
                return Err(FieldError::new(
                    format!("fields[{i}].name"),
                    format!(
                        "{} is reserved (the widget's hidden spam trap)",
                        crate::form::HONEYPOT_FIELD
                    ),
                ));
            }
            if matches!(field.kind, FieldKind::Select | FieldKind::Multiselect) && field.options.is_empty() {
                return Err(at(
                    "options",
                    &format!("is a {} and needs options", field.kind.as_str()),
                ));
            }
            check_field_extras(&format!("fields[{i}]"), field)?;
            if let Some(step) = field.step_title() {
                cap(&format!("fields[{i}].step"), step, caps::TITLE)?;
            }
        }
        if self.fields.iter().all(|f| f.kind == FieldKind::Hidden) {
            return Err(FieldError::new(
                "fields",
                "needs a field a visitor sees, not only hidden ones",
            ));
        }
        let starts = crate::form::step_starts(&self.fields);
        for (n, start) in starts.iter().enumerate() {
            // A title that began an earlier step: its fields are not next to each other.
            let title = self.fields[*start].step_title();
            if title.is_some() && starts[..n].iter().any(|s| self.fields[*s].step_title() == title) {
                return Err(FieldError::new(
                    format!("fields[{start}].step"),
                    "must be next to the other fields of its step",
                ));
            }
            let end = starts.get(n + 1).copied().unwrap_or(self.fields.len());
            if self.fields[*start..end]
                .iter()
                .all(|f| f.kind == FieldKind::Hidden)
            {
                return Err(FieldError::new(
                    format!("fields[{start}].step"),
                    "starts a step with only hidden fields; a visitor would see an empty step",
                ));
            }
        }
        for (i, action) in self.post_actions.iter().enumerate() {
            action.check(&format!("postActions[{i}]"), allow_loopback)?;
        }
        if let Some(schedule) = &self.retry_schedule {
            if schedule.is_empty() || schedule.len() > MAX_ATTEMPTS {
                return Err(FieldError::new(
                    "retrySchedule",
                    format!("must list 1 to {MAX_ATTEMPTS} delays in seconds"),
                ));
            }
            if schedule.iter().any(|d| *d > MAX_RETRY_DELAY_SECS) {
                return Err(FieldError::new("retrySchedule", "delays may be at most 30 days"));
            }
        }
        if let Some(threshold) = self.spam_threshold {
            if !(1..=crate::spam::MAX_THRESHOLD).contains(&threshold) {
                return Err(FieldError::new(
                    "spamThreshold",
                    format!("must be from 1 to {}", crate::spam::MAX_THRESHOLD),
                ));
            }
        }
        match (&self.webhook_url, self.execution_mode.uses_webhook()) {
            (None, true) => Err(FieldError::new(
                "webhookUrl",
                "is required when executionMode includes webhook",
            )),
            (Some(url), _) => check_webhook_url(url, allow_loopback),
            (None, false) => Ok(()),
        }
    }

    pub fn success_message(&self) -> String {
        self.success_message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_SUCCESS_MESSAGE.into())
    }

    pub fn title(&self) -> String {
        self.title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "Leave your details".into())
    }
}

/// What only some kinds carry: a consent's link, a hidden field's source.
fn check_field_extras(path: &str, field: &crate::form::FieldSpec) -> Result<(), FieldError> {
    let at = |prop: &str, reason: &str| FieldError::new(format!("{path}.{prop}"), reason);
    match (&field.link, field.kind) {
        (None, FieldKind::Consent) => {
            return Err(at(
                "link",
                "is required: the page a consent agrees to (https://…)",
            ))
        }
        (Some(_), kind) if !kind.is_box() => {
            return Err(at("link", "is only for consent and checkbox fields"))
        }
        (Some(link), _) if link.len() > caps::URL || !crate::validate::is_http_url(link) => {
            return Err(at(
                "link",
                "must be a web address starting with http:// or https://",
            ))
        }
        _ => {}
    }
    if let Some(text) = &field.link_text {
        cap(&format!("{path}.linkText"), text, caps::LABEL)?;
    }
    if field.max_length.is_some_and(|n| n > caps::FIELD_MAX_LENGTH) {
        return Err(at(
            "maxLength",
            &format!("must be at most {} characters", caps::FIELD_MAX_LENGTH),
        ));
    }
    // A field no answer could fill would cost the owner every lead of the form: its least
    // is at most its most, `maxLength` or the kind's own (500 on a line, 10,000 in a box).
    let most = crate::validate::max_chars(field);
    if field.min_length.is_some_and(|min| min > most) {
        let why = match field.max_length {
            Some(max) => format!("must not be over maxLength ({max})"),
            None => format!("must not be over {most}, the most this field takes without a maxLength"),
        };
        return Err(at("minLength", &why));
    }
    match (&field.from, field.kind) {
        (Some(_), kind) if kind != FieldKind::Hidden => return Err(at("from", "is only for hidden fields")),
        (Some(from), _) if crate::form::Source::parse(from).is_none() => {
            return Err(at(
                "from",
                "must be page_url, page_title, referrer, utm_… or query:<parameter>",
            ))
        }
        _ => {}
    }
    if field.kind == FieldKind::Hidden && field.required {
        return Err(at(
            "required",
            "cannot be set on a hidden field: a visitor could not fill it",
        ));
    }
    Ok(())
}

fn check_id(id: Option<&str>, prefix: &str) -> Result<(), FieldError> {
    match id {
        Some(id)
            if !id.starts_with(prefix)
                || id.len() > 64
                || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Err(FieldError::new(
                "id",
                format!("must start with {prefix} and use letters, digits and _"),
            ))
        }
        _ => Ok(()),
    }
}

/// The `Origin` header a browser on `text` sends, when `text` is an http(s) URL.
fn sent_origin(text: &str) -> Option<String> {
    let parsed = url::Url::parse(text).ok()?;
    let http = matches!(parsed.scheme(), "http" | "https") && parsed.has_host() && is_http_url(text);
    http.then(|| parsed.origin().ascii_serialization())
}

/// Webhook targets must be http(s) and must not name this machine (unless `allow_loopback`)
/// or a private, shared or link-local network by address (a guard against server-side
/// request forgery). The URL is parsed the way `fetch` parses it, so `http://2130706433/`
/// or `http://127.0.0.1\@example.com/` are seen for what they are. Names are not resolved
/// here: on Cloudflare's network a Worker's fetch cannot reach private addresses anyway.
pub fn check_webhook_url(url: &str, allow_loopback: bool) -> Result<(), FieldError> {
    let field = "webhookUrl";
    // A URL is one line of printable text: `fetch` would drop or encode a control
    // character, so the URL kept would not be the URL called.
    if url.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must be an http:// or https:// URL"));
    }
    let parsed =
        url::Url::parse(url).map_err(|_| FieldError::new(field, "must be an http:// or https:// URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FieldError::new(field, "must be an http:// or https:// URL"));
    }
    let target = Target::of(&parsed).ok_or_else(|| FieldError::new(field, "must name a host"))?;
    if target.is_internal() && !(allow_loopback && target.is_loopback()) {
        return Err(FieldError::new(
            field,
            "must not point at a private, loopback or link-local address",
        ));
    }
    Ok(())
}

/// Whether `url` names this machine (loopback, or the unspecified address a server listens
/// on): an address that works only where it is typed. Parsed as `fetch` parses it, so
/// `http://LOCALHOST`, `http://a@127.0.0.1` and `http://127.1` are seen for what they are.
pub fn names_this_machine(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match Target::of(&parsed) {
        Some(Target::Ip(ip)) => ip.is_unspecified() || Target::Ip(ip).is_loopback(),
        Some(name) => name.is_loopback(),
        None => false,
    }
}

enum Target {
    Name(String),
    Ip(IpAddr),
}

impl Target {
    fn of(url: &url::Url) -> Option<Target> {
        Some(match url.host()? {
            url::Host::Domain(name) => Target::Name(name.trim_end_matches('.').to_ascii_lowercase()),
            url::Host::Ipv4(ip) => Target::Ip(ip.into()),
            url::Host::Ipv6(ip) => Target::Ip(ip.into()),
        })
    }

    fn is_loopback(&self) -> bool {
        match self {
            Target::Name(name) => name == "localhost" || name.ends_with(".localhost"),
            Target::Ip(ip) => ip.is_loopback() || ipv4_inside(ip).is_some_and(|v4| v4.is_loopback()),
        }
    }

    fn is_internal(&self) -> bool {
        match self {
            Target::Name(name) => {
                self.is_loopback()
                    || name.ends_with(".local")
                    || name.ends_with(".internal")
                    || !name.contains('.')
            }
            Target::Ip(IpAddr::V4(ip)) => is_internal_v4(*ip),
            Target::Ip(ip @ IpAddr::V6(v6)) => {
                let first = v6.segments()[0];
                ip.is_loopback()
                    || ip.is_unspecified()
                    || ip.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local
                    || (first & 0xffc0) == 0xfe80 // link-local
                    || (first & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some networks)
                    || v6.segments()[..3] == [0x64, 0xff9b, 1] // local-use NAT64 (RFC 8215)
                    || v6.segments()[..2] == [0x2001, 0] // Teredo: the IPv4 inside is obfuscated
                    || v6.segments()[..4] == [0x100, 0, 0, 0] // discard-only (RFC 6666)
                    || ipv4_inside(ip).is_some_and(is_internal_v4)
            }
        }
    }
}

/// The IPv4 address an IPv6 one carries: mapped `::ffff:a.b.c.d`, the old compatible
/// `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d` (SIIT), NAT64 `64:ff9b::a.b.c.d` and
/// 6to4 `2002:aabb:ccdd::`. Each can reach the IPv4 host through a relay or a dual stack, so
/// each is judged as that host.
fn ipv4_inside(ip: &IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(mapped) = v6.to_ipv4_mapped() {
        return Some(mapped);
    }
    match s {
        [0, 0, 0, 0, 0, 0, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            Some(v4(hi, lo))
        }
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier-grade NAT)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(value: serde_json::Value) -> ToolIn {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_form_is_offered_unless_paused_and_enabled_takes_only_a_boolean() {
        let base = json!({"name": "f", "fields": [{"name": "email", "type": "email"}]});
        assert!(
            tool(base.clone()).enabled,
            "a form made without `enabled` is offered"
        );
        let mut paused = base.clone();
        paused["enabled"] = json!(false);
        assert!(!tool(paused).enabled);
        let mut wrong = base;
        wrong["enabled"] = json!("no");
        assert!(serde_json::from_value::<ToolIn>(wrong).is_err());
    }

    #[test]
    fn a_field_asks_for_at_most_100_000_characters_and_names_are_text() {
        let with = |field: serde_json::Value| {
            tool(json!({"name": "f", "fields": [{"name": "email", "type": "email"}, field], "executionMode": "client"}))
                .check(true)
        };
        assert!(with(json!({"name": "essay", "type": "textarea", "maxLength": 100_000})).is_ok());
        let long =
            with(json!({"name": "essay", "type": "textarea", "maxLength": 4_000_000_000u64})).unwrap_err();
        assert_eq!(long.field, "fields[1].maxLength");
        let unfillable =
            with(json!({"name": "essay", "type": "textarea", "minLength": 50, "maxLength": 20})).unwrap_err();
        assert_eq!(unfillable.field, "fields[1].minLength");
        assert!(
            unfillable.reason.contains("maxLength (20)"),
            "{}",
            unfillable.reason
        );
        let too_long = with(json!({"name": "essay", "type": "textarea", "minLength": 100_001})).unwrap_err();
        assert_eq!(too_long.field, "fields[1].minLength");
        // Without a maxLength, the kind's own most: 500 on a line, 10,000 in a box.
        let line = with(json!({"name": "company", "type": "text", "minLength": 600})).unwrap_err();
        assert_eq!(line.field, "fields[1].minLength");
        assert!(line.reason.contains("500"), "{}", line.reason);
        assert!(with(json!({"name": "essay", "type": "textarea", "minLength": 600})).is_ok());
        assert!(with(json!({"name": "essay", "type": "textarea", "minLength": 10_001})).is_err());
        assert!(with(json!({"name": "essay", "type": "textarea", "minLength": 20, "maxLength": 20})).is_ok());
        let nul = with(json!({"name": "essay", "type": "textarea", "label": "Es\u{0}say"})).unwrap_err();
        assert_eq!(nul.field, "fields[1].label");
        assert!(nul.reason.contains("control characters"), "{}", nul.reason);
        let tool_named = |name: &str| {
            tool(json!({"name": name, "fields": [{"name": "email", "type": "email"}], "executionMode": "client"}))
                .check(true)
        };
        for reserved in ["constructor", "toString", "__proto__"] {
            assert_eq!(tool_named(reserved).unwrap_err().field, "name", "{reserved}");
        }
        assert!(tool_named("Constructor_form").is_ok());
        for step in [".", ".."] {
            let path = with(json!({"name": step, "type": "file"})).unwrap_err();
            assert_eq!(path.field, "fields[1].name", "{step}");
        }
        assert!(with(json!({"name": "cv.pdf", "type": "file"})).is_ok());
    }

    #[test]
    fn every_free_text_setting_is_capped_and_the_error_names_it() {
        let base = || json!({"name": "f", "fields": [{"name": "email", "type": "email"}], "executionMode": "client"});
        fn long(n: usize) -> String {
            "x".repeat(n)
        }
        type Mutation = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (Box::new(|t| t["title"] = json!(long(caps::TITLE + 1))), "title"),
            (
                Box::new(|t| t["description"] = json!(long(caps::MESSAGE + 1))),
                "description",
            ),
            (
                Box::new(|t| t["successMessage"] = json!(long(caps::MESSAGE + 1))),
                "successMessage",
            ),
            (
                Box::new(|t| t["triggers"] = json!(vec!["a"; caps::TRIGGERS + 1])),
                "triggers",
            ),
            (
                Box::new(|t| t["fields"][0]["label"] = json!(long(caps::LABEL + 1))),
                "fields[0].label",
            ),
            (
                Box::new(|t| t["fields"][0]["options"] = json!([long(caps::LABEL + 1)])),
                "fields[0].options[0]",
            ),
            (
                Box::new(
                    |t| t["postActions"] = json!([{"type": "webhook", "url": "https://x.example/h", "headers": {"X-Team": "a\r\nInjected: 1"}}]),
                ),
                "postActions[0].headers.X-Team",
            ),
            (
                Box::new(
                    |t| t["postActions"] = json!([{"type": "slack", "webhookUrl": "https://hooks.example/s", "messageTemplate": long(caps::TEMPLATE + 1)}]),
                ),
                "postActions[0].messageTemplate",
            ),
        ];
        for (mutate, field) in cases {
            let mut value = base();
            mutate(&mut value);
            assert_eq!(
                tool(value.clone()).check(false).unwrap_err().field,
                field,
                "{value}"
            );
        }
        assert!(tool(base()).check(false).is_ok());
        let agent = |value: serde_json::Value| serde_json::from_value::<AgentIn>(value).unwrap().check();
        // Every text an owner sets is checked alike: a NUL or an escape in a lost reason
        // would show raw on the dashboard and cut a CSV cell short.
        let reasons = agent(json!({"name": "a", "lostReasons": ["Price", "a\u{0}b\u{1b}[31m"]})).unwrap_err();
        assert_eq!(reasons.field, "lostReasons[1]");
        assert!(
            reasons.reason.contains("control characters"),
            "{}",
            reasons.reason
        );
        let spaced = agent(json!({"name": "a", "lostReasons": ["Price", "Price "]})).unwrap_err();
        assert_eq!(spaced.field, "lostReasons[1]");
        for url in [
            "http://hooks.example.com/a\u{0}b",
            "https://hooks.example.com/\u{1b}x",
        ] {
            assert_eq!(
                check_webhook_url(url, false).unwrap_err().field,
                "webhookUrl",
                "{url:?}"
            );
        }
        assert!(check_webhook_url("https://hooks.example.com/a%00b", false).is_ok());
        assert_eq!(
            agent(json!({"name": long(caps::NAME + 1)})).unwrap_err().field,
            "name"
        );
        assert_eq!(
            agent(json!({"name": "a", "greeting": long(caps::MESSAGE + 1)}))
                .unwrap_err()
                .field,
            "greeting"
        );
        assert_eq!(
            agent(json!({"name": "a", "quickReplies": vec!["hi"; caps::QUICK_REPLIES + 1]}))
                .unwrap_err()
                .field,
            "quickReplies"
        );
        assert_eq!(
            agent(json!({"name": "a", "locale": "nl"})).unwrap_err().field,
            "locale"
        );
        assert_eq!(
            agent(json!({"name": "a", "greetings": {"xx": "Hi"}}))
                .unwrap_err()
                .field,
            "greetings.xx"
        );
        assert!(agent(json!({"name": "a", "locale": "ar", "greetings": {"de": "Hallo!"}})).is_ok());
        let mut labelled = base();
        labelled["fields"][0]["labels"] = json!({"de": long(caps::LABEL + 1)});
        assert_eq!(
            tool(labelled).check(false).unwrap_err().field,
            "fields[0].labels.de"
        );
        // Why a field is asked: a sentence or two, in any of the widget's languages.
        let mut helped = base();
        helped["fields"][0]["help"] = json!(long(caps::HELP));
        helped["fields"][0]["helps"] = json!({"ja": long(caps::HELP)});
        assert!(tool(helped.clone()).check(false).is_ok());
        helped["fields"][0]["help"] = json!(long(caps::HELP + 1));
        assert_eq!(
            tool(helped.clone()).check(false).unwrap_err().field,
            "fields[0].help"
        );
        helped["fields"][0]["help"] = json!("Line one\u{0}");
        assert_eq!(
            tool(helped.clone()).check(false).unwrap_err().field,
            "fields[0].help"
        );
        helped["fields"][0]["help"] = json!("So we can call you back.");
        helped["fields"][0]["helps"] = json!({"nl": "Om u terug te bellen."});
        assert_eq!(tool(helped).check(false).unwrap_err().field, "fields[0].helps.nl");
    }

    #[test]
    fn a_webhook_tool_needs_a_public_url() {
        let t = tool(json!({"name": "contact_form", "fields": [{"name": "email", "type": "email"}]}));
        assert_eq!(t.check(false).unwrap_err().field, "webhookUrl");
        // (url, accepted in production, accepted with loopback allowed)
        let cases = [
            ("https://crm.example.com/hook", true, true),
            ("http://127.0.0.1:9000/hook", false, true),
            ("http://localhost/x", false, true),
            ("http://10.1.2.3/x", false, false),
            ("http://192.168.0.4/x", false, false),
            ("http://169.254.169.254/latest", false, false),
            ("http://[::1]:80/x", false, true),
            ("http://[fd00::1]/x", false, false),
            ("http://user@127.0.0.1/x", false, true),
            ("ftp://example.com", false, false),
            // How fetch reads them, not how they look.
            ("http://127.0.0.1\\@example.com/x", false, true),
            ("http://2130706433/x", false, true),
            ("http://0x7f.1/x", false, true),
            ("http://127.1/x", false, true),
            ("http://localhost./x", false, true),
            ("http://127.0.0.1./x", false, true),
            ("http://%6c%6fcalhost/x", false, true),
            ("http://[::ffff:127.0.0.1]/x", false, true),
            ("http://[::ffff:10.0.0.1]/x", false, false),
            ("http://[64:ff9b::a00:1]/x", false, false),
            ("http://[::10.0.0.1]/x", false, false),
            ("http://[::127.0.0.1]/x", false, true),
            ("http://[2002:a00:1::]/x", false, false),
            ("http://[2002:7f00:1::]/x", false, true),
            ("http://[2002:808:808::]/x", true, true),
            ("http://[fec0::1]/x", false, false),
            ("http://[::ffff:0:a00:1]/x", false, false),
            ("http://[::ffff:0:7f00:1]/x", false, true),
            ("http://[::ffff:0:808:808]/x", true, true),
            ("http://[100::1]/x", false, false),
            ("http://192.0.0.8/x", false, false),
            ("http://[64:ff9b:1::a00:1]/x", false, false),
            ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", false, false),
            ("http://[2606:4700::1111]/x", true, true),
            ("http://100.64.0.1/x", false, false),
            ("http://198.18.0.1/x", false, false),
            ("http://224.0.0.1/x", false, false),
            ("http://255.255.255.255/x", false, false),
            ("http://intranet/x", false, false),
            ("http://crm.internal/x", false, false),
            ("https://hooks.slack.com/services/T0/B0/X", true, true),
            ("http://8.8.8.8/x", true, true),
        ];
        for (url, in_production, with_loopback) in cases {
            let mut t = t.clone();
            t.webhook_url = Some(url.into());
            assert_eq!(t.check(false).is_ok(), in_production, "{url}");
            assert_eq!(t.check(true).is_ok(), with_loopback, "{url} with loopback");
        }
    }

    #[test]
    fn new_kinds_carry_what_they_need() {
        let form = |fields: serde_json::Value| {
            tool(json!({"name": "f", "executionMode": "client", "fields": fields})).check(false)
        };
        let err = |fields| {
            let e = form(fields).unwrap_err();
            (e.field, e.reason)
        };
        assert_eq!(
            err(json!([{"name": "topics", "type": "multiselect"}])).0,
            "fields[0].options"
        );
        assert_eq!(
            err(json!([{"name": "ok", "type": "consent"}])).0,
            "fields[0].link",
            "a consent names what it agrees to"
        );
        assert_eq!(
            err(json!([{"name": "ok", "type": "consent", "link": "javascript:alert(1)"}])).0,
            "fields[0].link"
        );
        assert_eq!(
            err(json!([{"name": "a", "link": "https://x.example/p"}])).1,
            "is only for consent and checkbox fields"
        );
        assert_eq!(
            err(json!([{"name": "a", "from": "referrer"}])).0,
            "fields[0].from"
        );
        assert_eq!(
            err(json!([{"name": "a"}, {"name": "src", "type": "hidden", "from": "cookie:x"}])).0,
            "fields[1].from"
        );
        assert_eq!(
            err(json!([{"name": "a"}, {"name": "src", "type": "hidden", "required": true}])).0,
            "fields[1].required"
        );
        assert!(form(json!([
            {"name": "email", "type": "email", "step": "You"},
            {"name": "topics", "type": "multiselect", "options": ["A", "B"], "step": "Project"},
            {"name": "start", "type": "date"},
            {"name": "campaign", "type": "hidden", "from": "utm_campaign"},
            {"name": "privacy", "type": "consent", "required": true, "link": "https://x.example/privacy", "linkText": "Privacy policy"}
        ]))
        .is_ok());
        assert_eq!(
            err(json!([{"name": "a", "step": "A"}, {"name": "b", "step": "B"}, {"name": "c", "step": "A"}])),
            (
                "fields[2].step".into(),
                "must be next to the other fields of its step".into()
            )
        );
        assert_eq!(
            err(json!([{"name": "a", "step": "A"}, {"name": "h", "type": "hidden", "step": "B"}])).0,
            "fields[1].step",
            "a step of only hidden fields would show nothing"
        );
        assert_eq!(err(json!([{"name": "h", "type": "hidden"}])).0, "fields");
    }

    #[test]
    fn tool_fields_must_make_sense() {
        let base = json!({"name": "f", "executionMode": "client", "fields": []});
        assert_eq!(tool(base).check(false).unwrap_err().field, "fields");
        let dup = json!({"name": "f", "executionMode": "client", "fields": [{"name": "a"}, {"name": "a"}]});
        assert_eq!(tool(dup).check(false).unwrap_err().field, "fields[1].name");
        let select =
            json!({"name": "f", "executionMode": "client", "fields": [{"name": "plan", "type": "select"}]});
        let no_options = tool(select).check(false).unwrap_err();
        assert_eq!(no_options.reason, "is a select and needs options");
        assert_eq!(no_options.field, "fields[0].options");
        let bad_name = json!({"name": "two words", "executionMode": "client", "fields": [{"name": "a"}]});
        assert_eq!(tool(bad_name).check(false).unwrap_err().field, "name");
        let trap = json!({"name": "f", "executionMode": "client", "fields": [{"name": "a"}, {"name": "fax_number"}]});
        let err = tool(trap).check(false).unwrap_err();
        assert_eq!(err.field, "fields[1].name");
        assert!(err.reason.contains("reserved"), "{}", err.reason);
    }

    #[test]
    fn a_spam_threshold_is_from_1_to_1000() {
        let with = |threshold: serde_json::Value| {
            tool(
                json!({"name": "f", "executionMode": "client", "fields": [{"name": "a"}], "spamThreshold": threshold}),
            )
        };
        assert_eq!(with(json!(null)).spam_threshold, None);
        for ok in [1, 5, 1000] {
            assert!(with(json!(ok)).check(false).is_ok(), "{ok}");
        }
        for bad in [0, 1001] {
            assert_eq!(with(json!(bad)).check(false).unwrap_err().field, "spamThreshold");
        }
    }

    #[test]
    fn defaults_fill_in_messages() {
        let t = tool(json!({"name": "f", "executionMode": "client", "fields": [{"name": "a"}]}));
        assert!(t.check(false).is_ok());
        assert_eq!(t.success_message(), DEFAULT_SUCCESS_MESSAGE);
    }

    #[test]
    fn agents_list_origins_not_urls() {
        let ok: AgentIn =
            serde_json::from_value(json!({"name": "A", "allowedOrigins": ["http://127.0.0.1:8080", "*"]}))
                .unwrap();
        assert!(ok.check().is_ok());
        let refused = |origin: &str| {
            let agent: AgentIn =
                serde_json::from_value(json!({"name": "A", "allowedOrigins": [origin]})).unwrap();
            let err = agent.check().unwrap_err();
            assert_eq!(err.field, "allowedOrigins");
            err.reason
        };
        // What browsers never send is refused, with what they do send.
        for (written, sent) in [
            ("https://x.com/page", "https://x.com"),
            ("https://Shop.Example.com", "https://shop.example.com"),
            ("https://x.com:443", "https://x.com"),
            ("https://x.com/", "https://x.com"),
            ("http://x.com:80?", "http://x.com"),
        ] {
            let reason = refused(written);
            assert!(
                reason.ends_with(&format!("write {sent:?}")),
                "{written}: {reason}"
            );
        }
        assert!(refused("ftp://x.com").contains("not an origin like"));
        assert!(refused("x.com").contains("not an origin like"));
        let ok: AgentIn = serde_json::from_value(
            json!({"name": "A", "allowedOrigins": ["https://x.com:8443", "http://[::1]:3000"]}),
        )
        .unwrap();
        assert!(ok.check().is_ok());
        let bad_id: AgentIn = serde_json::from_value(json!({"id": "demo", "name": "A"})).unwrap();
        assert_eq!(bad_id.check().unwrap_err().field, "id");
    }
}
