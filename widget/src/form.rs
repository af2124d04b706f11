//! A form inside the chat: rendered from the tool's fields, timed (impression, start),
//! submitted once per display. The edge validates (one set of rules, in core); its `400`
//! names the field, and the message is shown under that field. A submission the edge could
//! not take (no connection, a 5xx or 429) is kept in the browser and sent later (`outbox`).

use crate::api::Submitted;
use crate::chat::Chat;
use crate::dom::{append, attr, el, now_ms, on, random_id, text_el};
use crate::files;
use crate::i18n::{t, tf, translate};
use crate::js;
use crate::outbox;
use crate::text::num;
use leadform_core::form::{step_starts, FieldKind, FieldSpec, Source, HONEYPOT_FIELD};
use leadform_core::lead::{attribute_of, Attribute};
use leadform_core::locale::T;
use leadform_core::wire::FormPublic;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

pub struct FormView {
    chat: Rc<Chat>,
    form: FormPublic,
    /// Identifies this display: deduplicates its events and is the submit's idempotency key.
    display_id: String,
    /// The display token its events and its submission carry: the widget's when it was
    /// shown (a submit answer renews the widget's for later forms: `Chat::renew_token`).
    token: Option<String>,
    impression_at: f64,
    started_at: Cell<Option<f64>>,
    busy: Cell<bool>,
    card: Element,
    inputs: Vec<Input>,
    /// Hidden fields' values, found when the form was shown (the page, `identify`).
    hidden: Vec<(String, String)>,
    status: Element,
    submit: Element,
    /// Multi-step forms: the step shown, each step's title, and the progress line.
    step: Cell<usize>,
    steps: Vec<String>,
    progress: Element,
    back: Element,
    /// The hidden spam trap (`HONEYPOT_FIELD`): a person never fills it in.
    trap: Element,
    done: Cell<bool>,
    files_progress: RefCell<Option<Element>>,
    /// Field analysis: time spent in each field (ms), the field in focus since when, and
    /// the last field touched (where a visitor who gives up stopped).
    times: RefCell<Vec<(String, f64)>>,
    focus: RefCell<Option<(String, f64)>>,
    last_field: RefCell<Option<String>>,
}

/// One visible field: its spec, its input (a group for a multiselect), its error line, its
/// row, and the step it is in.
struct Input {
    field: FieldSpec,
    input: Element,
    error: Element,
    row: Element,
    step: usize,
}

impl FormView {
    /// Renders `form`, its fields filled from `prefill` (`{name: value}`: what the visitor
    /// already said in the chat), then from what the page said through `leadform.identify`.
    /// Hidden fields take `identify`, then the page (`from`), never the chat: a visitor's
    /// words do not set what the owner meant to learn from the page.
    pub fn render(chat: Rc<Chat>, form: FormPublic, prefill: &JsValue) -> Element {
        let card = el("form", "lf-form");
        attr(&card, "novalidate", "");
        attr(&card, "data-tool", &form.name);
        // The title names the form for screen readers (a form landmark in the dialog).
        let title = text_el("div", "lf-form-title", &form.title);
        let title_id = random_id("lf");
        attr(&title, "id", &title_id);
        attr(&card, "aria-labelledby", &title_id);
        append(&card, &title);
        if !form.description.is_empty() {
            append(&card, &text_el("p", "lf-form-desc", &form.description));
        }
        let identity = identity(chat.visit.as_ref());
        let visit = attribution(chat.visit.as_ref()).unwrap_or(JsValue::UNDEFINED);
        let progress = el("div", "lf-steps");
        append(&card, &progress);
        let starts = step_starts(&form.fields);
        let mut inputs = Vec::new();
        let mut hidden = Vec::new();
        let mut steps = Vec::new();
        for (i, field) in form.fields.iter().enumerate() {
            if starts.contains(&i) {
                steps.push(field.step_title().unwrap_or(&form.title).to_string());
            }
            if field.kind == FieldKind::Hidden {
                // By its name only: a hidden `url` field is the page's address, never the
                // website `identify` gave.
                let value = js::string(&identity, &field.name)
                    .map(|v| cut(&v))
                    .or_else(|| page_value(field, &visit));
                if let Some(value) = value {
                    hidden.push((field.name.clone(), value));
                }
                continue;
            }
            let input = render_field(&card, field, steps.len() - 1);
            let known = js::string(prefill, &field.name).or_else(|| known_value(field, &identity));
            if let Some(value) = known {
                set_value(&input.input, &value);
            }
            inputs.push(input);
        }
        // Clipped to nothing, hidden from assistive technology, out of the tab order, never
        // autofilled (`.lf-hp` in style.rs says why not off to one side).
        let trap = el("input", "lf-hp");
        for (name, value) in [
            ("name", HONEYPOT_FIELD),
            ("tabindex", "-1"),
            ("autocomplete", "off"),
            ("aria-hidden", "true"),
        ] {
            attr(&trap, name, value);
        }
        append(&card, &trap);
        let status = el("div", "lf-status");
        attr(&status, "role", "status");
        let actions = el("div", "lf-actions");
        let back = text_el("button", "lf-back", t(T::Back));
        attr(&back, "type", "button");
        let submit = text_el("button", "lf-submit", t(T::Send));
        attr(&submit, "type", "submit");
        let dismiss = text_el("button", "lf-dismiss", t(T::NotNow));
        attr(&dismiss, "type", "button");
        append(&actions, &back);
        append(&actions, &submit);
        append(&actions, &dismiss);
        append(&card, &status);
        append(&card, &actions);

        let token = chat.display_token.borrow().clone();
        let view = Rc::new(FormView {
            chat,
            form,
            display_id: random_id("disp"),
            token,
            impression_at: now_ms(),
            started_at: Cell::new(None),
            busy: Cell::new(false),
            card: card.clone(),
            inputs,
            hidden,
            status,
            submit,
            step: Cell::new(0),
            steps,
            progress,
            back: back.clone(),
            trap,
            done: Cell::new(false),
            files_progress: RefCell::new(None),
            times: RefCell::new(Vec::new()),
            focus: RefCell::new(None),
            last_field: RefCell::new(None),
        });
        view.show_step(0);
        view.event("impression");
        let v = view.clone();
        on(&card, "focusin", move |event| v.focus_moved(&event, true));
        let v = view.clone();
        on(&card, "focusout", move |event| v.focus_moved(&event, false));
        if let Some(window) = web_sys::window() {
            // A visitor who leaves the page with the form started and unsent dropped off.
            let v = view.clone();
            on(&window, "pagehide", move |_| {
                // Not while it is being sent: kept in the outbox, it is no drop-off.
                if v.started_at.get().is_some() && !v.done.get() && !v.busy.get() {
                    v.event("leave");
                }
            });
        }
        let v = view.clone();
        on(&card, "input", move |_| v.mark_started());
        let v = view.clone();
        on(&card, "change", move |_| v.mark_started());
        let v = view.clone();
        on(&card, "submit", move |event| {
            event.prevent_default();
            if !v.step_is_ready() {
                return;
            }
            let n = v.step.get();
            if n + 1 < v.steps.len() {
                v.go_to(n + 1);
                return;
            }
            let v = v.clone();
            spawn_local(async move { v.send().await });
        });
        // The second click of a double-click on Next or Back is no second move: the button
        // stays under the pointer as the step changes (Next becomes Send in place), and a
        // double-click must go one step, never skip the last one and send it.
        on(&view.submit, "click", |event| {
            if double_click(&event) {
                event.prevent_default();
            }
        });
        let v = view.clone();
        on(&back, "click", move |event| {
            // Not while sending: the answer is the last step's (an error at a field of it).
            if !double_click(&event) && !v.busy.get() {
                v.go_to(v.step.get().saturating_sub(1));
            }
        });
        let v = view.clone();
        on(&dismiss, "click", move |_| v.dismiss());
        card
    }

    /// Shows step `n` (of a multi-step form): its fields, where the visitor is, and Next
    /// or Send.
    fn show_step(&self, n: usize) {
        self.step.set(n);
        for input in &self.inputs {
            let _ = input.row.toggle_attribute_with_force("hidden", input.step != n);
        }
        let many = self.steps.len() > 1;
        let _ = self.progress.toggle_attribute_with_force("hidden", !many);
        let _ = self.back.toggle_attribute_with_force("hidden", n == 0);
        let last = n + 1 >= self.steps.len();
        self.submit
            .set_text_content(Some(t(if last { T::Send } else { T::Next })));
        if many {
            let (count, at) = (num(self.steps.len() as u64), num(n as u64 + 1));
            let text = [&tf(T::StepOf, &[&at, &count]), ": ", &self.steps[n]].concat();
            self.progress.set_text_content(Some(&text));
            // The bar is for the eye; the line above says the same.
            let bar = el("progress", "");
            attr(&bar, "max", &count);
            attr(&bar, "value", &at);
            attr(&bar, "aria-hidden", "true");
            append(&self.progress, &bar);
        }
    }

    /// Whether the step's fields are filled in as the edge will want them (required,
    /// formats it can tell here); if not, the first fault is shown at its field. The edge
    /// checks everything again when the form is sent.
    fn step_is_ready(&self) -> bool {
        self.clear_errors();
        let n = self.step.get();
        let fault = self.inputs.iter().filter(|i| i.step == n).find_map(|i| {
            let value = input_text(&i.field, &i.input);
            if let Some(why) = fault(&i.field, value.as_deref()) {
                return Some((i.field.name.clone(), why.to_string(), false));
            }
            // A file over the limit is said at its own step, not after the last one (a
            // sentence that names the file, as when the form is sent).
            let list = (i.field.kind == FieldKind::File)
                .then(|| i.input.unchecked_ref::<HtmlInputElement>().files());
            let why = files::too_large(&list.flatten()?.get(0)?)?;
            Some((i.field.name.clone(), why, true))
        });
        match fault {
            Some((name, why, sentence)) => {
                self.show_error(Some(&name), &why, sentence);
                false
            }
            None => true,
        }
    }

    /// Shows step `n` with focus on its first field, and reads out where the visitor is.
    fn go_to(&self, n: usize) {
        self.show_step(n);
        if let Some(first) = self.inputs.iter().find(|i| i.step == n) {
            focus_input(&first.input);
        }
        self.announce_step();
    }

    fn announce_step(&self) {
        if let Some(line) = self.progress.text_content().filter(|l| !l.is_empty()) {
            self.chat.announce(&line);
        }
    }

    fn event(&self, kind: &'static str) {
        let (api, tool_id, display_id, token, conversation) = (
            self.chat.api.clone(),
            self.form.tool_id.clone(),
            self.display_id.clone(),
            self.token(),
            (
                self.chat.conversation(),
                self.chat.conversation_token.borrow().clone(),
            ),
        );
        // Where a dismissed or left form was given up.
        let last = matches!(kind, "dismiss" | "leave")
            .then(|| self.last_field.borrow().clone())
            .flatten();
        spawn_local(async move {
            let conversation = (conversation.0.as_str(), conversation.1.as_str());
            api.event(&tool_id, &display_id, kind, token, conversation, last.as_deref())
                .await
        });
    }

    /// Times the field that gets (`entering`) or loses focus: the time in it is added up.
    fn focus_moved(&self, event: &web_sys::Event, entering: bool) {
        self.close_focus();
        if !entering {
            return;
        }
        let name = event
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.get_attribute("name"))
            .filter(|n| self.form.fields.iter().any(|f| &f.name == n));
        if let Some(name) = name {
            *self.last_field.borrow_mut() = Some(name.clone());
            *self.focus.borrow_mut() = Some((name, now_ms()));
        }
    }

    fn close_focus(&self) {
        if let Some((name, since)) = self.focus.borrow_mut().take() {
            let mut times = self.times.borrow_mut();
            let spent = (now_ms() - since).max(0.0);
            match times.iter_mut().find(|(n, _)| *n == name) {
                Some((_, total)) => *total += spent,
                None => times.push((name, spent)),
            }
        }
    }

    /// `{field: ms}` of the time spent in each field so far.
    fn field_times(&self) -> JsValue {
        // The field in focus goes on being timed: the edge may refuse it and the visitor
        // fix it there (no new focus event comes for that).
        let open = self.focus.borrow().as_ref().map(|(name, _)| name.clone());
        self.close_focus();
        if let Some(name) = open {
            *self.focus.borrow_mut() = Some((name, now_ms()));
        }
        let object: JsValue = js_sys::Object::new().into();
        for (name, ms) in self.times.borrow().iter() {
            let _ = js_sys::Reflect::set(&object, &name.as_str().into(), &JsValue::from_f64(ms.round()));
        }
        object
    }

    /// The display token (`null` from an edge that gave none).
    fn token(&self) -> JsValue {
        js::opt_str(self.token.as_deref())
    }

    fn mark_started(&self) {
        if self.started_at.get().is_none() {
            self.started_at.set(Some(now_ms()));
            self.event("start");
        }
    }

    fn dismiss(&self) {
        // Not while it is being sent: the answer (the success, an error, "saved") is what
        // the visitor must see, and a kept one would still be sent.
        if self.busy.get() || self.done.replace(true) {
            return;
        }
        self.event("dismiss");
        self.leave_with(None);
        if !self.form.dismiss_message.is_empty() {
            self.chat.agent_says(&self.form.dismiss_message);
        }
    }

    async fn send(self: &Rc<Self>) {
        if self.busy.replace(true) || self.done.get() {
            return; // a double click while the first is in flight
        }
        self.set_sending(true);
        self.clear_errors();
        let data = match self.collect().await {
            Ok(data) => data,
            Err((field, message)) => {
                self.set_sending(false);
                // A file's fault is a sentence that names the file.
                self.show_error(field.as_deref(), &message, true);
                self.busy.set(false);
                return;
            }
        };
        let body = self.body(&data);
        // Kept before it goes, so a tab closed or a browser stopped mid-send leaves it for
        // the visitor's next page (outbox.rs); this page's own rounds leave it alone meanwhile.
        let (scope, key) = (self.chat.scope(), &self.display_id);
        let kept = outbox::keep(&scope, &body).await.is_ok();
        self.chat.sending.borrow_mut().push(key.clone());
        let token = self.chat.conversation_token.borrow().clone();
        let out = self.chat.api.submit(&body, &token).await;
        if let Ok(out) = &out {
            self.chat.renew_token(out);
        }
        self.chat.sending.borrow_mut().retain(|k| k != key);
        // An answer, taken or refused, ends its stay in the outbox. When another tab's round
        // took it out first, that tab tells the outcome too and runs the page's handler.
        let answered = !matches!(&out, Err(e) if e.retry);
        let ours = !(kept && answered) || outbox::settle(&scope, key).await;
        match out {
            // Still "Sending…" while the page's handler runs: the card goes when it is done.
            Ok(mut out) => {
                if !ours {
                    out.client_handler = None;
                }
                self.finish(out, data).await
            }
            Err(e) => {
                self.set_sending(false);
                if e.retry {
                    self.keep(&body, &e.message, kept).await;
                } else if e
                    .field
                    .as_ref()
                    .is_some_and(|f| self.inputs.iter().any(|i| &i.field.name == f))
                {
                    self.show_error(e.field.as_deref(), &e.message, false);
                } else {
                    // Not at one of the form's fields (none, or a part of the body the visitor
                    // never saw, `idempotencyKey`): the edge's words would mean nothing to them.
                    self.show_error(None, &tf(T::Refused, &[&num(e.status.into())]), true);
                }
            }
        }
        self.busy.set(false);
    }

    /// The submit body for the values `data` (by field, hidden fields included).
    fn body(&self, data: &[(String, JsValue)]) -> JsValue {
        // What the visitor filled in: hidden fields are the page's, not theirs.
        let completed: js_sys::Array = data
            .iter()
            .filter(|(name, _)| !self.hidden.iter().any(|(h, _)| h == name))
            .map(|(name, _)| JsValue::from_str(name))
            .collect();
        let started_at = self
            .started_at
            .get()
            .map(|ms| JsValue::from_f64(ms.floor()))
            .unwrap_or(JsValue::NULL);
        let values = form_data(data);
        let trap = self.trap.unchecked_ref::<HtmlInputElement>().value();
        if !trap.is_empty() {
            let _ = js_sys::Reflect::set(&values, &HONEYPOT_FIELD.into(), &trap.into());
        }
        let body = js::object(&[
            ("toolId", self.form.tool_id.as_str().into()),
            ("conversationId", self.chat.conversation().into()),
            ("formData", values),
            ("fieldsCompleted", completed.into()),
            ("impressionAt", JsValue::from_f64(self.impression_at.floor())),
            ("startedAt", started_at),
            ("idempotencyKey", self.display_id.as_str().into()),
            ("displayToken", self.token()),
            ("fieldTimeMs", self.field_times()),
        ]);
        if let Some(value) = attribution(self.chat.visit.as_ref()) {
            let _ = js_sys::Reflect::set(&body, &"attribution".into(), &value);
        }
        body
    }

    /// The edge may take the submission later: it is kept on this device and the visitor
    /// is told so (and it is read out). When the browser cannot keep it either (no
    /// IndexedDB, storage full), the form stays with the reason, to try again by hand.
    async fn keep(self: &Rc<Self>, body: &JsValue, reason: &str, kept: bool) {
        // Kept before it went: written again, it could come back after another tab's round
        // took it and sent it (and the page's handler would run twice).
        if !kept && outbox::keep(&self.chat.scope(), body).await.is_err() {
            self.show_error(None, &[reason, " ", t(T::Unsaved)].concat(), true);
            return;
        }
        self.done.set(true);
        let saved = t(T::Saved);
        let note = text_el("div", "lf-msg lf-agent lf-saved", saved);
        // While it waits, the form is not offered again on this page (`Chat::show_form`):
        // filled in twice, it would make two leads.
        attr(&note, "data-saved", &self.form.tool_id);
        self.leave_with(Some(&note));
        self.chat.announce(saved);
        outbox::retry_later(self.chat.clone());
    }

    /// The filled-in values by field name, in form order; empty fields are left out.
    async fn collect(self: &Rc<Self>) -> Result<Vec<(String, JsValue)>, FieldFault> {
        let mut data = Vec::new();
        for Input { field, input, .. } in &self.inputs {
            let value: Option<JsValue> = match field.kind {
                FieldKind::Checkbox | FieldKind::Consent => input
                    .unchecked_ref::<HtmlInputElement>()
                    .checked()
                    .then_some(JsValue::TRUE),
                FieldKind::File => self.read_file(field, input).await?.map(JsValue::from),
                FieldKind::Multiselect => {
                    let chosen: js_sys::Array =
                        checked_options(input).into_iter().map(JsValue::from).collect();
                    (chosen.length() > 0).then(|| chosen.into())
                }
                _ => input_text(field, input).map(JsValue::from),
            };
            if let Some(value) = value {
                data.push((field.name.clone(), value));
            }
        }
        for (name, value) in &self.hidden {
            data.push((name.clone(), value.as_str().into()));
        }
        Ok(data)
    }

    async fn read_file(
        self: &Rc<Self>,
        field: &FieldSpec,
        input: &Element,
    ) -> Result<Option<String>, FieldFault> {
        let Some(file) = input
            .unchecked_ref::<HtmlInputElement>()
            .files()
            .and_then(|list| list.get(0))
        else {
            return Ok(None);
        };
        if let Some(message) = files::too_large(&file) {
            return Err((Some(field.name.clone()), message));
        }
        let progress = text_el("div", "lf-progress", &tf(T::Reading, &[&file.name(), "0"]));
        // Shown, not read out: the status region would read every percent.
        attr(&progress, "aria-hidden", "true");
        self.status.replace_children_with_node_1(&progress);
        *self.files_progress.borrow_mut() = Some(progress.clone());
        let name = file.name();
        let url = files::read_data_url(&file, move |pct| {
            progress.set_text_content(Some(&tf(T::Reading, &[&name, &num(pct.into())])));
        })
        .await
        .map_err(|e| (Some(field.name.clone()), e))?;
        Ok(Some(url))
    }

    async fn finish(self: &Rc<Self>, out: Submitted, data: Vec<(String, JsValue)>) {
        self.done.set(true);
        let (done, message) = outcome(
            &self.chat,
            &out,
            &self.form.tool_id,
            &self.chat.conversation(),
            form_data(&data),
            &self.form.success_message,
        )
        .await;
        self.leave_with(Some(&done));
        self.chat.announce(&message);
    }

    /// Takes the card out of the chat (`then` in its place). A keyboard user who was in
    /// the form goes on in the message field rather than losing focus to the page.
    fn leave_with(&self, then: Option<&Element>) {
        let focused = self.card.matches(":focus-within").unwrap_or(false);
        match then {
            Some(node) => {
                let _ = self.card.replace_with_with_node_1(node);
            }
            None => self.card.remove(),
        }
        if focused {
            self.chat.focus_input();
        }
    }

    /// `aria-disabled` rather than `disabled` while sending: a disabled button drops the
    /// keyboard focus to the page; `busy` already refuses a second send.
    fn set_sending(&self, sending: bool) {
        attr(
            &self.submit,
            "aria-disabled",
            if sending { "true" } else { "false" },
        );
        self.submit
            .set_text_content(Some(t(if sending { T::Sending } else { T::Send })));
        if !sending {
            if let Some(progress) = self.files_progress.borrow_mut().take() {
                progress.remove();
            }
        }
    }

    fn clear_errors(&self) {
        self.status.set_text_content(None);
        for Input { input, error, .. } in &self.inputs {
            error.set_text_content(None);
            let _ = input.remove_attribute("aria-invalid");
        }
    }

    /// Shows `message` at `field` (else under the form): a reason after the field's label
    /// ([`fault_text`]), or, when it is a `sentence` of its own, as it is.
    fn show_error(&self, field: Option<&str>, message: &str, sentence: bool) {
        let at_field = self.inputs.iter().find(|i| Some(i.field.name.as_str()) == field);
        match at_field {
            Some(Input {
                field: spec,
                input,
                error,
                step,
                ..
            }) => {
                // The edge may name a field of an earlier step.
                if *step != self.step.get() {
                    self.show_step(*step);
                    self.announce_step();
                }
                let text = if sentence {
                    error.set_text_content(Some(message));
                    message.to_string()
                } else {
                    // The label in a <bdi>: a Latin label must not turn an Arabic line around.
                    let (label, rest) = fault_text(spec, message);
                    error.replace_children_with_node_1(&text_el("bdi", "", &label));
                    let _ = error.append_with_str_1(&rest);
                    label + &rest
                };
                attr(input, "aria-invalid", "true");
                // Focus moving to the field reads its error; a field that has focus already
                // (Enter pressed in it) gets no focus event, so the error is announced.
                let focused = input.matches(":focus-within").unwrap_or(false);
                focus_input(input);
                if focused {
                    self.chat.announce(&text);
                }
            }
            None => self.status.set_text_content(Some(message)),
        }
    }
}

/// A field name (if the fault is one field's) and the message for the visitor.
type FieldFault = (Option<String>, String);

/// A field's fault as the visitor reads it, as its label and what follows it: the edge says
/// "email: must be ..."; the visitor reads "Work email must be ..." in their language (core's
/// reasons are English; the table has them translated). Japanese reasons begin with their
/// particle, with no space before.
pub fn fault_text(spec: &FieldSpec, message: &str) -> (String, String) {
    let reason = translate(
        message
            .strip_prefix(&[&spec.name, ": "].concat())
            .unwrap_or(message),
    );
    let space = if crate::i18n::code() == "ja" { "" } else { " " };
    (label(spec), [space, &reason].concat())
}

/// A field's label in the visitor's language: the owner's translation, else its label.
fn label(field: &FieldSpec) -> String {
    field.label_in(crate::i18n::code())
}

/// After the edge took a submission (now, or later from the outbox): runs the page's
/// handler for `client` and `both` tools and reports its result; the success message as a
/// chat message (with the handler's note when it failed), and its text to read out. The
/// handler is told the conversation the submission named (a kept one's may be another
/// page's).
pub async fn outcome(
    chat: &Chat,
    out: &Submitted,
    tool_id: &str,
    conversation_id: &str,
    data: JsValue,
    success: &str,
) -> (Element, String) {
    // The default success message (core's English) in the visitor's language.
    let mut message = translate(success);
    if let Some(tool_name) = &out.client_handler {
        let context = js::object(&[
            ("submissionId", out.submission_id.as_str().into()),
            ("toolId", tool_id.into()),
            ("toolName", tool_name.as_str().into()),
            ("conversationId", conversation_id.into()),
            ("formData", data),
        ]);
        let result = chat.handlers.run(tool_name, &context).await;
        if let Some(note) = &result.note {
            message = [&message, " ", &tf(T::Note, &[note])].concat();
        }
        let reported = result.message.as_deref();
        chat.api
            .client_result(out, result.success, reported, result.data)
            .await;
    }
    let done = text_el("div", "lf-msg lf-agent lf-success", &message);
    attr(&done, "data-submission-id", &out.submission_id);
    (done, message)
}

/// A click after the first of a multi-click (`UIEvent.detail`, the click count; 0 from a
/// key or a script).
fn double_click(event: &web_sys::Event) -> bool {
    js::number(event, "detail").is_some_and(|clicks| clicks > 1.0)
}

/// The visit's attribution from the shim's `visit()` (plain data, cut to the edge's limits
/// there). None, and no `attribution` key, when there is no such function, it throws or it
/// answers something other than an object: attribution never breaks a submission.
fn attribution(visit: Option<&js_sys::Function>) -> Option<JsValue> {
    visit?.call0(&JsValue::NULL).ok().filter(JsValue::is_object)
}

/// `{ name: value, ... }` for the request body and the handler's context.
fn form_data(data: &[(String, JsValue)]) -> JsValue {
    let pairs: Vec<(&str, JsValue)> = data.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    js::object(&pairs)
}

/// One labelled input with an error line under it, in step `step`. A multiselect is a
/// group of checkboxes named by a legend.
fn render_field(card: &Element, field: &FieldSpec, step: usize) -> Input {
    let id = random_id("lf");
    let multi = field.kind == FieldKind::Multiselect;
    let row = el(if multi { "fieldset" } else { "div" }, "lf-field");
    let label = text_el(if multi { "legend" } else { "label" }, "lf-label", &label(field));
    if !multi {
        attr(&label, "for", &id);
    }
    if field.required {
        // The input says "required" itself (aria-required); the star is for the eye only.
        // A group of boxes cannot carry aria-required: its legend says it in words.
        let star = text_el("span", "lf-req", " *");
        attr(&star, "aria-hidden", "true");
        append(&label, &star);
        if multi {
            append(
                &label,
                &text_el("span", "lf-sr", &[" (", t(T::RequiredMark), ")"].concat()),
            );
        }
    }
    let input = match field.kind {
        FieldKind::Textarea => el("textarea", "lf-input-field"),
        FieldKind::Multiselect => {
            let group = el("div", "lf-choices-group");
            for option in &field.options {
                let choice = el("label", "lf-check");
                let tick = el("input", "");
                attr(&tick, "type", "checkbox");
                attr(&tick, "name", &field.name);
                attr(&tick, "value", option);
                append(&choice, &tick);
                append(&choice, &text_el("span", "", option));
                append(&group, &choice);
            }
            group
        }
        FieldKind::Select => {
            let select = el("select", "lf-input-field");
            let blank = text_el("option", "", t(T::Choose));
            attr(&blank, "value", "");
            append(&select, &blank);
            for option in &field.options {
                let node = text_el("option", "", option);
                attr(&node, "value", option);
                append(&select, &node);
            }
            select
        }
        kind => {
            let input = el("input", "lf-input-field");
            let html_type = match kind {
                FieldKind::Email => "email",
                FieldKind::Phone => "tel",
                FieldKind::Url => "url",
                FieldKind::Number => "number",
                FieldKind::Checkbox | FieldKind::Consent => "checkbox",
                FieldKind::File => "file",
                FieldKind::Date => "date",
                _ => "text",
            };
            attr(&input, "type", html_type);
            input
        }
    };
    attr(&input, "id", &id);
    if !multi {
        attr(&input, "name", &field.name);
        // What the browser may fill in from the visitor's own details (WCAG 1.3.5).
        if let Some(token) = attribute_of(field).autocomplete() {
            attr(&input, "autocomplete", token);
        }
        if let Some(placeholder) = &field.placeholder {
            attr(&input, "placeholder", placeholder);
        }
        if field.required {
            attr(&input, "aria-required", "true");
        }
    }
    // The help line and the error line describe their input (a multiselect's: its
    // fieldset, the group), so a screen reader reads why it is asked and the reason.
    let error = el("div", "lf-error");
    let error_id = [id.as_str(), "-e"].concat();
    attr(&error, "id", &error_id);
    let help = field.help_in(crate::i18n::code()).map(|why| {
        let help = text_el("div", "lf-help", why);
        attr(&help, "id", &[id.as_str(), "-h"].concat());
        help
    });
    let described = if multi { &row } else { &input };
    let ids = match help {
        Some(_) => [id.as_str(), "-h ", &error_id].concat(),
        None => error_id,
    };
    attr(described, "aria-describedby", &ids);
    if field.kind.is_box() {
        row.set_class_name("lf-field lf-check");
        append(&row, &input);
        append(&row, &label);
        if let Some(link) = field
            .link
            .as_ref()
            .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
        {
            // What the box agrees to, opened beside the chat rather than instead of it.
            let text = field.link_text.as_deref().filter(|t| !t.trim().is_empty());
            let anchor = text_el("a", "lf-link", text.unwrap_or(t(T::Policy)));
            attr(&anchor, "href", link);
            attr(&anchor, "target", "_blank");
            attr(&anchor, "rel", "noopener noreferrer");
            append(&row, &anchor);
        }
    } else {
        append(&row, &label);
        append(&row, &input);
    }
    if let Some(help) = &help {
        append(&row, help);
    }
    append(&row, &error);
    append(card, &row);
    Input {
        field: field.clone(),
        // A multiselect is its fieldset: the group that is invalid and that errors describe.
        input: if multi { row.clone() } else { input },
        error,
        row,
        step,
    }
}

/// A field's value as text, as typed (`None` when blank); boxes, groups and files say
/// whether they hold anything.
fn input_text(field: &FieldSpec, input: &Element) -> Option<String> {
    let text = match field.kind {
        FieldKind::Textarea => input.unchecked_ref::<HtmlTextAreaElement>().value(),
        FieldKind::Select => input.unchecked_ref::<HtmlSelectElement>().value(),
        FieldKind::Checkbox | FieldKind::Consent => {
            return input
                .unchecked_ref::<HtmlInputElement>()
                .checked()
                .then(|| "true".into())
        }
        FieldKind::Multiselect => return Some(checked_options(input).join(",")).filter(|t| !t.is_empty()),
        FieldKind::File => {
            let files = input.unchecked_ref::<HtmlInputElement>().files();
            return files.filter(|f| f.length() > 0).map(|_| "file".into());
        }
        // A date the browser cannot read (30 February, typed in) has the value "", yet it
        // was not left empty: "" is what core's rule refuses, so it is not sent without it.
        _ if js::boolean(&js::get(input, "validity"), "badInput") => return Some(String::new()),
        _ => input.unchecked_ref::<HtmlInputElement>().value(),
    };
    (!text.trim().is_empty()).then_some(text)
}

/// The options ticked in a multiselect's group, in their order.
fn checked_options(group: &Element) -> Vec<String> {
    let Ok(ticked) = group.query_selector_all("input:checked") else {
        return Vec::new();
    };
    (0..ticked.length())
        .filter_map(|i| ticked.item(i))
        .map(|node| node.unchecked_into::<HtmlInputElement>().value())
        .collect()
}

/// Why a step's field cannot go on as it is, in the visitor's language: a required one
/// left empty, or a format core's rule refuses (`validate::format_fault`, as the edge).
fn fault(field: &FieldSpec, value: Option<&str>) -> Option<&'static str> {
    match value.map(str::trim) {
        None => field.required.then(|| t(T::Required)),
        Some(text) => leadform_core::validate::format_fault(field.kind, text).map(t),
    }
}

/// Focus on a field: its input, or a group's first box.
fn focus_input(input: &Element) {
    match input.query_selector("input") {
        Ok(Some(first)) => crate::dom::focus(&first),
        _ => crate::dom::focus(input),
    }
}

fn set_value(input: &Element, value: &str) {
    if let Some(input) = input.dyn_ref::<HtmlInputElement>() {
        // A file input takes no value, and a box is not a text.
        if !matches!(input.type_().as_str(), "file" | "checkbox") {
            input.set_value(value);
        }
    } else if let Some(area) = input.dyn_ref::<HtmlTextAreaElement>() {
        area.set_value(value);
    } else if let Some(select) = input.dyn_ref::<HtmlSelectElement>() {
        select.set_value(value);
    }
}

/// What the page said about the visitor through `leadform.identify` (the shim's
/// `visit.identity()`); an empty object when it said nothing.
pub(crate) fn identity(visit: Option<&js_sys::Function>) -> JsValue {
    visit
        .map(|v| js::get(v, "identity"))
        .filter(JsValue::is_function)
        .and_then(|f| f.unchecked_into::<js_sys::Function>().call0(&JsValue::NULL).ok())
        .filter(JsValue::is_object)
        .unwrap_or(JsValue::UNDEFINED)
}

/// A field's value from `identify`: by its name, else by what it is (an email field takes
/// `email`, a name field `name`, …).
fn known_value(field: &FieldSpec, identity: &JsValue) -> Option<String> {
    let text = |key: &str| js::string(identity, key).map(|v| cut(&v));
    text(&field.name).or_else(|| match attribute_of(field) {
        Attribute::Custom => None,
        known => text(known.as_str()),
    })
}

/// At most 2,000 characters: what the edge keeps of a hidden value, and more than any
/// other field takes.
fn cut(text: &str) -> String {
    text.chars().take(2_000).collect()
}

/// A hidden field's value from the page, as its `from` says. The referrer and query
/// parameters are the visit's first (the landing page's, as the loader keeps them: a
/// campaign's `utm_campaign` is gone from the address after one click); query parameters
/// the landing page did not have are this page's.
fn page_value(field: &FieldSpec, visit: &JsValue) -> Option<String> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let location = window.location();
    let value = match Source::parse(field.from.as_deref()?)? {
        Source::PageUrl => {
            let href = location.href().ok()?;
            href.split('#').next().unwrap_or_default().to_string()
        }
        Source::PageTitle => document.title(),
        // The page that brought the visitor, none for a direct visit: on a later page,
        // `document.referrer` is the site's own previous page.
        Source::Referrer => js::string(visit, "referrer")?,
        Source::Query(name) => {
            let landing = js::text(visit, "landingPage");
            let landing_query = landing.split('#').next().unwrap_or_default();
            let landing_query = landing_query.split_once('?').map(|(_, q)| q).unwrap_or_default();
            query_param(landing_query, &name).or_else(|| query_param(&location.search().ok()?, &name))?
        }
    };
    let value = cut(&value);
    (!value.is_empty()).then_some(value)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(query)
        .ok()?
        .get(name)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Api;
    use crate::handlers::Handlers;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    const CONFIG: &str = r#"{"agent":{"id":"a","name":"Acme"},
      "forms":[{"toolId":"tool_c","name":"contact_form","title":"Contact",
        "fields":[{"name":"email","type":"email"}],
        "successMessage":"Thanks","executionMode":"webhook","triggers":["sales"]}],
      "displayToken":"1700000000000.00ff00ff00ff00ff.mac"}"#;

    /// Mounts a chat whose edge is a fetch stub at `http://lf.test` (it records request
    /// bodies and answers like the submit route), fills in and submits the form, and returns
    /// the submit body the widget sent.
    async fn submit_with(visit: Option<js_sys::Function>) -> JsValue {
        submit_filling(visit, None).await
    }

    /// As [`submit_with`], with `trap` typed into the hidden spam trap if given.
    async fn submit_filling(visit: Option<js_sys::Function>, trap: Option<&str>) -> JsValue {
        let stub = fetch_stub();
        let config = crate::config::read(&js::parse(CONFIG).unwrap());
        let handlers = Handlers::new(js_sys::Function::new_no_args(""));
        let chat = Chat::mount(Api::new("http://lf.test".into()), config, handlers, visit, None).unwrap();
        assert!(chat.show_form_named("contact_form"));
        let hosts = crate::dom::document()
            .query_selector_all("#leadform-widget")
            .unwrap();
        let host: Element = hosts.item(hosts.length() - 1).unwrap().unchecked_into();
        let root = host.shadow_root().unwrap();
        let input: HtmlInputElement = root
            .query_selector("input[name=email]")
            .unwrap()
            .unwrap()
            .unchecked_into();
        input.set_value("jane@example.com");
        if let Some(text) = trap {
            let hidden: HtmlInputElement = root
                .query_selector(&["input[name=", HONEYPOT_FIELD, "]"].concat())
                .unwrap()
                .unwrap()
                .unchecked_into();
            hidden.set_value(text);
        }
        let form = root.query_selector(".lf-form").unwrap().unwrap();
        form.dispatch_event(&web_sys::Event::new("submit").unwrap())
            .unwrap();
        let body = sent_submit(&stub, &chat).await;
        assert_eq!(js::text(&body, "toolId"), "tool_c");
        assert_eq!(js::text(&js::get(&body, "formData"), "email"), "jane@example.com");
        body
    }

    /// A fetch for `http://lf.test` that records request bodies and answers like the submit
    /// route; `restore` puts the real one back.
    fn fetch_stub() -> JsValue {
        js_sys::Function::new_no_args(
            "const real = globalThis.fetch, sent = [];
             // Like a page's own wrapper that only knows string URLs and plain inits.
             globalThis.fetch = (url, init) => typeof url != 'string' ? real(url, init)
               : !url.startsWith('http://lf.test/') ? real(url, init)
               : init.method != 'POST' || init.headers['Content-Type'] != 'application/json'
                 ? Promise.reject(new TypeError('not a JSON POST'))
               : Promise.resolve().then(() => {
                   sent.push([url, init.body]);
                   return new Response('{\"submissionId\":\"sub_1\"}', { status: 200 });
                 });
             return { sent, restore: () => { globalThis.fetch = real; } };",
        )
        .call0(&JsValue::NULL)
        .unwrap()
    }

    /// The first submit body the stub took (waited for), once the widget has settled it (its
    /// outbox item gone), with the real fetch put back. Settled first: a later test's widget,
    /// on this page and its storage, would otherwise find the item still kept and send it
    /// again into that test's stub.
    async fn sent_submit(stub: &JsValue, chat: &Chat) -> JsValue {
        let sleep = js_sys::Function::new_no_args("return new Promise(r => setTimeout(r, 10))");
        let nap = || async {
            JsFuture::from(js_sys::Promise::from(sleep.call0(&JsValue::NULL).unwrap()))
                .await
                .unwrap();
        };
        let sent = js::get(stub, "sent");
        let mut body = None;
        for _ in 0..300 {
            body = js_sys::Array::from(&sent)
                .iter()
                .map(|call| js_sys::Array::from(&call))
                .find(|call| {
                    call.get(0)
                        .as_string()
                        .unwrap()
                        .ends_with("/form-submissions/submit")
                })
                .and_then(|call| js::parse(&call.get(1).as_string().unwrap()));
            if body.is_some() {
                break;
            }
            nap().await;
        }
        for _ in 0..300 {
            if crate::outbox::kept(&chat.scope())
                .await
                .map_or(true, |items| items.is_empty())
            {
                break;
            }
            nap().await;
        }
        js_sys::Function::from(js::get(stub, "restore"))
            .call0(&JsValue::NULL)
            .unwrap();
        body.expect("the form posted a submission")
    }

    #[wasm_bindgen_test]
    async fn hidden_fields_take_identify_then_the_page_and_never_the_chat() {
        const HIDDEN: &str = r#"{"agent":{"id":"a","name":"Acme"},
          "forms":[{"toolId":"tool_h","name":"h_form","title":"H","fields":[
            {"name":"email","type":"email"},
            {"name":"page","type":"hidden","from":"page_title"},
            {"name":"plan","type":"hidden"}],
          "successMessage":"Thanks","executionMode":"webhook"}]}"#;
        let stub = fetch_stub();
        let config = crate::config::read(&js::parse(HIDDEN).unwrap());
        // The shim's visit function, with what the page said through `identify`.
        let visit = js_sys::Function::new_no_args("return {}");
        let said = js_sys::Function::new_no_args("return { plan: 'pro', email: 'page@example.com' }");
        js_sys::Reflect::set(&visit, &"identity".into(), &said).unwrap();
        let handlers = Handlers::new(js_sys::Function::new_no_args(""));
        let chat = Chat::mount(
            Api::new("http://lf.test".into()),
            config.clone(),
            handlers,
            Some(visit),
            None,
        )
        .unwrap();
        crate::dom::document().set_title("Pricing page");
        // What the chat's agent gathered: it may fill what the visitor sees, not the rest.
        let prefill = js::object(&[
            ("email", "chat@example.com".into()),
            ("page", "typed in the chat".into()),
            ("plan", "free".into()),
        ]);
        let card = FormView::render(chat.clone(), config.forms[0].clone(), &prefill);
        chat.append_to_log(&card);
        let email: HtmlInputElement = card
            .query_selector("input[name=email]")
            .unwrap()
            .unwrap()
            .unchecked_into();
        assert_eq!(
            email.value(),
            "chat@example.com",
            "for a visible field the chat comes first"
        );
        card.dispatch_event(&web_sys::Event::new("submit").unwrap())
            .unwrap();
        let body = sent_submit(&stub, &chat).await;
        let data = js::get(&body, "formData");
        assert_eq!(
            js::text(&data, "page"),
            "Pricing page",
            "from the page, not the chat"
        );
        assert_eq!(js::text(&data, "plan"), "pro", "from identify, not the chat");
        assert_eq!(
            js::strings(&body, "fieldsCompleted"),
            vec!["email"],
            "hidden fields are the page's"
        );
    }

    #[wasm_bindgen_test]
    async fn the_submit_body_carries_the_visits_attribution() {
        let visit = js_sys::Function::new_no_args(
            "return { pageUrl: 'https://shop.test/pricing', referrer: null,
                      landingPage: 'https://shop.test/?utm_source=news&utm_medium=email',
                      utm: { source: 'news', medium: 'email', campaign: null, term: null, content: null } };",
        );
        let body = submit_with(Some(visit)).await;
        assert_eq!(
            js::stringify(&js::get(&body, "attribution")),
            r#"{"pageUrl":"https://shop.test/pricing","referrer":null,"#.to_owned()
                + r#""landingPage":"https://shop.test/?utm_source=news&utm_medium=email","#
                + r#""utm":{"source":"news","medium":"email","campaign":null,"term":null,"content":null}}"#
        );
    }

    #[wasm_bindgen_test]
    async fn the_submit_carries_the_display_token_and_the_trap_only_when_filled() {
        let body = submit_with(None).await;
        assert_eq!(
            js::text(&body, "displayToken"),
            "1700000000000.00ff00ff00ff00ff.mac"
        );
        let data = js::get(&body, "formData");
        assert!(!js_sys::Reflect::has(&data, &HONEYPOT_FIELD.into()).unwrap());
        let fields = js::strings(&body, "fieldsCompleted");
        assert_eq!(fields, vec!["email"]);

        let caught = submit_filling(None, Some("+1 555 0100")).await;
        assert_eq!(
            js::text(&js::get(&caught, "formData"), HONEYPOT_FIELD),
            "+1 555 0100"
        );
        assert_eq!(
            js::strings(&caught, "fieldsCompleted"),
            vec!["email"],
            "the trap is no field"
        );
    }

    #[wasm_bindgen_test]
    fn the_trap_is_out_of_sight_out_of_the_tab_order_and_never_autofilled() {
        let config = crate::config::read(&js::parse(CONFIG).unwrap());
        let handlers = Handlers::new(js_sys::Function::new_no_args(""));
        let chat = Chat::mount(Api::new("http://lf.test".into()), config, handlers, None, None).unwrap();
        let card = FormView::render(
            chat,
            crate::config::read(&js::parse(CONFIG).unwrap()).forms[0].clone(),
            &JsValue::UNDEFINED,
        );
        let trap = card
            .query_selector(&["input[name=", HONEYPOT_FIELD, "]"].concat())
            .unwrap()
            .unwrap();
        assert_eq!(trap.get_attribute("tabindex").as_deref(), Some("-1"));
        assert_eq!(trap.get_attribute("autocomplete").as_deref(), Some("off"));
        assert_eq!(trap.get_attribute("aria-hidden").as_deref(), Some("true"));
        assert_eq!(trap.class_name(), "lf-hp");
    }

    #[wasm_bindgen_test]
    async fn a_missing_or_failing_visit_function_sends_no_attribution_but_still_submits() {
        let throws = js_sys::Function::new_no_args("throw new Error('storage exploded')");
        let not_an_object = js_sys::Function::new_no_args("return 'utm_source=x'");
        let nothing = js_sys::Function::new_no_args("");
        for visit in [None, Some(throws), Some(not_an_object), Some(nothing)] {
            let body = submit_with(visit).await;
            assert!(!js_sys::Reflect::has(&body, &"attribution".into()).unwrap());
        }
    }
}
