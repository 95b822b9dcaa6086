//! # chatwire — one sans-IO core for three chat protocols
//!
//! `chatwire` speaks the TrueConf Chatbot API ([`trueconf`]), the tada.team WebSocket protocol
//! ([`tada`]) and the Nextcloud Talk chat REST API ([`talk`]). Each protocol is a [`Session`]: a
//! state machine that performs no I/O, reads no clock and draws no OS randomness. The host owns
//! sockets and timers and feeds the session; the same inputs always produce the same outputs.
//!
//! ## The run loop
//!
//! ```no_run
//! # use chatwire::{Session, Timestamp, Transmit};
//! # fn now() -> Timestamp { Timestamp(0) }
//! # fn send_frame(_: &str) {} fn open(_: &chatwire::ConnectInfo) {} fn close() {}
//! # fn http(_: &chatwire::HttpRequest) {} fn show(_: chatwire::Event) {}
//! # fn wait_for_input_until(_: Option<Timestamp>) -> Option<String> { None }
//! fn run(session: &mut impl Session) {
//!     loop {
//!         // 1. Drain everything the last input produced.
//!         while let Some(t) = session.poll_transmit() {
//!             match t {
//!                 Transmit::Connect(info) => open(&info),
//!                 Transmit::Frame { text } => send_frame(&text),
//!                 Transmit::Http(req) => http(&req),
//!                 Transmit::Close { .. } => close(),
//!                 _ => {}
//!             }
//!         }
//!         while let Some(event) = session.poll_event() {
//!             show(event);
//!         }
//!         // 2. Sleep until the next input or the session's deadline.
//!         let deadline = session.poll_timeout();
//!         match wait_for_input_until(deadline) {
//!             Some(frame) => session.handle_frame(now(), &frame),
//!             None => session.handle_timeout(now()),
//!         }
//!     }
//! }
//! ```
//!
//! Shared machinery, written once and used by all three protocols: request ids and the
//! pending-request table ([`PendingTable`]), read state ([`ReadStates`]), redelivery filtering
//! ([`SeenSet`]), backoff ([`Backoff`]), the seeded RNG ([`Rng`]), the normalized [`Event`] and
//! [`Error`] model.

#![warn(missing_docs, unreachable_pub)]

mod backoff;
// The client's machinery is `pub` for its own files; the lint is settled after its tests land.
#[allow(unreachable_pub)]
mod client;
mod config;
mod dedupe;
mod error;
mod event;
mod ids;
mod inspect;
mod json;
mod model;
mod outbox;
mod pending;
mod raw;
mod read_state;
mod rng;
mod secret;
mod session;
pub mod tada;
pub mod talk;
mod time;
mod transmit;
pub mod trueconf;

pub use client::{Call, Client, ClientConfig, Output, OutputReady};
pub use config::Limits;
pub use error::{Delivery, Error};
pub use event::{Event, Reply};
pub use ids::RequestId;
pub use inspect::{Direction, FrameKind, Inspection};
pub use model::{Author, Chat, ChatKind, Content, Message, Participant, Role};
pub use raw::RawJson;
pub use read_state::ReadState;
pub use secret::Secret;
pub use session::Session;
pub use time::Timestamp;
pub use transmit::{ConnectAuth, ConnectInfo, Header, HttpRequest, HttpResponse, Transmit};

/// Machinery for chatwire's own tests and fuzzers (id allocation, the pending table, the
/// seeded RNG, lenient JSON); not part of the API and free to change in any release.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::ids::IdCounter;
    pub use crate::json::parse_lenient;
    pub use crate::pending::PendingTable;
    pub use crate::rng::Rng;
    pub use crate::trueconf::wire::ack as trueconf_ack;
}
