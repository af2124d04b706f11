//! How much of large submission bodies (past the owner API's 1 MB: files, or a flood) this
//! isolate holds at once. A body is held several times over while a submit runs (the
//! runtime's buffer, its bytes in wasm memory, the parsed values, a file decoded for R2),
//! wasm memory never shrinks, and an isolate has 128 MB: a few 32 MB bodies at once, from
//! anyone, would end it and every request on it, real visitors' among them. Past the
//! budget a large body is refused before it is read, as busy (a 503 with `Retry-After`: the
//! widget keeps the submission and sends it again); usual submits never count.

use crate::http::SUBMIT_BODY_BYTES;
use std::cell::Cell;

/// Bytes of large bodies held at once: one body of the largest size, or several smaller.
pub const AT_ONCE: usize = SUBMIT_BODY_BYTES;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// A large body's share of [`AT_ONCE`], given back when dropped (the submit done, or failed).
pub struct Held(usize);

impl Held {
    /// Room for a body of `declared` bytes (a chunked one, of unknown size, counts as the
    /// largest), or `None` when the isolate holds too much already.
    pub fn take(declared: Option<usize>) -> Option<Held> {
        let size = declared.unwrap_or(SUBMIT_BODY_BYTES).min(SUBMIT_BODY_BYTES);
        HELD.with(|held| {
            let now = held.get();
            (now + size <= AT_ONCE).then(|| {
                held.set(now + size);
                Held(size)
            })
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|held| held.set(held.get() - self.0));
    }
}
