//! A member's own account: their password, and their sessions on other browsers. Every
//! member has it, whatever their role; the checks are the sign-in's (`crate::sessions`'s
//! policy, core's `signin`).

use super::view::{redirect, render, Layout};
use super::Visit;
use crate::bindings;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::query_param;
use crate::limits::{self, Limit};
use crate::password;
use crate::storage::members;
use askama::Template;
use leadform_core::signin::check_new_password;
use worker::{Env, Request, Response};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    email: String,
    role: &'static str,
    /// Live sessions on other browsers.
    others: i64,
    notice: Option<&'static str>,
    alert: Option<String>,
    current_error: Option<String>,
    new_error: Option<String>,
}

/// `GET /dashboard/account`.
pub async fn page(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let mut page = account(env, visit).await?;
    page.notice = match query_param(req, "done").as_deref() {
        Some("password") => Some("Your password was changed. Your other sessions were signed out."),
        Some("sessions") => Some("Your other sessions were signed out."),
        _ => None,
    };
    render(&page, 200)
}

async fn account(env: &Env, visit: &Visit) -> ApiResult<AccountPage> {
    let session = &visit.session;
    let db = env.d1(bindings::DB)?;
    let others = members::other_sessions(&db, &session.member.id, &session.token_hash, now_ms()).await?;
    Ok(AccountPage {
        layout: Layout::new(session, "account", ""),
        email: session.member.email.clone(),
        role: session.member.role.as_str(),
        others,
        notice: None,
        alert: None,
        current_error: None,
        new_error: None,
    })
}

/// `POST /dashboard/account/password`: the current password, then the new one. A wrong
/// current password counts as a failed sign-in from this address (someone at an
/// unattended browser must not get to guess it at leisure).
pub async fn change_password(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    let current = visit.field("current").unwrap_or_default();
    let new = visit.field("password").unwrap_or_default();
    let member = &visit.session.member;
    let mut page = account(env, visit).await?;
    if current.is_empty() {
        page.current_error = Some("Enter your current password.".into());
        return render(&page, 400);
    }
    let db = env.d1(bindings::DB)?;
    let stored = members::by_email(&db, &member.email)
        .await?
        .and_then(|c| c.password_hash)
        .ok_or(ApiError::Unauthorized)?;
    if !password::verify(current, &stored).await? {
        let client = limits::client(req);
        return match limits::check(env, Limit::AuthFailure, &client, "signin").await {
            Ok(()) => {
                page.current_error = Some("That is not your current password.".into());
                render(&page, 400)
            }
            Err(ApiError::RateLimited { retry_after_secs }) => {
                page.alert = Some(format!(
                    "Too many wrong passwords from this address. Try again in {} minute(s).",
                    retry_after_secs.div_ceil(60)
                ));
                let response = render(&page, 429)?;
                response
                    .headers()
                    .set("Retry-After", &retry_after_secs.to_string())?;
                Ok(response)
            }
            Err(other) => Err(other),
        };
    }
    if let Err(wrong) = check_new_password("password", new, &member.email) {
        page.new_error = Some(format!("The new password {}.", wrong.reason));
        return render(&page, 400);
    }
    if new == current {
        page.new_error = Some("The new password must differ from the current one.".into());
        return render(&page, 400);
    }
    let hash = password::hash(new).await?;
    members::set_password(&db, &member.id, &hash, &visit.session.token_hash).await?;
    redirect("/dashboard/account?done=password")
}

/// `POST /dashboard/account/sessions`: signs this member out everywhere but here.
pub async fn end_other_sessions(env: &Env, visit: &Visit) -> ApiResult<Response> {
    let session = &visit.session;
    members::end_other_sessions(&env.d1(bindings::DB)?, &session.member.id, &session.token_hash).await?;
    redirect("/dashboard/account?done=sessions")
}
