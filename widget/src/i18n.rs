//! The visitor's language on this page, chosen once when the config is read (the agent's
//! setting, else the browser's language: `core::locale::pick`). The texts themselves live
//! in one table, `core::locale`. A global rather than a field passed around: every module
//! that shows text needs it, and a page runs one widget.

use leadform_core::locale::{self, T};
use std::sync::atomic::{AtomicUsize, Ordering};

static LOCALE: AtomicUsize = AtomicUsize::new(0);

pub fn set(index: usize) {
    LOCALE.store(index, Ordering::Relaxed);
}

/// The index into `core::locale::LOCALES`.
pub fn current() -> usize {
    LOCALE.load(Ordering::Relaxed)
}

pub fn t(text: T) -> &'static str {
    locale::text(current(), text)
}

/// `text` with its `{}` filled in order.
pub fn tf(text: T, args: &[&str]) -> String {
    locale::fill(t(text), args)
}

/// A text from the edge or core in the visitor's language when it is one the table knows
/// (a validation reason, the default success message); an owner's own text as it is.
pub fn translate(english: &str) -> String {
    locale::translate(current(), english)
}

/// The owner's translation for the visitor's language, else `fallback`.
pub fn pick<'a>(texts: &'a locale::Texts, fallback: &'a str) -> &'a str {
    locale::pick_text(texts, current()).unwrap_or(fallback)
}
