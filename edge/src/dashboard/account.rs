//! A member's own account: their password, and their sessions on other browsers. Every
//! member has it, whatever their role; the password is checked as the sign-in checks it
//! (`crate::sessions::check_password`: the same failures counted, the same lock-out).

use super::signin::{locked, locked_message, with_session};
use super::view::{redirect, render, Layout};
use super::Visit;
use crate::bindings;
use crate::clock::now_ms;
use crate::error::ApiResult;
use crate::http::query_param;
use crate::sessions::{self, Refused};
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

/// `POST /dashboard/account/password`: the current password, then the new one. This
/// browser stays signed in, under a new session; every other ends.
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
    match sessions::check_password(env, &db, req, &member.email, current).await? {
        Ok(_) => {}
        Err(Refused::Wrong) => {
            page.current_error = Some("That is not your current password.".into());
            return render(&page, 400);
        }
        Err(Refused::Locked { retry_after_secs }) => {
            page.alert = Some(locked_message(retry_after_secs));
            return locked(&page, retry_after_secs);
        }
    }
    if let Err(wrong) = check_new_password("password", new, &member.email) {
        page.new_error = Some(format!("The new password {}.", wrong.reason));
        return render(&page, 400);
    }
    if new == current {
        page.new_error = Some("The new password must differ from the current one.".into());
        return render(&page, 400);
    }
    let signed_in = sessions::change_password(&db, &visit.session, new).await?;
    with_session(req, "/dashboard/account?done=password", signed_in)
}

/// `POST /dashboard/account/sessions`: signs this member out everywhere but here.
pub async fn end_other_sessions(env: &Env, visit: &Visit) -> ApiResult<Response> {
    let session = &visit.session;
    members::end_other_sessions(&env.d1(bindings::DB)?, &session.member.id, &session.token_hash).await?;
    redirect("/dashboard/account?done=sessions")
}
