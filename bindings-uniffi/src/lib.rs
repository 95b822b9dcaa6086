//! # chatwire-ffi — UniFFI bindings of chatwire for Python, Kotlin and Swift
//!
//! One client object per protocol ([`TrueConfClient`], [`TadaClient`], [`TalkClient`]) over the
//! core's pull-mode [`chatwire::Client`]. The host owns sockets and timers: every input takes
//! the host's monotonic clock in milliseconds (`now_ms`) and returns one [`Output`] — the
//! transmits to perform in order, the events, the next deadline — so a host pays one FFI
//! crossing per incoming frame ([`TrueConfClient::handle_frames`] takes a whole backlog in
//! one).
//!
//! Commands queue their request when called: each is a plain (synchronous) method returning a
//! [`Command`] — the [`Output`] to perform now (the request itself) and a [`PendingCall`] whose
//! `async fn wait()` (Python `async def`, Kotlin `suspend`, Swift `async throws`) settles with
//! the answer. Nothing is sent lazily on first poll, so a host never has to poll a future to
//! make progress, and dropping the handle only stops listening.
//!
//! Nothing here holds anything of the host's (no callback interfaces): the host's transport
//! refers to the client, never the other way round, so no reference cycle can hide from the
//! host's garbage collector. `shutdown` settles every pending call with `Closed`.
//!
//! The core's types are mirrored in [`types`] (UniFFI has no `Box`, serde or open enums); raw
//! payloads stay JSON text.

#![warn(missing_docs)]

mod client;
mod tagged;
pub mod types;

pub use client::{
    trueconf_oauth_body, trueconf_parse_oauth, ClientOptions, Command, PendingCall, TadaClient,
    TalkClient, TrueConfClient,
};
pub use types::*;

uniffi::setup_scaffolding!();
