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

#![warn(missing_docs)]

pub mod backoff;
pub mod client;
pub mod config;
pub mod dedupe;
pub mod error;
pub mod event;
pub mod ids;
pub mod inspect;
pub mod json;
pub mod model;
pub mod outbox;
pub mod pending;
mod raw;
pub mod read_state;
pub mod rng;
pub mod secret;
pub mod session;
pub mod tada;
pub mod talk;
pub mod time;
pub mod transmit;
pub mod trueconf;

pub use backoff::Backoff;
pub use client::{Call, Client, ClientConfig, Output, OutputReady};
pub use config::Limits;
pub use dedupe::SeenSet;
pub use error::{Delivery, Error};
pub use event::{Event, Reply};
pub use ids::{IdCounter, RequestId};
pub use inspect::{Direction, FrameKind, Inspection};
pub use model::{Author, Chat, ChatKind, Content, Message, Participant, Role};
pub use outbox::Outbox;
pub use pending::{Pending, PendingTable};
pub use raw::RawJson;
pub use read_state::{ReadState, ReadStates, ReadUpdate};
pub use rng::Rng;
pub use secret::Secret;
pub use session::Session;
pub use time::Timestamp;
pub use transmit::{ConnectAuth, ConnectInfo, Header, HttpRequest, HttpResponse, Transmit};
