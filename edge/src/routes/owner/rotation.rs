//! Rotating a signing secret, a form's or a lead-event endpoint's: a new secret, and the
//! old one signing beside it for an overlap, so receivers switch without dropping a
//! delivery. Which rotation may go is decided here; each table's update is its storage's.

use super::parse;
use crate::clock::iso8601;
use crate::error::{ApiError, ApiResult};
use crate::ids::random_bytes;
use crate::storage::SecretRotation;
use leadform_core::validate::FieldError;
use leadform_core::webhook::secret_from_bytes;
use serde::Deserialize;

/// Longest overlap of a rotation: receivers should switch within a week.
const MAX_OVERLAP_SECS: i64 = 7 * 24 * 3600;

/// The overlap when the owner names none: a day.
const DEFAULT_OVERLAP_SECS: i64 = 24 * 3600;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotateIn {
    /// How long the old secret keeps signing beside the new one (0 ends it at once).
    #[serde(default)]
    overlap_secs: Option<i64>,
}

/// Decides a rotation of `current` from `{overlapSecs?}` (the API's body or the dashboard's
/// form). One previous secret is kept: a second rotation during the overlap would drop the
/// first old one before its announced end, under a receiver that still checks it, so it
/// is refused. An emergency rotation (`overlapSecs: 0`: every old secret stops now) always
/// goes.
pub fn plan(
    current: &str,
    previous_until: Option<i64>,
    body: serde_json::Value,
    now: i64,
) -> ApiResult<SecretRotation> {
    let input: RotateIn = parse(body)?;
    let overlap = input.overlap_secs.unwrap_or(DEFAULT_OVERLAP_SECS);
    if !(0..=MAX_OVERLAP_SECS).contains(&overlap) {
        return Err(
            FieldError::new("overlapSecs", format!("must be 0 to {MAX_OVERLAP_SECS} seconds")).into(),
        );
    }
    if let Some(until) = previous_until.filter(|until| *until > now && overlap > 0) {
        return Err(in_progress(until));
    }
    Ok(SecretRotation {
        secret: secret_from_bytes(&random_bytes::<24>()),
        replaced: (overlap > 0).then(|| current.to_string()),
        previous_until: now + overlap * 1000,
    })
}

/// A rotation refused while the secret before the last one still signs (until `until`, ms).
pub fn in_progress(until: i64) -> ApiError {
    ApiError::Conflict {
        code: "rotation_in_progress",
        message: format!(
            "the secret before the last rotation signs until {} (previousSecretExpiresAt): rotate again after that, or with overlapSecs 0 to stop every old secret now",
            iso8601(until)
        ),
    }
}
