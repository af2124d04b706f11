//! Running the page's form handlers (`window.leadform.registerFormHandler`). The shim keeps
//! the registry and hands us one bridge function, which turns sync returns, Promises and
//! throws into one Promise; here that Promise becomes a plain result.

use crate::js;
use wasm_bindgen::JsValue;
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

    /// Calls the handler registered for `tool_name` with `context`. A throw, a rejected
    /// Promise or a missing handler is a failure with the error's message.
    pub async fn run(&self, tool_name: &str, context: &JsValue) -> HandlerResult {
        let promise = match self.run.call2(&JsValue::NULL, &tool_name.into(), context) {
            Ok(p) => js_sys::Promise::resolve(&p),
            Err(err) => return failure(&err),
        };
        match JsFuture::from(promise).await {
            // A handler that returns nothing but did not throw has done its job.
            Ok(value) if !value.is_object() => HandlerResult { success: true, message: None, data: JsValue::NULL },
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
    let message = js::string(err, "message").or_else(|| err.as_string()).unwrap_or_else(|| "the form handler failed".into());
    HandlerResult { success: false, message: Some(message), data: JsValue::NULL }
}
