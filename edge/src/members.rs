//! Dashboard members: invitations, role changes and removal, for the dashboard's settings
//! and the owner API alike. An invitation is a one-time link; whoever opens it chooses the
//! member's password (`dashboard::signin::accept_invite`).

use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::ids::{new_id, random_bytes};
use crate::storage::members::{self, Member, NewMember};
use leadform_core::access::{key_hash, Principal, Role};
use leadform_core::signin::{normalize_email, INVITE_TTL_MS};
use leadform_core::validate::FieldError;
use worker::D1Database;

/// A new member and the link that lets them in (shown once to whoever invited them).
pub struct Invited {
    pub member: Member,
    pub invite_url: String,
    pub expires_at: i64,
}

pub fn parse_role(field: &str, text: &str) -> ApiResult<Role> {
    Role::parse(text.trim()).ok_or_else(|| FieldError::new(field, "must be admin, sales or viewer").into())
}

pub async fn invite(
    db: &D1Database,
    by: &Principal,
    email: &str,
    role: Role,
    base_url: &str,
) -> ApiResult<Invited> {
    let email = normalize_email("email", email)?;
    let token: String = random_bytes::<32>().iter().map(|b| format!("{b:02x}")).collect();
    let now = now_ms();
    let id = new_id("mem");
    let invited_by = match by {
        Principal::Member { id, .. } => format!("member:{id}"),
        other => other.actor().label(),
    };
    let expires_at = now + INVITE_TTL_MS;
    let inserted = members::insert(
        db,
        &NewMember {
            id: &id,
            email: &email,
            role,
            password_hash: None,
            invite_hash: Some(&key_hash(&token)),
            invite_expires_at: Some(expires_at),
            invited_by: Some(&invited_by),
            now,
        },
    )
    .await?;
    if !inserted {
        return Err(FieldError::new("email", "is already a member").into());
    }
    let member = members::get(db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("member", &id))?;
    Ok(Invited {
        member,
        invite_url: format!("{}/dashboard/invite/{token}", base_url.trim_end_matches('/')),
        expires_at,
    })
}

/// Changes a member's role; their sessions end so it applies at once. The last active
/// admin keeps theirs: someone must be able to manage the workspace (checked inside the
/// write, so two admins demoting each other cannot both succeed).
pub async fn set_role(db: &D1Database, id: &str, role: Role) -> ApiResult<Member> {
    if !members::set_role(db, id, role).await? {
        return Err(refusal(db, id).await);
    }
    members::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("member", id))
}

pub async fn remove(db: &D1Database, id: &str) -> ApiResult<()> {
    if !members::remove(db, id).await? {
        return Err(refusal(db, id).await);
    }
    Ok(())
}

/// Why a role change or removal changed nothing: no such member, or the last admin.
async fn refusal(db: &D1Database, id: &str) -> ApiError {
    match members::get(db, id).await {
        Ok(Some(_)) => ApiError::Conflict {
            code: "last_admin",
            message: "this is the last admin: make another member admin first".into(),
        },
        Ok(None) => ApiError::not_found("member", id),
        Err(err) => err.into(),
    }
}
