//! Running the page's form handlers (`window.leadform.registerFormHandler`). The shim keeps
//! the registry and hands us one bridge function, which turns sync returns, Promises and
//! throws into one Promise; here that Promise becomes a plain result.

use crate::js;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What a handler reported, as `/form-submissions/client-result` takes it.
pub struct HandlerResult {
    pub success: bool,
    pub message: Option<String>,
    pub data: JsValue,
}

pub struct Handlers {
    run: js_sys::Function,
}

impl Handlers {
    pub fn new(run: js_sys::Function) -> Self {
        Handlers { run }
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

    /// Calls the handler registered for `tool_name` with `context`. A throw, a rejected
    /// Promise or a missing handler is a failure with the error's message.
    pub async fn run(&self, tool_name: &str, context: &JsValue) -> HandlerResult {
        let promise = match self.run.call2(&JsValue::NULL, &tool_name.into(), context) {
            Ok(p) => js_sys::Promise::resolve(&p),
            Err(err) => return failure(&err),
        };
        match JsFuture::from(promise).await {
            // A handler that returns nothing but did not throw has done its job.
            Ok(value) if !value.is_object() => HandlerResult {
                success: true,
                message: None,
                data: JsValue::NULL,
            },
            Ok(value) => HandlerResult {
                success: js::get(&value, "success").as_bool().unwrap_or(true),
                message: js::string(&value, "message"),
                data: match js::get(&value, "data") {
                    data if data.is_object() => data,
                    _ => JsValue::NULL,
                },
            },
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Stands in for the shim's bridge: one handler per behaviour a page may have.
    fn bridge() -> Handlers {
        Handlers::new(js_sys::Function::new_with_args(
            "name, ctx",
            "if (name === 'sync') return { success: true, message: 'saved ' + ctx.formData.email, data: { id: 7 } };
             if (name === 'promise') return new Promise(r => setTimeout(() => r({ success: false, message: 'CRM down' }), 5));
             if (name === 'silent') return undefined;
             if (name === 'rejects') return Promise.reject(new Error('quota exceeded'));
             throw new Error('no handler registered for ' + name);",
        ))
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
        let promise = handlers.run("promise", &context()).await;
        assert!(!promise.success);
        assert_eq!(promise.message.as_deref(), Some("CRM down"));
        assert!(
            handlers.run("silent", &context()).await.success,
            "no return value, no throw: success"
        );
        let rejected = handlers.run("rejects", &context()).await;
        assert_eq!(
            (rejected.success, rejected.message.as_deref()),
            (false, Some("quota exceeded"))
        );
        let missing = handlers.run("nobody", &context()).await;
        assert_eq!(
            (missing.success, missing.message.as_deref()),
            (false, Some("no handler registered for nobody"))
        );
    }
}
