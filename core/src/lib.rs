//! Pure logic shared by the widget and the edge: no I/O here, so everything is unit-tested
//! natively with `cargo test`. Modules follow the path of a lead: a form is described
//! ([`form`]), filled in and checked ([`validate`]), sent over the wire ([`wire`]), and then
//! moves through statuses ([`status`]) while deliveries are retried ([`retry`]).
//!
//! The `server` feature adds what only the edge needs; the widget builds without it.

pub mod form;
pub mod intent;
pub mod lead;
#[cfg(feature = "server")]
pub mod llm;
pub mod locale;
pub mod look;
pub mod status;
pub mod validate;
pub mod viewport;
pub mod wire;

#[cfg(feature = "server")]
pub mod access;
#[cfg(feature = "server")]
pub mod analytics;
#[cfg(feature = "server")]
pub mod channels;
#[cfg(feature = "server")]
pub mod charts;
#[cfg(feature = "server")]
pub mod chat_form;
#[cfg(feature = "server")]
pub mod chat_words;
#[cfg(feature = "server")]
pub mod client_address;
#[cfg(feature = "server")]
pub mod collect_leads;
#[cfg(feature = "server")]
pub mod conversation;
#[cfg(feature = "server")]
pub mod csv_export;
#[cfg(feature = "server")]
pub mod delivery;
#[cfg(feature = "server")]
pub mod example;
#[cfg(feature = "server")]
pub mod field_analysis;
#[cfg(feature = "server")]
pub mod files;
#[cfg(feature = "server")]
pub mod form_post;
#[cfg(feature = "server")]
pub mod lanes;
#[cfg(feature = "server")]
pub mod links;
#[cfg(feature = "server")]
pub mod origins;
#[cfg(feature = "server")]
pub mod owner;
#[cfg(feature = "server")]
pub mod post_actions;
#[cfg(feature = "server")]
pub mod qualification;
#[cfg(feature = "server")]
pub mod query;
#[cfg(feature = "server")]
pub mod retry;
#[cfg(feature = "server")]
pub mod settings;
#[cfg(feature = "server")]
pub mod signin;
#[cfg(feature = "server")]
pub mod spam;
#[cfg(feature = "server")]
pub mod webhook;
