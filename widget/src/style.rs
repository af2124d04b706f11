//! The widget's stylesheet, scoped by the Shadow DOM.
//!
//! Contrast is WCAG AA: text at least 4.5:1 against its background, and what marks a field
//! or focus at least 3:1 (field borders #868e96 on white; the focus ring is dark with a
//! white gap, so it shows on the widget's blue and on any page behind the bubble).
//! Motion: the panel, messages and forms fade in for 0.2 s; a visitor who asks for reduced
//! motion (`prefers-reduced-motion: reduce`) gets no animation or transition at all.
//! Look: the owner's brand color comes in as `--b` (its text color `--bt`, picked by the
//! edge for AA contrast), set on `.lf-root` (defaults there too): custom properties and
//! inherited properties cross the shadow boundary, and a page rule on the host (`* { all:
//! unset }`, `:root { --b: red }`) beats `:host`, so `.lf-root` starts again from
//! `all: initial`, where no page rule reaches; `.lf-left` moves the widget to the left corner; dark mode follows
//! `prefers-color-scheme`. The corner and the phone layout follow the visual viewport, what
//! the visitor sees (`chat.rs` sets its edges and size `--vl`, `--vt`, `--vw`, `--vh` on
//! `.lf-root`, with a zoom that keeps the widget at its natural size:
//! `leadform_core::viewport` says why); without them the corner is the layout viewport's.
//! On a phone's screen (`.lf-phone`: under 480 px wide, or 500 px high: held sideways, or
//! what its keyboard leaves) the open panel fills the visual viewport inside the safe areas,
//! and text fields are 16 px: iOS Safari zooms the page into a field with smaller text as it
//! takes focus, which pushes the full-screen panel partly off screen.
//! A page's custom properties inherit into a shadow root: the ones read here are reset on
//! `.lf-root`, and the color scheme is the widget's own (a dark-only page would otherwise
//! give a light panel dark form controls).
//! The panel clips (`overflow: clip`; `hidden` only where clip is unknown, since a box that
//! hides can still be scrolled by `focus()` and `scrollIntoView`), and nothing in it sits
//! off to one side: the honeypot is clipped in place like `.lf-sr`, since one placed far to
//! the left is scrollable overflow in a right-to-left panel (the Arabic panel was found
//! shifted 27 px sideways).
//! Stacking: the highest z-index there is, on a host that is the last child of `<html>`, so
//! a page's own "maximum" (cookie bars, sticky carts at 2147483647) ties and paints below
//! it. A page rule on every element may still reach the host itself: a `filter` or
//! `backdrop-filter` there (a site's grayscale "mourning mode", `* { filter: … }`) would
//! make the host the box the fixed panel is placed in, off screen; those are undone with
//! `!important`, which a shadow root's `:host` wins. The page may still hide the host
//! (`display: none`), as a site hides its chat on a checkout page.
//! Forced colors (Windows High Contrast): backgrounds and shadows go, so the panel, the
//! bubble, the buttons and the visitor's messages get a border in the system's text color.
//! Direction: `.lf-root` carries `dir` (Arabic: `rtl`); flex rows, `text-align: start` and
//! logical padding mirror with it, while the corner (`right`/`.lf-left`) stays the owner's.
//! The owner's and the visitor's texts may be in another script than the widget's
//! language: `unicode-bidi: plaintext` gives each its own direction, so an English
//! question in an Arabic panel keeps its question mark at its end.

pub const CSS: &str = r#"
:host { all: initial; filter: none !important; backdrop-filter: none !important; will-change: auto !important; }
.lf-root { all: initial; --b: #3b5bdb; --bt: #fff; --vl: initial; --vt: initial; --vw: initial; --vh: initial; color-scheme: light; position: fixed; right: clamp(20px, calc(100% + 20px - (var(--vl, 0) + var(--vw, 1e6)) * 1px), 100%); bottom: clamp(20px, calc(100% + 20px - (var(--vt, 0) + var(--vh, 1e6)) * 1px), 100%); z-index: 2147483647; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433; }
.lf-bubble { min-width: 56px; height: 56px; border-radius: 28px; border: 0; background: var(--b); color: var(--bt); cursor: pointer; display: grid; place-items: center; box-shadow: 0 6px 20px rgba(30,40,90,.3); float: right; }
:focus-visible { outline: 2px solid #1d2433; outline-offset: 2px; box-shadow: 0 0 0 2px #fff; }
::placeholder { color: #6b7385; }
.lf-sr, .lf-hp { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@keyframes lf-in { from { opacity: 0; transform: translateY(8px); } }
.lf-panel, .lf-msg, .lf-form { animation: lf-in .2s ease-out; }
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; } }
.lf-panel { position: absolute; right: 0; bottom: 70px; width: min(370px, calc(100vw - 40px)); height: min(560px, calc(100vh - 110px)); display: flex; flex-direction: column; background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(20,30,60,.25); overflow: hidden; overflow: clip; }
[hidden] { display: none !important; }
.lf-head { display: flex; align-items: center; justify-content: space-between; padding: 12px 16px; background: var(--b); color: var(--bt); font-weight: 600; }
.lf-close { background: none; border: 0; color: inherit; font-size: 22px; cursor: pointer; line-height: 1; }
.lf-log { flex: 1; overflow-y: auto; overscroll-behavior: contain; padding: 14px; display: flex; flex-direction: column; gap: 8px; background: #f6f7fb; }
.lf-log:focus-visible { outline-offset: -2px; box-shadow: none; }
.lf-msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-wrap: break-word; }
.lf-agent { align-self: flex-start; background: #fff; border: 1px solid #e3e6ef; }
.lf-visitor { align-self: flex-end; background: var(--b); color: var(--bt); }
.lf-success { border-color: #8ce99a; background: #ebfbee; }
.lf-quick { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 12px 0; background: #fff; }
.lf-choices { padding: 0; background: none; }
.lf-chip { border: 1px solid #bac8ff; background: #edf2ff; color: #3b5bdb; border-radius: 999px; padding: 4px 10px; cursor: pointer; font: inherit; }
.lf-compose { display: flex; gap: 8px; padding: 10px 12px; background: #fff; border-top: 1px solid #eef0f5; }
.lf-input { flex: 1; padding: 8px 10px; border: 1px solid #868e96; border-radius: 8px; font: inherit; }
.lf-send, .lf-submit { border: 0; background: var(--b); color: var(--bt); border-radius: 8px; padding: 8px 14px; cursor: pointer; font: inherit; font-weight: 600; }
.lf-submit[aria-disabled="true"] { opacity: .6; cursor: wait; }
.lf-form { align-self: stretch; background: #fff; border: 1px solid #dbe2ff; border-radius: 12px; padding: 12px; display: flex; flex-direction: column; gap: 8px; overflow-wrap: anywhere; }
.lf-form-title { font-weight: 600; }
.lf-form-desc { margin: 0; color: #5c667a; }
.lf-help { font-size: 12.5px; color: #5c667a; }
.lf-field { display: flex; flex-direction: column; gap: 3px; }
.lf-check { flex-direction: row; flex-wrap: wrap; align-items: center; gap: 6px; }
.lf-check .lf-error, .lf-check .lf-help { flex-basis: 100%; }
.lf-check > :nth-child(2) { flex: 1 1 0; min-width: 0; }
fieldset.lf-field { border: 0; margin: 0; padding: 0; min-width: 0; }
.lf-choices-group { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.lf-choices-group .lf-check { display: inline-flex; flex-wrap: nowrap; max-width: 100%; }
.lf-choices-group .lf-check > span { flex: 0 1 auto; }
.lf-link { color: #3b5bdb; }
.lf-steps { display: flex; flex-direction: column; gap: 4px; font-size: 12.5px; color: #5c667a; }
.lf-steps progress { width: 100%; height: 6px; accent-color: var(--b); }
.lf-label { font-size: 13px; font-weight: 500; }
.lf-req { color: #c92a2a; }
.lf-input-field { padding: 7px 9px; border: 1px solid #868e96; border-radius: 7px; font: inherit; }
textarea.lf-input-field { min-height: 70px; resize: vertical; }
.lf-input-field[aria-invalid="true"] { border-color: #e03131; }
.lf-msg, .lf-form-title, .lf-form-desc, .lf-help, .lf-label, .lf-chip, .lf-title, .lf-labelled, .lf-link, .lf-steps, .lf-check, option { unicode-bidi: plaintext; }
[dir=rtl] [type=tel], [dir=rtl] [type=email], [dir=rtl] [type=url] { direction: ltr; text-align: right; }
.lf-hp { opacity: 0; }
.lf-error, .lf-status { color: #c92a2a; font-size: 12.5px; min-height: 0; }
.lf-progress { color: #3b5bdb; }
.lf-actions { display: flex; gap: 8px; align-items: center; }
.lf-dismiss, .lf-back { background: none; border: 0; color: #5c667a; cursor: pointer; font: inherit; text-decoration: underline; }
.lf-labelled { display: flex; align-items: center; gap: 8px; padding: 0; padding-inline: 14px 18px; font: 600 15px/1 system-ui, sans-serif; }
.lf-left { right: auto; left: calc(var(--vl, 0) * 1px + 20px); }
.lf-left .lf-bubble { float: left; }
.lf-left .lf-panel { right: auto; left: 0; }
@media (prefers-color-scheme: dark) {
.lf-root { color: #e9ecf2; color-scheme: dark; }
.lf-panel, .lf-quick, .lf-compose, .lf-form, .lf-agent { background: #1c2030; border-color: #3a4157; }
.lf-log { background: #131622; }
.lf-input, .lf-input-field { background: #131622; color: #e9ecf2; border-color: #8a93a8; }
::placeholder, .lf-form-desc, .lf-help, .lf-dismiss, .lf-back, .lf-steps { color: #a9b1c2; }
.lf-link, .lf-progress { color: #91a7ff; }
.lf-choices { background: none; }
.lf-chip { background: #26304d; border-color: #5c6fb0; color: #dbe4ff; }
.lf-success { background: #15351f; border-color: #2f9e44; }
.lf-error, .lf-status, .lf-req { color: #ff8787; }
:focus-visible { outline-color: #e9ecf2; box-shadow: 0 0 0 2px #131622; }
}
@media (forced-colors: active) { .lf-panel, .lf-bubble, .lf-send, .lf-submit, .lf-visitor { border: 2px solid; } }
.lf-phone .lf-panel { position: fixed; left: calc(var(--vl, 0) * 1px); top: calc(var(--vt, 0) * 1px); right: auto; bottom: auto; width: calc(var(--vw, 1e6) * 1px); max-width: 100%; height: calc(var(--vh, 1e6) * 1px); max-height: 100%; box-sizing: border-box; border-radius: 0; padding: env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left); }
.lf-phone .lf-bubble[aria-expanded="true"] { display: none; }
.lf-phone .lf-input, .lf-phone .lf-input-field { font-size: 16px; }
"#;
