//! Form tools: made, read, changed, paused (`enabled`), deleted; their signing secret has
//! routes of its own (a tool as the API shows it never carries it), with rotation and an
//! overlap window.

use super::{merge, parse_shaped, rotation, Caller};
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::delivery::example::TestOut;
use crate::error::{ApiError, ApiResult};
use crate::http::{json, json_body, optional_json_body, request_origin};
use crate::ids::{new_id, random_bytes};
use crate::storage::files::Links;
use crate::storage::tools::Saving;
use crate::storage::{agents, members, tools};
use leadform_core::collect_leads;
use leadform_core::owner::ToolIn;
use leadform_core::post_actions::PostAction;
use leadform_core::validate::FieldError;
use leadform_core::webhook::{derived_secret, secret_from_bytes};
use serde::Serialize;
use worker::{D1Database, Env, Request, Response};

/// (The agent's existence is checked by the route, `owner::handle`.)
pub async fn list(env: &Env, agent_id: &str) -> ApiResult<Response> {
    let db = env.d1(bindings::DB)?;
    json(&tools::list_for_agent(&db, agent_id).await?, 200)
}

pub async fn create(mut req: Request, env: &Env, agent_id: &str) -> ApiResult<Response> {
    let tool = make(env, agent_id, json_body(&mut req).await?).await?;
    // Shown once, when the tool is made (and at GET /v1/tools/{id}/secret).
    let webhook_secret = tool.webhook_secret.clone();
    json(&ToolCreatedOut { tool, webhook_secret }, 201)
}

/// Makes (or replaces, with `id`) a form of `agent_id` from the API's body or the
/// dashboard's form.
pub async fn make(env: &Env, agent_id: &str, body: serde_json::Value) -> ApiResult<tools::Tool> {
    let db = env.d1(bindings::DB)?;
    agents::get(&db, agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", agent_id))?;
    // Seed 003's `collect_leads` config, as written, is a form too.
    let body = if collect_leads::is_collect_leads(&body) {
        collect_leads::to_tool_body(&body)?
    } else {
        body
    };
    let input: ToolIn = parse_shaped(body)?;
    if let Some(id) = &input.id {
        // Form ids are one namespace (they are public, in every widget config): another
        // agent's is taken, and whose it is is not said.
        if tools::get(&db, id).await?.is_some_and(|t| t.agent_id != agent_id) {
            return Err(FieldError::new("id", "is already in use; choose another").into());
        }
    }
    // Made (or brought back) whatever the form was: nothing to have read first.
    save(env, agent_id, input, Saving::Made)
        .await?
        .ok_or(ApiError::Busy("the form kept changing under this change"))
}

pub async fn get(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let tool = find(caller, env, id).await?;
    json(&tool, 200)
}

pub async fn update(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    json(&patch(caller, env, id, json_body(&mut req).await?).await?, 200)
}

/// Changes the fields `changes` gives; the secret is kept.
pub async fn patch(
    caller: &Caller,
    env: &Env,
    id: &str,
    changes: serde_json::Value,
) -> ApiResult<tools::Tool> {
    patch_with(caller, env, id, |_| Ok(changes.clone())).await
}

/// Changes the fields `changes_of` makes from the tool as it is read for this write (the
/// dashboard's switch of one post-action works on the list as it is now, not as its page
/// showed it). The write names the revision it read: a change committed meanwhile (an
/// owner on another page, an API call) makes this one read again and make its change on
/// that, rather than overwrite it; a form that keeps changing under it is a 503 `busy`.
pub async fn patch_with(
    caller: &Caller,
    env: &Env,
    id: &str,
    mut changes_of: impl FnMut(&tools::Tool) -> ApiResult<serde_json::Value>,
) -> ApiResult<tools::Tool> {
    for _ in 0..5 {
        let tool = find(caller, env, id).await?;
        let changes = changes_of(&tool)?;
        let mut input: ToolIn = merge(&tool.id, &tool.to_input(), changes)?;
        input.id = Some(tool.id);
        if let Some(saved) = save(env, &tool.agent_id, input, Saving::ChangedFrom(tool.revision)).await? {
            return Ok(saved);
        }
    }
    Err(ApiError::Busy("the form kept changing under this change"))
}

/// `DELETE /v1/tools/{id}`: the form leaves every list, widget config and agent reply, and
/// new submissions to it are refused (404). What it took in stays: its submissions and
/// leads (they still name it), its analytics rows, and deliveries already accepted, which
/// go on to its URL with its secret until they succeed or fail. Making a form with its id
/// again brings it back.
pub async fn delete(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    remove(caller, env, id).await?;
    Ok(Response::empty()?.with_status(204))
}

/// Deletes tool `id` for the caller (the API's route and the dashboard's button): its agent.
pub async fn remove(caller: &Caller, env: &Env, id: &str) -> ApiResult<String> {
    let tool = find(caller, env, id).await?;
    // Lost to a concurrent delete: deleted all the same.
    tools::delete(&env.d1(bindings::DB)?, &tool.id, now_ms()).await?;
    Ok(tool.agent_id)
}

/// The tool, if it is not deleted and the caller may see its agent.
async fn find(caller: &Caller, env: &Env, id: &str) -> ApiResult<tools::Tool> {
    let tool = tools::get(&env.d1(bindings::DB)?, id)
        .await?
        .filter(|t| t.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("tool", id))?;
    let agent_id = tool.agent_id.clone();
    auth::visible(caller, "tool", id, &agent_id, tool)
}

/// Makes or changes the form ([`tools::Saving`]); `None` when a change met another made
/// since its read (nothing written).
async fn save(env: &Env, agent_id: &str, input: ToolIn, saving: Saving) -> ApiResult<Option<tools::Tool>> {
    input.check(config::allow_loopback(env))?;
    let db = env.d1(bindings::DB)?;
    let id = input.id.clone().unwrap_or_else(|| new_id("tool"));
    if tools::name_taken(&db, agent_id, &input.name, &id).await? {
        return Err(FieldError::new("name", "is already used by another form of this agent").into());
    }
    check_members(&db, &id, &input).await?;
    // Only used when the tool is new; an update keeps the secret it has.
    let secret = secret_from_bytes(&random_bytes::<24>());
    if !tools::upsert(&db, &id, agent_id, &input, &secret, now_ms(), saving).await? && saving != Saving::Made
    {
        return Ok(None);
    }
    let saved = tools::get(&db, &id)
        .await?
        .filter(|t| t.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("tool", &id))?;
    if saved.agent_id != agent_id {
        // Another agent made a form with this id between `make`'s check and the write.
        return Err(FieldError::new("id", "is already in use; choose another").into());
    }
    Ok(Some(saved))
}

/// Every member an email post-action of tool `id` names anew (`recipientIds`) is on the
/// dashboard: a typo is told now, not found when the first lead's email goes nowhere. One
/// the tool named already may have left since: the email goes to those there are, and
/// the form's other changes are not refused for it.
async fn check_members(db: &D1Database, id: &str, input: &ToolIn) -> ApiResult<()> {
    // Most forms name no member: no read for them.
    if input.post_actions.iter().all(|a| a.member_ids().is_empty()) {
        return Ok(());
    }
    let stored = tools::get(db, id).await?;
    let named_before = |member: &String| {
        stored
            .as_ref()
            .is_some_and(|t| t.post_actions.iter().any(|a| a.member_ids().contains(member)))
    };
    for (i, action) in input.post_actions.iter().enumerate() {
        let ids = action.member_ids();
        let found = members::of_ids(db, ids).await?;
        let missing = |id: &String| !named_before(id) && !found.iter().any(|m| &m.id == id);
        if let Some((j, id)) = ids.iter().enumerate().find(|(_, id)| missing(id)) {
            return Err(FieldError::new(
                format!("postActions[{i}].recipientIds[{j}]"),
                format!("{id:?} is not a dashboard member's id (GET /v1/members lists them)"),
            )
            .into());
        }
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolCreatedOut {
    #[serde(flatten)]
    tool: tools::Tool,
    webhook_secret: String,
}

/// The secrets a tool signs with, for the owner's receivers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretOut {
    webhook_secret: String,
    /// The secret before the last rotation, and until when it still signs.
    previous_secret: Option<String>,
    previous_secret_expires_at: Option<i64>,
    /// Each `webhook` post-action's own secret (derived from the tool's), by its URL.
    post_action_secrets: Vec<PostActionSecret>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostActionSecret {
    index: usize,
    url: String,
    secret: String,
}

impl SecretOut {
    fn of(tool: &tools::Tool) -> Self {
        let now = now_ms();
        let in_overlap = tool.previous_secret_until.is_some_and(|until| now < until);
        SecretOut {
            webhook_secret: tool.webhook_secret.clone(),
            previous_secret: tool.previous_secret.clone().filter(|_| in_overlap),
            previous_secret_expires_at: tool.previous_secret_until.filter(|_| in_overlap),
            post_action_secrets: tool
                .post_actions
                .iter()
                .enumerate()
                .filter_map(|(index, action)| match action {
                    PostAction::Webhook { url, .. } => Some(PostActionSecret {
                        index,
                        url: url.clone(),
                        secret: derived_secret(&tool.webhook_secret, url),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// `GET /v1/tools/{id}/secret`.
pub async fn secret(caller: &Caller, env: &Env, id: &str) -> ApiResult<Response> {
    let tool = find(caller, env, id).await?;
    json(&SecretOut::of(&tool), 200)
}

/// `POST /v1/tools/{id}/secret/rotate {overlapSecs?}`: a new secret; the old one signs too
/// until the overlap ends.
pub async fn rotate(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let body = optional_json_body(&mut req).await?;
    let rotated = rotate_secret(caller, env, id, body.unwrap_or_else(|| serde_json::json!({}))).await?;
    json(&SecretOut::of(&rotated), 200)
}

/// Rotates tool `id`'s secret with `{overlapSecs?}` (the API's body or the dashboard's form).
pub async fn rotate_secret(
    caller: &Caller,
    env: &Env,
    id: &str,
    body: serde_json::Value,
) -> ApiResult<tools::Tool> {
    let tool = find(caller, env, id).await?;
    let now = now_ms();
    let rotation = rotation::plan(&tool.webhook_secret, tool.previous_secret_until, body, now)?;
    let db = env.d1(bindings::DB)?;
    if !tools::rotate_secret(&db, &tool.id, &rotation, now).await? {
        let winner = tools::get(&db, &tool.id).await?;
        return Err(rotation::in_progress(
            winner.and_then(|t| t.previous_secret_until).unwrap_or(now),
        ));
    }
    tools::get(&db, &tool.id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", id))
}

/// `POST /v1/tools/{id}/test {postAction?}`: an example submission sent now to the form's
/// webhook, or to the post-action at that index (`delivery::example`); nothing is stored.
pub async fn test_route(caller: &Caller, mut req: Request, env: &Env, id: &str) -> ApiResult<Response> {
    let body = optional_json_body(&mut req).await?;
    json(&test(caller, &req, env, id, body.as_ref()).await?, 200)
}

/// Sends tool `id`'s example to what `body` names (the API's route and the dashboard's
/// buttons).
pub async fn test(
    caller: &Caller,
    req: &Request,
    env: &Env,
    id: &str,
    body: Option<&serde_json::Value>,
) -> ApiResult<TestOut> {
    let tool = find(caller, env, id).await?;
    let post_action = leadform_core::example::test_target(body, tool.post_actions.len())?;
    let links = Links::new(env, request_origin(req));
    let db = env.d1(bindings::DB)?;
    crate::delivery::example::send(env, &db, &tool, post_action, &links).await
}
