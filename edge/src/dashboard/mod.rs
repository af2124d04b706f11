//! The owner's dashboard under `/dashboard`: pages rendered here from askama templates
//! (`edge/templates/`, escaped by default), htmx for the parts that refresh, no client
//! state. It reads and writes through the same functions as the owner API, as a signed-in
//! member whose role decides, through core's `access`, what they may see and do.
//!
//! Every page but sign-in needs a session; every write also needs the session's CSRF token
//! and a same-origin request (`sessions::check_write`).

mod account;
mod analytics;
mod connect;
mod conversations;
mod integrations;
mod leads;
mod settings;
mod signin;
mod view;

use crate::auth;
use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Limit};
use crate::sessions;
use crate::storage::members::Session;
use leadform_core::access::{Need, Principal, Scope};
use worker::{Env, Method, Request, Response};

/// A signed-in member on a dashboard route.
pub struct Visit {
    pub session: Session,
    pub principal: Principal,
    /// The form fields of a write (`POST`), already checked for CSRF.
    pub form: Vec<(String, String)>,
}

impl Visit {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn may(&self, need: Need) -> bool {
        self.principal.allows(need).is_ok()
    }

    /// The same member, without the posted form (a page shown after a save).
    pub fn clone_session(&self) -> Visit {
        Visit {
            session: self.session.clone(),
            principal: self.principal.clone(),
            form: Vec::new(),
        }
    }
}

pub async fn handle(mut req: Request, env: &Env, method: Method, path: &[&str]) -> ApiResult<Response> {
    match (method.clone(), path) {
        (Method::Get, [] | [""]) => return view::redirect("/dashboard/leads"),
        (Method::Get, ["sign-in"]) => return signin::page(&req, env).await,
        (Method::Post, ["sign-in"]) => return signin::submit(req, env).await,
        (Method::Get, ["invite", token]) => return signin::invite_page(&req, env, token).await,
        (Method::Post, ["invite", token]) => return signin::accept_invite(req, env, token).await,
        _ => {}
    }
    let db = env.d1(bindings::DB)?;
    let Some(session) = sessions::current(&req, &db).await? else {
        // A cookie that names no session (a guess, or one that ended) is a failed check, as
        // on the owner API: guessing costs the same in both places, and a client's minute.
        if sessions::session_token(&req).is_some() {
            limits::check(env, Limit::AuthFailure, &limits::client(&req), "owner").await?;
        }
        return view::to_sign_in(&req);
    };
    let principal = Principal::Member {
        id: session.member.id.clone(),
        role: session.member.role,
    };
    let Some(need) = need_of(&method, path) else {
        return view::error_page(
            &session,
            404,
            "Not found",
            "There is no such page in the dashboard.",
        );
    };
    if let Err(refused) = auth::require(&principal, need) {
        let message = match refused {
            ApiError::Forbidden { message, .. } => message,
            _ => "you may not open this page".into(),
        };
        return view::error_page(
            &session,
            403,
            "Not allowed",
            // The message names the role and what it lacks.
            &format!("Not allowed: {message}."),
        );
    }
    let form = if method == Method::Post {
        let form = view::form_fields(&mut req).await?;
        let token = form.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str());
        if let Err(refused) = sessions::check_write(&req, &session, token) {
            return view::error_page(&session, 403, "Request refused", &refused.message());
        }
        form
    } else {
        Vec::new()
    };
    let visit = Visit {
        session,
        principal,
        form,
    };
    let result = match (method, path) {
        (Method::Post, ["sign-out"]) => signin::sign_out(&req, env, &visit).await,
        (Method::Get, ["account"]) => account::page(&req, env, &visit).await,
        (Method::Post, ["account", "password"]) => account::change_password(&req, env, &visit).await,
        (Method::Post, ["account", "sessions"]) => account::end_other_sessions(env, &visit).await,
        (Method::Get, ["leads"]) => leads::list(&req, env, &visit).await,
        (Method::Get, ["leads", id]) => leads::detail(&req, env, &visit, id, None).await,
        (Method::Post, ["leads", id, action]) => leads::write(&req, env, &visit, id, action).await,
        (Method::Post, ["deliveries", id, "replay"]) => leads::replay(&req, env, &visit, id).await,
        (Method::Get, ["conversations"]) => conversations::list(&req, env, &visit).await,
        (Method::Get, ["conversations", id]) => conversations::page(&req, env, &visit, id).await,
        (Method::Get, ["analytics"]) => analytics::page(&req, env, &visit).await,
        (Method::Get, ["integrations"]) => integrations::page(&req, env, &visit).await,
        (Method::Post, ["integrations", id, "test"]) => integrations::test(&req, env, &visit, id).await,
        (Method::Post, ["integrations", id, index, "enabled"]) => {
            integrations::switch(env, &visit, id, index).await
        }
        (Method::Get, ["integrations", id, "connect", kind]) => connect::page(env, &visit, id, kind).await,
        (Method::Post, ["integrations", id, "connect", kind]) => {
            connect::connect(env, &visit, id, kind).await
        }
        (Method::Post, ["integrations", id, index, "remove"]) => {
            connect::remove(env, &visit, id, index).await
        }
        (Method::Get, ["settings"]) => settings::page(&req, env, &visit, None).await,
        (Method::Post, ["settings", "members"]) => settings::invite(&req, env, &visit).await,
        (Method::Post, ["settings", "members", id, action]) => {
            settings::change_member(&req, env, &visit, id, action).await
        }
        (Method::Post, ["settings", "keys"]) => settings::make_key(&req, env, &visit).await,
        (Method::Post, ["settings", "keys", id, "revoke"]) => settings::revoke_key(env, id).await,
        (Method::Get, ["settings", "agents", id]) => {
            settings::agent_page(&req, env, &visit, id, Default::default()).await
        }
        (Method::Post, ["settings", "agents", id]) => settings::save_agent(&req, env, &visit, id).await,
        (Method::Post, ["settings", "agents", id, "lead-webhooks"]) => {
            settings::add_endpoint(&req, env, &visit, id).await
        }
        (Method::Post, ["settings", "agents", id, "channels"]) => {
            settings::connect_channel(&req, env, &visit, id).await
        }
        (Method::Post, ["settings", "channels", id, "test"]) => {
            settings::test_channel(&req, env, &visit, id).await
        }
        (Method::Post, ["settings", "channels", id, "delete"]) => {
            settings::disconnect_channel(env, &visit, id).await
        }
        (Method::Post, ["settings", "lead-webhooks", id, "delete"]) => {
            settings::delete_endpoint(env, id).await
        }
        (Method::Post, ["settings", "lead-webhooks", id, "rotate"]) => {
            settings::rotate_endpoint(&req, env, &visit, id).await
        }
        (Method::Get, ["settings", "agents", id, "forms", "new"]) => {
            let editing = settings::Editing::New { agent_id: id };
            settings::form_page(&req, env, &visit, editing, Default::default()).await
        }
        (Method::Post, ["settings", "agents", id, "forms", "new"]) => {
            settings::save_form(&req, env, &visit, settings::Editing::New { agent_id: id }).await
        }
        (Method::Get, ["settings", "forms", id]) => {
            settings::form_page(&req, env, &visit, settings::Editing::Form(id), Default::default()).await
        }
        (Method::Post, ["settings", "forms", id]) => {
            settings::save_form(&req, env, &visit, settings::Editing::Form(id)).await
        }
        (Method::Post, ["settings", "forms", id, "rotate"]) => settings::rotate(&req, env, &visit, id).await,
        (Method::Post, ["settings", "forms", id, "test"]) => settings::test_form(&req, env, &visit, id).await,
        (Method::Post, ["settings", "forms", id, "delete"]) => {
            settings::delete_form(&req, env, &visit, id).await
        }
        _ => return view::error_page(&visit.session, 404, "Not found", "There is no such page."),
    };
    result.or_else(|err| view::error_for(&visit.session, err))
}

/// What each dashboard route needs: the same scopes as the owner API's routes for the same
/// data (seed 004: the leads module is `sales`'s; settings are the admin's).
fn need_of(method: &Method, path: &[&str]) -> Option<Need> {
    use Scope::*;
    Some(match (method, path) {
        // Every member's own: whatever their role, they may sign out and mind their account.
        (Method::Post, ["sign-out"])
        | (Method::Get, ["account"])
        | (Method::Post, ["account", "password" | "sessions"]) => Need::Scope(LeadsRead),
        (Method::Get, ["leads"] | ["leads", _] | ["conversations"] | ["conversations", _]) => {
            Need::Scope(LeadsRead)
        }
        (Method::Post, ["leads", _, "stage" | "notes" | "contact" | "delete"])
        | (Method::Post, ["deliveries", _, "replay"]) => Need::Scope(LeadsWrite),
        (Method::Get, ["analytics"]) => Need::Scope(AnalyticsRead),
        (Method::Get | Method::Post, ["settings" | "integrations", ..]) => Need::Admin,
        _ => return None,
    })
}
