//! The leadform chat widget. `js-shim/leadform.js` loads this module and calls [`start`];
//! everything visible lives in a Shadow DOM so the host page's styles cannot reach in and
//! ours cannot leak out.
//!
//! The path of a lead on this side: [`chat`] decides when to offer a form, [`form`] renders
//! it and records the timings, [`files`] turns files into data URLs, [`api`] sends the
//! submission (kept by [`outbox`] while the edge cannot be reached), and [`handlers`] runs
//! the page's `registerFormHandler` callback.

mod api;
mod chat;
mod config;
mod dom;
mod files;
mod form;
mod handlers;
mod i18n;
mod js;
mod outbox;
mod style;
mod text;

use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The running widget, as the shim holds it.
#[wasm_bindgen]
pub struct Widget {
    chat: Rc<chat::Chat>,
}

#[wasm_bindgen]
impl Widget {
    /// Opens the chat panel.
    pub fn open(&self) {
        self.chat.open();
    }

    /// Opens the panel and shows the form named `name` (a tool name such as `contact_form`);
    /// `false` when there is none. Whatever the page passes: a call made before the widget
    /// loaded is replayed by the shim, and one that threw there would stop the calls after
    /// it and the `leadform:ready` event.
    #[wasm_bindgen(js_name = showForm)]
    pub fn show_form(&self, name: JsValue) -> bool {
        name.as_string()
            .is_some_and(|name| self.chat.show_form_named(&name))
    }
}

/// Mounts the widget with the `config` the shim fetched (`GET /widget/config`, parsed), so
/// it is not fetched twice, talking to the edge at `api_base`. `run_handler` is the shim's
/// `(toolName, context) => Promise` bridge to registered form handlers; `visit` is the
/// shim's `() => attribution` for submissions (anything else: no attribution). `host` is
/// the element holding the bubble the shim painted (`#leadform-widget`, with an open shadow
/// root): the widget takes that bubble over in place; anything else: it draws its own.
#[wasm_bindgen]
pub fn start(
    config: JsValue,
    api_base: String,
    run_handler: js_sys::Function,
    visit: JsValue,
    host: JsValue,
) -> Result<Widget, JsValue> {
    let api = api::Api::new(api_base);
    let config = config::read(&config);
    let visit = visit.is_function().then(|| visit.unchecked_into());
    let host = host.dyn_into::<web_sys::Element>().ok();
    let chat = chat::Chat::mount(api, config, handlers::Handlers::new(run_handler), visit, host)?;
    Ok(Widget { chat })
}

/// A free-list allocator (lol_alloc) instead of the standard dlmalloc: 2.7 KB less brotli to
/// download, for a widget that makes few, small allocations besides a file's data URL.
/// It merges neighbouring free blocks, so a 5 MB file read twice reuses its memory.
/// `AssumeSingleThreaded` is sound here: the widget's wasm runs on the page's one thread.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
