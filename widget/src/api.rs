//! Calls to the edge. Bodies are JSON text built with serde_json; errors come back as the
//! edge's `{ error: { message, field } }` so the form can point at the field.

use leadform_core::wire::{ErrorOut, SubmitIn, SubmitOut, WidgetConfigOut};
use serde::de::DeserializeOwned;
use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// Why a call failed, in words for the visitor, with the field at fault if there is one.
#[derive(Debug, Clone)]
pub struct CallError {
    pub message: String,
    pub field: Option<String>,
}

#[derive(Clone)]
pub struct Api {
    base: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        Api {
            base: base.trim_end_matches('/').to_string(),
        }
    }

    pub async fn widget_config(&self, agent_id: &str) -> Result<WidgetConfigOut, String> {
        let url = format!(
            "{}/widget/config?agentId={}",
            self.base,
            js_sys::encode_uri_component(agent_id)
        );
        self.call("GET", &url, None).await.map_err(|e| e.message)
    }

    pub async fn submit(&self, input: &SubmitIn) -> Result<SubmitOut, CallError> {
        let body = serde_json::to_string(input).expect("plain data serializes");
        self.call(
            "POST",
            &format!("{}/form-submissions/submit", self.base),
            Some(body),
        )
        .await
    }

    pub async fn client_result(
        &self,
        submission_id: &str,
        success: bool,
        message: Option<String>,
        data: serde_json::Value,
    ) {
        let body =
            json!({ "submissionId": submission_id, "success": success, "message": message, "data": data });
        let url = format!("{}/form-submissions/client-result", self.base);
        let _: Result<serde_json::Value, _> = self.call("POST", &url, Some(body.to_string())).await;
    }

    /// Fire-and-forget analytics event; a lost event must never disturb the visitor.
    pub async fn event(&self, tool_id: &str, display_id: &str, kind: &str) {
        let body = json!({ "toolId": tool_id, "displayId": display_id, "type": kind });
        let url = format!("{}/form-submissions/events", self.base);
        let _: Result<serde_json::Value, _> = self.call("POST", &url, Some(body.to_string())).await;
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        url: &str,
        body: Option<String>,
    ) -> Result<T, CallError> {
        let network = |_| CallError {
            message: "We could not reach the server. Check your connection and try again.".into(),
            field: None,
        };
        let init = RequestInit::new();
        init.set_method(method);
        if let Some(body) = body {
            init.set_body(&body.into());
        }
        let request = Request::new_with_str_and_init(url, &init).map_err(network)?;
        if method == "POST" {
            request
                .headers()
                .set("Content-Type", "application/json")
                .map_err(network)?;
        }
        let window = web_sys::window().expect("a window");
        let response: Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(network)?
            .unchecked_into();
        let text = JsFuture::from(response.text().map_err(network)?)
            .await
            .map_err(network)?
            .as_string()
            .unwrap_or_default();
        if response.ok() {
            return serde_json::from_str(&text).map_err(|e| CallError {
                message: format!("unexpected answer from the server: {e}"),
                field: None,
            });
        }
        let status = response.status();
        Err(match serde_json::from_str::<ErrorOut>(&text) {
            Ok(out) => CallError {
                message: out.error.message,
                field: out.error.field,
            },
            Err(_) => CallError {
                message: format!("The server answered {status}. Please try again."),
                field: None,
            },
        })
    }
}
