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

/// A rotation of a signing secret (a form's, a lead-event endpoint's) as its table's update
/// makes it: see `routes::owner::rotation` for which may go.
pub struct SecretRotation {
    pub secret: String,
    /// The secret read before deciding, which the update replaces only if it is still
    /// current: of two rotations at once, the second finds the first's secret and changes
    /// nothing. `None` (an emergency rotation) replaces whatever is current.
    pub replaced: Option<String>,
    /// Until when (ms) the replaced secret keeps signing.
    pub previous_until: i64,
}

/// Whether a write changed any row: `false` when its condition no longer held (another
/// request went first).
pub fn changed_any(result: &worker::D1Result) -> worker::Result<bool> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// Columns holding JSON text, read back with a typed fallback for old or hand-edited rows.
pub fn from_json_column<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}
