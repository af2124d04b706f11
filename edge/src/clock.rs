//! Wall-clock time from the runtime.

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `2024-12-23T10:30:00.000Z`, the seed's `submittedAt` format.
pub fn iso8601(ms: i64) -> String {
    js_sys::Date::new(&(ms as f64).into()).to_iso_string().into()
}

/// Milliseconds of an ISO 8601 date-time (as `Date.parse` reads it), `None` if unreadable.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let ms = js_sys::Date::parse(text);
    ms.is_finite().then_some(ms as i64)
}
