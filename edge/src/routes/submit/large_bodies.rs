//! How much of large submission bodies (past the owner API's 1 MB: files, or a flood) this
//! isolate holds at once. A body is held several times over while a submit runs (the
//! runtime's buffer, its bytes in wasm memory, the parsed values, a file decoded for R2),
//! wasm memory never shrinks, and an isolate has 128 MB: a few 32 MB bodies at once, from
//! anyone, would end it and every request on it, real visitors' among them. Its bytes are
//! counted as they arrive; one that does not fit is refused as busy (a 503 with
//! `Retry-After`: the widget keeps the submission and sends it again), the rest of it read
//! and dropped. Usual submits never count.

use crate::http::SUBMIT_BODY_BYTES;
use std::cell::Cell;

/// Bytes of large bodies held at once: one body of the largest size, or several smaller.
/// (What a body's values and files add is not counted; it is the same for all of them.)
pub const AT_ONCE: usize = SUBMIT_BODY_BYTES;

thread_local! {
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// A large body's share of [`AT_ONCE`]: the bytes of it read so far (a client that declares
/// 30 MB and sends little holds little), given back when dropped (the submit done, or
/// failed).
#[derive(Default)]
pub struct Held(usize);

impl Held {
    /// `more` bytes of the body, when the isolate has room for them.
    pub fn grow(&mut self, more: usize) -> bool {
        HELD.with(|held| {
            let now = held.get();
            let fits = now + more <= AT_ONCE;
            if fits {
                held.set(now + more);
                self.0 += more;
            }
            fits
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|held| held.set(held.get() - self.0));
    }
}
