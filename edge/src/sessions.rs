//! Dashboard sessions: the one place a member signs in, is recognised, and signs out.
//! Policy (password format, lock-out, cookie) is core's `signin`; storage is
//! `storage::members`.

use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::ids::{new_id, random_bytes};
use crate::limits::{self, Limit};
use crate::password;
use crate::storage::members::{self, Member, NewMember, Session};
use leadform_core::access::{key_hash, Role};
use leadform_core::signin::{
    self, lock_for_ms, normalize_email, same_secret, SESSION_COOKIE, SESSION_TTL_MS,
};
use subtle::ConstantTimeEq;
use worker::{D1Database, Env, Request};

/// Why a sign-in did not work: never whether the email has an account.
#[derive(Debug)]
pub enum Refused {
    /// Wrong email or password (never which).
    Wrong,
    /// Too many failures: this account, or this address, waits this long.
    Locked { retry_after_secs: u32 },
}

/// A new session: the cookie's value, shown once, to the browser.
pub struct SignedIn {
    pub token: String,
}

/// Checks email and password and opens a session.
pub async fn sign_in(
    env: &Env,
    db: &D1Database,
    req: &Request,
    email: &str,
    password: &str,
) -> ApiResult<Result<SignedIn, Refused>> {
    match check_password(env, db, req, email, password).await? {
        Ok(member) => open(db, member, now_ms()).await.map(Ok),
        Err(refused) => Ok(Err(refused)),
    }
}

/// The member whose email and password these are: the one check of a password, for a
/// sign-in and for a signed-in member changing theirs (an unattended browser must not give
/// a guesser more tries than the sign-in page). Failures count per client address (the
/// rate limit) and per email and address (core's lock-out), and a locked pair is refused
/// even with the right password: a stranger can lock out only their own address, and an
/// unknown email answers exactly as a known one, in words and in time.
pub async fn check_password(
    env: &Env,
    db: &D1Database,
    req: &Request,
    email: &str,
    password: &str,
) -> ApiResult<Result<Member, Refused>> {
    let now = now_ms();
    let client = limits::client(req);
    let Ok(email) = normalize_email("email", email) else {
        return refuse(env, db, &client, now).await;
    };
    let email_key = key_hash(&email);
    let (failures, locked_until) = members::failures(db, &email_key, &client).await?;
    if let Some(until) = locked_until.filter(|until| *until > now) {
        // No password work: the answer is the same for every email (a stranger's guesses
        // lock an unknown address as they lock a member's), so timing tells nothing, and a
        // flood at a locked pair costs no key derivation.
        return Ok(Err(Refused::Locked {
            retry_after_secs: ((until - now) / 1000).max(1) as u32,
        }));
    }
    let credentials = match members::by_email(db, &email).await? {
        Some(found) => Some(found),
        None => first_admin(env, db, &email, password, now).await?,
    };
    let matches = match credentials.as_ref().and_then(|c| c.password_hash.as_deref()) {
        Some(stored) => password::verify(password, stored).await?,
        None => {
            // No such member, or invited and not yet accepted: the same work, no match.
            password::waste_time(password).await?;
            false
        }
    };
    let Some(credentials) = credentials.filter(|_| matches) else {
        let failures = failures.saturating_add(1);
        let locked_until = lock_for_ms(failures).map(|ms| now + ms);
        members::record_failure(db, &email_key, &client, locked_until, now).await?;
        if let Some(until) = locked_until {
            return Ok(Err(Refused::Locked {
                retry_after_secs: ((until - now) / 1000) as u32,
            }));
        }
        return refuse(env, db, &client, now).await;
    };
    if failures > 0 {
        members::clear_failures(db, &email_key, &client).await?;
    }
    Ok(Ok(credentials.member))
}

/// A failed attempt, counted per client address: past the limit, the address waits, and
/// its lock is kept so that every sign-in from it waits too, the right password as well
/// (else the 429 would only slow a guesser down, never stop a guess that is right).
async fn refuse<T>(env: &Env, db: &D1Database, client: &str, now: i64) -> ApiResult<Result<T, Refused>> {
    match limits::check(env, Limit::AuthFailure, client, "signin").await {
        Ok(()) => Ok(Err(Refused::Wrong)),
        Err(ApiError::RateLimited { retry_after_secs }) => {
            let until = now + i64::from(retry_after_secs) * 1000;
            members::record_failure(db, members::ANY_EMAIL, client, Some(until), now).await?;
            Ok(Err(Refused::Locked { retry_after_secs }))
        }
        Err(other) => Err(other),
    }
}

/// The configured first admin (`LEADFORM_ADMIN_EMAIL`/`_PASSWORD`), created when they sign
/// in while the workspace has no admin at all. Once an admin exists, only stored passwords
/// count: removing that member does not let the variables in again.
async fn first_admin(
    env: &Env,
    db: &D1Database,
    email: &str,
    password: &str,
    now: i64,
) -> ApiResult<Option<members::Credentials>> {
    let Some((admin_email, admin_password)) = config::first_admin(env) else {
        return Ok(None);
    };
    let right = email == admin_email && bool::from(password.as_bytes().ct_eq(admin_password.as_bytes()));
    if !right || members::count_admins(db).await? > 0 {
        return Ok(None);
    }
    let hash = password::hash(password).await?;
    members::insert(
        db,
        &NewMember {
            id: &new_id("mem"),
            email,
            role: Role::Admin,
            password_hash: Some(&hash),
            invite_hash: None,
            invite_expires_at: None,
            invited_by: None,
            now,
        },
    )
    .await?;
    // Read back: a simultaneous first sign-in may have created it a moment earlier.
    Ok(members::by_email(db, email).await?)
}

/// A session for `member`, with its own CSRF token.
pub async fn open(db: &D1Database, member: Member, now: i64) -> ApiResult<SignedIn> {
    let token = hex(&random_bytes::<32>());
    let csrf = hex(&random_bytes::<32>());
    let token_hash = key_hash(&token);
    members::start_session(db, &token_hash, &member.id, &csrf, now, now + SESSION_TTL_MS).await?;
    Ok(SignedIn { token })
}

/// The session the request's cookie names, if it is live.
pub async fn current(req: &Request, db: &D1Database) -> ApiResult<Option<Session>> {
    let Some(token) = session_token(req) else {
        return Ok(None);
    };
    Ok(members::session(db, &key_hash(&token), now_ms()).await?)
}

pub fn session_token(req: &Request) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    signin::cookie(&header, SESSION_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
}

/// Sets a signed-in member's new password: every session of theirs ends (whoever else knew
/// the old password is signed out with it, and this browser's token is not one that was
/// ever paired with the old password), and this browser gets a new one.
pub async fn change_password(db: &D1Database, session: &Session, new_password: &str) -> ApiResult<SignedIn> {
    let hash = password::hash(new_password).await?;
    members::set_password(db, &session.member.id, &hash).await?;
    open(db, session.member.clone(), now_ms()).await
}

pub async fn sign_out(db: &D1Database, session: &Session) -> ApiResult<()> {
    members::end_session(db, &session.token_hash).await?;
    Ok(())
}

/// Whether a write with this session is the member's own: the request carries the
/// session's CSRF token (a form field or the `X-CSRF-Token` header), and a browser that
/// says where the request comes from says it comes from this origin. A page on another
/// site can make the browser send the cookie (SameSite=Lax lets top-level GETs through, and
/// old browsers more), but it cannot read the token.
pub fn check_write(req: &Request, session: &Session, given_token: Option<&str>) -> ApiResult<()> {
    check_same_origin(req)?;
    let header = req.headers().get("X-CSRF-Token").ok().flatten();
    let given = given_token.or(header.as_deref()).unwrap_or("");
    if !same_secret(&session.csrf, given) {
        return Err(forgery("the form's token is missing or stale"));
    }
    Ok(())
}

/// A browser's form post or fetch that says it comes from another site or origin is
/// refused (the sign-in form too: nobody may sign a visitor in to an account of theirs).
pub fn check_same_origin(req: &Request) -> ApiResult<()> {
    let headers = req.headers();
    // Only this origin, or the browser's own navigation (`none`): a sibling subdomain
    // (`same-site`) may not post here either.
    if let Some(site) = headers.get("Sec-Fetch-Site").ok().flatten() {
        if site != "same-origin" && site != "none" {
            return Err(forgery("it came from another site"));
        }
    }
    if let (Some(origin), Some(own)) = (
        headers.get("Origin").ok().flatten(),
        crate::http::request_origin(req),
    ) {
        if origin != own {
            return Err(forgery("it came from another origin"));
        }
    }
    Ok(())
}

fn forgery(why: &str) -> ApiError {
    ApiError::Forbidden {
        code: "csrf",
        message: format!(
            "this request was refused as a possible cross-site forgery: {why}; reload the page and try again"
        ),
    }
}

/// Whether the edge is reached over HTTPS (cookies are `Secure` then).
pub fn secure(req: &Request) -> bool {
    req.url().map(|u| u.scheme() == "https").unwrap_or(true)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
