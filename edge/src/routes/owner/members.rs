//! `/v1/members`: the dashboard's members through the API (admins only). An invitation's
//! link is in the creation answer and nowhere else.

use super::{parse, Caller};
use crate::bindings;
use crate::error::ApiResult;
use crate::http::{edge_address, json, json_body};
use crate::members;
use crate::storage::members::{self as stored, Member};
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteIn {
    email: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleIn {
    role: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvitedOut {
    member: Member,
    invite_url: String,
    invite_expires_at: i64,
}

#[derive(Serialize)]
struct MembersOut {
    members: Vec<Member>,
}

#[derive(Serialize)]
struct MemberOut {
    member: Member,
}

pub async fn create(caller: &Caller, mut req: Request, env: &Env) -> ApiResult<Response> {
    let body: InviteIn = parse(json_body(&mut req).await?)?;
    let role = members::parse_role("role", &body.role)?;
    let db = env.d1(bindings::DB)?;
    let base = edge_address(env, &req);
    let invited = members::invite(&db, caller, &body.email, role, &base).await?;
    json(
        &InvitedOut {
            member: invited.member,
            invite_url: invited.invite_url,
            invite_expires_at: invited.expires_at,
        },
        201,
    )
}

pub async fn list(env: &Env) -> ApiResult<Response> {
    let members = stored::list(&env.d1(bindings::DB)?).await?;
    json(&MembersOut { members }, 200)
}

pub async fn update(mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let body: RoleIn = parse(json_body(&mut req).await?)?;
    let role = members::parse_role("role", &body.role)?;
    let member = members::set_role(&env.d1(bindings::DB)?, id, role).await?;
    json(&MemberOut { member }, 200)
}

pub async fn delete(env: &Env, id: &str) -> ApiResult<Response> {
    members::remove(&env.d1(bindings::DB)?, id).await?;
    Ok(Response::empty()?.with_status(204))
}
