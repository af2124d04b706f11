//! Post-actions (seed 002, "Post Actions"; seed 004's integrations): what runs after the
//! primary webhook, each a delivery of its own. Here: their configuration, its checks, the
//! `{{placeholder}}` templates, and the HTTP request each kind makes. The edge only sends.

use crate::owner::check_webhook_url;
use crate::qualification::When;
use crate::validate::{is_email, FieldError};
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One post-action as an owner configures it on a form tool (`postActions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum PostAction {
    /// A Slack incoming webhook; `messageTemplate` uses `{{field}}` and `{{_toolName}}`.
    Slack {
        webhook_url: String,
        #[serde(default)]
        message_template: Option<String>,
        /// Runs only for submissions this matches (score, answers): routing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// Off: kept with its settings, not run (an integration paused, seed 004's "toggled
        /// to Active").
        #[serde(default = "on", skip_serializing_if = "is_on")]
        enabled: bool,
    },
    /// The payload of the primary webhook, signed the same way, to another URL with
    /// extra headers.
    Webhook {
        url: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// Runs only for submissions this matches (score, answers): routing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// Off: kept with its settings, not run (an integration paused, seed 004's "toggled
        /// to Active").
        #[serde(default = "on", skip_serializing_if = "is_on")]
        enabled: bool,
    },
    /// A notification through the configured email API, to `recipients` (addresses) and
    /// `recipientIds` (dashboard members, seed 002's spelling: their address as it is when
    /// the email goes, so a member who changes it is not left behind).
    Email {
        #[serde(default)]
        recipients: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        recipient_ids: Vec<String>,
        #[serde(default)]
        subject: Option<String>,
        /// Runs only for submissions this matches (score, answers): routing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// Off: kept with its settings, not run (an integration paused, seed 004's "toggled
        /// to Active").
        #[serde(default = "on", skip_serializing_if = "is_on")]
        enabled: bool,
    },
    /// Appends a row to a sheet through the Google Sheets API.
    GoogleSheets {
        spreadsheet_id: String,
        #[serde(default)]
        sheet: Option<String>,
        /// Runs only for submissions this matches (score, answers): routing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// Off: kept with its settings, not run (an integration paused, seed 004's "toggled
        /// to Active").
        #[serde(default = "on", skip_serializing_if = "is_on")]
        enabled: bool,
    },
    /// Adds the lead's email to a Mailchimp audience.
    Mailchimp {
        audience_id: String,
        #[serde(default)]
        double_opt_in: bool,
        /// Runs only for submissions this matches (score, answers): routing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        when: Option<When>,
        /// Off: kept with its settings, not run (an integration paused, seed 004's "toggled
        /// to Active").
        #[serde(default = "on", skip_serializing_if = "is_on")]
        enabled: bool,
    },
}

impl PostAction {
    pub fn kind(&self) -> &'static str {
        match self {
            PostAction::Slack { .. } => "slack",
            PostAction::Webhook { .. } => "webhook",
            PostAction::Email { .. } => "email",
            PostAction::GoogleSheets { .. } => "google_sheets",
            PostAction::Mailchimp { .. } => "mailchimp",
        }
    }

    /// The action's routing condition, if any.
    pub fn when(&self) -> Option<&When> {
        match self {
            PostAction::Slack { when, .. }
            | PostAction::Webhook { when, .. }
            | PostAction::Email { when, .. }
            | PostAction::GoogleSheets { when, .. }
            | PostAction::Mailchimp { when, .. } => when.as_ref(),
        }
    }

    /// Whether it runs (`enabled`, on unless the owner paused it).
    pub fn enabled(&self) -> bool {
        match self {
            PostAction::Slack { enabled, .. }
            | PostAction::Webhook { enabled, .. }
            | PostAction::Email { enabled, .. }
            | PostAction::GoogleSheets { enabled, .. }
            | PostAction::Mailchimp { enabled, .. } => *enabled,
        }
    }

    /// Turned on or paused (the dashboard's Integrations page), its settings kept.
    pub fn set_enabled(&mut self, on: bool) {
        match self {
            PostAction::Slack { enabled, .. }
            | PostAction::Webhook { enabled, .. }
            | PostAction::Email { enabled, .. }
            | PostAction::GoogleSheets { enabled, .. }
            | PostAction::Mailchimp { enabled, .. } => *enabled = on,
        }
    }

    /// Where the action goes, for the delivery log (services configured on the edge are
    /// named by the service).
    pub fn target(&self) -> String {
        match self {
            PostAction::Slack { webhook_url, .. } => webhook_url.clone(),
            PostAction::Webhook { url, .. } => url.clone(),
            PostAction::Email {
                recipients,
                recipient_ids,
                ..
            } => {
                let all: Vec<&str> = recipients
                    .iter()
                    .chain(recipient_ids)
                    .map(String::as_str)
                    .collect();
                format!("mailto:{}", all.join(","))
            }
            PostAction::GoogleSheets { spreadsheet_id, .. } => format!("google-sheets:{spreadsheet_id}"),
            PostAction::Mailchimp { audience_id, .. } => format!("mailchimp:{audience_id}"),
        }
    }

    /// An email's members (`recipientIds`) replaced by `addresses`, their addresses as the
    /// dashboard has them now (a member since removed has none), each address once.
    /// Other kinds are as they are.
    pub fn with_member_addresses(self, addresses: Vec<String>) -> PostAction {
        match self {
            PostAction::Email {
                mut recipients,
                subject,
                when,
                enabled,
                ..
            } => {
                for address in addresses {
                    if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&address)) {
                        recipients.push(address);
                    }
                }
                PostAction::Email {
                    recipients,
                    recipient_ids: vec![],
                    subject,
                    when,
                    enabled,
                }
            }
            other => other,
        }
    }

    /// The dashboard members an email names (`recipientIds`); none for other kinds.
    pub fn member_ids(&self) -> &[String] {
        match self {
            PostAction::Email { recipient_ids, .. } => recipient_ids,
            _ => &[],
        }
    }

    /// Of a tool's current `actions`, the one that takes over from `snapshot` (what a
    /// delivery was made with) for a lead that qualified as `qualification`: of those whose
    /// `when` the lead matches, as a new submission would be routed, the only one of its
    /// kind, or the one of its kind with the same target. `None` when there is none (the
    /// owner removed it, or now routes such leads elsewhere): the snapshot is kept then,
    /// and never goes to a target the owner's rules keep this lead from.
    pub fn current<'a>(
        snapshot: &PostAction,
        actions: &'a [PostAction],
        qualification: Option<&crate::qualification::Outcome>,
    ) -> Option<&'a PostAction> {
        let same_kind: Vec<&PostAction> = actions
            .iter()
            .filter(|a| a.kind() == snapshot.kind())
            .filter(|a| a.when().is_none_or(|when| when.matches(qualification)))
            .collect();
        match same_kind.as_slice() {
            [only] => Some(only),
            several => several.iter().copied().find(|a| a.target() == snapshot.target()),
        }
    }

    /// Checks one action; `at` is its path in the tool (`postActions[0]`).
    pub fn check(&self, at: &str, allow_loopback: bool) -> Result<(), FieldError> {
        let field = |name: &str| format!("{at}.{name}");
        let url_check = |name: &str, url: &str| {
            check_webhook_url(url, allow_loopback).map_err(|e| FieldError::new(field(name), e.reason))
        };
        use crate::owner::{cap, caps};
        if let Some(when) = self.when() {
            when.check(&field("when"))?;
        }
        match self {
            PostAction::Slack {
                webhook_url,
                message_template,
                ..
            } => {
                cap(
                    &field("messageTemplate"),
                    message_template.as_deref().unwrap_or(""),
                    caps::TEMPLATE,
                )?;
                url_check("webhookUrl", webhook_url)
            }
            PostAction::Webhook { url, headers, .. } => {
                url_check("url", url)?;
                if headers.len() > caps::HEADERS {
                    return Err(FieldError::new(
                        field("headers"),
                        format!("must hold at most {} headers", caps::HEADERS),
                    ));
                }
                // Checked here, not when sending: a value fetch would refuse (a line break,
                // a control character) must never fail a lead's delivery later.
                if let Some((h, _)) = headers.iter().find(|(_, v)| !is_header_value(v)) {
                    return Err(FieldError::new(
                        field(&format!("headers.{h}")),
                        "must be printable text of at most 1,000 characters, on one line",
                    ));
                }
                match headers.keys().find(|h| !is_settable_header(h)) {
                    Some(h) => Err(FieldError::new(
                        field("headers"),
                        format!(
                            "{h:?} cannot be set (not a header name, or one leadform signs or sets itself)"
                        ),
                    )),
                    None => Ok(()),
                }
            }
            PostAction::Email {
                recipients,
                recipient_ids,
                subject,
                ..
            } => {
                cap(&field("subject"), subject.as_deref().unwrap_or(""), caps::TITLE)?;
                if recipients.len() + recipient_ids.len() > caps::RECIPIENTS {
                    return Err(FieldError::new(
                        field("recipients"),
                        format!(
                            "must list at most {} addresses and members in all",
                            caps::RECIPIENTS
                        ),
                    ));
                }
                if recipients.is_empty() && recipient_ids.is_empty() {
                    return Err(FieldError::new(
                        field("recipients"),
                        "must list at least one address (recipients) or member (recipientIds)",
                    ));
                }
                for (i, id) in recipient_ids.iter().enumerate() {
                    plain_id(&field(&format!("recipientIds[{i}]")), id)?;
                }
                match recipients.iter().find(|r| !is_email(r)) {
                    Some(r) => Err(FieldError::new(
                        field("recipients"),
                        format!("{r:?} is not an email address"),
                    )),
                    None => Ok(()),
                }
            }
            PostAction::GoogleSheets { spreadsheet_id, .. } => {
                plain_id(&field("spreadsheetId"), spreadsheet_id)
            }
            PostAction::Mailchimp { audience_id, .. } => plain_id(&field("audienceId"), audience_id),
        }
    }
}

fn plain_id(field: &str, id: &str) -> Result<(), FieldError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be an id of letters, digits, - or _"))
    }
}

fn is_header_value(value: &str) -> bool {
    value.len() <= 1_000 && value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn is_settable_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        && !lower.starts_with("webhook-")
        && !matches!(lower.as_str(), "content-type" | "content-length" | "host")
}

/// Everything about one submission a post-action may show (the pipeline's lead is
/// `crate::lead`).
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionView {
    pub submission_id: String,
    pub tool_id: String,
    pub tool_name: String,
    pub tool_title: String,
    pub conversation_id: Option<String>,
    /// Values in the form's field order; files already shown as `{name, …, url}`.
    pub form_data: Map<String, Value>,
    /// The form's field names in order (sheet columns).
    pub fields: Vec<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub submitted_at: String,
    pub conversation_url: Option<String>,
    /// What the conversation was about (its summary), when it came from one.
    pub summary: Option<String>,
    /// How the visitor qualified before the form, when it asks questions.
    pub qualification: Option<crate::qualification::Outcome>,
}

/// The qualification in one line: "Score 50 (qualified): How big is your team? 2-50; …".
fn qualification_line(lead: &SubmissionView) -> Option<String> {
    let q = lead.qualification.as_ref()?;
    let verdict = if q.qualified {
        "qualified"
    } else {
        "below the threshold"
    };
    let answers: Vec<String> = q
        .answers
        .iter()
        .map(|a| format!("{} {}", a.question, a.answer))
        .collect();
    Some(format!("Score {} ({verdict}): {}", q.score, answers.join("; ")))
}

/// Addresses and keys of the services post-actions call, from the edge's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Services {
    pub email_api_url: String,
    pub email_api_key: String,
    pub email_from: String,
    pub sheets_api_url: String,
    pub sheets_token: String,
    pub mailchimp_api_url: String,
    pub mailchimp_api_key: String,
}

/// The Sheets API's address of `cells` in `sheet` (default `Sheet1`) of a spreadsheet.
fn sheet_values_url(services: &Services, spreadsheet_id: &str, sheet: Option<&str>, cells: &str) -> String {
    // A1 notation quotes a sheet's name (`'Leads 2026'!A1`, a `'` doubled): unquoted, a
    // name with a space, a `!` or the shape of a cell (`A1`) names another range.
    let name = sheet.unwrap_or("Sheet1").replace('\'', "''");
    let range = format!("'{name}'!{cells}");
    format!(
        "{}/v4/spreadsheets/{spreadsheet_id}/values/{}",
        services.sheets_api_url.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(&range, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// Before a retry of a Google Sheets append, the read that tells whether an earlier
/// attempt's row is already there: the Sheets API has no idempotency key, and an append
/// whose answer was lost (a time-out, a dropped connection) may well have been made. It
/// reads the columns a row starts with (submittedAt, submissionId, tool name), where the
/// submission's id is found if its row was appended. `None` for any other action.
pub fn sheet_row_check(action: &PostAction, services: &Services) -> Option<Outgoing> {
    let PostAction::GoogleSheets {
        spreadsheet_id,
        sheet,
        ..
    } = action
    else {
        return None;
    };
    if services.sheets_api_url.is_empty() {
        return None;
    }
    Some(Outgoing {
        method: "GET",
        url: format!(
            "{}?majorDimension=ROWS",
            sheet_values_url(services, spreadsheet_id, sheet.as_deref(), "A:C")
        ),
        headers: bearer(&services.sheets_token),
        body: String::new(),
    })
}

/// What the row check's answer must contain when the submission's row is in the sheet: its
/// id as a JSON string (ids are letters, digits and `_`, never escaped in JSON).
pub fn sheet_row_marker(submission_id: &str) -> String {
    format!("\"{submission_id}\"")
}

/// An HTTP request to make (a JSON body, or none for a GET).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The request `action` makes for `lead`, or why it cannot be made. The `webhook` kind is
/// built by the edge (it is signed like the primary webhook); it has no entry here.
/// `delivery_id` names the delivery on every retry: services that deduplicate by an
/// `Idempotency-Key` (the email API) send one email however often it is retried.
pub fn request(
    action: &PostAction,
    lead: &SubmissionView,
    services: &Services,
    delivery_id: &str,
) -> Result<Outgoing, String> {
    build(action, lead, services, delivery_id, "")
}

/// What "Send a test" sends for `action` (`POST /v1/tools/{id}/test` with `postAction`): the
/// request a submission makes, of the example `lead`, with a Slack message's text and an
/// email's subject starting "[Test] " (a Sheets row says it by its `sub_test_…` id). For
/// Mailchimp, a read of the audience instead: a test adds no one to the owner's audience,
/// and the read tells whether the key and the audience id are right.
pub fn test_request(
    action: &PostAction,
    lead: &SubmissionView,
    services: &Services,
    test_id: &str,
) -> Result<Outgoing, String> {
    if let PostAction::Mailchimp { audience_id, .. } = action {
        if services.mailchimp_api_url.is_empty() {
            return Err("MAILCHIMP_API_URL is not configured on this edge".into());
        }
        return Ok(Outgoing {
            method: "GET",
            // (`audienceId` is a plain id, checked when configured: nothing to encode.)
            url: format!(
                "{}/lists/{audience_id}?fields=id,name",
                services.mailchimp_api_url.trim_end_matches('/'),
            ),
            headers: vec![("Authorization".into(), mailchimp_basic(services))],
            body: String::new(),
        });
    }
    build(action, lead, services, test_id, TEST_MARK)
}

/// How a test's Slack text and email subject start.
pub const TEST_MARK: &str = "[Test] ";

fn mailchimp_basic(services: &Services) -> String {
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("leadform:{}", services.mailchimp_api_key),
    );
    format!("Basic {basic}")
}

/// [`request`], with `mark` put before a Slack text and an email subject.
fn build(
    action: &PostAction,
    lead: &SubmissionView,
    services: &Services,
    delivery_id: &str,
    mark: &str,
) -> Result<Outgoing, String> {
    let json_post = |url: String, headers: Vec<(String, String)>, body: Value| Outgoing {
        method: "POST",
        url,
        headers,
        body: body.to_string(),
    };
    let needs = |value: &str, name: &str| {
        if value.is_empty() {
            Err(format!("{name} is not configured on this edge"))
        } else {
            Ok(())
        }
    };
    match action {
        PostAction::Slack {
            webhook_url,
            message_template,
            ..
        } => {
            let template = message_template.as_deref().unwrap_or(DEFAULT_SLACK_TEMPLATE);
            let text = render(template, lead, slack_escape);
            let text = if message_template.is_none() {
                format!("{mark}{text}\n{}", field_lines(lead, slack_escape))
            } else {
                format!("{mark}{text}")
            };
            // Plain text: a visitor's `*`, `_` or `~` would otherwise format the owner's
            // message (`*URGENT* wire $50k` in bold), and Slack has no way to escape them
            // one by one. No previews either: a link a visitor typed is not fetched by Slack
            // nor shown as a card under the lead.
            Ok(json_post(
                webhook_url.clone(),
                vec![],
                json!({ "text": text, "mrkdwn": false, "unfurl_links": false, "unfurl_media": false }),
            ))
        }
        PostAction::Email {
            recipients,
            recipient_ids,
            subject,
            ..
        } => {
            needs(&services.email_api_url, "EMAIL_API_URL")?;
            if !recipient_ids.is_empty() {
                return Err("its members' addresses were not looked up (with_member_addresses)".into());
            }
            if recipients.is_empty() {
                return Err(
                    "no recipient is left: the members it named are no longer on the dashboard".into(),
                );
            }
            // No made-up sender: a provider refuses mail from a domain the owner has not
            // verified, and the owner should read why here, before any attempt.
            needs(&services.email_from, "EMAIL_FROM")?;
            let subject = one_line(
                &format!(
                    "{mark}{}",
                    render(
                        subject.as_deref().unwrap_or("New {{_formTitle}} submission"),
                        lead,
                        |s| s.to_string(),
                    )
                ),
                SUBJECT_CHARS,
            );
            let mut headers = bearer(&services.email_api_key);
            headers.push(("Idempotency-Key".into(), delivery_id.to_string()));
            Ok(json_post(
                services.email_api_url.clone(),
                headers,
                json!({
                    "from": services.email_from,
                    "to": recipients,
                    "subject": subject,
                    "text": email_text(lead),
                    "html": email_html(lead),
                }),
            ))
        }
        PostAction::GoogleSheets {
            spreadsheet_id,
            sheet,
            ..
        } => {
            needs(&services.sheets_api_url, "GOOGLE_SHEETS_API_URL")?;
            let mut row = vec![
                json!(lead.submitted_at),
                json!(lead.submission_id),
                json!(lead.tool_name),
            ];
            row.extend(
                lead.fields
                    .iter()
                    .map(|f| json!(lead.form_data.get(f).map(value_text).unwrap_or_default())),
            );
            row.push(json!(lead.conversation_id.clone().unwrap_or_default()));
            Ok(json_post(
                format!(
                    "{}:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS",
                    sheet_values_url(services, spreadsheet_id, sheet.as_deref(), "A1")
                ),
                bearer(&services.sheets_token),
                json!({ "values": [row] }),
            ))
        }
        PostAction::Mailchimp {
            audience_id,
            double_opt_in,
            ..
        } => {
            needs(&services.mailchimp_api_url, "MAILCHIMP_API_URL")?;
            let email = lead.email.clone().ok_or("the lead has no email address to add")?;
            let name = lead.form_data.get("name").map(value_text).unwrap_or_default();
            let (first, last) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
            // Only what the lead gave: an empty value would blank the member's own.
            let merge_fields: Map<String, Value> = [
                ("FNAME", first),
                ("LNAME", last.trim()),
                ("PHONE", lead.phone.as_deref().unwrap_or_default()),
            ]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(tag, value)| (tag.to_string(), json!(value)))
            .collect();
            // An upsert at the member's own address (the MD5 of the lower-case email: the
            // API's subscriber hash): a lead who comes back, or a retry after a time-out
            // the audience took, is an update, where adding again is a 400 "Member Exists".
            // `status_if_new` only: a member who unsubscribed is never subscribed again.
            let hash = md5::Md5::digest(email.trim().to_lowercase().as_bytes());
            let hash: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            Ok(Outgoing {
                method: "PUT",
                ..json_post(
                    format!(
                        "{}/lists/{audience_id}/members/{hash}",
                        services.mailchimp_api_url.trim_end_matches('/')
                    ),
                    vec![("Authorization".into(), mailchimp_basic(services))],
                    json!({
                        "email_address": email,
                        "status_if_new": if *double_opt_in { "pending" } else { "subscribed" },
                        "merge_fields": merge_fields,
                    }),
                )
            })
        }
        PostAction::Webhook { .. } => Err("webhook post-actions are signed and sent by the edge".into()),
    }
}

fn bearer(token: &str) -> Vec<(String, String)> {
    vec![("Authorization".into(), format!("Bearer {token}"))]
}

const DEFAULT_SLACK_TEMPLATE: &str = "New {{_formTitle}} submission ({{_toolName}})";

/// Fills `{{name}}` placeholders: a form field by its name, or one of `_toolName`,
/// `_toolId`, `_formTitle`, `_submissionId`, `_conversationId`, `_submittedAt`,
/// `_conversationUrl`. Unknown or empty ones render as nothing. Values (never the
/// template) pass through `escape`.
pub fn render(template: &str, lead: &SubmissionView, escape: fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&escape(&placeholder(after[..end].trim(), lead)));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn placeholder(name: &str, lead: &SubmissionView) -> String {
    match name {
        "_toolName" => lead.tool_name.clone(),
        "_toolId" => lead.tool_id.clone(),
        "_formTitle" => lead.tool_title.clone(),
        "_submissionId" => lead.submission_id.clone(),
        "_conversationId" => lead.conversation_id.clone().unwrap_or_default(),
        "_submittedAt" => lead.submitted_at.clone(),
        "_conversationUrl" => lead.conversation_url.clone().unwrap_or_default(),
        field => lead.form_data.get(field).map(value_text).unwrap_or_default(),
    }
}

fn on() -> bool {
    true
}

fn is_on(enabled: &bool) -> bool {
    *enabled
}

/// A form value as one line of text; a file as its name and link.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(file) => format!(
            "{} ({})",
            file.get("name").and_then(Value::as_str).unwrap_or("file"),
            file.get("url").and_then(Value::as_str).unwrap_or("")
        ),
        Value::Array(items) => crate::form::list_text(items),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup: a visitor's `<!channel>` stays text.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn html_escape(text: &str) -> String {
    slack_escape(text).replace('"', "&quot;").replace('\'', "&#39;")
}

/// `name: value`, a line per field (Slack's message and the email's text). A value of
/// several lines goes under its name, each line indented, so no line a visitor typed can
/// pass for another field (`hi\nemail: ceo@…` in a message field).
fn field_lines(lead: &SubmissionView, escape: fn(&str) -> String) -> String {
    lead.form_data
        .iter()
        .map(|(name, value)| {
            let text = escape(&value_text(value)).replace("\r\n", "\n");
            if !text.contains(['\n', '\r']) {
                return format!("{name}: {text}");
            }
            let indented: Vec<String> = text
                .split(['\n', '\r'])
                .map(|line| format!("    {line}"))
                .collect();
            format!("{name}:\n{}", indented.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn email_text(lead: &SubmissionView) -> String {
    let summary = lead
        .summary
        .as_ref()
        .map(|s| format!("Summary:\n{s}\n\n"))
        .unwrap_or_default();
    let qualification = qualification_line(lead)
        .map(|q| format!("Qualification:\n{q}\n\n"))
        .unwrap_or_default();
    let mut text = format!(
        "New submission of {} ({})\n\n{summary}{qualification}{}\n\n",
        lead.tool_title,
        lead.tool_name,
        field_lines(lead, |s| s.to_string())
    );
    if let Some(url) = &lead.conversation_url {
        text.push_str(&format!("Conversation: {url}\n"));
    }
    text.push_str(&format!(
        "Submitted at: {}\nSubmission: {}\n",
        lead.submitted_at, lead.submission_id
    ));
    text
}

fn email_html(lead: &SubmissionView) -> String {
    let rows: String = lead
        .form_data
        .iter()
        .map(|(name, value)| {
            format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                html_escape(name),
                html_escape(&value_text(value))
            )
        })
        .collect();
    let link = lead
        .conversation_url
        .as_ref()
        .map(|u| format!("<p><a href=\"{0}\">Open the conversation</a></p>", html_escape(u)))
        .unwrap_or_default();
    let summary = lead
        .summary
        .as_ref()
        .map(|s| {
            format!(
                "<p><strong>Summary</strong><br>{}</p>",
                html_escape(s).replace('\n', "<br>")
            )
        })
        .unwrap_or_default();
    let qualification = qualification_line(lead)
        .map(|q| format!("<p><strong>Qualification</strong><br>{}</p>", html_escape(&q)))
        .unwrap_or_default();
    format!(
        "<h2>New submission of {}</h2>{summary}{qualification}<table>{rows}</table>{link}<p>Submitted at {} · {}</p>",
        html_escape(&lead.tool_title),
        html_escape(&lead.submitted_at),
        html_escape(&lead.submission_id)
    )
}

/// Longest email subject sent: what mail clients show, and far under any relay's limit.
const SUBJECT_CHARS: usize = 200;

/// A header-safe line: a visitor's answer in a subject template (`{{message}}`) cannot add
/// lines (`\r\nBcc: …`) to a relay that writes the subject into a mail header. Control
/// characters become spaces, and the line is cut at `max` characters.
fn one_line(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_takes_over_only_an_action_the_lead_is_routed_to_now() {
        let hook = |url: &str, when: Option<When>| {
            serde_json::from_value::<PostAction>(json!({"type": "webhook", "url": url, "when": when}))
                .unwrap()
        };
        let qualified_only = When {
            qualified: Some(true),
            ..When::default()
        };
        let snapshot = hook("https://team-a.example/in", None);
        let unqualified = crate::qualification::Outcome {
            score: 10,
            qualified: false,
            answers: vec![],
        };
        // The owner replaced it with one for qualified leads only: not this lead's.
        let now = [hook("https://team-b.example/in", Some(qualified_only.clone()))];
        assert_eq!(PostAction::current(&snapshot, &now, Some(&unqualified)), None);
        assert_eq!(
            PostAction::current(&snapshot, &now, None),
            None,
            "nor a lead never scored"
        );
        let qualified = crate::qualification::Outcome {
            qualified: true,
            ..unqualified.clone()
        };
        assert_eq!(
            PostAction::current(&snapshot, &now, Some(&qualified)),
            Some(&now[0])
        );
        // A fixed URL, for every lead: taken over.
        let fixed = [hook("https://team-a.example/fixed", None)];
        assert_eq!(
            PostAction::current(&snapshot, &fixed, Some(&unqualified)),
            Some(&fixed[0])
        );
    }

    #[test]
    fn a_test_is_marked_and_adds_no_one_to_an_audience() {
        let action = |v: Value| serde_json::from_value::<PostAction>(v).unwrap();
        let slack = action(json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/T/B/x"}));
        let sent = test_request(&slack, &lead(), &services(), "test_1").unwrap();
        let text = serde_json::from_str::<Value>(&sent.body).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.starts_with("[Test] New Talk to us submission"), "{text}");
        let real = request(&slack, &lead(), &services(), "dlv_1").unwrap();
        assert_eq!(
            text,
            format!(
                "[Test] {}",
                serde_json::from_str::<Value>(&real.body).unwrap()["text"]
                    .as_str()
                    .unwrap()
            )
        );

        let email =
            action(json!({"type": "email", "recipients": ["team@acme.test"], "subject": "Lead: {{name}}"}));
        let sent = test_request(&email, &lead(), &services(), "test_1").unwrap();
        let body: Value = serde_json::from_str(&sent.body).unwrap();
        assert_eq!(body["subject"], "[Test] Lead: Jane Smith");
        // Its own key: a test never answers as a real delivery's email did.
        assert!(sent
            .headers
            .contains(&("Idempotency-Key".to_string(), "test_1".to_string())));

        // The sheet gets the row a submission makes (marked by its example id).
        let sheet = action(json!({"type": "google_sheets", "spreadsheetId": "sheet_1"}));
        assert_eq!(
            test_request(&sheet, &lead(), &services(), "test_1").unwrap(),
            request(&sheet, &lead(), &services(), "test_1").unwrap()
        );

        // Mailchimp: a read of the audience, nothing written.
        let audience = action(json!({"type": "mailchimp", "audienceId": "aud_1"}));
        let sent = test_request(&audience, &lead(), &services(), "test_1").unwrap();
        assert_eq!(sent.method, "GET");
        assert!(sent.url.ends_with("/lists/aud_1?fields=id,name"), "{}", sent.url);
        assert!(sent.body.is_empty());
        let unconfigured = Services {
            mailchimp_api_url: String::new(),
            ..services()
        };
        assert!(test_request(&audience, &lead(), &unconfigured, "t")
            .unwrap_err()
            .contains("MAILCHIMP_API_URL"));
    }

    fn lead() -> SubmissionView {
        let mut form_data = Map::new();
        form_data.insert("name".into(), json!("Jane Smith"));
        form_data.insert("email".into(), json!("jane@example.com"));
        form_data.insert("message".into(), json!("<!channel> & <b>hi</b>"));
        SubmissionView {
            submission_id: "sub_1".into(),
            tool_id: "tool_contact_form".into(),
            tool_name: "contact_form".into(),
            tool_title: "Talk to us".into(),
            conversation_id: Some("conv_9".into()),
            form_data,
            fields: vec!["name".into(), "email".into(), "phone".into(), "message".into()],
            email: Some("jane@example.com".into()),
            phone: None,
            submitted_at: "2024-12-23T10:30:00.000Z".into(),
            conversation_url: Some("https://app.example/c/conv_9".into()),
            summary: Some("Asked: <b>pricing</b>?\nFilled in Contact".into()),
            qualification: None,
        }
    }

    fn services() -> Services {
        Services {
            email_api_url: "http://mail.test/emails".into(),
            email_api_key: "mk".into(),
            email_from: "leads@example.com".into(),
            sheets_api_url: "http://sheets.test/".into(),
            sheets_token: "st".into(),
            mailchimp_api_url: "http://mc.test/3.0".into(),
            mailchimp_api_key: "key-us1".into(),
        }
    }

    #[test]
    fn templates_fill_fields_and_specials_and_leave_unknowns_empty() {
        let text = render(
            "New {{_toolName}} submission!\nEmail: {{ email }} {{phone}}|{{nope}}|{{_conversationId}}",
            &lead(),
            |s| s.to_string(),
        );
        assert_eq!(
            text,
            "New contact_form submission!\nEmail: jane@example.com ||conv_9"
        );
        assert_eq!(
            render("{{message}} {{unclosed", &lead(), slack_escape),
            "&lt;!channel&gt; &amp; &lt;b&gt;hi&lt;/b&gt; {{unclosed"
        );
    }

    /// An email post-action to sales@example.com with the default subject.
    fn email_to_sales() -> PostAction {
        PostAction::Email {
            recipients: vec!["sales@example.com".into()],
            recipient_ids: vec![],
            subject: None,
            when: None,
            enabled: true,
        }
    }

    #[test]
    fn slack_posts_the_rendered_text() {
        let action = PostAction::Slack {
            webhook_url: "http://hooks.test/x".into(),
            message_template: Some("New {{_toolName}}: {{email}}".into()),
            when: None,
            enabled: true,
        };
        let out = request(&action, &lead(), &services(), "dlv_1").unwrap();
        assert_eq!((out.method, out.url.as_str()), ("POST", "http://hooks.test/x"));
        assert_eq!(
            serde_json::from_str::<Value>(&out.body).unwrap(),
            json!({ "text": "New contact_form: jane@example.com", "mrkdwn": false, "unfurl_links": false, "unfurl_media": false })
        );
    }

    #[test]
    fn a_visitors_lines_cannot_pass_for_other_fields_or_format_the_message() {
        let mut forged = lead();
        forged.form_data.insert(
            "message".into(),
            json!("hi\r\nemail: ceo-spoof@example.com\n*Approved by finance*\rbye"),
        );
        forged
            .form_data
            .insert("name".into(), json!("*URGENT* wire $50k"));
        let slack = PostAction::Slack {
            webhook_url: "http://hooks.test/x".into(),
            message_template: None,
            when: None,
            enabled: true,
        };
        let out = request(&slack, &forged, &services(), "dlv_1").unwrap();
        let body: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(
            body["mrkdwn"],
            json!(false),
            "plain text: the visitor's stars stay stars"
        );
        let text = body["text"].as_str().unwrap();
        assert!(
            text.contains(
                "message:\n    hi\n    email: ceo-spoof@example.com\n    *Approved by finance*\n    bye"
            ),
            "{text}"
        );
        assert!(text.contains("name: *URGENT* wire $50k"), "{text}");
        // Every line that starts at the margin is the message's own or one field's.
        let fields: Vec<&str> = text.lines().skip(1).filter(|l| !l.starts_with(' ')).collect();
        assert_eq!(
            fields.iter().filter(|l| l.starts_with("email:")).count(),
            1,
            "{text}"
        );
        // The email's text part lists the fields the same way.
        let email = email_to_sales();
        let sent: Value =
            serde_json::from_str(&request(&email, &forged, &services(), "dlv_2").unwrap().body).unwrap();
        assert!(sent["text"]
            .as_str()
            .unwrap()
            .contains("message:\n    hi\n    email: ceo-spoof@example.com"));
    }

    #[test]
    fn email_has_form_name_data_link_and_time_with_html_escaped() {
        let action = email_to_sales();
        let out = request(&action, &lead(), &services(), "dlv_1").unwrap();
        let body: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(
            out.headers,
            vec![
                ("Authorization".to_string(), "Bearer mk".to_string()),
                ("Idempotency-Key".to_string(), "dlv_1".to_string())
            ]
        );
        assert_eq!(body["to"], json!(["sales@example.com"]));
        assert_eq!(body["subject"], "New Talk to us submission");
        // A visitor's answer in the subject stays on one line, and the line stays short.
        let visitor_subject = PostAction::Email {
            recipients: vec!["sales@example.com".into()],
            recipient_ids: vec![],
            subject: Some("Lead {{email}}\r\nBcc: victim@example.com {{_formTitle}}".into()),
            when: None,
            enabled: true,
        };
        let sent = request(&visitor_subject, &lead(), &services(), "dlv_2").unwrap();
        let subject = serde_json::from_str::<Value>(&sent.body).unwrap()["subject"].clone();
        assert_eq!(
            subject,
            "Lead jane@example.com  Bcc: victim@example.com Talk to us"
        );
        assert_eq!(one_line(&"x".repeat(500), SUBJECT_CHARS).len(), 200);
        let text = body["text"].as_str().unwrap();
        for part in [
            "Talk to us",
            "email: jane@example.com",
            "https://app.example/c/conv_9",
            "2024-12-23T10:30:00.000Z",
            "Summary:\nAsked: <b>pricing</b>?\nFilled in Contact",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        let html = body["html"].as_str().unwrap();
        assert!(html.contains("&lt;b&gt;hi&lt;/b&gt;"));
        assert!(html
            .contains("<strong>Summary</strong><br>Asked: &lt;b&gt;pricing&lt;/b&gt;?<br>Filled in Contact"));
    }

    #[test]
    fn sheets_append_one_row_in_field_order() {
        let action = PostAction::GoogleSheets {
            spreadsheet_id: "abc".into(),
            sheet: Some("Leads 2026".into()),
            when: None,
            enabled: true,
        };
        let out = request(&action, &lead(), &services(), "dlv_1").unwrap();
        assert_eq!(out.url, "http://sheets.test/v4/spreadsheets/abc/values/%27Leads%202026%27%21A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS");
        let body: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(
            body["values"][0],
            json!([
                "2024-12-23T10:30:00.000Z",
                "sub_1",
                "contact_form",
                "Jane Smith",
                "jane@example.com",
                "",
                "<!channel> & <b>hi</b>",
                "conv_9"
            ])
        );
    }

    #[test]
    fn a_service_left_unconfigured_is_named_before_any_request() {
        let email = email_to_sales();
        for (services, missing) in [
            (
                Services {
                    email_api_url: String::new(),
                    ..services()
                },
                "EMAIL_API_URL",
            ),
            (
                Services {
                    email_from: String::new(),
                    ..services()
                },
                "EMAIL_FROM",
            ),
        ] {
            assert_eq!(
                request(&email, &lead(), &services, "dlv_1"),
                Err(format!("{missing} is not configured on this edge"))
            );
        }
    }

    #[test]
    fn a_sheets_retry_first_reads_the_columns_that_hold_the_submission_id() {
        let action = PostAction::GoogleSheets {
            spreadsheet_id: "abc".into(),
            sheet: Some("Bob's leads".into()),
            when: None,
            enabled: true,
        };
        let check = sheet_row_check(&action, &services()).unwrap();
        assert_eq!(check.method, "GET");
        assert_eq!(check.url, "http://sheets.test/v4/spreadsheets/abc/values/%27Bob%27%27s%20leads%27%21A%3AC?majorDimension=ROWS");
        assert_eq!(
            check.headers,
            vec![("Authorization".to_string(), "Bearer st".to_string())]
        );
        assert!(check.body.is_empty());
        // The row the append writes carries the id in a cell the check reads.
        let row = request(&action, &lead(), &services(), "dlv_1").unwrap();
        let cells: Value = serde_json::from_str(&row.body).unwrap();
        let read_back = json!({ "values": [cells["values"][0].as_array().unwrap()[..3]] }).to_string();
        assert!(read_back.contains(&sheet_row_marker("sub_1")));
        assert!(!read_back.contains(&sheet_row_marker("sub_")));
        // Other actions, or Sheets not configured: no check.
        let slack = PostAction::Slack {
            webhook_url: "https://hooks.slack.com/services/x".into(),
            message_template: None,
            when: None,
            enabled: true,
        };
        assert_eq!(sheet_row_check(&slack, &services()), None);
        let unset = Services {
            sheets_api_url: String::new(),
            ..services()
        };
        assert_eq!(sheet_row_check(&action, &unset), None);
    }

    #[test]
    fn mailchimp_upserts_the_member_at_its_subscriber_hash_with_the_names_given() {
        let action = PostAction::Mailchimp {
            audience_id: "aud1".into(),
            double_opt_in: false,
            when: None,
            enabled: true,
        };
        let out = request(&action, &lead(), &services(), "dlv_1").unwrap();
        assert_eq!(out.method, "PUT");
        // md5("jane@example.com"), as Mailchimp's docs compute a subscriber hash.
        assert_eq!(
            out.url,
            "http://mc.test/3.0/lists/aud1/members/9e26471d35a78862c17e467d87cddedf"
        );
        assert_eq!(out.headers[0].1, "Basic bGVhZGZvcm06a2V5LXVzMQ==");
        let body: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(
            body,
            json!({"email_address": "jane@example.com", "status_if_new": "subscribed", "merge_fields": {"FNAME": "Jane", "LNAME": "Smith"}})
        );
        let shouting = SubmissionView {
            email: Some("Jane@Example.COM".into()),
            ..lead()
        };
        assert_eq!(
            request(&action, &shouting, &services(), "dlv_1").unwrap().url,
            out.url,
            "the hash of the lower-case email"
        );
        let no_email = SubmissionView {
            email: None,
            ..lead()
        };
        assert!(request(&action, &no_email, &services(), "dlv_1").is_err());
        assert!(request(&action, &lead(), &Services::default(), "dlv_1")
            .unwrap_err()
            .contains("MAILCHIMP_API_URL"));
    }

    #[test]
    fn an_email_to_members_as_seed_002_writes_it_goes_to_their_addresses_each_once() {
        let action: PostAction = serde_json::from_value(
            json!({"type": "email", "recipientIds": ["mem_1", "mem_2"], "subject": "New Form Submission"}),
        )
        .unwrap();
        action.check("postActions[0]", false).unwrap();
        assert_eq!(action.member_ids(), ["mem_1", "mem_2"]);
        // Not sent before its members are looked up, nor once none of them is left.
        assert!(request(&action, &lead(), &services(), "dlv_1").is_err());
        let nobody = action.clone().with_member_addresses(vec![]);
        assert!(request(&nobody, &lead(), &services(), "dlv_1")
            .unwrap_err()
            .contains("no recipient"));
        let mixed: PostAction = serde_json::from_value(
            json!({"type": "email", "recipients": ["Sales@example.com"], "recipientIds": ["mem_1"]}),
        )
        .unwrap();
        let resolved =
            mixed.with_member_addresses(vec!["sales@example.com".into(), "ana@example.com".into()]);
        let sent = request(&resolved, &lead(), &services(), "dlv_1").unwrap();
        let body: Value = serde_json::from_str(&sent.body).unwrap();
        assert_eq!(body["to"], json!(["Sales@example.com", "ana@example.com"]));
        // Neither list given, a bad id, or more than the cap: refused at its field.
        let refused = |config: Value| {
            serde_json::from_value::<PostAction>(config)
                .unwrap()
                .check("postActions[0]", false)
                .unwrap_err()
                .field
        };
        assert_eq!(refused(json!({"type": "email"})), "postActions[0].recipients");
        assert_eq!(
            refused(json!({"type": "email", "recipientIds": ["ok", "no way"]})),
            "postActions[0].recipientIds[1]"
        );
        let many: Vec<String> = (0..21).map(|i| format!("mem_{i}")).collect();
        assert_eq!(
            refused(json!({"type": "email", "recipientIds": many})),
            "postActions[0].recipients"
        );
    }

    #[test]
    fn a_paused_action_keeps_its_settings_and_says_so_only_when_off() {
        let paused: PostAction = serde_json::from_value(
            json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/x", "enabled": false}),
        )
        .unwrap();
        assert!(!paused.enabled());
        assert_eq!(serde_json::to_value(&paused).unwrap()["enabled"], json!(false));
        let on: PostAction = serde_json::from_value(
            json!({"type": "slack", "webhookUrl": "https://hooks.slack.com/services/x"}),
        )
        .unwrap();
        assert!(on.enabled());
        assert!(
            serde_json::to_value(&on).unwrap().get("enabled").is_none(),
            "read back as written"
        );
    }

    #[test]
    fn configs_are_checked_and_read_as_documented() {
        let parsed: Vec<PostAction> = serde_json::from_value(json!([
            {"type": "slack", "webhookUrl": "https://hooks.slack.com/services/x", "messageTemplate": "New {{_toolName}}"},
            {"type": "webhook", "url": "https://crm.example/leads", "headers": {"Authorization": "Bearer xxx"}},
            {"type": "email", "recipients": ["a@example.com"], "subject": "New Form Submission"},
            {"type": "google_sheets", "spreadsheetId": "1AbC", "sheet": "Leads"},
            {"type": "mailchimp", "audienceId": "a1b2c3", "when": {"minScore": 50}}
        ]))
        .unwrap();
        assert_eq!(parsed[4].when().and_then(|w| w.min_score), Some(50));
        assert!(parsed[0].when().is_none());
        let routed: PostAction = serde_json::from_value(
            json!({"type": "email", "recipients": ["a@example.com"], "when": {"minScore": 9, "maxScore": 1}}),
        )
        .unwrap();
        assert_eq!(
            routed.check("postActions[2]", false).unwrap_err().field,
            "postActions[2].when.minScore"
        );
        assert_eq!(
            parsed.iter().map(PostAction::kind).collect::<Vec<_>>(),
            ["slack", "webhook", "email", "google_sheets", "mailchimp"]
        );
        for (i, action) in parsed.iter().enumerate() {
            action.check(&format!("postActions[{i}]"), false).unwrap();
        }
        let bad = [
            (
                PostAction::Slack {
                    webhook_url: "http://127.0.0.1/x".into(),
                    message_template: None,
                    when: None,
                    enabled: true,
                },
                "postActions[0].webhookUrl",
            ),
            (
                PostAction::Webhook {
                    url: "https://x.example".into(),
                    headers: BTreeMap::from([("webhook-signature".into(), "v1,forged".into())]),
                    when: None,
                    enabled: true,
                },
                "postActions[0].headers",
            ),
            (
                PostAction::Email {
                    recipients: vec!["not an address".into()],
                    recipient_ids: vec![],
                    subject: None,
                    when: None,
                    enabled: true,
                },
                "postActions[0].recipients",
            ),
            (
                PostAction::GoogleSheets {
                    spreadsheet_id: "../x".into(),
                    sheet: None,
                    when: None,
                    enabled: true,
                },
                "postActions[0].spreadsheetId",
            ),
        ];
        for (action, field) in bad {
            assert_eq!(action.check("postActions[0]", false).unwrap_err().field, field);
        }
    }
}
