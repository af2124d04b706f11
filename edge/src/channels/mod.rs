//! Messaging channels (issue 13): a person writes to the agent's Telegram bot or WhatsApp
//! number, the platform posts it here, and the agent answers as in the widget. When it shows
//! a form, it asks the form's fields one message at a time (`core::chat_form`) and submits
//! the answers through the same path as every other lead (`routes::submit::accept`).
//! Every answer goes out through the outbox (a delivery of kind [`CHANNEL_MESSAGE`]), so a
//! platform outage delays it, never loses it.
//!
//! `telegram` and `whatsapp` hold what differs: checking that a call is the platform's,
//! reading its payload, sending, fetching a file.

mod fetch;
pub mod telegram;
pub mod whatsapp;

use crate::agent;
use crate::bindings;
use crate::clock::now_ms;
use crate::config;
use crate::delivery::{self, DeliveryMessage};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::limits::{self, Limit};
use crate::routes::submit::{accept, Sender};
use crate::storage::channels::{self as stored, Channel, Chat};
use crate::storage::conversations::{self, NewTurn};
use crate::storage::deliveries::{self, NewDelivery};
use crate::storage::tools::{self, Tool};
use crate::storage::{agents, events};
use leadform_core::channels::{FileRef, Inbound, Outbound};
use leadform_core::chat_form::{Prompt, Session, Step};
use leadform_core::chat_words::{reason, say, word, W};
use leadform_core::lead::Geo;
use leadform_core::locale::{translate, LOCALES};
use leadform_core::wire::SubmitIn;
use serde::{Deserialize, Serialize};
use worker::{console_warn, D1Database, D1PreparedStatement, Env};

/// The delivery kind of a message to a person on a channel.
pub const CHANNEL_MESSAGE: &str = "channel_message";

/// What a channel message delivery sends: kept as its payload, sent as it is on every
/// attempt (the channel's token is read from D1 then, never stored with the delivery).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub channel_id: String,
    pub chat_id: String,
    pub text: String,
    #[serde(default)]
    pub choices: Vec<String>,
    /// The chat's language (an index into `locale::LOCALES`), for the platform's own
    /// controls around the choices.
    #[serde(default)]
    pub locale: usize,
}

impl Message {
    pub fn outbound(&self) -> Outbound {
        Outbound {
            text: self.text.clone(),
            choices: self.choices.clone(),
            locale: self.locale,
        }
    }
}

/// Handles one message a person sent: once per platform delivery id. It is marked done in
/// the batch that answers it; when handling fails the mark is taken back, and one left by
/// an isolate that died mid-way lapses after a lease, so the platform's next delivery of it
/// is handled again. A delivery that arrives while an earlier one is being handled is a 503
/// (`Busy`), not a 200: acknowledged, the platform would not deliver it again, and a
/// handling that then failed would lose the message.
pub async fn receive(env: &Env, channel: &Channel, inbound: &Inbound) -> ApiResult<()> {
    let db = env.d1(bindings::DB)?;
    match stored::take(&db, &channel.id, &inbound.update_id, now_ms()).await? {
        stored::Take::Taken => {}
        stored::Take::Done => return Ok(()),
        stored::Take::InProgress => {
            return Err(ApiError::Busy(
                "this message is being handled by an earlier delivery of it",
            ))
        }
    }
    let handled = handle(env, &db, channel, inbound).await;
    if handled.is_err() {
        stored::forget(&db, &channel.id, &inbound.update_id).await?;
    }
    handled
}

/// What one message leads to: the turns to add, the answer to send, the form's new state.
struct Reply {
    texts: Vec<String>,
    choices: Vec<String>,
    turns: Vec<(&'static str, String)>,
    statements: Vec<D1PreparedStatement>,
    /// The chat's language (an index into `locale::LOCALES`).
    locale: usize,
}

impl Reply {
    fn new(locale: usize) -> Self {
        Reply {
            texts: Vec::new(),
            choices: Vec::new(),
            turns: Vec::new(),
            statements: Vec::new(),
            locale,
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.turns.push(("agent", text.clone()));
            self.texts.push(text);
        }
    }

    fn ask(&mut self, prompt: &Prompt) {
        if let Prompt::Ask { text, choices } = prompt {
            self.say(text.clone());
            self.choices = choices.clone();
        }
    }
}

async fn handle(env: &Env, db: &D1Database, channel: &Channel, inbound: &Inbound) -> ApiResult<()> {
    // Each message may cost an LLM call and a send: a chat gets the widget's message limit.
    // Over it, the message is acknowledged and left unanswered (answering would cost a
    // send each time).
    let chat_key = format!("{}:{}", channel.kind, inbound.chat_id);
    match limits::check(env, Limit::Message, &chat_key, &channel.id).await {
        Err(ApiError::RateLimited { .. }) => {
            console_warn!(
                "channel {}: chat {} is over the message limit; not answered",
                channel.id,
                inbound.chat_id
            );
            db.batch(vec![stored::done(db, &channel.id, &inbound.update_id)?])
                .await?;
            return Ok(());
        }
        Err(other) => return Err(other),
        Ok(()) => {}
    }
    let agent = agents::get(db, &channel.agent_id)
        .await?
        .ok_or_else(|| ApiError::not_found("agent", &channel.agent_id))?;
    let now = now_ms();
    // The agent's language setting, else the one the person's app is set to (WhatsApp's
    // stand-in: the number's country), else English: the widget's rule, with the app
    // standing in for the browser.
    let locale = leadform_core::locale::pick(agent.locale.as_deref(), inbound.language.as_deref());
    let mut reply = Reply::new(locale);
    // The chat and its conversation start with the first message; the greeting goes first.
    let known = stored::chat(db, &channel.id, &inbound.chat_id).await?;
    // The files this chat's form holds now, and any this message parks: those it no longer
    // holds once answered (sent, cancelled, refused, the chat restarted) are deleted then
    // (`finish`).
    let mut parked = known
        .as_ref()
        .map_or_else(Vec::new, |c| parked_keys(c.form.as_ref()));
    // A chat whose conversation was purged (retention, the lead deleted) or is full goes
    // on in a new one, so the person is never left unanswered.
    let usable = match &known {
        Some(chat) => conversations::get(db, &chat.conversation_id)
            .await?
            .is_some_and(|c| c.turns + 8 <= conversations::MAX_TURNS),
        None => false,
    };
    let chat = match known {
        Some(chat) if usable => chat,
        earlier => {
            let (conversation, greeting) = agent::start(db, &agent, None, LOCALES[locale]).await?;
            db.batch(vec![stored::start_chat(
                db,
                &channel.id,
                &inbound.chat_id,
                &conversation.id,
                earlier.is_some(),
                now,
            )?])
            .await?;
            // Already in the transcript (agent::start wrote it): only sent.
            reply.texts.extend(greeting.into_iter().map(|m| m.text));
            Chat {
                conversation_id: conversation.id,
                form: None,
                // A restarted chat's row moved on by one version.
                version: earlier.map_or(0, |c| c.version + 1),
            }
        }
    };
    let mut form = chat.form.clone();
    let tool = match &form {
        // A form deleted half way through ends its session (a paused one goes on: the
        // edge showed it).
        Some(session) => tools::get(db, &session.tool_id)
            .await?
            .filter(|t| t.agent_id == agent.id && t.deleted_at.is_none()),
        None => None,
    };
    match (&mut form, tool) {
        (Some(session), Some(tool)) => {
            reply.turns.push(("visitor", said(inbound)));
            let not_started = session.started_at.is_none();
            let step = match (&inbound.file, &inbound.text) {
                (Some(file), _) => match download(env, channel, file, locale).await {
                    Ok(data_url) => {
                        let field = session.field(&tool.fields).map(|f| f.name.clone());
                        let step = session.answer_file(&tool.fields, data_url, now, locale);
                        if let (Step::Next, Some(field)) = (&step, field) {
                            parked.extend(park_file(env, channel, session, &field, now).await?);
                        }
                        step
                    }
                    Err(why) => Step::Invalid { why },
                },
                (None, Some(text)) => session.answer(&tool.fields, text, now, locale),
                (None, None) => Step::Invalid {
                    why: word(locale, W::AnswerWithText).into(),
                },
            };
            if not_started && session.started_at.is_some() {
                // The first answer starts the display.
                reply
                    .statements
                    .push(events::insert(db, &tool.id, &session.display_id, "start", now)?);
            }
            let done = match step {
                Step::Cancelled => {
                    reply.say(if tool.dismiss_message.is_empty() {
                        word(locale, W::Dismissed)
                    } else {
                        &tool.dismiss_message
                    });
                    reply
                        .statements
                        .push(events::insert(db, &tool.id, &session.display_id, "dismiss", now)?);
                    reply.statements.extend(agent::note_form_event(
                        db,
                        &chat.conversation_id,
                        &tool,
                        "form_dismissed",
                        None,
                    )?);
                    true
                }
                Step::Invalid { why } => {
                    let prompt = session.prompt(&tool.fields, &inbound.known, locale);
                    reply.say(why);
                    reply.ask(&prompt);
                    false
                }
                Step::Next => match session.prompt(&tool.fields, &inbound.known, locale) {
                    Prompt::Done => submit(env, channel, &chat, inbound, &tool, session, &mut reply).await?,
                    prompt => {
                        reply.ask(&prompt);
                        false
                    }
                },
            };
            if done {
                form = None;
            }
        }
        // No form, or its form was removed meanwhile: the agent answers.
        _ => {
            form = None;
            let Some(text) = inbound.text.as_deref().filter(|t| !t.trim().is_empty()) else {
                reply.say(word(locale, W::TextOnly));
                return finish(env, db, channel, &chat, inbound, form.as_ref(), reply, parked).await;
            };
            // Telegram's Start button sends `/start`: the greeting answers it (sent above on a
            // first message; said again on a later one).
            if text.trim() == "/start" || text.trim().starts_with("/start ") {
                if reply.texts.is_empty() {
                    let own = agent.greeting_in(LOCALES[locale]);
                    reply.say(if own.is_empty() {
                        word(locale, W::Hello)
                    } else {
                        own
                    });
                }
                return finish(env, db, channel, &chat, inbound, form.as_ref(), reply, parked).await;
            }
            let conversation = conversations::get(db, &chat.conversation_id)
                .await?
                .ok_or_else(|| ApiError::not_found("conversation", &chat.conversation_id))?;
            // The agent writes its own turns (the visitor's message, its reply, a form shown).
            let messages = agent::answer(env, &agent, &conversation, text, None, locale).await?;
            for message in messages {
                reply.texts.push(message.text.clone());
                reply.choices = message.quick_replies.clone();
                let Some(shown) = message.form else { continue };
                let Some(tool) = tools::get(db, &shown.tool_id).await? else {
                    continue;
                };
                if tool.execution_mode.uses_client() {
                    // Its handler runs on the owner's web page, which a chat app has not.
                    reply.say(say(locale, W::OnWebsite, &[&tool.title]));
                    continue;
                }
                let mut session = Session::new(&tool.id, &new_id("disp"), now);
                // What the LLM picked up in the chat fills fields, when it is valid for them.
                for (name, value) in &shown.prefill {
                    if let Some(field) = tool.fields.iter().find(|f| &f.name == name) {
                        if let Ok(Some(clean)) = leadform_core::validate::validate_field(field, Some(value)) {
                            session.answers.insert(name.clone(), clean);
                        }
                    }
                }
                reply.statements.push(events::insert(
                    db,
                    &tool.id,
                    &session.display_id,
                    "impression",
                    now,
                )?);
                let prompt = session.prompt(&tool.fields, &inbound.known, locale);
                reply.say(say(locale, W::Intro, &[&tool.title]));
                reply.ask(&prompt);
                form = Some(session);
            }
        }
    }
    finish(env, db, channel, &chat, inbound, form.as_ref(), reply, parked).await
}

/// What the person sent, as the transcript shows it.
fn said(inbound: &Inbound) -> String {
    match (&inbound.text, &inbound.file) {
        (Some(text), _) => text.clone(),
        (None, Some(file)) => format!("(sent {})", file.name.as_deref().unwrap_or("a file")),
        (None, None) => "(a message without text)".into(),
    }
}

/// Submits the answers as a lead from this channel; `true` when the form is done with
/// (stored), `false` when the edge refused a field (asked again).
async fn submit(
    env: &Env,
    channel: &Channel,
    chat: &Chat,
    inbound: &Inbound,
    tool: &Tool,
    session: &mut Session,
    reply: &mut Reply,
) -> ApiResult<bool> {
    let locale = reply.locale;
    // Answers to fields the owner removed meanwhile would be refused: they go.
    session
        .answers
        .retain(|name, _| tool.fields.iter().any(|f| &f.name == name));
    let form_data = unpark_files(env, &session.answers).await?;
    let input = SubmitIn {
        tool_id: tool.id.clone(),
        conversation_id: Some(chat.conversation_id.clone()),
        form_data,
        fields_completed: session.completed(&tool.fields),
        impression_at: Some(session.shown_at),
        started_at: session.started_at,
        idempotency_key: Some(session.display_id.clone()),
        attribution: None,
        display_token: None,
        field_time_ms: None,
    };
    let sender = Sender {
        source: if channel.kind == "whatsapp" {
            "whatsapp"
        } else {
            "telegram"
        },
        client: format!("{}:{}", channel.kind, inbound.chat_id),
        geo: Geo::default(),
        origin: None,
        channel_user_id: Some(&inbound.user_id),
        // The edge's own chat with this person.
        conversation_proven: true,
        from_page: false,
    };
    match accept(env, input, &sender).await {
        Ok(_) => {
            // The default one in the chat's language; the owner's own as they wrote it.
            reply.say(translate(locale, &tool.success_message));
            reply.choices.clear();
            Ok(true)
        }
        Err(ApiError::InvalidField(e)) | Err(ApiError::FileTooLarge(e)) => {
            // Asked again from the field the edge refused; a refusal of the whole form
            // (its size, its fields) ends it, said plainly, rather than asking forever.
            let Some(i) = tool.fields.iter().position(|f| f.name == e.field) else {
                reply.say(say(locale, W::NotSent, &[&e.field, &reason(locale, &e.reason)]));
                reply.choices.clear();
                return Ok(true);
            };
            session.answers.remove(&e.field);
            session.index = i;
            let label = tool.fields[i].label_in(LOCALES[locale]);
            reply.say(say(locale, W::Invalid, &[&label, &reason(locale, &e.reason)]));
            let prompt = session.prompt(&tool.fields, &inbound.known, locale);
            reply.ask(&prompt);
            Ok(false)
        }
        Err(other) => Err(other),
    }
}

/// Sends the reply (`send`), then deletes the parked files the form held before this
/// message or parked while handling it (`parked`) and holds no more. A file whose deletion fails is left to the sweep
/// (`retention`), as is one parked by a message whose handling failed.
#[allow(clippy::too_many_arguments)]
async fn finish(
    env: &Env,
    db: &D1Database,
    channel: &Channel,
    chat: &Chat,
    inbound: &Inbound,
    form: Option<&Session>,
    reply: Reply,
    parked: Vec<String>,
) -> ApiResult<()> {
    let kept = parked_keys(form);
    send(env, db, channel, chat, inbound, form, reply).await?;
    let bucket = env.bucket(bindings::FILES)?;
    for key in parked.iter().filter(|key| !kept.contains(key)) {
        if let Err(err) = crate::storage::files::delete(&bucket, key).await {
            console_warn!("leadform: parked file {key} not deleted: {err}");
        }
    }
    Ok(())
}

/// The keys of the files a form's answers hold in R2.
fn parked_keys(form: Option<&Session>) -> Vec<String> {
    form.map_or_else(Vec::new, |session| {
        session
            .answers
            .values()
            .filter_map(|value| value.get(PARKED).and_then(|k| k.as_str()).map(str::to_string))
            .collect()
    })
}

/// Writes the turns, the form's new state and the answer's delivery in one batch, then
/// queues the answer.
async fn send(
    env: &Env,
    db: &D1Database,
    channel: &Channel,
    chat: &Chat,
    inbound: &Inbound,
    form: Option<&Session>,
    reply: Reply,
) -> ApiResult<()> {
    let now = now_ms();
    let turns: Vec<NewTurn> = reply
        .turns
        .iter()
        .map(|(role, text)| NewTurn::message(role, text))
        .collect();
    let mut statements = reply.statements;
    // Handled: a redelivery from now on is only acknowledged.
    statements.push(stored::done(db, &channel.id, &inbound.update_id)?);
    if !turns.is_empty() {
        statements.extend(conversations::append(
            db,
            &chat.conversation_id,
            &turns,
            None,
            now,
        )?);
    }
    statements.extend(stored::save_form(
        db,
        &channel.id,
        &inbound.chat_id,
        form,
        chat.version,
        now,
    )?);
    let mut queued = Vec::new();
    if !reply.texts.is_empty() {
        let message = Message {
            channel_id: channel.id.clone(),
            chat_id: inbound.chat_id.clone(),
            text: reply.texts.join("\n\n"),
            choices: reply.choices,
            locale: reply.locale,
        };
        let id = new_id("dlv");
        let schedule = config::retry_schedule(env);
        statements.push(deliveries::insert(
            db,
            &NewDelivery {
                id: &id,
                submission_id: None,
                agent_id: &channel.agent_id,
                lead_id: None,
                kind: CHANNEL_MESSAGE,
                target_url: &format!("{}:{}", channel.kind, channel.account),
                action: Some(&channel.id),
                payload: Some(&serde_json::to_string(&message)?),
                schedule: &schedule,
                due: now,
                now,
            },
        )?);
        queued.push(DeliveryMessage {
            delivery_id: id,
            attempts_made: 0,
        });
    }
    db.batch(statements).await?;
    delivery::enqueue_all(env, &queued, 0).await;
    Ok(())
}

/// A file answer is kept in R2 while the form goes on, the session holding its key: a
/// data URL of up to 5 MB would not fit the chat's row in D1.
async fn park_file(
    env: &Env,
    channel: &Channel,
    session: &mut Session,
    field: &str,
    now: i64,
) -> ApiResult<Option<String>> {
    let Some(serde_json::Value::String(data_url)) = session.answers.get(field) else {
        return Ok(None);
    };
    let file = leadform_core::files::decode(field, data_url)?;
    let key = leadform_core::channels::parked_key(now, &channel.id, &session.display_id, field);
    crate::storage::files::put(&env.bucket(bindings::FILES)?, &key, &file).await?;
    session
        .answers
        .insert(field.to_string(), serde_json::json!({ PARKED: &key }));
    Ok(Some(key))
}

/// The key a parked file answer holds.
const PARKED: &str = "parkedFile";

/// The answers with parked files as data URLs again, for the submission. A file that is
/// gone (the sweep took a form's file after a week) leaves its field unanswered: the edge
/// then asks for it again if it is required.
async fn unpark_files(
    env: &Env,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<serde_json::Map<String, serde_json::Value>> {
    let mut data = answers.clone();
    for (field, value) in answers {
        let Some(key) = value.get(PARKED).and_then(|k| k.as_str()) else {
            continue;
        };
        let bucket = env.bucket(bindings::FILES)?;
        let Some(object) = crate::storage::files::get(&bucket, key).await? else {
            data.remove(field);
            continue;
        };
        let mime = object
            .http_metadata()
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = object.custom_metadata()?.get("name").cloned();
        let bytes = match object.body() {
            Some(body) => body.bytes().await?,
            None => Vec::new(),
        };
        data.insert(
            field.clone(),
            leadform_core::files::data_url(&mime, name.as_deref(), &bytes).into(),
        );
    }
    Ok(data)
}

/// A file the person sent, fetched from the platform as a data URL (at most 5 MB); `Err`
/// with what to tell them, in `locale`.
async fn download(env: &Env, channel: &Channel, file: &FileRef, locale: usize) -> Result<String, String> {
    if file
        .size
        .is_some_and(|s| s > leadform_core::validate::MAX_FILE_BYTES as u64)
    {
        return Err(word(locale, W::FileTooLarge).into());
    }
    let fetched = match channel.kind.as_str() {
        "telegram" => telegram::fetch_file(env, channel, &file.id).await,
        _ => whatsapp::fetch_file(env, channel, &file.id).await,
    };
    match fetched {
        Ok((bytes, content_type)) => {
            let mime = file
                .mime_type
                .clone()
                .or(content_type)
                .unwrap_or_else(|| "application/octet-stream".into());
            Ok(leadform_core::files::data_url(
                &mime,
                file.name.as_deref(),
                &bytes,
            ))
        }
        Err(why) => {
            console_warn!("channel {}: file {} not fetched: {why}", channel.id, file.id);
            Err(word(
                locale,
                if why.contains("5 MB") {
                    W::FileTooLarge
                } else {
                    W::FileNotFetched
                },
            )
            .into())
        }
    }
}

/// The request that sends a channel message delivery, built on each attempt from the
/// channel as it is now; `Err` with the reason when it cannot be sent at all.
pub async fn request(
    env: &Env,
    db: &D1Database,
    payload: Option<&str>,
) -> worker::Result<Result<crate::delivery::send::OutgoingRequest, String>> {
    let Some(message) = payload.and_then(|p| serde_json::from_str::<Message>(p).ok()) else {
        return Ok(Err("unreadable channel message".into()));
    };
    let Some(channel) = stored::get(db, &message.channel_id).await? else {
        return Ok(Err(format!("channel {} was disconnected", message.channel_id)));
    };
    Ok(match channel.kind.as_str() {
        "telegram" => telegram::send_request(env, &channel, &message),
        _ => whatsapp::send_request(env, &channel, &message),
    })
}
