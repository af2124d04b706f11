//! Reading and building plain JS objects. The widget parses and writes JSON with the
//! browser's own `JSON` and reads fields here, instead of linking serde_json and derived
//! deserializers: those cost ~25 KB of brotli wasm, nearly half the widget's budget.

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// `AbortSignal.timeout(ms)`, where the browser has it.
pub fn timeout_signal(ms: u32) -> Option<JsValue> {
    let class = get(&js_sys::global(), "AbortSignal");
    let timeout = get(&class, "timeout").dyn_into::<js_sys::Function>().ok()?;
    timeout.call1(&class, &ms.into()).ok()
}

/// `text` percent-encoded as one component of a URL (a path segment, a parameter).
pub fn uri_component(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(|v| v.is_object())
}

/// JSON text of `value`, as the edge reads it whatever the page did to arrays: Prototype.js
/// (still on old shops) gives `Array.prototype` a `toJSON` that answers a string, so
/// `["email"]` would go out as `"[\"email\"]"` and the edge would refuse the submission.
/// The page's `toJSON` is set aside for the call and put back as it was.
pub fn stringify(value: &JsValue) -> String {
    let arrays = Object::get_prototype_of(&Array::new());
    let key = JsValue::from_str("toJSON");
    let page_own = Reflect::get_own_property_descriptor(&arrays, &key).unwrap_or(JsValue::UNDEFINED);
    if !page_own.is_undefined() {
        let _ = Reflect::delete_property(&arrays, &key);
    }
    let text = JSON::stringify(value).ok().and_then(|s| s.as_string());
    if !page_own.is_undefined() {
        let _ = Object::define_property(&arrays, &key, &page_own.into());
    }
    text.unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn arrays_are_written_as_arrays_even_when_the_page_gave_them_a_to_json() {
        // Prototype.js 1.6: `Array.prototype.toJSON` answers the array's JSON as a string.
        let arrays = Object::get_prototype_of(&Array::new());
        let page_to_json = js_sys::Function::new_no_args("return '[' + this.join(',') + ']'");
        Reflect::set(&arrays, &"toJSON".into(), &page_to_json).unwrap();
        let body = object(&[("fieldsCompleted", Array::of1(&"email".into()).into())]);
        let written = stringify(&body);
        let after = Reflect::get(&arrays, &"toJSON".into()).unwrap();
        let _ = Reflect::delete_property(&arrays, &"toJSON".into());
        assert_eq!(written, r#"{"fieldsCompleted":["email"]}"#);
        assert_eq!(
            after,
            JsValue::from(page_to_json),
            "the page's own toJSON is back"
        );
    }
}
