//! # chatwire — one sans-IO core for three chat protocols
//!
//! `chatwire` speaks the TrueConf Chatbot API ([`trueconf`]), the tada.team WebSocket protocol
//! ([`tada`]) and the Nextcloud Talk chat REST API ([`talk`]). Each protocol is a [`Session`]: a
//! state machine that performs no I/O, reads no clock and draws no OS randomness. The host owns
//! sockets and timers and feeds it; the same inputs always produce the same outputs.
//!
//! Hosts use it through a [`Client`], which adds commands that settle futures, reconnects with
//! backoff, replay of what is safe to replay, and reports of every failed attempt — in pull
//! mode: every input takes the host's `now` and returns one [`Output`].
//!
//! ## The run loop
//!
//! ```no_run
//! # use chatwire::{Client, Output, Timestamp, Transmit, Event};
//! # fn now() -> Timestamp { Timestamp(0) }
//! # fn send_frame(_: &str) {} fn open(_: &chatwire::ConnectInfo) {} fn close() {}
//! # fn http(_: &chatwire::HttpRequest) {} fn show(_: Event) {} fn arm(_: Option<Timestamp>) {}
//! # enum Input { Frame(String), Timer }
//! # fn wait_for_input() -> Input { Input::Timer }
//! fn perform(out: Output) {
//!     for t in out.transmits {                      // 1. do what it asks, in order
//!         match t {
//!             Transmit::Connect(info) => open(&info),
//!             Transmit::Frame { text } => send_frame(&text),
//!             Transmit::Http(req) => http(&req),
//!             Transmit::Close { .. } => close(),
//!             _ => {}
//!         }
//!     }
//!     out.events.into_iter().for_each(show);        // 2. tell the app
//!     arm(out.timeout);                             // 3. replace the one timer
//! }
//!
//! fn run<S: chatwire::Session>(client: Client<S>) {
//!     perform(client.connect(now()));
//!     loop {
//!         let out = match wait_for_input() {
//!             Input::Frame(text) => client.handle_frame(now(), &text),
//!             Input::Timer => client.handle_timeout(now()),
//!         };
//!         perform(out);
//!         perform(client.poll_output());            // what commands queued meanwhile
//!     }
//! }
//! ```
//!
//! Shared machinery, written once and used by all three protocols (crate-private): request ids
//! and the pending-request table with deadlines, read state ordered by server versions, the
//! redelivery filter, backoff with jitter, the seeded RNG, bounded output queues, lenient JSON.
//! The public surface is what a binding can carry: no `serde_json::Value` ([`RawJson`] is text),
//! no tuples, no `Result` inside an event, fixed-width integers, names unique across the crate.

#![warn(missing_docs, unreachable_pub)]
// With a protocol feature off, parts of the shared machinery only the others use are dead;
// the full build (all three, the default) keeps every lint.
#![cfg_attr(
    not(all(feature = "trueconf", feature = "tada", feature = "talk")),
    allow(dead_code, unused_imports, unreachable_pub)
)]

mod backoff;
mod boxed_map;
mod client;
mod config;
mod deadlines;
mod dedupe;
mod error;
mod event;
mod ids;
mod inspect;
mod json;
mod model;
mod order;
mod outbox;
mod pending;
mod raw;
mod read_state;
mod rng;
mod secret;
mod session;
#[cfg(feature = "tada")]
pub mod tada;
#[cfg(feature = "talk")]
pub mod talk;
mod time;
mod transmit;
#[cfg(feature = "trueconf")]
pub mod trueconf;

pub use client::{Call, Client, ClientConfig, Output, OutputReady, TypedCall};
pub use config::Limits;
pub use error::{Delivery, Error, ErrorKind};
pub use event::{Event, Reply};
pub use ids::RequestId;
pub use inspect::{Direction, FrameKind, Inspection};
pub use model::{Author, Chat, ChatKind, Content, Message, Participant, Reaction, Role};
pub use raw::RawJson;
pub use read_state::ReadState;
pub use secret::Secret;
pub use session::Session;
pub use time::Timestamp;
pub use transmit::{
    ConnectAuth, ConnectInfo, Header, HttpDownload, HttpRequest, HttpResponse, HttpUpload, Transmit,
};

/// Machinery for chatwire's own tests and fuzzers (id allocation, the pending table, the
/// seeded RNG, lenient JSON); not part of the API and free to change in any release.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::ids::IdCounter;
    pub use crate::json::{parse_lenient, KINDS_OF_VALUE};
    pub use crate::outbox::Outbox;
    pub use crate::pending::PendingTable;
    pub use crate::rng::Rng;
    #[cfg(feature = "trueconf")]
    pub use crate::trueconf::wire::ack as trueconf_ack;
}
