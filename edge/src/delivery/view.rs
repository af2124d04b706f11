//! A stored submission as post-actions see it ([`SubmissionView`]): files as signed links, the
//! form's field order, the lead's email and phone picked by field type.

use crate::clock::iso8601;
use crate::storage::files::Links;
use crate::storage::submissions::Submission;
use crate::storage::tools::Tool;
use leadform_core::form::FieldKind;
use leadform_core::post_actions::SubmissionView;
use serde_json::{Map, Value};

pub fn of(
    submission: &Submission,
    tool: &Tool,
    links: &Links,
    conversation_url: Option<String>,
    summary: Option<String>,
) -> SubmissionView {
    SubmissionView {
        conversation_id: submission.conversation_id.clone(),
        conversation_url,
        summary,
        qualification: submission.qualification.clone(),
        ..answers(
            &submission.id,
            tool,
            &submission.form_data,
            submission.submitted_at,
            links,
        )
    }
}

/// The view of answers `form_data` to `tool` made at `at` (a test's example: no
/// conversation, no qualification).
pub fn answers(
    id: &str,
    tool: &Tool,
    form_data: &Map<String, Value>,
    at: i64,
    links: &Links,
) -> SubmissionView {
    let first_of = |kind: FieldKind| {
        tool.fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| form_data.get(&f.name).and_then(Value::as_str))
            .map(str::to_string)
    };
    SubmissionView {
        submission_id: id.to_string(),
        tool_id: tool.id.clone(),
        tool_name: tool.name.clone(),
        tool_title: tool.title.clone(),
        conversation_id: None,
        form_data: links.show(form_data),
        fields: tool.fields.iter().map(|f| f.name.clone()).collect(),
        email: first_of(FieldKind::Email),
        phone: first_of(FieldKind::Phone),
        submitted_at: iso8601(at),
        conversation_url: None,
        summary: None,
        qualification: None,
    }
}
