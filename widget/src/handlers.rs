//! Running the page's form handlers (`window.leadform.registerFormHandler`). The shim keeps
//! the registry and hands us one bridge function, which turns sync returns, Promises and
//! throws into one Promise; here that Promise becomes a plain result.

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// What a handler reported, as `/form-submissions/client-result` takes it.
#[derive(Debug, Default, Deserialize)]
pub struct HandlerResult {
    pub success: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Value,
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
    pub async fn run(&self, tool_name: &str, context: &Value) -> HandlerResult {
        let context = js_sys::JSON::parse(&context.to_string()).unwrap_or(JsValue::NULL);
        let promise = match self.run.call2(&JsValue::NULL, &tool_name.into(), &context) {
            Ok(p) => js_sys::Promise::resolve(&p),
            Err(err) => return failure(&err),
        };
        match JsFuture::from(promise).await {
            // A handler that returns nothing but did not throw has done its job.
            Ok(value) if value.is_undefined() || value.is_null() => HandlerResult {
                success: true,
                ..Default::default()
            },
            Ok(value) => js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|s| s.as_string())
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(HandlerResult {
                    success: true,
                    ..Default::default()
                }),
            Err(err) => failure(&err),
        }
    }
}

fn failure(err: &JsValue) -> HandlerResult {
    let message = js_sys::Reflect::get(err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "the form handler failed".into());
    HandlerResult {
        success: false,
        message: Some(message),
        data: Value::Null,
    }
}
