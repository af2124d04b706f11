//! The visitor's language on this page. The edge picks it (the agent's setting, else the
//! browser's language: `core::locale::pick`) and sends the widget's texts in it with the
//! config; the widget links only the English row (`core::locale::ENGLISH`), the fallback for
//! any text the edge did not send. A global rather than a field passed around: every module
//! that shows text needs it, and a page runs one widget.

use crate::js;
use leadform_core::locale::{self, ENGLISH, KEYS, LOCALES, T};
use std::cell::Cell;
use wasm_bindgen::JsValue;

thread_local! {
    static CODE: Cell<&'static str> = const { Cell::new("en") };
    static ROW: Cell<&'static [&'static str]> = const { Cell::new(&ENGLISH) };
}

/// Takes the config's `locale` and `texts`. Set once per page, so the texts are leaked
/// into `'static` rather than threaded through every caller.
pub fn set(code: Option<String>, texts: &JsValue) {
    let code = code
        .and_then(|c| LOCALES.iter().find(|known| **known == c))
        .copied()
        .unwrap_or("en");
    let row: Vec<&'static str> = KEYS
        .iter()
        .zip(ENGLISH)
        .map(|(key, english)| match js::string(texts, key) {
            Some(text) if !text.is_empty() => &*Box::leak(text.into_boxed_str()),
            _ => english,
        })
        .collect();
    CODE.with(|c| c.set(code));
    ROW.with(|r| r.set(Box::leak(row.into_boxed_slice())));
}

/// The visitor's locale code (`en`, `de`, … `ar`).
pub fn code() -> &'static str {
    CODE.with(Cell::get)
}

pub fn t(text: T) -> &'static str {
    ROW.with(|r| r.get()[text as usize])
}

/// `text` with its `{}` filled in order.
pub fn tf(text: T, args: &[&str]) -> String {
    locale::fill(t(text), args)
}

/// A text from the edge or core in the visitor's language when it is one the table knows
/// (a validation reason, the default success message); an owner's own text as it is.
pub fn translate(english: &str) -> String {
    if let Some((t, n)) = locale::counted(english) {
        return tf(t, &[n]); // "must be at least 3 characters", with its number
    }
    if english.starts_with(locale::DECLARED_AS) {
        return t(T::WrongType).into(); // a file's contents against its type, for a developer
    }
    match ENGLISH.iter().position(|e| *e == english) {
        Some(i) => ROW.with(|r| r.get()[i]).to_string(),
        None => english.to_string(),
    }
}

/// The owner's translation for the visitor's language, else `fallback`.
pub fn pick<'a>(texts: &'a locale::Texts, fallback: &'a str) -> &'a str {
    locale::own_text(texts, code()).unwrap_or(fallback)
}
