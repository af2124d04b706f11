//! All D1 access, one module per table. Routes and the consumer never write SQL themselves.

pub mod agents;
pub mod analytics;
pub mod assumptions;
pub mod channels;
pub mod conversations;
pub mod deliveries;
pub mod display_tokens;
pub mod events;
pub mod files;
pub mod keys;
pub mod lead_webhooks;
pub mod leads;
pub mod members;
pub mod sql;
pub mod submissions;
pub mod tools;

use wasm_bindgen::JsValue;

/// D1 binds plain JS values: strings, numbers (integers travel as f64) and null.
pub fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

pub fn opt_text(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

pub fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

pub fn opt_int(value: Option<i64>) -> JsValue {
    value.map(int).unwrap_or(JsValue::NULL)
}

/// Columns holding JSON text, read back with a typed fallback for old or hand-edited rows.
pub fn from_json_column<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}
