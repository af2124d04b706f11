//! What an owner sends to configure agents and form tools, and the checks on it.

use crate::form::{ExecutionMode, FieldKind, FieldSpec, DEFAULT_SUCCESS_MESSAGE};
use crate::validate::{is_http_url, FieldError};
use serde::{Deserialize, Serialize};

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
}

impl AgentIn {
    pub fn check(&self) -> Result<(), FieldError> {
        check_id(self.id.as_deref(), "agent_")?;
        if self.name.trim().is_empty() {
            return Err(FieldError::new("name", "is required"));
        }
        for origin in &self.allowed_origins {
            if origin != "*" && !is_origin(origin) {
                return Err(FieldError::new(
                    "allowedOrigins",
                    format!("{origin:?} is not an origin like https://example.com (no path)"),
                ));
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
}

impl ToolIn {
    /// Checks the config; `allow_loopback` lets webhooks target this machine (local dev).
    pub fn check(&self, allow_loopback: bool) -> Result<(), FieldError> {
        check_id(self.id.as_deref(), "tool_")?;
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(FieldError::new("name", "must be 1-64 letters, digits, _ or -"));
        }
        if self.fields.is_empty() {
            return Err(FieldError::new("fields", "must list at least one field"));
        }
        for (i, field) in self.fields.iter().enumerate() {
            let at = |reason: &str| FieldError::new(format!("fields[{i}]"), reason);
            if field.name.trim().is_empty() {
                return Err(at("needs a name"));
            }
            if self.fields[..i].iter().any(|f| f.name == field.name) {
                return Err(at("repeats a field name"));
            }
            if field.kind == FieldKind::Select && field.options.is_empty() {
                return Err(at("is a select and needs options"));
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

fn is_origin(text: &str) -> bool {
    is_http_url(text) && text.splitn(4, '/').nth(3).is_none()
}

/// Webhook targets must be http(s) and must not name this machine (unless `allow_loopback`)
/// or a private network by address (a guard against server-side request forgery).
pub fn check_webhook_url(url: &str, allow_loopback: bool) -> Result<(), FieldError> {
    let field = "webhookUrl";
    if !is_http_url(url) {
        return Err(FieldError::new(field, "must be an http:// or https:// URL"));
    }
    let host = host_of(url);
    let exempt = allow_loopback && is_loopback_host(&host);
    if is_internal_host(&host) && !exempt {
        return Err(FieldError::new(
            field,
            "must not point at a private, loopback or link-local address",
        ));
    }
    Ok(())
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.to_ascii_lowercase()
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn is_internal_host(host: &str) -> bool {
    if host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".internal")
    {
        return true;
    }
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_unspecified()
            || ip.octets()[0] == 0;
    }
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        let first = ip.segments()[0];
        let mapped_v4 = ip
            .to_ipv4_mapped()
            .is_some_and(|v4| is_internal_host(&v4.to_string()));
        return ip.is_loopback()
            || ip.is_unspecified()
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80
            || mapped_v4;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(value: serde_json::Value) -> ToolIn {
        serde_json::from_value(value).unwrap()
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
        ];
        for (url, in_production, with_loopback) in cases {
            let mut t = t.clone();
            t.webhook_url = Some(url.into());
            assert_eq!(t.check(false).is_ok(), in_production, "{url}");
            assert_eq!(t.check(true).is_ok(), with_loopback, "{url} with loopback");
        }
    }

    #[test]
    fn tool_fields_must_make_sense() {
        let base = json!({"name": "f", "executionMode": "client", "fields": []});
        assert_eq!(tool(base).check(false).unwrap_err().field, "fields");
        let dup = json!({"name": "f", "executionMode": "client", "fields": [{"name": "a"}, {"name": "a"}]});
        assert_eq!(tool(dup).check(false).unwrap_err().field, "fields[1]");
        let select =
            json!({"name": "f", "executionMode": "client", "fields": [{"name": "plan", "type": "select"}]});
        assert_eq!(
            tool(select).check(false).unwrap_err().reason,
            "is a select and needs options"
        );
        let bad_name = json!({"name": "two words", "executionMode": "client", "fields": [{"name": "a"}]});
        assert_eq!(tool(bad_name).check(false).unwrap_err().field, "name");
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
        let bad: AgentIn =
            serde_json::from_value(json!({"name": "A", "allowedOrigins": ["https://x.com/page"]})).unwrap();
        assert_eq!(bad.check().unwrap_err().field, "allowedOrigins");
        let bad_id: AgentIn = serde_json::from_value(json!({"id": "demo", "name": "A"})).unwrap();
        assert_eq!(bad_id.check().unwrap_err().field, "id");
    }
}
