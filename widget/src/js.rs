//! Reading and building plain JS objects. The widget parses and writes JSON with the
//! browser's own `JSON` and reads fields here, instead of linking serde_json and derived
//! deserializers: those cost ~25 KB of brotli wasm, nearly half the widget's budget.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::JsValue;

pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(|v| v.is_object())
}

pub fn stringify(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A `{key: text}` object (the owner's translations by locale); non-string values are skipped.
pub fn texts(obj: &JsValue, key: &str) -> leadform_core::locale::Texts {
    let value = get(obj, key);
    if !value.is_object() {
        return Default::default();
    }
    leadform_core::locale::Texts(
        Object::entries(&Object::from(value))
            .iter()
            .filter_map(|pair| {
                let pair = Array::from(&pair);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect(),
    )
}

pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// A string field, or "" when it is missing.
pub fn text(obj: &JsValue, key: &str) -> String {
    string(obj, key).unwrap_or_default()
}

pub fn boolean(obj: &JsValue, key: &str) -> bool {
    get(obj, key).as_bool().unwrap_or(false)
}

pub fn number(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// The items of an array field; nothing when the field is not an array.
pub fn items(obj: &JsValue, key: &str) -> Vec<JsValue> {
    let value = get(obj, key);
    if Array::is_array(&value) {
        Array::from(&value).iter().collect()
    } else {
        Vec::new()
    }
}

pub fn strings(obj: &JsValue, key: &str) -> Vec<String> {
    items(obj, key).iter().filter_map(JsValue::as_string).collect()
}

/// `{ key: value, ... }` from pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&obj, &(*key).into(), value);
    }
    obj.into()
}

pub fn opt_str(value: Option<&str>) -> JsValue {
    value.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}
