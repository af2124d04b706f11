//! `POST /form-submissions/submit`: validate, store, enqueue, answer (seed 002).
//!
//! The row and its delivery are committed in one transaction before anything else; the
//! queue message only carries ids. The answer then waits a bounded time
//! (`FIRST_ATTEMPT_WAIT_MS`, 2 s by default) for the consumer's first, immediate attempt so
//! `webhookResult` can say how it went; if it has not finished, `pending: true` says so.

mod guess;
mod large_bodies;

use super::check_origin;
use crate::auth;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::delivery::{self, DeliveryMessage};
use crate::error::{ApiError, ApiResult};
use crate::http::{
    declared_length, drop_body, json_body_counted, json_body_within, BODY_BYTES, SUBMIT_BODY_BYTES,
};
use crate::ids::new_id;
use crate::leads;
use crate::limits::{self, Limit};
use crate::storage::deliveries::{Delivery, NewDelivery};
use crate::storage::leads as stored_leads;
use crate::storage::{
    assumptions, conversations, deliveries, display_tokens, events, files, submissions, tools,
};
use futures_util::future::join;
use leadform_core::access::{client_token, Need, Scope};
use leadform_core::delivery::{public_error, DeliveryStatus};
use leadform_core::files::StoredFile;
use leadform_core::form::{ExecutionMode, FieldKind, HONEYPOT_FIELD};
use leadform_core::lead::Geo;
use leadform_core::qualification::Outcome as QualificationOutcome;
use leadform_core::spam;
use leadform_core::validate::{
    check_fields_completed, completed_with_values, same_answers, validate_form, FILE_TOO_LARGE,
};
use leadform_core::wire::{answer_for, PostActionResult, SubmitIn, SubmitOut, WebhookResult};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;
use worker::{D1Database, D1PreparedStatement, Delay, Env, Request, Response};

pub async fn submit(mut req: Request, env: &Env, origin: Option<&str>) -> ApiResult<Response> {
    // Which lead a submission joined tells whether its email or phone was a lead already,
    // and since when (a lead id carries its time): only the owner's own callers learn it,
    // with a key that reads the agent's leads. One of our keys that is wrong is a 401
    // before any work, as on every owner call (and counted as a failed check); any other
    // Authorization (a site's own token) is a visitor's.
    let owner = match auth::carries_own_key(&req, env) {
        true => Some(auth::authenticate(&req, env, &env.d1(bindings::DB)?).await?),
        false => None,
    };
    // A body past the owner API's size carries files, or is a flood: it is counted for its
    // client before it is read, since reading and parsing up to 32 MB is the costly part
    // and the form's own limit can only be checked after it. (A usual submit is far under
    // it, and pays nothing more.)
    let large = declared_length(&req).is_none_or(|len| len > BODY_BYTES);
    if large {
        if let Err(refused) = limits::check(env, Limit::Submit, &limits::client(&req), "large body").await {
            drop_body(&mut req).await;
            return Err(refused);
        }
    }
    // A large body's bytes are held as a share of what the isolate holds at once, until
    // this submit ends (`large_bodies` says why).
    let mut held = large_bodies::Held::default();
    let body = match large {
        true => {
            let busy = || ApiError::Busy("other large submissions are being received");
            json_body_counted(&mut req, SUBMIT_BODY_BYTES, |n| {
                held.grow(n).then_some(()).ok_or_else(busy)
            })
            .await?
        }
        false => json_body_within(&mut req, SUBMIT_BODY_BYTES).await?,
    };
    let input = SubmitIn::from_json(body)?;
    let tool_id = input.tool_id.clone();
    let display_token = input.display_token.clone();
    // Only who holds the conversation writes into it (its transcript, its summary): the
    // widget with its token, or the owner's own server with a key for the agent. An id
    // alone (it shows in Slack, email, the CRM) is kept on the submission, as seed 002's
    // webhook carries it, and changes nothing of the conversation.
    let conversation_proven = match &input.conversation_id {
        Some(id) if crate::routes::conversations::carries_token(&req, env, id) => true,
        Some(_) => match &owner {
            Some(owner) => owner.sees_agent(&agent_of(env, &tool_id).await?),
            None => false,
        },
        None => false,
    };
    let sender = Sender {
        // A browser page sends an Origin: that is the widget (or a page's own code using
        // it); servers and curl send none and are the API.
        source: if origin.is_some() { "widget" } else { "api" },
        client: limits::client(&req),
        geo: geo_of(&req),
        origin,
        channel_user_id: None,
        conversation_proven,
        from_page: origin.is_some() && owner.is_none(),
    };
    let mut answer = accept(env, input, &sender).await?;
    let agent_id = agent_of(env, &tool_id).await?;
    let shows_lead = match &owner {
        Some(owner) => owner.sees_agent(&agent_id) && owner.allows(Need::Scope(Scope::LeadsRead)).is_ok(),
        None => false,
    };
    let status = answer.status_code();
    let renewed = (status == 200)
        .then(|| renewed_display_token(env, &agent_id, display_token.as_deref()))
        .flatten();
    if shows_lead && renewed.is_none() {
        return Ok(answer);
    }
    Ok(json_text(
        answer_for(&answer.text().await?, shows_lead, renewed),
        status,
    )?)
}

/// A fresh display token for a widget whose submission carried one this edge signed for
/// the agent (or one past its day: a page left open overnight), for its next form: a
/// token makes [`spam::MAX_SUBMISSIONS_PER_TOKEN`] submissions, and a page that stays open
/// (a single-page app, a kiosk) shows forms for as long as it stays. A made-up token gets
/// none; anyone may fetch a token with the widget config anyway, counted by its own limit.
fn renewed_display_token(env: &Env, agent_id: &str, sent: Option<&str>) -> Option<String> {
    let now = now_ms();
    match config::check_display_token(env, agent_id, Some(sent?), now) {
        spam::TokenCheck::Valid { .. } | spam::TokenCheck::Expired => {
            Some(config::display_token(env, agent_id, now))
        }
        spam::TokenCheck::Absent | spam::TokenCheck::Invalid => None,
    }
}

/// Who sent a submission: the widget, the API, or a messaging channel on a person's behalf.
pub struct Sender<'a> {
    /// `widget`, `api`, `telegram` or `whatsapp`: the submission's and the lead's `source`.
    pub source: &'a str,
    /// Whom the rate limit counts (an address, or a channel's chat).
    pub client: String,
    pub geo: Geo,
    /// The page's origin, checked against the agent's allowed origins.
    pub origin: Option<&'a str>,
    /// The person's id on a messaging channel.
    pub channel_user_id: Option<&'a str>,
    /// Whether the sender showed the named conversation is theirs: only then does the
    /// submission read its turns and write into it.
    pub conversation_proven: bool,
    /// A web page that is not the owner's own call (no owner key): the widget's kind of
    /// sender, which always sends a display token (`spam`'s `no_display_token`).
    pub from_page: bool,
}

/// Validates, stores and answers one submission, from whichever sender.
pub async fn accept(env: &Env, mut input: SubmitIn, sender: &Sender<'_>) -> ApiResult<Response> {
    let origin = sender.origin;
    let db = env.d1(bindings::DB)?;
    // Each submission fans out to the owner's CRM, Slack, inbox...: few per client and form.
    // The limit is counted while the tool is looked up (nothing is written before it passes).
    let (allowed, known) = join(
        limits::check(env, Limit::Submit, &sender.client, &input.tool_id),
        known_tool(&db, &input.tool_id),
    )
    .await;
    allowed?;
    let (mut widget, mut verified) = known?;
    let honeypot = take_honeypot(&widget.tool, &mut input);

    // Usually one D1 round trip: the writes, planned on what this isolate expects (the
    // tool as it last read it, a new person, no replay, a display that scores as at its
    // token's issue: see `guess`) and led by a guard that checks all of it in the same
    // transaction. Should the guess be wrong, or not possible, two: one batch of reads,
    // one batch of writes planned on them. The tool comes from this isolate's copy and is
    // checked against the fresh row read in that batch; should it have changed,
    // everything is decided again on the fresh one.
    let mut guessed = false;
    let (form_data, now, token, seen, found, turns) = loop {
        let tool = &widget.tool;
        let now = now_ms();
        let token = config::check_display_token(env, &tool.agent_id, input.display_token.as_deref(), now);
        // When the edge showed this display, at the latest: a messaging channel's form is the
        // edge's own session; the widget's is no older than its token.
        let shown_since = match (&token, sender.channel_user_id) {
            (_, Some(_)) => Some(i64::MIN),
            (spam::TokenCheck::Valid { issued_at, .. }, None) => Some(*issued_at),
            _ => None,
        };
        let form_data = match check_request(&widget, origin, &input, shown_since) {
            Ok(form_data) => form_data,
            // A refusal is only ever made on the tool and agent as they are now.
            Err(refused) if !verified => {
                let fresh = tools::get_for_widget(&db, &tool.id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("tool", &tool.id))?;
                keep_tool(&fresh);
                verified = true;
                if fresh.same_as(&widget) {
                    return refused_unless_taken(env, &db, &widget.tool, &input, refused).await;
                }
                widget = fresh;
                continue;
            }
            Err(refused) => return refused_unless_taken(env, &db, &widget.tool, &input, refused).await,
        };

        let guessable = match guessed {
            true => None,
            false => guess::possible(env, tool, &input, &form_data),
        };
        if let Some(person) = guessable {
            guessed = true;
            let plan = Plan {
                tool,
                form_data: form_data.clone(),
                now,
                token: &token,
                seen: display_tokens::Seen::default(),
                found: leads::Found {
                    existing: None,
                    endpoints: Vec::new(),
                },
                turns: None,
            };
            let guard = guess::guard(&db, &widget, &input, &token, &person, now)?;
            match store(env, &db, &input, sender, honeypot.as_ref(), plan, Some(guard)).await? {
                Some(answer) => return Ok(answer),
                // Something it assumed did not hold: nothing was written. Read, then plan.
                None => continue,
            }
        }

        // The reads: the tool and its agent as they are now, the first answer to this
        // idempotency key (a replay answers it, before any file is uploaded again), what the
        // edge saw of this display (the spam score), the lead this person matches and the
        // agent's lead-event endpoints.
        let mut reads = vec![tools::widget_statement(&db, &tool.id)?];
        let replay_at = match &input.idempotency_key {
            Some(key) => {
                reads.push(submissions::idempotency_statement(&db, &tool.id, key)?);
                Some(reads.len() - 1)
            }
            None => None,
        };
        let seen_at = match token.nonce() {
            Some(nonce) => {
                reads.push(display_tokens::statement(
                    &db,
                    &tool.id,
                    input.idempotency_key.as_deref(),
                    nonce,
                )?);
                Some(reads.len() - 1)
            }
            None => None,
        };
        // The conversation the form was filled in, when it is this agent's: its turns give
        // the qualification and the summary.
        let turns_at = match input
            .conversation_id
            .as_ref()
            .filter(|_| sender.conversation_proven)
        {
            Some(id) => {
                reads.push(conversations::turns_of_agent_statement(&db, id, &tool.agent_id)?);
                Some(reads.len() - 1)
            }
            None => None,
        };
        let capture_at = reads.len();
        let (capture, statements) = leads::CaptureReads::statements(&db, &tool.agent_id, tool, &form_data)?;
        reads.extend(statements);
        let results = db.batch(reads).await?;

        let fresh = tools::widget_from(&results[0])?.ok_or_else(|| ApiError::not_found("tool", &tool.id))?;
        keep_tool(&fresh);
        if !fresh.same_as(&widget) {
            widget = fresh;
            verified = true;
            continue;
        }
        if let Some(hit) = replay_at
            .map(|i| submissions::idempotency_from(&results[i]))
            .transpose()?
            .flatten()
        {
            return answer_again(env, &db, tool, hit, &form_data).await;
        }
        let seen = match seen_at {
            Some(i) => display_tokens::seen_from(&results[i])?,
            None => display_tokens::Seen::default(),
        };
        let found = capture.found(&results[capture_at..])?;
        guess::note_lead_endpoints(&tool.agent_id, !found.endpoints.is_empty());
        let turns = match turns_at {
            Some(i) => conversations::turns_from(&results[i])?,
            None => Vec::new(),
        };
        break (form_data, now, token, seen, found, turns);
    };
    let plan = Plan {
        tool: &widget.tool,
        form_data,
        now,
        token: &token,
        seen,
        found,
        turns: Some(&turns),
    };
    store(env, &db, &input, sender, honeypot.as_ref(), plan, None)
        .await?
        .ok_or_else(|| ApiError::Internal("a submit without a guard was not stored".into()))
}

/// What a submission is stored on: the tool, the validated form and what was read (or
/// assumed) of the display, the person's lead and the conversation.
struct Plan<'a> {
    tool: &'a tools::Tool,
    form_data: Map<String, Value>,
    now: i64,
    token: &'a spam::TokenCheck,
    seen: display_tokens::Seen,
    found: leads::Found,
    /// The conversation's turns; `None` when not read (a guess: the tool asks no
    /// qualification questions and the summary is the plain one, finished by D1).
    turns: Option<&'a [conversations::Turn]>,
}

/// Scores, stores and answers one submission planned on `plan`. With `guard` (a guess),
/// the guard leads the batch of writes, and `None` says it failed: nothing was written.
async fn store(
    env: &Env,
    db: &D1Database,
    input: &SubmitIn,
    sender: &Sender<'_>,
    honeypot: Option<&Value>,
    plan: Plan<'_>,
    mut guard: Option<D1PreparedStatement>,
) -> ApiResult<Option<Response>> {
    let guessed = guard.is_some();
    let Plan {
        tool,
        form_data,
        now,
        token,
        seen,
        found,
        turns,
    } = plan;
    // The spam score: the display token (when the form was shown, how often the token was
    // used), the honeypot and the content. API-only submissions carry no token and are
    // scored on the rest; one from a web page without a token is a weak signal itself.
    let verdict = spam::score(&spam::Input {
        fields: &tool.fields,
        form_data: &form_data,
        honeypot,
        token,
        shown_at: seen.shown_at,
        earlier_uses: seen.uses.unwrap_or(0),
        from_page: sender.from_page,
        typed: input.started_at.is_some(),
        now,
        threshold: tool.spam_threshold(),
    });
    if verdict.is_spam() && guessed {
        // A quarantine is stored on what was read, with every reason as it stands.
        return Ok(None);
    }

    // The time spent in each field (field analysis), for the form's own fields.
    let field_times = leadform_core::field_analysis::read_times(input.field_time_ms.as_ref(), &tool.fields);
    // How the visitor answered the form's questions in this conversation (kept on the
    // submission and the lead; post-actions route on it).
    let qualification = crate::agent::qualification::outcome(tool, turns.unwrap_or_default());
    let submission_id = new_id("sub");
    // Files go to R2 before the row that points at them is committed: a failure after
    // this leaves an orphan object, never a lead whose file is missing.
    let form_data = store_files(env, tool, &submission_id, form_data).await?;
    let fields_completed = completed_with_values(&input.fields_completed, &form_data);
    let source = sender.source;
    let geo = sender.geo.clone();
    let new = submissions::NewSubmission {
        id: &submission_id,
        agent_id: &tool.agent_id,
        tool_id: &tool.id,
        conversation_id: input.conversation_id.as_deref(),
        conversation_proven: sender.conversation_proven,
        form_data: &form_data,
        fields_completed: &fields_completed,
        impression_at: input.impression_at,
        started_at: input.started_at,
        submitted_at: now,
        execution_mode: tool.execution_mode,
        idempotency_key: input.idempotency_key.as_deref(),
        lead_id: None,
        source,
        attribution: input.attribution.as_ref(),
        quarantine: None,
        response: None,
        qualification: qualification.as_ref(),
        channel_user_id: sender.channel_user_id,
    };
    if verdict.is_spam() {
        let token_use = token
            .nonce()
            .map(|nonce| display_tokens::count_use(db, nonce, now))
            .transpose()?;
        let quarantine = submissions::Quarantine { verdict, geo };
        let proven = sender.conversation_proven;
        return quarantine_submission(env, db, tool, new, &quarantine, token_use, proven)
            .await
            .map(Some);
    }

    let summary = match turns {
        // (Nothing is written into a conversation the sender did not show is theirs.)
        _ if input.conversation_id.is_none() || !sender.conversation_proven => None,
        Some(turns) => Some(conversations::Summary::Text(
            crate::agent::summary::write(env, tool, turns, &form_data, qualification.as_ref()).await,
        )),
        None => Some(conversations::Summary::AfterFirstQuestion(
            crate::agent::summary::after_first_question(tool, &form_data, qualification.as_ref()),
        )),
    };
    let (schedule, first_delay) = schedule_of(env, tool);
    let delivery_ids: Vec<String> = planned_deliveries(tool, qualification.as_ref())
        .iter()
        .map(|_| new_id("dlv"))
        .collect();
    // Without deliveries (a client-mode form without post-actions) the answer is known
    // before anything is written, and is stored with the row; else it is stored once the
    // first attempts have had their chance.
    let answer_known = delivery_ids.is_empty();

    // The submission, its lead (created or updated, with its trail and lead events) and
    // every delivery are one transaction. A lead changed by someone else meanwhile fails
    // the batch (see `leads::plan_capture`): plan again on what is there now.
    let mut tries = 0;
    let mut found = Some(found);
    let (lead_id, messages, body) = loop {
        tries += 1;
        let capture = leads::Capture {
            agent_id: &tool.agent_id,
            tool,
            submission_id: &submission_id,
            form_data: &form_data,
            source,
            attribution: input.attribution.as_ref(),
            geo: &geo,
            now,
            qualification: qualification.as_ref(),
        };
        let write = match found.take() {
            Some(found) => leads::plan_capture_found(env, db, &capture, found)?,
            None => leads::plan_capture(env, db, &capture).await?,
        };
        let body = match answer_known {
            true => Some(serde_json::to_string(&answer(
                env,
                &submission_id,
                Some(&write.lead.id),
                tool.execution_mode,
                &tool.name,
                &[],
            ))?),
            false => None,
        };
        let row = submissions::NewSubmission {
            lead_id: Some(&write.lead.id),
            response: body.as_deref().filter(|_| input.idempotency_key.is_some()),
            ..new
        };
        // The guard first: it checks the guess before anything is written.
        let mut statements: Vec<D1PreparedStatement> = guard.take().into_iter().collect();
        if let (Some(display_id), true) = (&input.idempotency_key, token.is_valid()) {
            // The widget's key is its display id: a submission implies the display was shown
            // and started, even if those events were lost on the way (dropped as repeats if
            // not). Only for a display the edge issued a token for, as for the events. Before
            // the submission's row, whose trigger counts it as a started display's (drop-off,
            // migration 0025).
            statements.push(events::insert_shown_and_started(db, &tool.id, display_id, now)?);
        }
        statements.push(submissions::insert(db, &row)?);
        statements.extend(write.statements);
        if let (Some(conversation_id), Some(summary)) = (&input.conversation_id, &summary) {
            // In the transcript, with the summary, when the conversation is one the edge keeps.
            statements.extend(crate::agent::note_form_submitted(
                db,
                conversation_id,
                tool,
                &submission_id,
                summary,
            )?);
        }
        if let Some(nonce) = token.nonce() {
            statements.push(display_tokens::count_use(db, nonce, now)?);
        }
        if !field_times.is_empty() {
            statements.push(events::field_times(db, &tool.id, &field_times, now)?);
        }
        // Every delivery (the webhook, each post-action) is a row in the same transaction.
        let (rows, messages) = delivery_rows(
            db,
            tool,
            qualification.as_ref(),
            &submission_id,
            &delivery_ids,
            &schedule,
            now,
        )?;
        if ends_as_stored(tool, &rows) {
            statements.push(submissions::settle_stored(db, &submission_id)?);
        }
        statements.extend(rows);
        match db.batch(statements).await {
            Ok(_) => {
                // Their next submit here reads before it writes (see `guess`).
                guess::note_lead_of(&tool.agent_id, &write.lead.state.contact);
                delivery::enqueue_all(env, &write.messages, 0).await;
                break (write.lead.id, messages, body);
            }
            // The guess was wrong (or its new lead met another's): nothing was written.
            Err(err) if guessed && assumptions::failed(&err) => return Ok(None),
            Err(err) if tries < leads::TRIES && stored_leads::is_write_conflict(&err) => {
                leads::backoff().await
            }
            Err(err) => {
                // Two requests with one idempotency key raced (the unique index refused the
                // second): the loser answers with the winner's result.
                if let Some(key) = &input.idempotency_key {
                    if let Some(first) = first_answer(env, db, &tool.id, key, &form_data).await? {
                        return Ok(Some(first));
                    }
                }
                // The person's lead kept changing under every try (a flood of one body):
                // a 503 the widget keeps and sends again, never a 500.
                if stored_leads::is_write_conflict(&err) {
                    return Err(ApiError::Busy(
                        "other requests for the same person were being written",
                    ));
                }
                return Err(err.into());
            }
        }
    };
    if let Some(body) = body {
        return Ok(Some(json_text(body, 200)?));
    }
    delivery::enqueue_all(env, &messages, first_delay).await;
    let settled = first_attempts(db, &submission_id, config::first_attempt_wait_ms(env)).await?;
    let body = serde_json::to_string(&answer(
        env,
        &submission_id,
        Some(&lead_id),
        tool.execution_mode,
        &tool.name,
        &settled,
    ))?;
    if input.idempotency_key.is_some() {
        submissions::save_response(db, &submission_id, &body).await?;
    }
    Ok(Some(json_text(body, 200)?))
}

thread_local! {
    /// Tools (with their agents' allowed origins) as this isolate last read them. A submit
    /// starts from its copy and checks it against the fresh row in its batch of reads, so a
    /// changed tool or agent is never used stale; it only saves a round trip.
    static TOOLS: RefCell<HashMap<String, tools::WidgetTool>> = RefCell::new(HashMap::new());
}

/// Most tools an isolate keeps; past that, it starts over.
const KEPT_TOOLS: usize = 256;

/// The tool as this isolate last saw it (`false`: not checked yet), else as D1 has it now
/// (`true`).
async fn known_tool(db: &D1Database, tool_id: &str) -> ApiResult<(tools::WidgetTool, bool)> {
    if let Some(kept) = TOOLS.with(|kept| kept.borrow().get(tool_id).cloned()) {
        return Ok((kept, false));
    }
    let fresh = tools::get_for_widget(db, tool_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", tool_id))?;
    keep_tool(&fresh);
    Ok((fresh, true))
}

/// The agent of tool `tool_id`, from this isolate's copy of the tool (`accept` has just
/// read it, so no round trip), without copying the rest of it.
async fn agent_of(env: &Env, tool_id: &str) -> ApiResult<String> {
    if let Some(agent) = TOOLS.with(|kept| kept.borrow().get(tool_id).map(|t| t.tool.agent_id.clone())) {
        return Ok(agent);
    }
    Ok(known_tool(&env.d1(bindings::DB)?, tool_id).await?.0.tool.agent_id)
}

/// The form's state, the origin check and the validation of the form: the validated
/// values. `shown_since`: when the edge showed this display, at the latest (a paused form
/// still takes the displays shown before its pause).
fn check_request(
    widget: &tools::WidgetTool,
    origin: Option<&str>,
    input: &SubmitIn,
    shown_since: Option<i64>,
) -> ApiResult<Map<String, Value>> {
    let tool = &widget.tool;
    if tool.deleted_at.is_some() {
        return Err(ApiError::not_found("tool", &tool.id));
    }
    if let Some(paused_at) = tool.paused_at {
        if shown_since.is_none_or(|shown| shown > paused_at) {
            return Err(ApiError::FormPaused(tool.id.clone()));
        }
    }
    check_origin(&widget.allowed_origins, origin)?;
    let fields = &widget.tool.fields;
    let form_data = validate_form(fields, &input.form_data).map_err(|e| {
        if e.reason == FILE_TOO_LARGE {
            ApiError::FileTooLarge(e)
        } else {
            ApiError::InvalidField(e)
        }
    })?;
    check_fields_completed(fields, &input.fields_completed)?;
    Ok(form_data)
}

fn keep_tool(fresh: &tools::WidgetTool) {
    TOOLS.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.len() >= KEPT_TOOLS {
            kept.clear();
        }
        kept.insert(fresh.tool.id.clone(), fresh.clone());
    });
}

/// Takes the widget's hidden field out of the submission (it is no field of the form, so
/// validation would refuse it), and returns its value for the spam score. A tool with a
/// field of that name (made before the name was reserved) keeps it as a field.
/// `fieldsCompleted` naming it more than once is left as sent, so validation refuses the
/// list (the widget never sends it twice).
fn take_honeypot(tool: &tools::Tool, input: &mut SubmitIn) -> Option<Value> {
    if tool.fields.iter().any(|f| f.name == HONEYPOT_FIELD) {
        return None;
    }
    let listed = input
        .fields_completed
        .iter()
        .filter(|f| *f == HONEYPOT_FIELD)
        .count();
    if listed <= 1 {
        input.fields_completed.retain(|f| f != HONEYPOT_FIELD);
    }
    input.form_data.remove(HONEYPOT_FIELD)
}

/// Stores a submission whose score reached the threshold as `spam`: no lead, no delivery,
/// not counted (see migration 0006). The visitor gets the answer any submission gets
/// while its deliveries are on their way, so the answer does not say it was caught (the
/// README says what a bot comparing answers can still tell).
async fn quarantine_submission(
    env: &Env,
    db: &D1Database,
    tool: &tools::Tool,
    new: submissions::NewSubmission<'_>,
    quarantine: &submissions::Quarantine,
    token_use: Option<D1PreparedStatement>,
    conversation_proven: bool,
) -> ApiResult<Response> {
    // Every part "on its way"; no lead (a visitor's answer never names one: `submit`).
    let waiting = WebhookResult {
        success: false,
        error: None,
        pending: true,
    };
    let planned = planned_deliveries(tool, new.qualification);
    let mut out = answer(env, new.id, None, tool.execution_mode, &tool.name, &[]);
    out.webhook_result = planned
        .iter()
        .any(|(_, _, action)| action.is_none())
        .then(|| waiting.clone());
    out.post_action_results = planned
        .into_iter()
        .filter(|(_, _, action)| action.is_some())
        .map(|(kind, _, _)| PostActionResult {
            kind,
            success: false,
            error: None,
            pending: true,
        })
        .collect();
    let body = serde_json::to_string(&out)?;
    let row = submissions::NewSubmission {
        quarantine: Some(quarantine),
        response: Some(&body),
        ..new
    };
    let mut statements = vec![submissions::insert(db, &row)?];
    statements.extend(token_use);
    if let Some(conversation_id) = row.conversation_id.filter(|_| conversation_proven) {
        // The form was sent, in the transcript too: the chat does not offer it again on the
        // visit's next page (as it would a form still open), which would also tell a bot
        // it was caught. The summary waits for a release, which writes it only where this
        // turn is (a conversation its sender proved was theirs, as `accept` asks).
        statements.extend(crate::agent::note_form_event(
            db,
            conversation_id,
            tool,
            "form_submitted",
            Some(row.id),
        )?);
    }
    if let Err(err) = db.batch(statements).await {
        if let Some(key) = row.idempotency_key {
            if let Some(first) = first_answer(env, db, &tool.id, key, row.form_data).await? {
                return Ok(first);
            }
        }
        return Err(err.into());
    }
    Ok(json_text(body, 200)?)
}

/// The tool's delivery schedule (its own, else `RETRY_SCHEDULE_SECS`) and its first delay.
pub(crate) fn schedule_of(env: &Env, tool: &tools::Tool) -> (Vec<u32>, u32) {
    let schedule = tool
        .retry_schedule
        .clone()
        .unwrap_or_else(|| config::retry_schedule(env));
    let first_delay = schedule.first().copied().unwrap_or(0);
    (schedule, first_delay)
}

/// Whether a submission ends as it is stored: a store-only form with no delivery to make
/// for it (no post-action, or none on and routed to it). Otherwise its post-actions end it
/// (`submissions::settle_post_actions`).
pub(crate) fn ends_as_stored(tool: &tools::Tool, delivery_rows: &[D1PreparedStatement]) -> bool {
    tool.execution_mode == ExecutionMode::Store && delivery_rows.is_empty()
}

/// The delivery rows of a submission (the webhook, each post-action), due after the
/// schedule's first delay, and the queue messages to send once they are committed.
pub(crate) fn delivery_rows(
    db: &D1Database,
    tool: &tools::Tool,
    qualification: Option<&QualificationOutcome>,
    submission_id: &str,
    ids: &[String],
    schedule: &[u32],
    now: i64,
) -> ApiResult<(Vec<D1PreparedStatement>, Vec<DeliveryMessage>)> {
    let first_delay = schedule.first().copied().unwrap_or(0);
    let mut statements = Vec::new();
    let mut messages = Vec::new();
    for ((kind, target_url, action), id) in planned_deliveries(tool, qualification).iter().zip(ids) {
        statements.push(deliveries::insert(
            db,
            &NewDelivery {
                id,
                submission_id: Some(submission_id),
                agent_id: &tool.agent_id,
                lead_id: None,
                kind,
                target_url,
                action: action.as_deref(),
                payload: None,
                schedule,
                due: now + i64::from(first_delay) * 1000,
                now,
            },
        )?);
        messages.push(DeliveryMessage {
            delivery_id: id.clone(),
            attempts_made: 0,
        });
    }
    Ok((statements, messages))
}

/// Decodes each file field, checks its type against its bytes, puts it in R2, and leaves
/// its description (name, type, size, sha256, R2 key) in `formData` in its place.
async fn store_files(
    env: &Env,
    tool: &tools::Tool,
    submission_id: &str,
    mut form_data: Map<String, Value>,
) -> ApiResult<Map<String, Value>> {
    let mut uploads = Vec::new();
    for field in tool.fields.iter().filter(|f| f.kind == FieldKind::File) {
        if let Some(Value::String(data_url)) = form_data.get(&field.name) {
            uploads.push((
                field.name.clone(),
                leadform_core::files::decode(&field.name, data_url)?,
            ));
        }
    }
    if uploads.is_empty() {
        return Ok(form_data);
    }
    let bucket = env.bucket(bindings::FILES)?;
    for (field, upload) in uploads {
        let key = files::key(submission_id, &field);
        files::put(&bucket, &key, &upload).await?;
        form_data.insert(field, serde_json::to_value(StoredFile::new(key, &upload))?);
    }
    Ok(form_data)
}

/// `refused`, unless it is the form's pause or deletion and this request repeats one the
/// edge already took (its idempotency key and answers): a sender whose first answer was
/// lost hears it again rather than "refused" for a lead that is stored.
async fn refused_unless_taken(
    env: &Env,
    db: &D1Database,
    tool: &tools::Tool,
    input: &SubmitIn,
    refused: ApiError,
) -> ApiResult<Response> {
    let (ApiError::FormPaused(_) | ApiError::NotFound { .. }, Some(key)) = (&refused, &input.idempotency_key)
    else {
        return Err(refused);
    };
    let Ok(form_data) = validate_form(&tool.fields, &input.form_data) else {
        return Err(refused);
    };
    match first_answer(env, db, &tool.id, key, &form_data).await? {
        Some(first) => Ok(first),
        None => Err(refused),
    }
}

/// The answer already given for this key, if any (`form_data`: what this request sent).
async fn first_answer(
    env: &Env,
    db: &D1Database,
    tool_id: &str,
    key: &str,
    form_data: &Map<String, Value>,
) -> ApiResult<Option<Response>> {
    let Some(hit) = submissions::find_by_idempotency_key(db, tool_id, key).await? else {
        return Ok(None);
    };
    let tool = tools::get(db, tool_id)
        .await?
        .ok_or_else(|| ApiError::not_found("tool", tool_id))?;
    Ok(Some(answer_again(env, db, &tool, hit, form_data).await?))
}

/// The answer stored with a submission made with the same idempotency key; a submission
/// stored without one (the first request died before answering) is answered from its row.
/// A request with other answers under the key is refused (409 naming `idempotencyKey`):
/// answering it with the first submission would take its answers and lose them.
async fn answer_again(
    env: &Env,
    db: &D1Database,
    tool: &tools::Tool,
    hit: submissions::IdempotencyHit,
    form_data: &Map<String, Value>,
) -> ApiResult<Response> {
    if !same_answers(&tool.fields, &hit.form_data, form_data) {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let submissions::IdempotencyHit {
        id: submission_id,
        response,
        ..
    } = hit;
    let body = match response {
        Some(body) => body,
        None => {
            let submission = submissions::get(db, &submission_id)
                .await?
                .ok_or_else(|| ApiError::Internal("vanished".into()))?;
            let so_far = deliveries::for_submission(db, &submission_id).await?;
            serde_json::to_string(&answer(
                env,
                &submission_id,
                submission.lead_id.as_deref(),
                submission.execution_mode,
                &tool.name,
                &so_far,
            ))?
        }
    };
    Ok(json_text(body, 200)?)
}

/// What a tool sends for a submission: `(kind, target URL, post-action JSON)`; the primary
/// webhook has no post-action. Post-actions run in every mode, each only for the
/// submissions its `when` matches (routing on the qualification).
pub(crate) fn planned_deliveries(
    tool: &tools::Tool,
    qualification: Option<&QualificationOutcome>,
) -> Vec<(String, String, Option<String>)> {
    let mut planned = Vec::new();
    if let (Some(url), true) = (&tool.webhook_url, tool.execution_mode.uses_webhook()) {
        planned.push(("webhook".to_string(), url.clone(), None));
    }
    for action in &tool.post_actions {
        // A paused one, or one whose routing this lead does not match, is not run.
        if !action.enabled() || action.when().is_some_and(|when| !when.matches(qualification)) {
            continue;
        }
        let config = serde_json::to_string(action).unwrap_or_default();
        planned.push((action.kind().to_string(), action.target(), Some(config)));
    }
    planned
}

/// Seed 002's answer to a stored submission, from its deliveries as they stand.
fn answer(
    env: &Env,
    submission_id: &str,
    lead_id: Option<&str>,
    mode: ExecutionMode,
    tool_name: &str,
    deliveries: &[Delivery],
) -> SubmitOut {
    let result = |d: &Delivery| WebhookResult {
        success: d.status == DeliveryStatus::Delivered,
        error: d.last_error.as_deref().map(public_error),
        pending: !d.status.is_settled(),
    };
    SubmitOut {
        success: true,
        submission_id: submission_id.to_string(),
        execution_mode: mode,
        webhook_result: deliveries.iter().find(|d| d.is_primary()).map(result),
        post_action_results: deliveries
            .iter()
            .filter(|d| !d.is_primary())
            .map(|d| {
                let r = result(d);
                PostActionResult {
                    kind: d.kind.clone(),
                    success: r.success,
                    error: r.error,
                    pending: r.pending,
                }
            })
            .collect(),
        client_handler: mode.uses_client().then(|| tool_name.to_string()),
        lead_id: lead_id.map(str::to_string),
        client_token: mode
            .uses_client()
            .then(|| client_token(&config::api_key(env).unwrap_or_default(), submission_id)),
        display_token: None,
    }
}

/// Waits up to `wait_ms` for the first attempt of every delivery of a submission and
/// returns them as they stand. Polls with a growing pause (25 ms up to 400 ms) to keep D1
/// reads per submit low.
async fn first_attempts(db: &D1Database, submission_id: &str, wait_ms: u64) -> ApiResult<Vec<Delivery>> {
    let mut pause = 25;
    let mut waited = 0;
    loop {
        let so_far = deliveries::for_submission(db, submission_id).await?;
        if so_far.iter().all(|d| d.attempts > 0) || waited >= wait_ms {
            return Ok(so_far);
        }
        let step = pause.min(wait_ms - waited);
        Delay::from(Duration::from_millis(step)).await;
        waited += step;
        pause = (pause * 2).min(400);
    }
}

/// Where the visitor is, from the runtime's `cf` metadata (absent fields stay `None`; read
/// through JS so a missing or odd value can never panic the worker).
fn geo_of(req: &Request) -> Geo {
    let cf = js_sys::Reflect::get(req.inner(), &"cf".into()).unwrap_or(wasm_bindgen::JsValue::UNDEFINED);
    let get = |key: &str| {
        js_sys::Reflect::get(&cf, &key.into())
            .ok()
            .and_then(|v| v.as_string())
            .map(|v| v.trim().chars().take(100).collect::<String>())
            .filter(|v| !v.is_empty())
    };
    Geo {
        country: get("country"),
        region: get("region"),
        city: get("city"),
        timezone: get("timezone"),
    }
}

fn json_text(body: String, status: u16) -> worker::Result<Response> {
    let response = Response::ok(body)?.with_status(status);
    response.headers().set("Content-Type", "application/json")?;
    Ok(response)
}
