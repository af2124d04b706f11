//! Submissions that could not reach the edge, kept in the browser until they can.
//!
//! Every submit is written to IndexedDB (database `leadform`, store `outbox`) with its body,
//! idempotency key included, before it goes, so a tab closed mid-send loses nothing. One
//! that meets a network failure, a 5xx or a 429, or an answer that is not the edge's own
//! (a captive portal's page), stays there and is sent again on
//! the window's `online` event, on a timer with backoff, and when the widget starts on the
//! visitor's next page. The edge answers a repeated idempotency key with its first answer
//! and stores one submission, so a resend after a lost answer is harmless; and of the
//! site's tabs that send one item at once, only the one that takes it from the store shows
//! its outcome and runs the page's handler.
//! An item leaves the store as soon as the edge has answered it, accepted or refused.
//!
//! IndexedDB rather than localStorage: a form may carry files of up to 5 MB as data URLs,
//! more than localStorage's whole quota per origin.

use crate::api::Submitted;
use crate::chat::Chat;
use crate::js;
use crate::text::num;
use leadform_core::locale::T;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{IdbDatabase, IdbRequest, IdbTransactionMode};

const DB: &str = "leadform";
const STORE: &str = "outbox";
/// The first retry on the timer; each failed round doubles it, up to `MAX_RETRY_MS`.
pub const FIRST_RETRY_MS: i32 = 5_000;
const MAX_RETRY_MS: i32 = 300_000;

/// Keeps `body` (a submit body) for `scope` (the edge's origin and the agent). Err when the
/// browser cannot keep it (no IndexedDB, private mode, over quota).
pub async fn keep(scope: &str, body: &JsValue) -> Result<(), JsValue> {
    let id = id(scope, &js::text(body, "idempotencyKey"));
    let item = js::object(&[
        ("id", id.clone()),
        ("scope", scope.into()),
        ("body", js::stringify(body).into()),
    ]);
    run(Op::Put(&item, &id)).await.map(|_| ())
}

/// Takes the item with idempotency key `key` out of `scope`'s store once the edge has
/// answered it; whether this call took it (false: another tab's round took it first).
pub async fn settle(scope: &str, key: &str) -> bool {
    take(&id(scope, key)).await
}

fn id(scope: &str, key: &str) -> JsValue {
    [scope, " ", key].concat().into()
}

/// The kept items of `scope` as (id, body), in key order: each stands alone, so the order
/// they go in does not matter.
pub async fn kept(scope: &str) -> Result<Vec<(JsValue, JsValue)>, JsValue> {
    Ok(js_sys::Array::from(&run(Op::All).await?)
        .iter()
        .filter(|item| js::text(item, "scope") == scope)
        .filter_map(|item| Some((js::get(&item, "id"), js::parse(&js::string(&item, "body")?)?)))
        .collect())
}

/// Removes item `id`; whether this call removed it (false: another tab took it first, or
/// the store could not be read). IndexedDB runs the write transactions of every tab on a
/// store one after the other, so exactly one taker sees it there.
async fn take(id: &JsValue) -> bool {
    run(Op::Take(id)).await.ok().and_then(|n| n.as_f64()) == Some(1.0)
}

/// How long opening the browser's database may take before nothing is kept, in ms.
const OPEN_WAIT_MS: i32 = 3_000;

enum Op<'a> {
    Put(&'a JsValue, &'a JsValue),
    All,
    Take(&'a JsValue),
}

/// Runs `op` in a transaction of its own and answers its result once the transaction has
/// committed (a write is kept only then: a quota error shows as an abort). One function
/// for every operation: each async function costs the widget bytes.
async fn run(op: Op<'_>) -> Result<JsValue, JsValue> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("no IndexedDB")?;
    let opening = factory.open_with_u32(DB, 1)?;
    let upgrading = opening.clone();
    // The closure type the DOM listeners already use (one more type costs wasm bytes);
    // it fires before success, so it may go once the database is open.
    let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if let Ok(db) = upgrading.result() {
            let _ = db.unchecked_into::<IdbDatabase>().create_object_store(STORE);
        }
    });
    opening.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        opening.set_onsuccess(Some(&resolve));
        opening.set_onerror(Some(&reject));
        // An open that never ends (a connection of the page's that blocks it, a browser's
        // IndexedDB that hangs) must not hold a submission "Sending…": past a few seconds
        // nothing is kept, and the submission goes all the same.
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_1(
                &reject,
                OPEN_WAIT_MS,
                &"the browser's database did not open".into(),
            );
        }
    });
    if let Err(error) = JsFuture::from(opened).await {
        // An open that was only slow still ends, and still makes the store then: its
        // handler is left to it (else the database would be made without the store, and
        // nothing could be kept again in this browser).
        upgrade.forget();
        return Err(error);
    }
    drop(upgrade);
    let db: IdbDatabase = opening.result()?.unchecked_into();
    let mode = match op {
        Op::All => IdbTransactionMode::Readonly,
        _ => IdbTransactionMode::Readwrite,
    };
    let tx = db.transaction_with_str_and_mode(STORE, mode)?;
    let store = tx.object_store(STORE)?;
    let request: IdbRequest = match op {
        Op::Put(item, key) => store.put_with_key(item, key),
        Op::All => store.get_all(),
        // Counted and removed in one transaction: the count says whether it was there.
        Op::Take(key) => store
            .count_with_key(key)
            .and_then(|had| store.delete(key).map(|_| had)),
    }?;
    let committed = js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    let done = JsFuture::from(committed).await;
    db.close();
    done?;
    request.result()
}

/// Sends what `chat`'s scope has kept, one item after the other. One round at a time per
/// page; a flush asked for while a round runs makes that round go again, so an item kept
/// meanwhile is not left for the next `online`. An item that meets no answer (or one not
/// the edge's own) is tried again later; the round goes on with the rest, so one item a
/// proxy keeps refusing never holds back the others.
pub async fn flush(chat: Rc<Chat>) {
    if chat.flushing.replace(true) {
        chat.flush_again.set(true);
        return;
    }
    let again = loop {
        chat.flush_again.set(false);
        let again = round(chat.clone()).await;
        if again || !chat.flush_again.get() {
            break again;
        }
    };
    chat.flushing.set(false);
    if again {
        retry_later(chat);
    } else {
        chat.retry_ms.set(FIRST_RETRY_MS);
    }
}

/// One pass over what is kept; whether something is left to try again later.
async fn round(chat: Rc<Chat>) -> bool {
    let mut again = false;
    for (id, body) in kept(&chat.scope()).await.unwrap_or_default() {
        // A `client` or `both` form's handler is part of its delivery: it waits for a page
        // that has registered one (maybe later on this page), rather than failing here.
        // A form of this page is sending it right now (kept before it went): its answer
        // settles it.
        if chat.sending.borrow().contains(&js::text(&body, "idempotencyKey")) {
            continue;
        }
        let tool_id = js::text(&body, "toolId");
        let form = chat.config.forms.iter().find(|f| f.tool_id == tool_id);
        if form.is_some_and(|f| f.execution_mode.uses_client() && !chat.handlers.has(&f.name)) {
            again = true;
            continue;
        }
        // Only the tab that takes the item from the store tells its outcome: every tab of
        // the site hears `online` at once and may send it (the edge answers a repeat with
        // its first answer), but its success shows, and the page's handler runs, once.
        let token = chat.token_of(&js::text(&body, "conversationId"));
        match chat.api.submit(&body, &token).await {
            // Settled whichever tab takes it: this tab's note no longer holds its form back.
            Ok(out) => {
                chat.renew_token(&out);
                settled(&chat, &tool_id);
                if take(&id).await {
                    sent(&chat, out, &body).await;
                }
            }
            Err(e) if e.retry => again = true,
            Err(e) => {
                settled(&chat, &tool_id);
                // Refused: it never will be accepted; the visitor reads why, as on a live send.
                if take(&id).await {
                    // At its field, as the form would have shown it.
                    let field = chat
                        .config
                        .forms
                        .iter()
                        .find(|f| f.tool_id == js::text(&body, "toolId"))
                        .and_then(|f| f.fields.iter().find(|s| Some(&s.name) == e.field.as_ref()));
                    let why = match field {
                        Some(spec) => {
                            let (label, rest) = crate::form::fault_text(spec, &e.message);
                            label + &rest
                        }
                        None => ["HTTP ", &num(e.status.into())].concat(),
                    };
                    let text = crate::i18n::tf(T::SavedRefused, &[&why]);
                    chat.tell(crate::dom::text_el("div", "lf-msg lf-agent", &text), &text);
                }
            }
        }
    }
    again
}

/// A kept submission of form `tool_id` is no longer waiting: its form may be shown again
/// on this page (its note said it was saved: `FormView::keep`).
fn settled(chat: &Chat, tool_id: &str) {
    if let Ok(Some(note)) = chat
        .log
        .query_selector(&["[data-saved=\"", tool_id, "\"]"].concat())
    {
        let _ = note.remove_attribute("data-saved");
    }
}

/// Flushes again after the current backoff, and doubles it. The `online` event is not
/// enough: the browser may be online while the edge answers 5xx or 429.
pub fn retry_later(chat: Rc<Chat>) {
    if chat.retry_waiting.replace(true) {
        return; // one timer at a time
    }
    let ms = chat.retry_ms.get();
    chat.retry_ms.set((ms * 2).min(MAX_RETRY_MS));
    spawn_local(async move {
        let _ = JsFuture::from(crate::dom::later(ms, &JsValue::UNDEFINED)).await;
        chat.retry_waiting.set(false);
        flush(chat).await;
    });
}

/// A kept submission reached the edge: the form's success message in the chat (and read
/// out), and the page's handler run for `client` and `both` tools, as on a live send.
async fn sent(chat: &Rc<Chat>, out: Submitted, body: &JsValue) {
    let tool_id = js::text(body, "toolId");
    let form = chat.config.forms.iter().find(|f| f.tool_id == tool_id).cloned();
    let success = form.map(|f| f.success_message).unwrap_or_default();
    let success = if success.is_empty() {
        crate::i18n::t(T::Sent)
    } else {
        &success
    };
    let conversation_id = js::text(body, "conversationId");
    let (done, message) = crate::form::outcome(
        chat,
        &out,
        &tool_id,
        &conversation_id,
        js::get(body, "formData"),
        success,
    )
    .await;
    chat.tell(done, &message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn a_kept_item_is_taken_once_whoever_asks_second() {
        // Two tabs that both sent an item both try to take it: IndexedDB runs their write
        // transactions one after the other, so one of them tells the outcome.
        let body = js::object(&[("idempotencyKey", "disp_take_once".into())]);
        keep("https://edge.example agent_t", &body).await.unwrap();
        let id = JsValue::from("https://edge.example agent_t disp_take_once");
        // Both asked at once, as two tabs would.
        let asked =
            |id: JsValue| wasm_bindgen_futures::future_to_promise(async move { Ok(take(&id).await.into()) });
        let (a, b) = (asked(id.clone()), asked(id.clone()));
        let first = JsFuture::from(a).await.unwrap().as_bool().unwrap();
        let second = JsFuture::from(b).await.unwrap().as_bool().unwrap();
        assert!(first ^ second, "taken once: {first} {second}");
        assert!(!take(&id).await, "and gone");
        assert!(kept("https://edge.example agent_t").await.unwrap().is_empty());
    }
}
