//! Building DOM nodes. Text always goes in through `textContent`, never as HTML, so nothing
//! from the owner's config or a visitor's input can inject markup.
//! Calls that cannot fail for the widget's own constant tags and names use `expect_throw`,
//! not `expect`: `expect` would link `JsValue`'s `Debug` (and the glue's `debugString`) to
//! describe an error that does not happen.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, HtmlElement};

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect_throw("the widget runs in a page")
}

/// `<tag class="class">text</tag>`.
pub fn el(tag: &str, class: &str) -> Element {
    let node = document().create_element(tag).expect_throw("valid tag name");
    if !class.is_empty() {
        node.set_class_name(class);
    }
    node
}

pub fn text_el(tag: &str, class: &str, text: &str) -> Element {
    let node = el(tag, class);
    node.set_text_content(Some(text));
    node
}

pub fn attr(node: &Element, name: &str, value: &str) {
    node.set_attribute(name, value)
        .expect_throw("valid attribute name");
}

pub fn append(parent: &Element, child: &Element) {
    parent
        .append_child(child)
        .expect_throw("append to a live element");
}

/// Runs `handler` on every `event` of `node` (an element, the window) for the life of the page.
pub fn on(node: &EventTarget, event: &str, handler: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    node.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .expect_throw("listener");
    closure.forget();
}

pub fn focus(node: &Element) {
    if let Some(el) = node.dyn_ref::<HtmlElement>() {
        let _ = el.focus();
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A random id with a prefix, for conversations and form displays.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 10];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    [prefix, "_", &crate::text::hex(&bytes)].concat()
}

/// A Promise that resolves to `value` after `ms` milliseconds (a timer of the page).
pub fn later(ms: i32, value: &JsValue) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_1(&resolve, ms, value);
        }
    })
}

/// Puts `host` back at the end of `<html>` whenever the page takes it out. React 18 hydrating
/// the whole document (Remix and others) meets a node it did not render, ours, and renders
/// the document again from scratch, `<html>` included; other frameworks tidy unknown nodes
/// away. The host keeps its shadow root, so the widget goes on as it was. Only the document's
/// and `<html>`'s own children are watched, not the page's whole tree.
pub fn keep_in_page(host: &Element) {
    let document = document();
    let init = children();
    // Taken out before the widget started (the loader's bubble, with the page hydrating).
    if let (false, Some(html)) = (host.is_connected(), document.document_element()) {
        let _ = html.append_child(host);
    }
    let host = host.clone();
    // A fuse: a page script that takes the host out whenever it is put back would otherwise
    // make the two loop for good. A few rebuilds of the document are the usual case.
    let mut left = 50;
    let Some(observer) = observer(move |observer| {
        if left == 0 {
            observer.disconnect();
            return;
        }
        if let (false, Some(html)) = (host.is_connected(), self::document().document_element()) {
            left -= 1;
            let _ = html.append_child(&host);
            // A new `<html>` is watched from now on (observing one twice changes nothing).
            let _ = observer.observe_with_options(&html, &children());
        }
    }) else {
        return;
    };
    let _ = observer.observe_with_options(&document, &init);
    if let Some(html) = document.document_element() {
        let _ = observer.observe_with_options(&html, &init);
    }
}

/// A page's modal `<dialog>` (`showModal()`) makes everything outside it inert, the widget
/// too: a form that the dialog's own button asked for could not be filled in. So while the
/// widget opens over such a dialog, its host goes into the dialog (the topmost: the last one
/// in the page), and back to `<html>` once the dialog is closed or taken out of the page.
pub fn join_open_modal(host: &Element) {
    let Ok(modals) = document().query_selector_all("dialog:modal") else {
        return; // a browser without `:modal` has no such dialogs either
    };
    let Some(dialog) = modals
        .item(modals.length().wrapping_sub(1))
        .and_then(|n| n.dyn_into::<Element>().ok())
    else {
        return;
    };
    if dialog.contains(Some(host)) || dialog.append_child(host).is_err() {
        return;
    }
    let (host, watched) = (host.clone(), dialog.clone());
    let Some(observer) = observer(move |observer| {
        if host.is_connected() && watched.matches(":modal").unwrap_or(false) {
            return;
        }
        observer.disconnect();
        if let Some(html) = document().document_element() {
            let _ = html.append_child(&host);
        }
    }) else {
        return;
    };
    // Closing changes the dialog's `open`; a page that takes it out changes some children.
    let init = children();
    init.set_subtree(true);
    init.set_attributes(true);
    init.set_attribute_filter(&js_sys::Array::of1(&"open".into()));
    let _ = observer.observe_with_options(&document(), &init);
}

/// A MutationObserver calling `on_change` with itself, kept for the page's lifetime (the
/// caller says what it watches, and disconnects it when done).
fn observer(
    mut on_change: impl FnMut(&web_sys::MutationObserver) + 'static,
) -> Option<web_sys::MutationObserver> {
    let callback = Closure::<dyn FnMut(JsValue, web_sys::MutationObserver)>::new(
        move |_records: JsValue, observer: web_sys::MutationObserver| on_change(&observer),
    );
    let observer = web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
    callback.forget();
    Some(observer)
}

fn children() -> web_sys::MutationObserverInit {
    let init = web_sys::MutationObserverInit::new();
    init.set_child_list(true);
    init
}
