//! Submission statuses (seed 002) derived in one place from the outcome of each part.
//!
//! A submission's status is never set by hand: it is computed from the execution mode and
//! the outcome of the webhook part and of the client-handler part, so the transitions for
//! every mode follow from one table (see README, "Statuses").

use crate::form::ExecutionMode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Just created, processing.
    Pending,
    /// Recorded; a client handler has yet to report (client-only mode).
    Submitted,
    WebhookSuccess,
    WebhookFailed,
    ClientSuccess,
    ClientFailed,
    /// Every part of a `both` submission succeeded, or every post-action of a `store` one.
    Success,
    /// A part of a `both` submission failed, or a post-action of a `store` one.
    Failed,
    /// Quarantined by the spam score (`core::spam`): stored, not delivered, not counted.
    /// Not derived from the parts: it overlays them until the owner releases it, and then
    /// the status is derived from the parts as for any other ([`shown_status`]).
    Spam,
}

impl SubmissionStatus {
    pub const ALL: [SubmissionStatus; 9] = [
        SubmissionStatus::Pending,
        SubmissionStatus::Submitted,
        SubmissionStatus::WebhookSuccess,
        SubmissionStatus::WebhookFailed,
        SubmissionStatus::ClientSuccess,
        SubmissionStatus::ClientFailed,
        SubmissionStatus::Success,
        SubmissionStatus::Failed,
        SubmissionStatus::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Pending => "pending",
            SubmissionStatus::Submitted => "submitted",
            SubmissionStatus::WebhookSuccess => "webhook_success",
            SubmissionStatus::WebhookFailed => "webhook_failed",
            SubmissionStatus::ClientSuccess => "client_success",
            SubmissionStatus::ClientFailed => "client_failed",
            SubmissionStatus::Success => "success",
            SubmissionStatus::Failed => "failed",
            SubmissionStatus::Spam => "spam",
        }
    }
}

/// Where one part of a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Pending,
    Succeeded,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Outcome::Pending),
            "succeeded" => Some(Outcome::Succeeded),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }

    pub fn from_success(success: bool) -> Self {
        if success {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        }
    }
}

/// The status a submission shows, given its mode and the outcome of each part. A part the
/// mode does not use is ignored.
pub fn submission_status(mode: ExecutionMode, webhook: Outcome, client: Outcome) -> SubmissionStatus {
    use Outcome::*;
    use SubmissionStatus as S;
    match mode {
        ExecutionMode::Webhook => match webhook {
            Pending => S::Pending,
            Succeeded => S::WebhookSuccess,
            Failed => S::WebhookFailed,
        },
        ExecutionMode::Client => match client {
            Pending => S::Submitted,
            Succeeded => S::ClientSuccess,
            Failed => S::ClientFailed,
        },
        ExecutionMode::Both => match (webhook, client) {
            (Pending, Pending) => S::Pending,
            (Succeeded, Pending) => S::WebhookSuccess,
            (Failed, Pending) => S::WebhookFailed,
            (Pending, Succeeded) => S::ClientSuccess,
            (Pending, Failed) => S::ClientFailed,
            (Succeeded, Succeeded) => S::Success,
            _ => S::Failed,
        },
        // A store-only form's actions are its post-actions (seed 002: `success`, "all actions
        // completed"; `failed`, "one or more actions failed"). The webhook part stands for
        // them: the edge settles it when the last one ends, or as the submission is stored
        // when it has none.
        ExecutionMode::Store => match webhook {
            Pending => S::Pending,
            Succeeded => S::Success,
            Failed => S::Failed,
        },
    }
}

/// The status a submission shows: `spam` while it is quarantined, whatever its parts say
/// (a page's handler may report while it is), else [`submission_status`].
pub fn shown_status(
    quarantined: bool,
    mode: ExecutionMode,
    webhook: Outcome,
    client: Outcome,
) -> SubmissionStatus {
    if quarantined {
        SubmissionStatus::Spam
    } else {
        submission_status(mode, webhook, client)
    }
}

/// How a submission ended, once every part its mode uses has an outcome: `Some(true)` when
/// all succeeded, `Some(false)` as soon as one failed, `None` while it is still open. This
/// is what analytics counts as successful or failed.
pub fn settled(mode: ExecutionMode, webhook: Outcome, client: Outcome) -> Option<bool> {
    let parts: &[Outcome] = match mode {
        ExecutionMode::Webhook => &[webhook],
        ExecutionMode::Client => &[client],
        ExecutionMode::Both => &[webhook, client],
        ExecutionMode::Store => &[webhook],
    };
    if parts.contains(&Outcome::Failed) {
        Some(false)
    } else if parts.iter().all(|p| *p == Outcome::Succeeded) {
        Some(true)
    } else {
        None
    }
}

/// A lead's status as seed 000 names it, from how its parts ended ([`settled`]) and the
/// status of each of its deliveries (`pending`, `retrying`, `delivered`, `failed`):
/// `retrying` while any delivery waits for another attempt; `failed` once a part failed or
/// a delivery ran out of attempts; `completed` when every part succeeded and every delivery
/// was delivered; `pending` otherwise.
pub fn lead_status(ended: Option<bool>, deliveries: &[&str]) -> &'static str {
    if deliveries.contains(&"retrying") {
        "retrying"
    } else if ended == Some(false) || deliveries.contains(&"failed") {
        "failed"
    } else if ended == Some(true) && deliveries.iter().all(|d| *d == "delivered") {
        "completed"
    } else {
        "pending"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExecutionMode::*;
    use Outcome::*;
    use SubmissionStatus as S;

    #[test]
    fn every_mode_and_outcome_maps_to_the_seed_status() {
        let table = [
            (Webhook, Pending, Pending, S::Pending),
            (Webhook, Succeeded, Pending, S::WebhookSuccess),
            (Webhook, Failed, Pending, S::WebhookFailed),
            (Webhook, Succeeded, Failed, S::WebhookSuccess),
            (Client, Pending, Pending, S::Submitted),
            (Client, Pending, Succeeded, S::ClientSuccess),
            (Client, Failed, Failed, S::ClientFailed),
            (Both, Pending, Pending, S::Pending),
            (Both, Succeeded, Pending, S::WebhookSuccess),
            (Both, Failed, Pending, S::WebhookFailed),
            (Both, Pending, Succeeded, S::ClientSuccess),
            (Both, Pending, Failed, S::ClientFailed),
            (Both, Succeeded, Succeeded, S::Success),
            (Both, Succeeded, Failed, S::Failed),
            (Both, Failed, Succeeded, S::Failed),
            (Both, Failed, Failed, S::Failed),
        ];
        for (mode, webhook, client, expected) in table {
            assert_eq!(
                submission_status(mode, webhook, client),
                expected,
                "{mode:?} {webhook:?} {client:?}"
            );
        }
    }

    #[test]
    fn a_quarantined_submission_shows_spam_until_released() {
        assert_eq!(shown_status(true, Client, Pending, Succeeded), S::Spam);
        assert_eq!(shown_status(true, Webhook, Pending, Pending), S::Spam);
        assert_eq!(shown_status(false, Client, Pending, Succeeded), S::ClientSuccess);
        assert_eq!(shown_status(false, Webhook, Pending, Pending), S::Pending);
    }

    #[test]
    fn a_submission_settles_when_every_part_it_uses_has_an_outcome() {
        assert_eq!(settled(Webhook, Succeeded, Pending), Some(true));
        assert_eq!(settled(Webhook, Pending, Failed), None);
        assert_eq!(settled(Client, Pending, Failed), Some(false));
        assert_eq!(settled(Both, Succeeded, Pending), None);
        assert_eq!(settled(Both, Pending, Failed), Some(false));
        assert_eq!(settled(Both, Succeeded, Succeeded), Some(true));
        // Store: its post-actions, as one part.
        assert_eq!(settled(Store, Pending, Pending), None, "post-actions under way");
        assert_eq!(submission_status(Store, Pending, Pending), S::Pending);
        assert_eq!(settled(Store, Succeeded, Pending), Some(true));
        assert_eq!(submission_status(Store, Succeeded, Pending), S::Success);
        assert_eq!(settled(Store, Failed, Pending), Some(false));
        assert_eq!(submission_status(Store, Failed, Pending), S::Failed);
    }

    #[test]
    fn lead_statuses_follow_parts_and_deliveries() {
        let cases: [(Option<bool>, &[&str], &str); 8] = [
            (None, &["pending"], "pending"),
            (None, &["retrying"], "retrying"),
            (Some(true), &["delivered", "retrying"], "retrying"),
            (Some(true), &["delivered", "delivered"], "completed"),
            (Some(true), &["delivered", "failed"], "failed"),
            (Some(false), &["failed"], "failed"),
            (None, &[], "pending"),
            (Some(true), &[], "completed"),
        ];
        for (ended, deliveries, expected) in cases {
            assert_eq!(
                lead_status(ended, deliveries),
                expected,
                "{ended:?} {deliveries:?}"
            );
        }
        // A `both` lead whose webhook was delivered still waits for its handler.
        let ended = settled(Both, Succeeded, Pending);
        assert_eq!(lead_status(ended, &["delivered"]), "pending");
    }

    #[test]
    fn statuses_serialize_as_the_seed_spells_them() {
        assert_eq!(
            serde_json::to_string(&S::WebhookSuccess).unwrap(),
            "\"webhook_success\""
        );
        assert_eq!(S::ClientFailed.as_str(), "client_failed");
        for status in S::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(Outcome::parse("succeeded"), Some(Succeeded));
    }
}
