//! Signing in and out, and accepting an invitation: the dashboard's only pages without a
//! session. The decisions are `crate::sessions`'s.

use super::view::{self, html, redirect};
use super::Visit;
use crate::bindings;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::http::query_param;
use crate::limits::{self, Limit};
use crate::password;
use crate::sessions::{self, Refused, SignedIn};
use crate::storage::members;
use askama::Template;
use leadform_core::access::key_hash;
use leadform_core::signin::{check_new_password, cleared_session_cookie, session_cookie, SESSION_TTL_MS};
use worker::{Env, Request, Response};

#[derive(Template, Default)]
#[template(path = "signin.html")]
struct SignInPage {
    heading: String,
    intro: Option<String>,
    action: String,
    button: &'static str,
    show_email: bool,
    new_password: bool,
    email: String,
    message: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
}

fn sign_in_page(next: &str) -> SignInPage {
    SignInPage {
        heading: "Sign in to leadform".into(),
        action: format!("/dashboard/sign-in?next={}", view::urlencode(next)),
        button: "Sign in",
        show_email: true,
        ..Default::default()
    }
}

/// Where to go after signing in: only a dashboard path of this edge, never elsewhere.
fn next_path(req: &Request) -> String {
    query_param(req, "next")
        .filter(|n| leadform_core::signin::is_dashboard_path(n))
        .unwrap_or_else(|| "/dashboard/leads".into())
}

/// The sign-in page; a member already signed in goes straight on.
pub async fn page(req: &Request, env: &Env) -> ApiResult<Response> {
    if sessions::current(req, &env.d1(bindings::DB)?).await?.is_some() {
        return redirect(&next_path(req));
    }
    view::render(&sign_in_page(&next_path(req)), 200)
}

pub async fn submit(mut req: Request, env: &Env) -> ApiResult<Response> {
    let next = next_path(&req);
    if let Err(refused) = sessions::check_same_origin(&req) {
        let mut page = sign_in_page(&next);
        page.message = Some(refused.message());
        return view::render(&page, 403);
    }
    let form = view::form_fields(&mut req).await?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (email, password) = (field("email"), field("password"));
    let mut page = sign_in_page(&next);
    page.email = email.trim().to_string();
    if email.trim().is_empty() || password.is_empty() {
        if email.trim().is_empty() {
            page.email_error = Some("Enter your email address.".into());
        }
        if password.is_empty() {
            page.password_error = Some("Enter your password.".into());
        }
        return view::render(&page, 400);
    }
    let db = env.d1(bindings::DB)?;
    match sessions::sign_in(env, &db, &req, &email, &password).await? {
        Ok(signed_in) => with_session(&req, &next, signed_in),
        Err(Refused::Wrong) => {
            page.message = Some("Wrong email or password.".into());
            view::render(&page, 401)
        }
        Err(Refused::Locked { retry_after_secs }) => {
            page.message = Some(locked_message(retry_after_secs));
            locked(&page, retry_after_secs)
        }
    }
}

/// What a member locked out of password checks reads, on any page that asks for one.
pub fn locked_message(retry_after_secs: u32) -> String {
    let minutes = retry_after_secs.div_ceil(60);
    format!(
        "Too many wrong passwords. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// `page` as a 429 that says when to try again.
pub fn locked<T: Template>(page: &T, retry_after_secs: u32) -> ApiResult<Response> {
    let response = view::render(page, 429)?;
    response
        .headers()
        .set("Retry-After", &retry_after_secs.to_string())?;
    Ok(response)
}

/// The redirect that sets the new session's cookie.
pub fn with_session(req: &Request, next: &str, signed_in: SignedIn) -> ApiResult<Response> {
    let response = redirect(next)?;
    response.headers().set(
        "Set-Cookie",
        &session_cookie(&signed_in.token, sessions::secure(req), SESSION_TTL_MS / 1000),
    )?;
    Ok(response)
}

pub async fn sign_out(req: &Request, env: &Env, visit: &Visit) -> ApiResult<Response> {
    sessions::sign_out(&env.d1(bindings::DB)?, &visit.session).await?;
    let response = redirect("/dashboard/sign-in")?;
    response
        .headers()
        .set("Set-Cookie", &cleared_session_cookie(sessions::secure(req)))?;
    Ok(response)
}

fn invite_form(token: &str, email: &str) -> SignInPage {
    SignInPage {
        heading: "Join leadform".into(),
        intro: Some(format!(
            "You were invited as {email}. Choose a password to sign in."
        )),
        action: format!("/dashboard/invite/{}", view::urlencode(token)),
        button: "Set password and sign in",
        new_password: true,
        ..Default::default()
    }
}

/// An invitation link that names none (a guess, or one used or expired): counted as a
/// failed check, as a wrong key is, so guessing links costs a client its minute.
async fn invite_gone(req: &Request, env: &Env) -> ApiResult<Response> {
    limits::check(env, Limit::AuthFailure, &limits::client(req), "owner").await?;
    let page = SignInPage {
        heading: "This invitation does not work".into(),
        intro: Some("It was already used, or it expired. Ask an admin for a new one.".into()),
        action: "/dashboard/sign-in".into(),
        button: "Go to sign-in",
        ..Default::default()
    };
    html(page.render().map_err(|e| ApiError::Internal(e.to_string()))?, 404)
}

pub async fn invite_page(req: &Request, env: &Env, token: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    match members::by_invite(&db, &key_hash(token), now_ms()).await? {
        Some(member) => view::render(&invite_form(token, &member.email), 200),
        None => invite_gone(req, env).await,
    }
}

pub async fn accept_invite(mut req: Request, env: &Env, token: &str) -> ApiResult<Response> {
    sessions::check_same_origin(&req)?;
    let form = view::form_fields(&mut req).await?;
    let password = form
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let db = env.d1(bindings::DB)?;
    let now = now_ms();
    let Some(member) = members::by_invite(&db, &key_hash(token), now).await? else {
        return invite_gone(&req, env).await;
    };
    if let Err(wrong) = check_new_password("password", &password, &member.email) {
        let mut page = invite_form(token, &member.email);
        page.password_error = Some(format!("The password {}.", wrong.reason));
        return view::render(&page, 400);
    }
    let hash = password::hash(&password).await?;
    let Some(member) = members::accept_invite(&db, &key_hash(token), &hash, now).await? else {
        return invite_gone(&req, env).await;
    };
    let signed_in = sessions::open(&db, member, now).await?;
    with_session(&req, "/dashboard/leads", signed_in)
}
