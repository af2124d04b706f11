//! Who is calling the owner API: the bootstrap key (`LEADFORM_API_KEY`, the admin) or an
//! owner key looked up by its hash. What they may do is decided in core
//! (`access::Principal::allows`); this module only reads the key.

use crate::clock::now_ms;
use crate::config;
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Limit};
use crate::sessions;
use crate::storage::keys;
use leadform_core::access::{key_hash, Denied, Need, Principal};
use subtle::ConstantTimeEq;
use worker::{D1Database, Env, Method, Request};

/// The caller, or 401; past a few failed checks a minute from one address, 429.
pub async fn authenticate(req: &Request, env: &Env, db: &D1Database) -> ApiResult<Principal> {
    match principal(req, env, db).await {
        Err(ApiError::Unauthorized) => {
            limits::check(env, Limit::AuthFailure, &limits::client(req), "owner").await?;
            Err(ApiError::Unauthorized)
        }
        other => other,
    }
}

/// Whether the request carries one of this edge's keys (`Authorization: Bearer` with an
/// owner key's `lf_` form, or the admin key): a public route that tells the owner more
/// (the submit's `leadId`) checks only those, and takes any other `Authorization` (a site's
/// own token, added by its fetch wrapper) as a visitor's.
pub fn carries_own_key(req: &Request, env: &Env) -> bool {
    let token = bearer(req);
    let token = token.as_str();
    token.starts_with("lf_")
        || config::api_key(env)
            .is_some_and(|admin| !token.is_empty() && bool::from(token.as_bytes().ct_eq(admin.as_bytes())))
}

/// The request's `Authorization: Bearer` token; empty when there is none.
fn bearer(req: &Request) -> String {
    let given = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    leadform_core::access::bearer_token(&given).to_string()
}

async fn principal(req: &Request, env: &Env, db: &D1Database) -> ApiResult<Principal> {
    let token = bearer(req);
    let token = token.as_str();
    if token.is_empty() {
        return member(req, db).await;
    }
    if let Some(admin) = config::api_key(env) {
        // Compared in constant time: how much of a guess was right must not show in timing.
        if bool::from(token.as_bytes().ct_eq(admin.as_bytes())) {
            return Ok(Principal::Admin);
        }
    }
    if !token.starts_with("lf_") || token.len() > 200 {
        return Err(ApiError::Unauthorized);
    }
    // Looked up by hash: the key itself is never stored, and the lookup leaks nothing
    // useful about it through timing.
    let key = keys::by_hash(db, &key_hash(token))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // `last_used_at` is kept to the minute: the row we just read says whether it is due.
    let now = now_ms();
    if key.last_used_at.is_none_or(|at| now - at >= keys::TOUCH_EVERY_MS) {
        keys::touch(db, &key.id, now).await?;
    }
    Ok(Principal::Key {
        id: key.id,
        scopes: key.scopes,
        agents: key.agents,
    })
}

/// A dashboard member calling the API from their signed-in browser (the CSV export link,
/// scripts of their own): the session cookie stands in for a key, with the member's role.
/// A write must also carry the session's `X-CSRF-Token`, which another site cannot read.
async fn member(req: &Request, db: &D1Database) -> ApiResult<Principal> {
    let session = sessions::current(req, db).await?.ok_or(ApiError::Unauthorized)?;
    if !matches!(req.method(), Method::Get | Method::Head) {
        sessions::check_write(req, &session, None)?;
    }
    Ok(Principal::Member {
        id: session.member.id,
        role: session.member.role,
    })
}

/// The route's need, or a 403 that names what is missing.
pub fn require(principal: &Principal, need: Need) -> ApiResult<()> {
    principal.allows(need).map_err(|denied| match denied {
        Denied::MissingScope(scope) => ApiError::Forbidden {
            code: "missing_scope",
            message: match principal {
                Principal::Member { role, .. } => {
                    format!("a {} member lacks the scope {}", role.as_str(), scope.as_str())
                }
                _ => format!("this key lacks the scope {}", scope.as_str()),
            },
        },
        Denied::AdminOnly => ApiError::Forbidden {
            code: "admin_only",
            message: match principal {
                Principal::Member { .. } => "only an admin member may do this".into(),
                _ => "only the admin key (LEADFORM_API_KEY) may do this".into(),
            },
        },
    })
}

/// A resource of `agent_id` as this caller may see it: another agent's is "not found", so
/// a key cannot learn that an id exists.
pub fn visible<T>(
    principal: &Principal,
    what: &'static str,
    id: &str,
    agent_id: &str,
    found: T,
) -> ApiResult<T> {
    if principal.sees_agent(agent_id) {
        Ok(found)
    } else {
        Err(ApiError::not_found(what, id))
    }
}
