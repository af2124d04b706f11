//! The chat bubble and panel: messages and quick replies. The conversation lives on the edge
//! (`POST /conversations`, `…/messages`), which decides when to show a form; its id is kept
//! in sessionStorage so the visit's next page goes on with it. Without the edge (offline, an
//! old edge) the chat falls back to the trigger words in the config.

use crate::api::Api;
use crate::dom::{append, attr, el, focus, on, random_id, text_el};
use crate::form;
use crate::handlers::Handlers;
use crate::i18n::{t, tf};
use crate::js;
use crate::outbox;
use crate::style::CSS;
use leadform_core::intent::form_for_message;
use leadform_core::locale::T;
use leadform_core::wire::{FormPublic, WidgetConfigOut};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, ShadowRootInit, ShadowRootMode};

pub struct Chat {
    pub api: Api,
    pub config: WidgetConfigOut,
    /// The display token forms shown from now on carry: the config's, then the one the last
    /// submit answer gave (a token makes only a few submissions, and this page may stay).
    pub display_token: RefCell<Option<String>>,
    pub handlers: Handlers,
    /// The conversation's id: the edge's once it started one, else a local one (sent with
    /// every submission either way).
    conversation_id: RefCell<String>,
    /// Its token, which reads and goes on with it on the edge.
    pub conversation_token: RefCell<String>,
    /// The edge keeps this conversation (it answers the visitor's messages).
    kept: Cell<bool>,
    /// Messages written while the conversation was starting, sent once it has.
    pending: RefCell<Vec<String>>,
    /// The shim's `visit()`: the attribution object sent with every submission.
    pub visit: Option<js_sys::Function>,
    bubble: Element,
    panel: Element,
    pub log: Element,
    /// The message field: where focus goes when the panel opens or a form leaves the chat.
    input: Element,
    /// The panel's first and last controls, between which Tab goes round.
    close_button: Element,
    send: Element,
    /// A visually hidden live region: agent messages and outcomes are read out from here,
    /// so a screen reader hears each new one once (and not every form shown in the log).
    /// It sits outside the panel, always rendered, so the greeting shown as the panel
    /// opens is announced too.
    announcer: Element,
    greeted: Cell<bool>,
    /// Starting the conversation has finished, whether the edge keeps it or not.
    settled: Cell<bool>,
    /// A chat that started offline is trying the edge again (`reply_to`).
    connecting: Cell<bool>,
    /// The offline queue: a round of sends is running; a retry timer is set; its delay.
    pub flushing: Cell<bool>,
    /// A flush was asked for while a round ran: it goes round once more.
    pub flush_again: Cell<bool>,
    pub retry_waiting: Cell<bool>,
    pub retry_ms: Cell<i32>,
    /// Idempotency keys of this page's forms in flight: kept in the outbox before they
    /// went, and settled by their own answer, not by a round.
    pub sending: RefCell<Vec<String>>,
    /// What the offline queue has to say before the chat has started (sent on this page
    /// before the visitor opened it): shown after the greeting and the visit's messages.
    notes: RefCell<Vec<(Element, String)>>,
}

impl Chat {
    /// Draws the widget in a `#leadform-widget` host after the body, or, given the
    /// shim's `host`, takes over the bubble the shim painted there: the same button element
    /// stays (no jump, and it keeps keyboard focus if it had it), the full stylesheet
    /// replaces the shim's bubble-only one, and the panel is added beside it.
    pub fn mount(
        api: Api,
        config: WidgetConfigOut,
        handlers: Handlers,
        visit: Option<js_sys::Function>,
        host: Option<Element>,
    ) -> Result<Rc<Chat>, JsValue> {
        let look = config.agent.look.clone().unwrap_or_default();
        let label = tf(T::ChatWith, &[&config.agent.name]);
        // A launcher's words begin the bubble's name (WCAG 2.5.3, label in name), as the shim's.
        let bubble_label = match look.launcher_label.as_str() {
            "" => label.clone(),
            words => [words, ", ", &label].concat(),
        };
        let painted = host.as_ref().and_then(|host| {
            let shadow = host.shadow_root()?;
            let root = shadow.query_selector(".lf-root").ok()??;
            let bubble = root.query_selector(".lf-bubble").ok()??;
            Some((shadow, root, bubble))
        });
        let (shadow, root, bubble) = match painted {
            Some(parts) => parts,
            None => {
                let (shadow, root, bubble) = draw_bubble(&look, &bubble_label)?;
                shadow.append_child(&root)?;
                (shadow, root, bubble)
            }
        };
        crate::dom::keep_in_page(&shadow.host());
        adopt_styles(&shadow, &look_rule(&look))?;
        // The language of every text inside, for screen readers and fonts; the direction
        // is set either way, since a right-to-left host page would otherwise pass its own
        // in (`all: initial` leaves `direction` alone).
        let code = crate::i18n::code();
        attr(&root, "lang", code);
        attr(&root, "dir", if code == "ar" { "rtl" } else { "ltr" });
        attr(&bubble, "aria-label", &bubble_label);
        let panel = el("section", "lf-panel");
        attr(&panel, "role", "dialog");
        // Modal for assistive technology too, as it is for the keyboard (Tab stays inside).
        attr(&panel, "aria-modal", "true");
        attr(&panel, "aria-label", &label);
        // A click on a part that takes no focus (the header, the bar's padding) focuses the
        // dialog itself rather than the page's <body>: Escape and Tab stay the dialog's.
        attr(&panel, "tabindex", "-1");
        panel.toggle_attribute_with_force("hidden", true)?;
        let head = el("div", "lf-head");
        append(&head, &text_el("span", "lf-title", &config.agent.name));
        let close = text_el("button", "lf-close", "×");
        attr(&close, "type", "button");
        attr(&close, "aria-label", t(T::Close));
        append(&head, &close);
        let log = el("div", "lf-log");
        // Reachable by keyboard, to scroll back through a long chat; a log that is not read
        // out itself (the announcer reads each new message once).
        attr(&log, "role", "log");
        attr(&log, "aria-live", "off");
        attr(&log, "aria-label", &label);
        attr(&log, "tabindex", "0");
        let announcer = el("div", "lf-sr");
        attr(&announcer, "aria-live", "polite");
        attr(&announcer, "id", "lf-live");
        let quick = el("div", "lf-quick");
        let compose = el("form", "lf-compose");
        let input = el("input", "lf-input");
        // The edge keeps a message of at most this many characters (longer is refused).
        attr(&input, "maxlength", "2000");
        attr(&input, "placeholder", t(T::Placeholder));
        attr(&input, "aria-label", t(T::Message));
        append(&compose, &input);
        let send = text_el("button", "lf-send", t(T::Send));
        attr(&send, "type", "submit");
        append(&compose, &send);
        for part in [&head, &log, &quick, &compose] {
            append(&panel, part);
        }
        append(&root, &panel);
        // Keys pressed in the widget are the visitor's typing, not the page's shortcuts: out
        // of the shadow root they reach the page as pressed on the host, which a page's
        // "not while typing in a field" check cannot tell from the page itself (space to
        // play, "/" to search would eat the visitor's words). Focus moving inside the widget
        // is not the page's either: a page modal's focus trap ("focus left the modal: pull it
        // back") would keep the visitor out of every field of a form its button opened.
        for kind in ["keydown", "keyup", "keypress", "focusin", "focusout"] {
            on(&root, kind, |event| event.stop_propagation());
        }
        append(&root, &announcer);

        let chat = Rc::new(Chat {
            api,
            conversation_id: RefCell::new(random_id("conv")),
            conversation_token: RefCell::new(String::new()),
            kept: Cell::new(false),
            pending: RefCell::new(Vec::new()),
            display_token: RefCell::new(config.display_token.clone()),
            config,
            handlers,
            visit,
            bubble,
            panel,
            log,
            input,
            close_button: close,
            send,
            announcer,
            greeted: Cell::new(false),
            settled: Cell::new(false),
            connecting: Cell::new(false),
            flushing: Cell::new(false),
            flush_again: Cell::new(false),
            retry_waiting: Cell::new(false),
            retry_ms: Cell::new(outbox::FIRST_RETRY_MS),
            sending: RefCell::new(Vec::new()),
            notes: RefCell::new(Vec::new()),
        });
        // What an earlier page could not send goes now, and again whenever the browser
        // says it is back online.
        spawn_local(outbox::flush(chat.clone()));
        if let Some(window) = web_sys::window() {
            let c = chat.clone();
            on(&window, "online", move |_| spawn_local(outbox::flush(c.clone())));
            chat.fit_viewport();
            let viewport = js::get(&window, "visualViewport");
            if viewport.is_object() {
                for event in ["resize", "scroll"] {
                    let c = chat.clone();
                    on(viewport.unchecked_ref(), event, move |_| c.fit_viewport());
                }
            }
        }
        for reply in &chat.config.agent.quick_replies {
            let button = text_el("button", "lf-chip", reply);
            attr(&button, "type", "button");
            let (chat, reply) = (chat.clone(), reply.clone());
            on(&button, "click", move |_| chat.visitor_says(&reply));
            append(&quick, &button);
        }
        let c = chat.clone();
        on(&chat.bubble, "click", move |_| c.toggle());
        let c = chat.clone();
        on(&chat.close_button, "click", move |_| c.close());
        let c = chat.clone();
        on(&chat.panel, "keydown", move |event| {
            let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            match key.key().as_str() {
                // Handled here: a page's modal <dialog> around the widget must not close
                // too. (An input method's Escape cancels its composition, not the chat.)
                "Escape" if !key.is_composing() => {
                    key.prevent_default();
                    c.close()
                }
                "Tab" => c.keep_focus(key),
                _ => {}
            }
        });
        let c = chat.clone();
        on(&compose, "submit", move |event| {
            event.prevent_default();
            let field: &HtmlInputElement = c.input.unchecked_ref();
            let text = field.value();
            if !text.trim().is_empty() {
                field.set_value("");
                c.visitor_says(text.trim());
            }
        });
        Ok(chat)
    }

    /// Shows the panel and moves focus into it (to the message field; a form shown next
    /// takes it on to its first field).
    pub fn open(self: &Rc<Self>) {
        if let Ok(shadow) = self.panel.get_root_node().dyn_into::<web_sys::ShadowRoot>() {
            crate::dom::join_open_modal(&shadow.host());
        }
        if self.panel.has_attribute("hidden") {
            let _ = self.panel.toggle_attribute_with_force("hidden", false);
            // An open modal dialog hides the rest of the page from screen readers, its
            // live region too (VoiceOver): the dialog takes the region in while open.
            attr(&self.panel, "aria-owns", "lf-live");
            attr(&self.bubble, "aria-expanded", "true");
            self.focus_input();
        }
        if !self.greeted.replace(true) {
            // The greeting shows at once; the edge's copy of it is not shown twice.
            self.agent_says(self.greeting());
            let chat = self.clone();
            spawn_local(async move { chat.begin().await });
        }
    }

    /// The owner's greeting in the visitor's language, else the owner's, else the table's.
    fn greeting(&self) -> &str {
        let own = match self.config.agent.greeting.as_str() {
            "" => t(T::Greeting),
            greeting => greeting,
        };
        crate::i18n::pick(&self.config.agent.greetings, own)
    }

    /// Whether `text` is the greeting the widget showed already: the edge stores the
    /// owner's default greeting, which the widget may have shown translated.
    fn is_greeting(&self, text: &str) -> bool {
        text == self.greeting() || text == self.config.agent.greeting
    }

    /// The conversation's id, as submissions and events name it.
    pub fn conversation(&self) -> String {
        self.conversation_id.borrow().clone()
    }

    /// A submit answer's fresh display token is the one forms shown from now on carry.
    pub fn renew_token(&self, out: &crate::api::Submitted) {
        if out.display_token.is_some() {
            *self.display_token.borrow_mut() = out.display_token.clone();
        }
    }

    /// What the offline queue keeps is this edge's and this agent's only.
    pub fn scope(&self) -> String {
        [self.api.base(), " ", &self.config.agent.id].concat()
    }

    fn storage_key(&self) -> String {
        ["leadform:conversation:", &self.config.agent.id].concat()
    }

    /// Who the page says the visitor is (`leadform.identify`: their email, else phone,
    /// else id, whatever else it says of them), as kept with the conversation; empty when
    /// it names nobody. (ASCII case only: Unicode's case tables would cost 10 KB.)
    fn who(&self) -> String {
        let identity = crate::form::identity(self.visit.as_ref());
        ["email", "phone", "id"]
            .iter()
            .find_map(|key| {
                // A number (`identify({id: 42})`) names someone as its text would.
                let value = js::get(&identity, key);
                value
                    .as_string()
                    .or_else(|| value.as_f64().map(|_| js::stringify(&value)))
                    .filter(|v| !v.trim().is_empty())
            })
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The conversation kept for the visit's next page: "id\nwho\ntoken" (`keep`).
    fn kept_conversation(&self) -> Option<String> {
        web_sys::window()
            .and_then(|w| w.session_storage().ok().flatten())
            .and_then(|s| s.get_item(&self.storage_key()).ok().flatten())
    }

    /// The token of conversation `id` when it is this visit's: a submission an earlier
    /// page kept is sent before the chat is opened again, and is written into its
    /// conversation (closing its form there) only with it.
    pub fn token_of(&self, id: &str) -> String {
        let kept = self.kept_conversation().unwrap_or_default();
        let mut kept = kept.split('\n');
        match (kept.next(), kept.nth(1)) {
            (Some(kept_id), Some(token)) if kept_id == id => token.into(),
            _ => String::new(),
        }
    }

    /// Keeps the conversation for the visit's next page (`id`, who it was had with, its
    /// token), and goes on with it here.
    fn keep(&self, id: &str, token: &str) {
        if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = storage.set_item(
                &self.storage_key(),
                &[id, "\n", &self.who(), "\n", token].concat(),
            );
        }
        *self.conversation_id.borrow_mut() = id.into();
        *self.conversation_token.borrow_mut() = token.into();
    }

    /// Goes on with the visit's conversation (its messages shown again), or starts one; the
    /// greeting from the config when the edge cannot be reached.
    async fn begin(self: Rc<Self>) {
        let earlier = self.kept_conversation();
        // A conversation had with someone the page named goes on only with them: after
        // they sign out, or another person signs in on the tab, the chat starts anew
        // (one had before anyone was named goes on with whoever signs in).
        let earlier = earlier.filter(|kept| {
            let with = kept.split('\n').nth(1).unwrap_or_default();
            with.is_empty() || with == self.who()
        });
        let mut resumed = false;
        if let Some(kept) = earlier {
            // A form of this conversation sent on an earlier page that is still waiting in the
            // outbox (offline, or for its page handler) is not offered again: the edge has
            // not seen it yet, so to
            // the edge it is still open, and filling it twice would make two leads. Read
            // before the conversation, so one the outbox sends meanwhile is closed there.
            let waiting = outbox::kept(&self.scope()).await.unwrap_or_default();
            let mut kept = kept.split('\n');
            let (id, token) = (kept.next().unwrap_or_default(), kept.nth(1).unwrap_or_default());
            if let Ok(messages) = self.api.conversation(id, token).await {
                self.keep(id, token);
                for (i, m) in messages.into_iter().enumerate() {
                    if i == 0 && m.role == "agent" && self.is_greeting(&m.text) {
                        continue;
                    }
                    let class = if m.role == "visitor" {
                        "lf-msg lf-visitor"
                    } else {
                        "lf-msg lf-agent"
                    };
                    self.add_message(class, &m.text);
                    // A form still open on the last page is back where it was offered; the
                    // focus stays in the message field, where the visitor may be typing.
                    match m.form {
                        Some((tool_id, prefill))
                            if !waiting.iter().any(|(_, body)| {
                                js::text(body, "toolId") == tool_id && js::text(body, "conversationId") == id
                            }) =>
                        {
                            self.show_form_by_id(&tool_id, prefill, false)
                        }
                        _ => {}
                    }
                }
                resumed = true;
            }
        }
        if !resumed {
            // Offline (no answer): the chat goes on with the trigger words until a later
            // message finds the edge (`reply_to`).
            resumed = self.connect().await;
        }
        self.kept.set(resumed);
        self.settled.set(true);
        for (node, text) in self.notes.take() {
            self.tell(node, &text);
        }
        let waiting: Vec<String> = self.pending.borrow_mut().drain(..).collect();
        for text in waiting {
            self.clone().reply_to(text).await;
        }
    }

    /// Starts the visit's conversation on the edge and shows what the edge adds to the
    /// greeting; whether the edge answered.
    async fn connect(self: &Rc<Self>) -> bool {
        let started = self
            .api
            .start_conversation(&self.config.agent.id, &page_url())
            .await;
        let Ok((id, token, messages)) = started else {
            return false;
        };
        self.keep(&id, &token);
        let fresh = messages.into_iter().filter(|m| !self.is_greeting(&m.text));
        self.answer(fresh.collect());
        true
    }

    /// Hides the panel; focus goes back to the bubble, where the visitor opened it.
    fn close(&self) {
        let _ = self.panel.toggle_attribute_with_force("hidden", true);
        let _ = self.panel.remove_attribute("aria-owns");
        attr(&self.bubble, "aria-expanded", "false");
        focus(&self.bubble);
    }

    fn toggle(self: &Rc<Self>) {
        if self.panel.has_attribute("hidden") {
            self.open();
        } else {
            self.close();
        }
    }

    /// Fits the widget to what the visitor sees (`leadform_core::viewport` says why): the
    /// zoom that keeps it at its natural size, the visual viewport's edges for its corner
    /// and the full-screen panel (custom properties in CSS pixels, set through the CSSOM,
    /// which a strict Content-Security-Policy allows), and the phone layout. Run at mount
    /// and whenever the visual viewport moves or resizes: a virtual keyboard shrinks it (not
    /// the page's fixed boxes), and the focused field is then scrolled into what is left.
    fn fit_viewport(&self) {
        let (Some(window), Some(root)) = (web_sys::window(), self.panel.parent_element()) else {
            return;
        };
        let viewport = js::get(&window, "visualViewport");
        if !viewport.is_object() {
            return;
        }
        let host = js::get(&root.get_root_node(), "host");
        let read = |from: &JsValue, key| js::number(from, key).unwrap_or(f64::NAN);
        let fit = leadform_core::viewport::fit(leadform_core::viewport::Viewport {
            left: read(&viewport, "offsetLeft"),
            top: read(&viewport, "offsetTop"),
            width: read(&viewport, "width"),
            height: read(&viewport, "height"),
            scale: read(&viewport, "scale"),
            page_zoom: read(&host, "currentCSSZoom"),
        });
        let style = js::get(&root, "style");
        let set = js::get(&style, "setProperty").unchecked_into::<js_sys::Function>();
        for (name, value) in [
            ("zoom", fit.zoom),
            ("--vl", fit.left),
            ("--vt", fit.top),
            ("--vw", fit.width),
            ("--vh", fit.height),
        ] {
            let _ = set.call2(&style, &name.into(), &value.into());
        }
        let _ = root.class_list().toggle_with_force("lf-phone", fit.phone);
        if let Ok(Some(focused)) = self.panel.query_selector(":focus") {
            let scroll = js::get(&focused, "scrollIntoView").unchecked_into::<js_sys::Function>();
            let _ = scroll.call1(&focused, &js::object(&[("block", "nearest".into())]));
        }
    }

    pub fn focus_input(&self) {
        focus(&self.input);
    }

    /// Keeps keyboard focus inside the open panel: Tab on its last control (Send, always
    /// last) goes to its first (the close button, always first), Shift+Tab the other way;
    /// in between the browser's own order holds, whatever the log shows.
    fn keep_focus(&self, event: &web_sys::KeyboardEvent) {
        let target = event.target();
        let at = |el: &Element| target.as_deref() == Some(el.as_ref());
        // Back from the first control, or from the dialog itself (clicked), to the last.
        let to = if event.shift_key() {
            (at(&self.close_button) || at(&self.panel)).then_some(&self.send)
        } else {
            at(&self.send).then_some(&self.close_button)
        };
        if let Some(to) = to {
            event.prevent_default();
            focus(to);
        }
    }

    pub fn agent_says(&self, text: &str) {
        self.add_message("lf-msg lf-agent", text);
        self.announce(text);
    }

    /// Shows `node` in the chat and reads `text` out, once the chat has started (at once if
    /// it has): a message the visitor did not ask for waits for them to open the chat.
    pub fn tell(&self, node: Element, text: &str) {
        if self.settled.get() {
            self.append_to_log(&node);
            self.announce(text);
        } else {
            self.notes.borrow_mut().push((node, text.to_string()));
        }
    }

    /// Reads `text` out to screen readers (the live region), once.
    pub fn announce(&self, text: &str) {
        // The region is inside the open dialog (`open`), where a screen reader browsing it
        // meets what it holds: the last announcement and this one only (two that come
        // together are both read), not every message again and errors long fixed.
        while self.announcer.child_element_count() > 1 {
            if let Some(old) = self.announcer.first_element_child() {
                old.remove();
            }
        }
        append(&self.announcer, &text_el("p", "", text));
    }

    fn visitor_says(self: &Rc<Self>, text: &str) {
        self.open();
        self.add_message("lf-msg lf-visitor", text);
        if !self.kept.get() && self.greeted.get() && !self.started() {
            // Still starting: sent once the conversation is there.
            self.pending.borrow_mut().push(text.to_string());
            return;
        }
        let (chat, text) = (self.clone(), text.to_string());
        spawn_local(async move { chat.reply_to(text).await });
    }

    /// Whether starting the conversation has finished (kept or not).
    fn started(&self) -> bool {
        self.kept.get() || self.settled.get()
    }

    /// The agent's reply to `text`: the edge's, else the trigger words' (offline).
    async fn reply_to(self: Rc<Self>, text: String) {
        // A chat opened offline goes to the edge from the first message after it is back
        // (a failed try costs one refused fetch: offline, the browser refuses at once).
        // One try at a time: two messages typed as the connection returns start one conversation.
        if !self.kept.get() && self.settled.get() && !self.connecting.replace(true) {
            let connected = self.connect().await;
            self.kept.set(connected);
            self.connecting.set(false);
        }
        let mut failed = None;
        if self.kept.get() {
            let token = self.conversation_token.borrow().clone();
            match self
                .api
                .say(&self.conversation(), &token, &text, &page_url())
                .await
            {
                Ok(messages) => return self.answer(messages),
                Err(e) => failed = Some(e.message),
            }
        }
        match form_for_message(&self.config.forms, &text).cloned() {
            Some(form) => {
                self.agent_says(t(T::Offer));
                self.show_form(form, JsValue::UNDEFINED, self.waiting_in_input());
            }
            // A message the edge did not take is not thanked for: the visitor reads why
            // (offline: check the connection and try again) and can send it again.
            None => self.agent_says(failed.as_deref().unwrap_or(t(T::Fallback))),
        }
    }

    /// Shows the agent's messages, and the form one of them names.
    fn answer(self: &Rc<Self>, messages: Vec<crate::api::Message>) {
        for m in messages {
            self.agent_says(&m.text);
            if !m.quick_replies.is_empty() {
                self.offer_choices(&m.quick_replies);
            }
            if let Some((tool_id, prefill)) = m.form {
                self.show_form_by_id(&tool_id, prefill, self.waiting_in_input());
            }
        }
    }

    /// Whether the visitor waits for the answer in an empty message field: only then does a
    /// form it brings take the focus. One who typed on, or went back to the page, keeps
    /// their place (their next words would land in the form's first field: WCAG 3.2.2).
    fn waiting_in_input(&self) -> bool {
        self.input.matches(":focus").unwrap_or(false)
            && self.input.unchecked_ref::<HtmlInputElement>().value().is_empty()
    }

    /// Shows the agent's form `tool_id` (the edge names forms by id), if the config has it.
    fn show_form_by_id(self: &Rc<Self>, tool_id: &str, prefill: JsValue, focused: bool) {
        if let Some(form) = self.config.forms.iter().find(|f| f.tool_id == tool_id).cloned() {
            self.show_form(form, prefill, focused);
        }
    }

    /// The choices of an agent's question as buttons under it; one click answers, and the
    /// buttons go (an answer typed instead leaves them for a later click).
    fn offer_choices(self: &Rc<Self>, choices: &[String]) {
        let group = el("div", "lf-quick lf-choices");
        attr(&group, "role", "group");
        for choice in choices {
            let button = text_el("button", "lf-chip", choice);
            attr(&button, "type", "button");
            let (chat, choice, holder) = (self.clone(), choice.clone(), group.clone());
            on(&button, "click", move |_| {
                // The chosen button goes with its group: a keyboard user goes on in the
                // message field rather than losing focus to the page.
                let focused = holder.matches(":focus-within").unwrap_or(false);
                holder.remove();
                if focused {
                    chat.focus_input();
                }
                chat.visitor_says(&choice);
            });
            append(&group, &button);
        }
        self.append_to_log(&group);
    }

    /// Opens the panel on the form named `name`; false if the agent has no such form.
    pub fn show_form_named(self: &Rc<Self>, name: &str) -> bool {
        let Some(form) = self.config.forms.iter().find(|f| f.name == name).cloned() else {
            return false;
        };
        self.open();
        self.show_form(form, JsValue::UNDEFINED, true);
        true
    }

    /// Renders `form` in the chat, its fields prefilled from `prefill` (`{name: value}`, what
    /// the visitor already said) and from the page's `leadform.identify`. The same form
    /// still waiting in the chat (the page's button pressed twice, or pressed while the
    /// visit's conversation brings back the form it offered) gets focus again rather than a
    /// second copy under it. `focused`: its first field takes the focus.
    fn show_form(self: &Rc<Self>, form: FormPublic, prefill: JsValue, focused: bool) {
        // Or its submission saved on this device, still waiting to go (`FormView::keep`).
        let selector = [
            "form[data-tool=\"",
            &form.name,
            "\"],[data-saved=\"",
            &form.tool_id,
            "\"]",
        ]
        .concat();
        let card = match self.log.query_selector(&selector) {
            Ok(Some(card)) => card,
            _ => {
                let card = form::FormView::render(self.clone(), form, &prefill);
                self.append_to_log(&card);
                card
            }
        };
        if focused {
            focus_first_field(&card);
        }
    }

    fn add_message(&self, class: &str, text: &str) {
        self.append_to_log(&text_el("div", class, text));
    }

    pub fn append_to_log(&self, node: &Element) {
        append(&self.log, node);
        self.log.set_scroll_top(self.log.scroll_height());
    }
}

/// Focus on the first field of a form's step shown.
fn focus_first_field(card: &Element) {
    if let Ok(Some(first)) =
        card.query_selector(".lf-field:not([hidden]) input, .lf-field:not([hidden]) .lf-input-field")
    {
        focus(&first);
    }
}

/// A new `#leadform-widget` host after the body (as the shim's) with its shadow root, and the
/// bubble in its root (not yet in the shadow root): what the shim paints when it loads the
/// widget (js-shim/leadform.js, `paint`), for a start without it.
fn draw_bubble(
    look: &leadform_core::look::WidgetLook,
    label: &str,
) -> Result<(web_sys::ShadowRoot, Element, Element), JsValue> {
    // A tag of its own: a page's rules for `div` (`div:empty { display: none }`) miss it.
    let host = el("leadform-widget", "");
    attr(&host, "id", "leadform-widget");
    crate::dom::document()
        .document_element()
        .ok_or("no document element")?
        .append_child(&host)?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let root = el(
        "div",
        if look.position == "left" {
            "lf-root lf-left"
        } else {
            "lf-root"
        },
    );
    let bubble = el("button", "lf-bubble");
    append(&bubble, &chat_icon());
    if !look.launcher_label.is_empty() {
        // A labelled launcher: a pill with the icon and the owner's words.
        bubble.set_class_name("lf-bubble lf-labelled");
        append(&bubble, &text_el("span", "", &look.launcher_label));
    }
    attr(&bubble, "type", "button");
    attr(&bubble, "aria-label", label);
    attr(&bubble, "aria-expanded", "false");
    append(&root, &bubble);
    Ok((shadow, root, bubble))
}

/// Styles the shadow root with a constructed stylesheet (`adoptedStyleSheets`): a page whose
/// Content-Security-Policy forbids inline styles still shows the widget styled, since no
/// `<style>` element or `style` attribute is involved. Browsers without constructable
/// stylesheets get a `<style>` element.
fn adopt_styles(shadow: &web_sys::ShadowRoot, look: &str) -> Result<(), JsValue> {
    let css = [CSS, look].concat();
    use js_sys::{Array, Function, Reflect};
    let constructed = Reflect::get(&js_sys::global(), &"CSSStyleSheet".into())
        .ok()
        .and_then(|ctor| ctor.dyn_into::<Function>().ok())
        .and_then(|ctor| Reflect::construct(&ctor, &Array::new()).ok())
        .filter(|sheet| Reflect::has(sheet, &"replaceSync".into()).unwrap_or(false));
    if let Some(sheet) = constructed {
        let replace: Function = Reflect::get(&sheet, &"replaceSync".into())?.dyn_into()?;
        replace.call1(&sheet, &css.as_str().into())?;
        Reflect::set(shadow, &"adoptedStyleSheets".into(), &Array::of1(&sheet))?;
    } else {
        let style = el("style", "");
        style.set_text_content(Some(&css));
        shadow.append_child(&style)?;
    }
    Ok(())
}

/// The owner's brand color as custom properties the stylesheet paints with (only `#rrggbb`
/// values get here: see `config::read_look`).
fn look_rule(look: &leadform_core::look::WidgetLook) -> String {
    if look.brand_color.is_empty() || look.brand_text.is_empty() {
        return String::new();
    }
    [
        ".lf-root{--b:",
        &look.brand_color,
        ";--bt:",
        &look.brand_text,
        "}",
    ]
    .concat()
}

/// The page's address as the edge takes it: without its fragment (a single-page app's
/// state), at most 2,000 characters (long tracking parameters), so a chat never fails on
/// the address it was opened from.
fn page_url() -> String {
    let url = crate::dom::document().url().unwrap_or_default();
    url.split('#')
        .next()
        .unwrap_or_default()
        .chars()
        .take(2_000)
        .collect()
}

/// A speech-bubble icon drawn as SVG: an emoji would depend on the visitor's fonts.
fn chat_icon() -> Element {
    const SVG: &str = "http://www.w3.org/2000/svg";
    let document = crate::dom::document();
    let svg = document
        .create_element_ns(Some(SVG), "svg")
        .expect_throw("svg element");
    for (name, value) in [
        ("viewBox", "0 0 24 24"),
        ("width", "26"),
        ("height", "26"),
        ("aria-hidden", "true"),
    ] {
        attr(&svg, name, value);
    }
    let path = document
        .create_element_ns(Some(SVG), "path")
        .expect_throw("svg path");
    attr(&path, "fill", "currentColor");
    attr(
        &path,
        "d",
        "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
    );
    append(&svg, &path);
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn mount(json: &str) -> (Rc<Chat>, web_sys::ShadowRoot) {
        let config = crate::config::read(&crate::js::parse(json).unwrap());
        // Nothing listens there: the impression event fails quietly, as it must.
        let api = Api::new("http://127.0.0.1:9".into());
        let chat = Chat::mount(
            api,
            config,
            Handlers::new(js_sys::Function::new_no_args("")),
            None,
            None,
        )
        .unwrap();
        let hosts = crate::dom::document()
            .query_selector_all("#leadform-widget")
            .unwrap();
        let host: Element = hosts.item(hosts.length() - 1).unwrap().unchecked_into();
        (chat, host.shadow_root().unwrap())
    }

    const CONFIG: &str = r#"{"agent":{"id":"a","name":"<b>Acme</b>","greeting":"Hello <script>x()</script>"},
      "forms":[{"toolId":"tool_c","name":"contact_form","title":"<img src=x onerror=alert(1)>","fields":[
        {"name":"full_name","required":true},
        {"name":"email","type":"email","label":"Work email"},
        {"name":"plan","type":"select","options":["Starter","Pro"]},
        {"name":"consent","type":"checkbox","label":"Email me"}],
      "successMessage":"Thanks","executionMode":"webhook","triggers":["sales"]}]}"#;

    /// Waits (up to two seconds) until `selector` matches in `root`: the chat answers after
    /// its call to the edge has settled.
    async fn until(root: &web_sys::ShadowRoot, selector: &str) {
        for _ in 0..100 {
            if root.query_selector(selector).unwrap().is_some() {
                return;
            }
            let tick = crate::dom::later(20, &JsValue::UNDEFINED);
            wasm_bindgen_futures::JsFuture::from(tick).await.unwrap();
        }
        panic!("{selector} never appeared");
    }

    #[wasm_bindgen_test]
    async fn a_form_renders_from_config_with_text_never_markup() {
        let (chat, root) = mount(CONFIG);
        assert!(chat.show_form_named("contact_form"));
        assert!(!chat.show_form_named("no_such_form"));
        // No edge answers here: the greeting comes from the config.
        until(&root, ".lf-agent").await;
        let q = |sel: &str| root.query_selector(sel).unwrap().unwrap();
        assert_eq!(
            q(".lf-form-title").text_content().unwrap(),
            "<img src=x onerror=alert(1)>"
        );
        assert!(root.query_selector(".lf-form img").unwrap().is_none());
        assert_eq!(
            q(".lf-agent").text_content().unwrap(),
            "Hello <script>x()</script>"
        );
        assert!(root.query_selector("script").unwrap().is_none());
        let labels: Vec<String> = (0..4)
            .map(|i| {
                root.query_selector_all(".lf-label")
                    .unwrap()
                    .item(i)
                    .unwrap()
                    .text_content()
                    .unwrap()
            })
            .collect();
        assert_eq!(labels, ["Full name *", "Work email", "Plan", "Email me"]);
        assert_eq!(
            q("input[name=email]").get_attribute("type").as_deref(),
            Some("email")
        );
        assert_eq!(
            q("input[name=consent]").get_attribute("type").as_deref(),
            Some("checkbox")
        );
        assert_eq!(
            q("input[name=full_name]")
                .get_attribute("aria-required")
                .as_deref(),
            Some("true")
        );
        assert_eq!(
            root.query_selector_all("select[name=plan] option")
                .unwrap()
                .length(),
            3
        );
    }

    /// The shim's bubble (js-shim/leadform.js, `paint`) is taken over in place: the same
    /// button, still focused, with the panel beside it and no second bubble or host.
    #[wasm_bindgen_test]
    fn the_shims_bubble_is_taken_over_in_place_and_keeps_focus() {
        let config = crate::config::read(&crate::js::parse(CONFIG).unwrap());
        let look = config.agent.look.clone().unwrap_or_default();
        let (shadow, root, bubble) = draw_bubble(&look, "Chat with Acme").unwrap();
        shadow.append_child(&root).unwrap();
        focus(&bubble);
        let host = shadow.host();
        let hosts = || {
            crate::dom::document()
                .query_selector_all("#leadform-widget")
                .unwrap()
                .length()
        };
        let before = hosts();
        let chat = Chat::mount(
            Api::new("http://127.0.0.1:9".into()),
            config,
            Handlers::new(js_sys::Function::new_no_args("")),
            None,
            Some(host.clone()),
        )
        .unwrap();
        assert_eq!(hosts(), before, "no second host");
        assert_eq!(shadow.query_selector_all(".lf-bubble").unwrap().length(), 1);
        assert!(chat.bubble == bubble, "the shim's button itself");
        assert!(
            shadow.active_element().as_ref() == Some(&bubble),
            "focus stays on it"
        );
        assert!(shadow.query_selector(".lf-root > .lf-panel").unwrap().is_some());
        assert_eq!(
            bubble.get_attribute("aria-label").as_deref(),
            Some("Chat with <b>Acme</b>")
        );
        host.remove();
    }

    #[wasm_bindgen_test]
    fn escape_closes_the_panel() {
        let (chat, root) = mount(CONFIG);
        chat.open();
        let panel = root.query_selector(".lf-panel").unwrap().unwrap();
        assert!(!panel.has_attribute("hidden"));
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Escape");
        init.set_bubbles(true);
        let escape = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        root.query_selector(".lf-input")
            .unwrap()
            .unwrap()
            .dispatch_event(&escape)
            .unwrap();
        assert!(panel.has_attribute("hidden"));
    }

    #[wasm_bindgen_test]
    async fn without_the_edge_the_trigger_words_still_offer_the_form() {
        let (chat, root) = mount(CONFIG);
        chat.visitor_says("hello there");
        until(&root, ".lf-agent + .lf-visitor + .lf-agent").await;
        assert!(root.query_selector(".lf-form").unwrap().is_none());
        chat.visitor_says("Can I talk to sales?");
        until(&root, ".lf-form[data-tool=contact_form]").await;
        let visitor = root.query_selector_all(".lf-visitor").unwrap();
        assert_eq!(visitor.length(), 2);
    }
}
