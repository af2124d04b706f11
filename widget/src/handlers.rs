//! Running the page's form handlers (`window.leadform.registerFormHandler`). The shim keeps
//! the registry and hands us one bridge function, which turns sync returns, Promises and
//! throws into one Promise; here that Promise becomes a plain result.

use crate::dom::later;
use crate::js;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What a handler reported, as `/form-submissions/client-result` takes it.
pub struct HandlerResult {
    pub success: bool,
    /// For the owner (the submission's `clientMessage`).
    pub message: Option<String>,
    pub data: JsValue,
    /// What the visitor reads under the success message: only what a handler returned on
    /// purpose (`{success: false, message}`), never an exception's text, which is the
    /// site's internals.
    pub note: Option<String>,
}

/// How long the page's handler has, once the edge has taken the submission, to be there
/// (a page may register it late) and to settle. The lead is stored already: past this the
/// visitor gets the success message, and the owner a failed client part that says why.
pub const WAIT_MS: i32 = 15_000;
const POLL_MS: i32 = 250;

pub struct Handlers {
    run: js_sys::Function,
    wait_ms: i32,
}

impl Handlers {
    pub fn new(run: js_sys::Function) -> Self {
        Handlers {
            run,
            wait_ms: WAIT_MS,
        }
    }

    /// Whether the page has registered a handler for `tool_name` (yet).
    pub fn has(&self, tool_name: &str) -> bool {
        js::get(&self.run, "has")
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|has| has.call1(&JsValue::NULL, &tool_name.into()).ok())
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false)
    }

    /// Calls the handler registered for `tool_name` with `context`, waiting up to
    /// [`WAIT_MS`] in all for it to be registered and to settle. A throw, a rejected
    /// Promise, a handler still missing or still running then, is a failure.
    pub async fn run(&self, tool_name: &str, context: &JsValue) -> HandlerResult {
        let mut waited = 0;
        while !self.has(tool_name) && waited < self.wait_ms {
            let _ = JsFuture::from(later(POLL_MS, &JsValue::UNDEFINED)).await;
            waited += POLL_MS;
        }
        let promise = match self.run.call2(&JsValue::NULL, &tool_name.into(), context) {
            Ok(p) => js_sys::Promise::resolve(&p),
            Err(err) => return failure(&err),
        };
        // Whichever comes first: the handler's result, or the end of the wait (told apart
        // by identity: a handler may well resolve to `undefined`).
        let late = JsValue::from(js_sys::Object::new());
        let race = js_sys::Promise::race(&js_sys::Array::of2(
            &promise,
            &later(self.wait_ms - waited, &late),
        ));
        match JsFuture::from(race).await {
            Ok(value) if value == late => failure(&"the form handler did not finish in time".into()),
            // A handler that returns nothing but did not throw has done its job; one that
            // returns `false` says it has not.
            Ok(value) if !value.is_object() => HandlerResult {
                success: value.as_bool() != Some(false),
                message: None,
                data: JsValue::NULL,
                note: None,
            },
            Ok(value) => {
                let success = js::get(&value, "success").as_bool().unwrap_or(true);
                let message = js::string(&value, "message");
                HandlerResult {
                    success,
                    note: message.clone().filter(|_| !success),
                    message,
                    data: match js::get(&value, "data") {
                        data if data.is_object() => data,
                        _ => JsValue::NULL,
                    },
                }
            }
            Err(err) => failure(&err),
        }
    }
}

fn failure(err: &JsValue) -> HandlerResult {
    let message = js::string(err, "message")
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the form handler failed".into());
    HandlerResult {
        success: false,
        message: Some(message),
        data: JsValue::NULL,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Stands in for the shim's bridge: one handler per behaviour a page may have, all
    /// registered but `late` (registered 100 ms in) and `nobody`; a short wait.
    fn bridge() -> Handlers {
        let run = js_sys::Function::new_with_args(
            "name, ctx",
            "if (name === 'sync') return { success: true, message: 'saved ' + ctx.formData.email, data: { id: 7 } };
             if (name === 'promise') return new Promise(r => setTimeout(() => r({ success: false, message: 'Pick another slot' }), 5));
             if (name === 'silent') return undefined;
             if (name === 'declines') return false;
             if (name === 'rejects') return Promise.reject(new Error('quota exceeded'));
             if (name === 'never') return new Promise(() => {});
             if (name === 'late' && Date.now() >= __registered_late_at) return { success: true };
             throw new Error('no handler registered for ' + name);",
        );
        let registered_at = js_sys::Date::now() + 100.0;
        let _ = js_sys::Reflect::set(
            &js_sys::global(),
            &"__registered_late_at".into(),
            &registered_at.into(),
        );
        let has = js_sys::Function::new_with_args(
            "name",
            "return name !== 'nobody' && (name !== 'late' || Date.now() >= __registered_late_at);",
        );
        let _ = js_sys::Reflect::set(&run, &"has".into(), &has);
        Handlers { run, wait_ms: 600 }
    }

    fn context() -> JsValue {
        js::parse(r#"{"formData":{"email":"jane@example.com"}}"#).unwrap()
    }

    #[wasm_bindgen_test]
    async fn sync_results_promises_and_throws_all_become_results() {
        let handlers = bridge();
        let sync = handlers.run("sync", &context()).await;
        assert!(sync.success);
        assert_eq!(sync.message.as_deref(), Some("saved jane@example.com"));
        assert_eq!(js::number(&sync.data, "id"), Some(7.0));
        assert_eq!(sync.note, None, "a success has nothing to add");
        let promise = handlers.run("promise", &context()).await;
        assert!(!promise.success);
        assert_eq!(promise.message.as_deref(), Some("Pick another slot"));
        assert_eq!(
            promise.note.as_deref(),
            Some("Pick another slot"),
            "returned on purpose: shown"
        );
        assert!(
            handlers.run("silent", &context()).await.success,
            "no return value, no throw: success"
        );
        let declined = handlers.run("declines", &context()).await;
        assert_eq!(
            (declined.success, declined.note),
            (false, None),
            "false: a failure, nothing shown"
        );
        let rejected = handlers.run("rejects", &context()).await;
        assert_eq!(
            (rejected.success, rejected.message.as_deref(), rejected.note),
            (false, Some("quota exceeded"), None),
            "an exception is the owner's to read, not the visitor's"
        );
    }

    #[wasm_bindgen_test]
    async fn a_late_handler_is_waited_for_and_a_missing_or_endless_one_ends_in_time() {
        let handlers = bridge();
        assert!(
            handlers.run("late", &context()).await.success,
            "registered 100 ms in: run"
        );
        let started = js_sys::Date::now();
        let missing = handlers.run("nobody", &context()).await;
        assert_eq!(
            (missing.success, missing.message.as_deref(), missing.note),
            (false, Some("no handler registered for nobody"), None)
        );
        let never = handlers.run("never", &context()).await;
        assert!(!never.success);
        assert_eq!(
            never.message.as_deref(),
            Some("the form handler did not finish in time")
        );
        assert!(
            js_sys::Date::now() - started < 3_000.0,
            "both ended with the wait"
        );
    }
}
